/// Chinese readings of digit strings; never parses a digit string into an integer type, so any length is safe.
enum Numbers {
    private static let digitCharacters: [Character] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"]

    /// The digits one by one: 零一二…; with `dialling`, 1 is 幺 as in phone numbers.
    static func digitByDigit(_ digits: String, dialling: Bool) -> String {
        String(
            digits.compactMap { character -> Character? in
                guard let value = character.wholeNumberValue, (0...9).contains(value) else { return nil }
                return dialling && value == 1 ? "幺" : digitCharacters[value]
            })
    }

    /// An integer of up to 12 digits as a number (10 → 十, 2500 → 两千五百, 10005 → 一万零五); longer ones digit by digit.
    static func integer(_ digits: String) -> String {
        let values = digits.compactMap { $0.wholeNumberValue }
        guard values.count == digits.count, let first = values.firstIndex(where: { $0 != 0 }) else {
            return digits.isEmpty ? "" : "零"
        }
        let significant = Array(values[first...])
        guard significant.count <= 12 else { return digitByDigit(digits, dialling: false) }
        // Groups of four digits from the right: ones, 万, 亿.
        var groups: [[Int]] = []
        var end = significant.count
        while end > 0 {
            let start = max(0, end - 4)
            groups.insert(Array(repeating: 0, count: 4 - (end - start)) + significant[start..<end], at: 0)
            end = start
        }
        let groupUnits = ["", "万", "亿"]
        var result = ""
        var zeroPending = false
        for (offset, group) in groups.enumerated() {
            let unit = groupUnits[groups.count - 1 - offset]
            if group.allSatisfy({ $0 == 0 }) {
                zeroPending = !result.isEmpty
                continue
            }
            if !result.isEmpty && (zeroPending || group[0] == 0) { result += "零" }
            result += readGroup(group) + unit
            zeroPending = false
        }
        if result.hasPrefix("一十") { result.removeFirst() }
        if result.hasPrefix("二"), let second = result.dropFirst().first, "百千万亿".contains(second) {
            result = "两" + result.dropFirst()
        }
        return result
    }

    /// Like `integer`, but digit by digit when the digits have a leading zero (the integer part of 0.5 is 零).
    static func integerOrDigits(_ digits: String) -> String {
        digits.count > 1 && digits.hasPrefix("0") ? digitByDigit(digits, dialling: false) : integer(digits)
    }

    /// Four digits (leading zeros allowed) with 千百十, inner zeros as one 零.
    private static func readGroup(_ group: [Int]) -> String {
        let places = ["千", "百", "十", ""]
        var result = ""
        var zero = false
        for (place, value) in zip(places, group) {
            if value == 0 {
                zero = !result.isEmpty
                continue
            }
            if zero { result += "零" }
            result.append(digitCharacters[value])
            result += place
            zero = false
        }
        return result
    }

    /// A clock time: 8:30 → 八点三十分, 8:05 → 八点零五分, 8:00 → 八点, 2:00 → 两点.
    static func clock(hour: Int, minute: Int) -> String {
        let hourText = hour == 2 ? "两" : integer(String(hour))
        if minute == 0 { return hourText + "点" }
        let minuteText = minute < 10 ? "零" + integer(String(minute)) : integer(String(minute))
        return hourText + "点" + minuteText + "分"
    }

    /// The syllables of a reading made of numerals and the few other characters the normalizer writes.
    ///
    /// 一 before 百 or 千 is yi4 and before 万 or 亿 yi2, as in 一百, 一万; elsewhere in a number it is yi1.
    static func syllables(_ said: String) -> [String] {
        let characters = Array(said)
        var result: [String] = []
        for (i, character) in characters.enumerated() {
            if character == "一" {
                let next = i + 1 < characters.count ? characters[i + 1] : nil
                switch next {
                case "百", "千": result.append("yi4")
                case "万", "亿": result.append("yi2")
                default: result.append("yi1")
                }
            } else if let syllable = fixedReadings[character] {
                result.append(syllable)
            }
        }
        return result
    }

    private static let fixedReadings: [Character: String] = [
        "零": "ling2", "幺": "yao1", "二": "er4", "两": "liang3", "三": "san1", "四": "si4", "五": "wu3", "六": "liu4",
        "七": "qi1", "八": "ba1", "九": "jiu3", "十": "shi2", "百": "bai3", "千": "qian1", "万": "wan4", "亿": "yi4",
        "点": "dian3", "年": "nian2", "月": "yue4", "日": "ri4", "分": "fen1", "秒": "miao3", "之": "zhi1",
        "下": "xia4",
    ]
}
