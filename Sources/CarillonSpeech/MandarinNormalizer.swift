/// Text normalization for the Mandarin front-end: every rule that turns digits, symbols, Latin letters and
/// punctuation into something the voice can say lives in this file.
///
/// - Phone and emergency numbers are read digit by digit with 幺 for 1: the numbers in `dialNumbers`, any run of
///   digits after or before a word that marks a number to dial (`dialBefore`, `dialAfter`), mobile numbers
///   (11 digits starting with 1) and numbers written with area-code dashes (0571-88888888).
/// - Years (4 digits from 1900 to 2099 before 年, or in a date 2026-10-01) digit by digit: 二零二六年.
/// - Clock times `8:30` → 八点三十分, `8:05` → 八点零五分, `8:00` → 八点; ranges `3-5`, `3~5` → 三到五.
/// - Integers up to 12 digits as numbers (10 → 十, 2,500 → 两千五百); a leading 2 before a measure word → 两
///   (两个, 两点); a lone 1 stays the character 一, so that its tone changes by context (一个 yí, 一天 yì).
/// - Decimals `1.5` → 一点五, percentages `50%` → 百分之五十, temperatures `-5℃` → 零下五摄氏度.
/// - Units after a number (`km`, `m`, `kg`, `h`…) and the Latin abbreviations in `abbreviations` (APP, Wi-Fi, AED, 3C…).
/// - Half-width punctuation becomes full-width; quotes, brackets and spaces are silent.
/// Whatever it cannot read with certainty (an unknown Latin word, an emoji, a control character, a run of more
/// than 12 digits, a 7–12 digit number with no word saying whether to dial it) is reported as a `ReadingProblem`;
/// it is then read as well as can be (letters spelled, digits one by one) or left out.
enum MandarinNormalizer {
    /// A piece of normalized text.
    enum Piece: Equatable {
        /// Chinese characters, read through the lexicon.
        case han(String)
        /// Text already read: its normalized form and its syllables.
        case fixed(String, [String])
        /// Punctuation, as the full-width mark it is shown as; `strong` ends a sentence.
        case pause(Character, strong: Bool)
    }

    /// Emergency and service numbers, always dialled digit by digit (unless a unit follows: 120米).
    static let dialNumbers: Set<String> = [
        "110", "119", "120", "122", "12345", "12355", "12356", "12395", "96110", "12315", "12377", "12110",
    ]
    /// Words after which a run of digits is a number to dial.
    static let dialBefore = ["拨打", "拨", "打", "电话", "热线", "号码", "致电", "呼叫", "手机", "专线", "联系"]
    /// Words before which a run of digits is a number to dial.
    static let dialAfter = ["热线", "电话", "报警", "急救", "求助", "举报", "平台", "专线"]
    /// Measure words and units before which 2 is read 两.
    static let measureWords: Set<Character> = Set(
        "个位名次遍趟分秒天周年种件条只张本支根块杯瓶米里斤克岁点步句排组辆人节份口双对把座间台道声下圈")

    /// Latin words and abbreviations the texts use, with what is said (letters as Chinese speakers name them, in
    /// syllables of Mandarin's inventory: Wi-Fi is wai4 fei1, since "fai" is not one).
    static let abbreviations: [String: [String]] = {
        var table: [String: [String]] = [:]
        for word in [
            "APP", "AED", "ATM", "CPR", "GPS", "ICU", "ID", "PPT", "QQ", "SOS", "USB", "PM", "TV", "DIY", "VR",
        ] {
            table[word] = word.flatMap { letterNames[$0] ?? [] }
        }
        table["WIFI"] = ["wai4", "fei1"]
        table["WI-FI"] = ["wai4", "fei1"]
        table["3C"] = ["san1", "xi1"]
        table["4G"] = ["si4", "ji4"]
        table["5G"] = ["wu3", "ji4"]
        return table
    }()

