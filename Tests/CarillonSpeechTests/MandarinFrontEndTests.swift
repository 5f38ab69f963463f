import Foundation
import Testing

@_spi(Fuzzing) @testable import CarillonSpeech

/// The repository's root, from this file's path.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// One row of Data/readings.tsv.
struct ReadingCase: CustomStringConvertible {
    let text: String
    let expected: [String]
    var description: String { text }

    /// The table, checked by a reader of Mandarin: text, TAB, expected syllables.
    static let table: [ReadingCase] = {
        let url = repositoryRoot.appendingPathComponent("Tests/CarillonSpeechTests/Data/readings.tsv")
        let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            guard !line.hasPrefix("#") else { return nil }
            let fields = line.split(separator: "\t")
            guard fields.count == 2 else { return nil }
            return ReadingCase(text: String(fields[0]), expected: fields[1].split(separator: " ").map(String.init))
        }
    }()
}

/// Matching syllables of two sequences (longest common subsequence), so a missing syllable costs one, not the rest.
func matchingSyllables(_ a: [String], _ b: [String]) -> Int {
    guard !a.isEmpty, !b.isEmpty else { return 0 }
    var previous = [Int](repeating: 0, count: b.count + 1)
    for x in a {
        var current = [Int](repeating: 0, count: b.count + 1)
        for (j, y) in b.enumerated() { current[j + 1] = x == y ? previous[j] + 1 : max(previous[j + 1], current[j]) }
        previous = current
    }
    return previous[b.count]
}

@Suite("Mandarin front-end: the reading table")
struct ReadingTableTests {
    let frontEnd = MandarinFrontEnd()

    @Test func tableHasAtLeast300Entries() {
        #expect(ReadingCase.table.count >= 300, "\(ReadingCase.table.count) entries")
    }

    @Test func atLeast99PercentOfSyllablesAreRight() {
        var right = 0
        var total = 0
        var wrong: [String] = []
        for row in ReadingCase.table {
            let got = frontEnd.read(row.text).pinyin
            let matched = matchingSyllables(got, row.expected)
            right += matched
            total += max(row.expected.count, got.count)
            if got != row.expected {
                wrong.append(
                    "\(row.text): got \(got.joined(separator: " ")), expected \(row.expected.joined(separator: " "))")
            }
        }
        let share = Double(right) / Double(max(total, 1))
        print(
            "reading table: \(right)/\(total) syllables right (\(String(format: "%.2f", share * 100)) %), "
                + "\(ReadingCase.table.count - wrong.count)/\(ReadingCase.table.count) entries exact")
        for line in wrong { print("  " + line) }
        #expect(share >= 0.99, "\(String(format: "%.2f", share * 100)) % of syllables right")
    }
}

@Suite("Mandarin front-end: rules")
struct FrontEndRuleTests {
    let frontEnd = MandarinFrontEnd()

    @Test func toneChangesOfYiAndBuAsTheIssueStates() {
        #expect(frontEnd.read("不要").pinyin == ["bu2", "yao4"])
        #expect(frontEnd.read("一个").pinyin == ["yi2", "ge4"])
    }

    @Test func voiceInputIsSyllablesWithPauses() {
        let spoken = frontEnd.read("地震，请立即就地避险。")
        #expect(spoken.voiceInput == "di4 zhen4, qing3 li4 ji2 jiu4 di4 bi4 xian3。")
        #expect(spoken.normalized == "地震，请立即就地避险。")
    }

    @Test func halfWidthPunctuationBecomesFullWidth() {
        #expect(frontEnd.read("注意安全,不要奔跑!").normalized == "注意安全，不要奔跑！")
    }

    @Test func normalizedTextShowsNumbersAsSaid() {
        #expect(frontEnd.read("拨打110").normalized == "拨打幺幺零")
        #expect(frontEnd.read("2026年").normalized == "二零二六年")
        #expect(frontEnd.read("1.5米").normalized == "一点五米")
        #expect(frontEnd.read("8:30").normalized == "八点三十分")
        #expect(frontEnd.read("50%").normalized == "百分之五十")
    }

    @Test func fiftyDigitsAreReadDigitByDigitAndReported() {
        let digits = String(repeating: "9876543210", count: 5)
        let spoken = frontEnd.read(digits)
        #expect(spoken.pinyin.count == 50)
        #expect(spoken.problems.count == 1)
    }

    @Test func cleanTipsHaveNoProblems() {
        #expect(frontEnd.read("发现火情，要立即拨打119报警。").problems.isEmpty)
    }

    @Test func emojiAndControlCharactersAreReportedAndLeftOut() {
        let spoken = frontEnd.read("注意🔥安全\u{1}！")
        #expect(spoken.pinyin == ["zhu4", "yi4", "an1", "quan2"])
        #expect(spoken.problems.map(\.span) == ["🔥", "\u{1}"])
        #expect(spoken.problems.map(\.offset) == [2, 5])
    }

    @Test func unknownLatinWordsAreSpelledAndReported() {
        let spoken = frontEnd.read("打开XYZ")
        #expect(spoken.pinyin.count == 2 + 5)  // 打开, then X (ai2 ke4 si5), Y (wai4), Z (zei4)
        #expect(spoken.problems.first?.span == "XYZ")
    }

    @Test func tenThousandCharactersAreReadWhole() {
        // The front-end has no length limit of its own (the synthesizer's is 2,000 characters); its time is
        // linear in the text: 38 ms for these 10,000 in a release build (docs/SPEECH.md).
        let text = String(repeating: "请同学们有序离开教室，不要拥挤。", count: 625)
        #expect(text.count == 10_000)
        let spoken = frontEnd.read(text)
        #expect(spoken.pinyin.count == 625 * 14)
        #expect(spoken.problems.isEmpty)
    }

    @Test func sevenDigitNumberWithoutDialWordIsReported() {
        #expect(frontEnd.read("共有1234567人").problems.count == 1)
        #expect(frontEnd.read("请拨打1234567").problems.isEmpty)
    }
}

@Suite("School lexicon")
struct SchoolLexiconTests {
    @Test func entriesOverrideTheShippedLexicon() throws {
        let school = try SchoolLexicon(parsing: "# names\n长江路 chang2 jiang1 lu4\n单 shan4\n", file: "lexicon.txt")
        let frontEnd = MandarinFrontEnd(school: school)
        #expect(frontEnd.read("长江路小学").pinyin == ["chang2", "jiang1", "lu4", "xiao3", "xue2"])
        #expect(frontEnd.read("单老师").pinyin == ["shan4", "lao3", "shi1"])
        #expect(MandarinFrontEnd().read("单老师").pinyin.first == "dan1")
    }