    /// English letter names as Chinese speakers say them.
    static let letterNames: [Character: [String]] = [
        "A": ["ei1"], "B": ["bi4"], "C": ["xi1"], "D": ["di4"], "E": ["yi4"], "F": ["ai2", "fu5"], "G": ["ji4"],
        "H": ["ai1", "qi1"], "I": ["ai4"], "J": ["jie4"], "K": ["kai4"], "L": ["ai2", "le5"], "M": ["ai2", "mu5"],
        "N": ["en1"], "O": ["ou1"], "P": ["pi4"], "Q": ["ke4", "you1"], "R": ["a4", "er5"],
        "S": ["ai2", "si5"], "T": ["ti4"], "U": ["you1"], "V": ["wei1"], "W": ["da2", "bu5", "liu5"],
        "X": ["ai2", "ke4", "si5"], "Y": ["wai4"], "Z": ["zei4"],
    ]

    /// Units written in Latin letters after a number, with the Chinese said for them.
    static let units: [(String, String)] = [
        ("km/h", "公里每小时"), ("m/s", "米每秒"), ("km", "公里"), ("cm", "厘米"), ("mm", "毫米"), ("kg", "公斤"),
        ("mg", "毫克"), ("ml", "毫升"), ("mL", "毫升"), ("dB", "分贝"), ("kW", "千瓦"), ("min", "分钟"), ("m", "米"),
        ("g", "克"), ("L", "升"), ("h", "小时"), ("s", "秒"), ("V", "伏"), ("W", "瓦"),
    ]

    /// Half-width and other punctuation, as the full-width mark shown, and whether it ends a sentence.
    static let punctuation: [Unicode.Scalar: (Character, Bool)] = [
        "。": ("。", true), ".": ("。", true), "！": ("！", true), "!": ("！", true), "？": ("？", true),
        "?": ("？", true), "；": ("；", false), ";": ("；", false), "，": ("，", false), ",": ("，", false),
        "、": ("、", false), "：": ("：", false), ":": ("：", false), "—": ("—", false), "…": ("…", false),
        "～": ("～", false), "~": ("～", false), "-": ("—", false), "\n": ("。", true), "｡": ("。", true),
        "､": ("、", false),
    ]

    /// Marks that are silent: quotes, brackets, the middle dot in names, spaces.
    static let silent: Set<Unicode.Scalar> = Set("“”‘’\"'《》〈〉「」『』（）()[]【】〔〕·・ \t\r\u{3000}".unicodeScalars)

    /// Splits text into pieces and reports what cannot be read with certainty; pure, linear in the text.
    static func normalize(_ text: String, problems: inout [ReadingProblem]) -> [Piece] {
        var scanner = Scanner(scalars: text.unicodeScalars.map(halfWidth), problems: [])
        scanner.run()
        problems += scanner.problems
        return scanner.pieces
    }

    /// Full-width ASCII forms (digits, letters, %, ., :, -, /) as ASCII; one scalar for one, so offsets hold.
    private static func halfWidth(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        switch scalar.value {
        case 0xFF10...0xFF19, 0xFF21...0xFF3A, 0xFF41...0xFF5A, 0xFF05, 0xFF0E, 0xFF1A, 0xFF0D, 0xFF0F, 0xFF0B:
            Unicode.Scalar(scalar.value - 0xFEE0) ?? scalar
        case 0x2103: scalar  // ℃ is handled as a unit.
        default: scalar
        }
    }

    private struct Scanner {
        let scalars: [Unicode.Scalar]
        var problems: [ReadingProblem]
        var pieces: [Piece] = []
        var index = 0

        init(scalars: [Unicode.Scalar], problems: [ReadingProblem]) {
            self.scalars = scalars
            self.problems = problems
        }

        func at(_ i: Int) -> Unicode.Scalar? { i >= 0 && i < scalars.count ? scalars[i] : nil }
        func isDigit(_ i: Int) -> Bool { at(i).map { ("0"..."9").contains($0) } ?? false }
        func isLetter(_ i: Int) -> Bool { at(i).map { ("a"..."z").contains($0) || ("A"..."Z").contains($0) } ?? false }
        /// The scalars in `range`, clamped to the text: a look past either end reads as empty, never traps.
        func text(_ range: Range<Int>) -> String {
            let upper = min(scalars.count, max(0, range.upperBound))
            let lower = min(upper, max(0, range.lowerBound))
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars[lower..<upper])
            return String(view)
        }

        mutating func problem(_ range: Range<Int>, _ reason: String) {
            problems.append(ReadingProblem(span: text(range), offset: range.lowerBound, reason: reason))
        }

        mutating func han(_ string: String) {
            if case .han(let previous) = pieces.last {
                pieces[pieces.count - 1] = .han(previous + string)
            } else {
                pieces.append(.han(string))
            }
        }

        mutating func fixed(_ string: String, _ syllables: [String]) { pieces.append(.fixed(string, syllables)) }

        mutating func run() {
            while index < scalars.count {
                let scalar = scalars[index]
                if MandarinText.isHan(scalar) {
                    han(String(scalar))
                    index += 1
                } else if isDigit(index) {
                    number()
                } else if isLetter(index) {
                    latin()
                } else if scalar == "℃" {
                    han("摄氏度")
                    index += 1
                } else if scalar == "%" {
                    problem(index..<index + 1, "a % sign without a number before it")
                    index += 1
                } else if let (mark, strong) = punctuation[scalar] {
                    if case .pause = pieces.last {
                    } else if !pieces.isEmpty {
                        pieces.append(.pause(mark, strong: strong))
                    }
                    index += 1
                } else if silent.contains(scalar) || scalar == "\n" {
                    index += 1
                } else if scalar.properties.generalCategory == .control || scalar.properties.generalCategory == .format
                {
                    problem(
                        index..<index + 1, "a control character (U+\(String(scalar.value, radix: 16, uppercase: true)))"
                    )
                    index += 1
                } else {
                    problem(index..<index + 1, "a character the front-end cannot read")
                    index += 1
                }
            }
        }

        /// A Latin word: a known abbreviation, a unit, or letters spelled out (reported).
        mutating func latin() {
            let start = index
            var end = index
            while isLetter(end) || (at(end) == "-" && isLetter(end - 1) && isLetter(end + 1)) { end += 1 }
            let word = text(start..<end)
            index = end
            if let syllables = abbreviations[word.uppercased()],
                word == word.uppercased() || word.lowercased() == "app" || word.uppercased().hasPrefix("WI")
            {
                fixed(word, syllables)
                return
            }
            problem(start..<end, "a Latin word the front-end does not know; it is spelled letter by letter")
            for letter in word.uppercased() where letter != "-" {
                fixed(String(letter), letterNames[letter] ?? [])
            }
        }