    @Test func badLinesAreAllReportedWithFileAndLine() {
        let text = "好学 hao4 xue2\n乐园 le4\n向阳 xiang4 yang9\nabc a1 b1 c1\n明德 ming2 de2 # ok\n"
        #expect {
            try SchoolLexicon(parsing: text, file: "lexicon.txt")
        } throws: { error in
            guard let error = error as? SchoolLexiconError else { return false }
            let lines = error.description.split(separator: "\n")
            return lines.count == 3 && lines[0].hasPrefix("lexicon.txt:2: ") && lines[1].hasPrefix("lexicon.txt:3: ")
                && lines[1].contains("yang9") && lines[2].hasPrefix("lexicon.txt:4: ")
        }
    }

    @Test func invalidSyllablesAreRefused() {
        for bad in ["zhx1", "ma", "ma0", "ma6", "1", "ma1x"] {
            #expect(throws: SchoolLexiconError.self, "\(bad)") { try SchoolLexicon(parsing: "妈 \(bad)\n", file: "f") }
        }
        #expect(Pinyin.isValid("lv4") && Pinyin.isValid("zhuang1") && Pinyin.isValid("de5"))
    }

    /// fuzz-speech: `dei3` (得 in 非得) is no character's default reading, so the inventory lacked it,
    /// the front-end's own reading of 非得 failed the check, and a school could not write it.
    @Test func everySyllableTheLexiconReadsIsValid() throws {
        #expect(Pinyin.isValid("dei3"))
        #expect(MandarinFrontEnd().read("是非得去").pinyin.allSatisfy(Pinyin.isValid))
        _ = try SchoolLexicon(parsing: "非得 fei1 dei3\n", file: "f")
    }

    @Test func cacheKeyChangesWithTheSchoolLexicon() throws {
        let school = try SchoolLexicon(parsing: "单 shan4\n", file: "f")
        let plain = SpeechRequest(text: "单老师", voice: .zh)
        let withSchool = SpeechRequest(text: "单老师", voice: .zh, school: school)
        #expect(plain.cacheKey != withSchool.cacheKey)
        // English does not go through the front-end, so the school's words do not change its key.
        #expect(
            SpeechRequest(text: "Fire", voice: .en).cacheKey
                == SpeechRequest(text: "Fire", voice: .en, school: school).cacheKey)
    }
}

@Suite("Shipped lexicon")
struct ShippedLexiconTests {
    @Test func loadsOnceWithCharactersAndPhrases() {
        let clock = ContinuousClock()
        var counts = (characters: 0, phrases: 0)
        let elapsed = clock.measure { counts = MandarinLexicon(shippedData: MandarinLexicon.shippedData).counts }
        print(
            "shipped lexicon: \(counts.characters) characters, \(counts.phrases) phrases, "
                + "\(MandarinLexicon.shippedData.utf8.count) bytes, parsed in \(elapsed)")
        #expect(counts.characters > 20_000)
        #expect(counts.phrases > 5_000)
    }
}

@Suite("Mandarin front-end: characters outside the lexicon")
struct UnknownCharacterTests {
    @Test func aCharacterWithNoReadingIsReportedWhereItIs() {
        // U+20000 (CJK extension B) is outside the shipped lexicon's range.
        let spoken = MandarinFrontEnd().read("请\u{20000}注意")
        #expect(spoken.pinyin == ["qing3", "zhu4", "yi4"])
        #expect(spoken.problems.map(\.offset) == [1])
    }

    @Test func aSchoolCanGiveItAReading() throws {
        let school = try SchoolLexicon(parsing: "\u{20000} he1\n", file: "f")
        #expect(MandarinFrontEnd(school: school).read("请\u{20000}注意").pinyin == ["qing3", "he1", "zhu4", "yi4"])
    }
}

@Suite("Mandarin front-end: any input")
struct AnyInputTests {
    /// A fixed-seed generator (SplitMix64), so that every run reads the same texts.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E9B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test func randomMixturesNeverTrapAndGiveOnlyValidSyllables() {
        let pieces: [String] = [
            "0", "1", "2", "9", "12", "110", "2026", "年", "月", "日", "号", ":", ".", "-", "~", "/", ",", "%", "℃", "°",
            "C",
            "km", "h", "APP", "Wi-Fi", "x", "一", "不", "地", "得", "个", "天", "第", "看", "长", "行", "，", "。", "！", "（", "”",
            " ", "\n", "\t", "\u{1}", "\u{7F}", "\u{200B}", "🔥", "😀", "\u{20000}", "０", "１", "：", "．", "拨打", "电话",
        ]
        var generator = SeededGenerator(state: 19)
        let frontEnd = MandarinFrontEnd()
        for _ in 0..<3000 {
            let count = Int.random(in: 0...12, using: &generator)
            let text = (0..<count).map { _ in pieces.randomElement(using: &generator) ?? "" }.joined()
            let spoken = frontEnd.read(text)
            #expect(spoken.pinyin.allSatisfy(Pinyin.isValid), "\(text.debugDescription): \(spoken.pinyin)")
        }
    }
}