        /// Digits and what follows them: the rules listed on the enum, in order.
        mutating func number() {
            let start = index
            var end = index
            while isDigit(end) { end += 1 }
            // Thousands separators: 2,500 and 1,000,000 (three digits after each comma).
            var digits = text(start..<end)
            while at(end) == ",", isDigit(end + 1), isDigit(end + 2), isDigit(end + 3), !isDigit(end + 4) {
                digits += text(end + 1..<end + 4)
                end += 4
            }
            let next = at(end)
            let after = nextHan(from: end)

            // "3C", "5G": an abbreviation starting with a digit.
            if isLetter(end), !isLetter(end + 1), let syllables = abbreviations[text(start..<end + 1).uppercased()] {
                fixed(text(start..<end + 1).uppercased(), syllables)
                index = end + 1
                return
            }
            // Dates: 2026-10-01, 2026/10/01, 2026.10.01.
            if digits.count == 4, let sep = next, sep == "-" || sep == "/" || sep == ".", let date = date(from: start) {
                index = date
                return
            }
            // Numbers to dial.
            if isDialed(digits: digits, start: start, end: end) {
                var stop = end
                // Area codes and extensions: 0571-88888888, 400-800-1234.
                while at(stop) == "-", isDigit(stop + 1) {
                    var more = stop + 1
                    while isDigit(more) { more += 1 }
                    stop = more
                }
                let all = text(start..<stop).filter { $0 != "-" }
                fixed(
                    Numbers.digitByDigit(all, dialling: true),
                    Numbers.syllables(Numbers.digitByDigit(all, dialling: true)))
                index = stop
                return
            }
            // Clock times: 8:30, 08:30:15.
            if next == ":", isDigit(end + 1), isDigit(end + 2), !isDigit(end + 3), let hour = Int(digits),
                digits.count <= 2,
                let minute = Int(text(end + 1..<end + 3)), hour <= 24, minute < 60
            {
                var said = Numbers.clock(hour: hour, minute: minute)
                var stop = end + 3
                if at(stop) == ":", isDigit(stop + 1), isDigit(stop + 2), !isDigit(stop + 3),
                    let second = Int(text(stop + 1..<stop + 3)), second < 60
                {
                    said += second == 0 ? "" : Numbers.integer(String(second)) + "秒"
                    stop += 3
                }
                fixed(said, Numbers.syllables(said))
                index = stop
                range()
                return
            }
            // Decimals.
            if next == ".", isDigit(end + 1) {
                var stop = end + 1
                while isDigit(stop) { stop += 1 }
                let said =
                    Numbers.integerOrDigits(digits) + "点" + Numbers.digitByDigit(text(end + 1..<stop), dialling: false)
                index = stop
                emitQuantity(said, start: start)
                return
            }
            // Years: 2026年.
            if after == "年", digits.count == 4, let year = Int(digits), (1900...2099).contains(year), next == "年" {
                let said = Numbers.digitByDigit(digits, dialling: false)
                fixed(said, Numbers.syllables(said))
                index = end
                return
            }
            index = end
            if digits.count > 12 || (digits.count > 1 && digits.hasPrefix("0")) {
                if digits.count > 12 {
                    problem(start..<end, "a run of \(digits.count) digits; it is read digit by digit")
                }
                let said = Numbers.digitByDigit(digits, dialling: false)
                fixed(said, Numbers.syllables(said))
                return
            }
            if digits.count >= 7 {
                problem(start..<end, "a \(digits.count)-digit number with no word saying whether to dial it (拨打, 电话…)")
            }
            if digits == "1" && next != "%" {
                han("一")
                units()
                range()
                return
            }
            let measured = after.map { Self.isMeasure($0, next: nextHan(from: end + 1)) && next == $0 } ?? false
            if digits == "2", measured || startsUnit(at: end) {
                han("两")
                units()
                range()
                return
            }
            emitQuantity(Numbers.integer(digits), start: start)
        }

        /// A number already read, then its % or ℃ or unit, then a range to another number.
        mutating func emitQuantity(_ said: String, start: Int) {
            if at(index) == "%" {
                let whole = "百分之" + said
                fixed(whole, Numbers.syllables(whole))
                index += 1
            } else {
                let negative =
                    at(start - 1) == "-" && !isDigit(start - 2) && (at(index) == "℃" || text(index..<index + 2) == "°C")
                if negative, case .pause = pieces.last { pieces.removeLast() }
                let whole = (negative ? "零下" : "") + said
                fixed(whole, Numbers.syllables(whole))
                units()
            }
            range()
        }

        /// A unit right after a number: ℃, °C, km, m, kg…
        mutating func units() {
            if at(index) == "℃" {
                han("摄氏度")
                index += 1
                return
            }
            if text(index..<index + 2) == "°C" {
                han("摄氏度")
                index += 2
                return
            }
            var start = index
            if at(start) == " ", isLetter(start + 1) { start += 1 }
            for (symbol, said) in MandarinNormalizer.units {
                let end = start + symbol.unicodeScalars.count
                if text(start..<end) == symbol, !isLetter(end) {
                    han(said)
                    index = end
                    return
                }
            }
        }

        /// Whether a Latin unit (km, kg…) starts at `i`.
        func startsUnit(at i: Int) -> Bool {
            MandarinNormalizer.units.contains { symbol, _ in
                let end = i + symbol.unicodeScalars.count
                return text(i..<end) == symbol && !isLetter(end)
            }
        }

        /// `3-5`, `3~5`, `8:00-9:00`: the dash or tilde between two numbers is said 到.
        mutating func range() {
            if let mark = at(index), mark == "-" || mark == "~" || mark == "～" || mark == "—", isDigit(index + 1) {
                han("到")
                index += 1
            }
        }

        /// The first Chinese character at or after `i`, skipping spaces.
        func nextHan(from i: Int) -> Unicode.Scalar? {
            var j = i
            while at(j) == " " { j += 1 }
            return at(j).flatMap { MandarinText.isHan($0) ? $0 : nil }
        }

        /// Whether a character is a measure word before which 2 is 两 (年 but not 年级).
        static func isMeasure(_ scalar: Unicode.Scalar, next: Unicode.Scalar?) -> Bool {
            if scalar == "年" { return next != "级" }
            return measureWords.contains(Character(scalar))
        }

        /// Whether the digits at start..<end are a number to dial.
        func isDialed(digits: String, start: Int, end: Int) -> Bool {
            let followedByUnit =
                at(end).map { MandarinText.isHan($0) && Self.isMeasure($0, next: at(end + 1)) } ?? false
            if dialNumbers.contains(digits) && !followedByUnit && at(end) != "." && at(end) != "%" { return true }
            if digits.count == 11 && digits.hasPrefix("1") { return true }
            if digits.hasPrefix("0") && digits.count >= 3 && at(end) == "-" && isDigit(end + 1) { return true }
            if digits.count >= 3 && !followedByUnit {
                // The Chinese text just before the number, skipping a colon and spaces.
                var j = start - 1
                while let s = at(j), s == " " || s == ":" || s == "：" { j -= 1 }
                let before = text(max(0, j - 1)..<j + 1)
                if dialBefore.contains(where: { before.hasSuffix($0) }) { return true }
                let afterText = text(end..<end + 2)
                if dialAfter.contains(where: { afterText.hasPrefix($0) }) { return true }
            }
            return false
        }

        /// A date written YYYY-MM-DD (or with / or .): the index after it, or nil when it is not a valid date.
        mutating func date(from start: Int) -> Int? {
            guard let separator = at(start + 4) else { return nil }
            var i = start + 5
            let monthStart = i
            while isDigit(i) && i - monthStart < 2 { i += 1 }
            guard i > monthStart, at(i) == separator, let month = Int(text(monthStart..<i)), (1...12).contains(month)
            else {
                return nil
            }
            i += 1
            let dayStart = i
            while isDigit(i) && i - dayStart < 2 { i += 1 }
            guard i > dayStart, !isDigit(i), let day = Int(text(dayStart..<i)), (1...31).contains(day) else {
                return nil
            }
            let said =
                Numbers.digitByDigit(text(start..<start + 4), dialling: false) + "年" + Numbers.integer(String(month))
                + "月" + Numbers.integer(String(day)) + "日"
            fixed(said, Numbers.syllables(said))
            return i
        }
    }
}

/// A span of a text the front-end cannot read with certainty.
public struct ReadingProblem: Hashable, Sendable, CustomStringConvertible {
    /// The text of the span, as written.
    public let span: String
    /// Where the span starts, in Unicode scalars (characters, for Chinese text) from the text's start.
    public let offset: Int
    /// Why it is uncertain, and what is said instead.
    public let reason: String

    /// `"span" at N: reason`.
    public var description: String { "\"\(span)\" at \(offset): \(reason)" }
}
