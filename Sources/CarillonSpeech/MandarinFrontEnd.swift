import Synchronization

/// The Mandarin text front-end: every text Carillon speaks passes through it, and the voice gets its pinyin.
///
/// Normalization (`MandarinNormalizer`), then segmentation of each run of Chinese characters by bidirectional
/// maximum matching against the lexicon, then each word's reading, then the readings that depend on context:
/// the tone changes of 一 and 不, and 地 as the particle de. Third tones are left as written (espeak-ng applies
/// the 3-3 change itself). Pure and thread-safe; the daemon and `carillon speech show` use this same type.
public struct MandarinFrontEnd: Sendable {
    /// The school lexicon's entries, part of every cache key (renders made with other readings are not reused).
    public let school: SchoolLexicon
    private let box: LexiconBox

    /// Version of the front-end's rules and data; part of every cache key. Bump it when readings change.
    public static let version = "mandarin-frontend-1"

    /// A front-end over the shipped lexicon and a school's own words; nothing is parsed until the first `read`,
    /// so that creating one (as the daemon does at start) costs nothing.
    public init(school: SchoolLexicon = SchoolLexicon()) {
        self.school = school
        self.box = LexiconBox(school: school)
    }

    /// The lexicon it reads with: the shipped one (parsed once per process, about 50 ms), with the school's on top.
    public var lexicon: MandarinLexicon { box.lexicon }

    /// Reads a text: what will be said, and what could not be read with certainty. Pure; linear in the text's length.
    public func read(_ text: String) -> SpokenText {
        var problems: [ReadingProblem] = []
        let lexicon = self.lexicon
        let pieces = MandarinNormalizer.normalize(text, problems: &problems)
        var items: [Item] = []
        var normalized = ""
        var wordCount = 0
        for piece in pieces {
            switch piece {
            case .han(let run):
                normalized += run
                for word in Self.segment(run, with: lexicon) {
                    wordCount += 1
                    let scalars = Array(word.unicodeScalars)
                    let readings: [String?] =
                        scalars.count > 1 ? (lexicon.phrase(word) ?? []) : [lexicon.reading(of: scalars[0])]
                    for (position, scalar) in scalars.enumerated() {
                        guard position < readings.count, let syllable = readings[position] else {
                            problems.append(
                                ReadingProblem(
                                    span: String(scalar), offset: Self.offset(of: scalar, in: text),
                                    reason: "a character with no reading in the lexicon; it is left out"))
                            continue
                        }
                        items.append(
                            .syllable(
                                Syllable(
                                    text: String(scalar), pinyin: syllable, word: wordCount, single: scalars.count == 1,
                                    lastInWord: position == scalars.count - 1, fixed: false)))
                    }
                }
            case .fixed(let shown, let syllables):
                normalized += shown
                wordCount += 1
                for (position, syllable) in syllables.enumerated() {
                    items.append(
                        .syllable(
                            Syllable(
                                text: "", pinyin: syllable, word: wordCount, single: false,
                                lastInWord: position == syllables.count - 1, fixed: true)))
                }
            case .pause(let mark, let strong):
                normalized.append(mark)
                items.append(.pause(strong: strong))
            }
        }
        applyContext(&items)
        return SpokenText(text: text, normalized: normalized, items: items, problems: problems)
    }

    /// Where a character first occurs in the text, in scalars (the runs the lexicon reads carry no offsets).
    private static func offset(of scalar: Unicode.Scalar, in text: String) -> Int {
        text.unicodeScalars.firstIndex(of: scalar).map {
            text.unicodeScalars.distance(from: text.unicodeScalars.startIndex, to: $0)
        } ?? 0
    }

    // MARK: - Segmentation

    /// Words of a run of Chinese characters: forward and backward maximum matching, keeping the one with fewer
    /// words, then fewer single characters, then fewer words ending in 的/地/得, then the backward one (right to
    /// left errs less in Chinese).
    static func segment(_ run: String, with lexicon: MandarinLexicon) -> [String] {
        let scalars = Array(run.unicodeScalars)
        func word(_ range: Range<Int>) -> String {
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars[range])
            return String(view)
        }
        // Only windows as long as the longest phrase starting (or ending) with the same two characters are tried.
        var forward: [String] = []
        var i = 0
        while i < scalars.count {
            var length =
                i + 1 < scalars.count
                ? min(lexicon.longestPhrase(from: scalars[i], scalars[i + 1]), scalars.count - i) : 1
            while length > 1 && lexicon.phrase(word(i..<i + length)) == nil { length -= 1 }
            length = max(length, 1)
            forward.append(word(i..<i + length))
            i += length
        }
        var backward: [String] = []
        var j = scalars.count
        while j > 0 {
            var length = j >= 2 ? min(lexicon.longestPhrase(to: scalars[j - 2], scalars[j - 1]), j) : 1
            while length > 1 && lexicon.phrase(word(j - length..<j)) == nil { length -= 1 }
            length = max(length, 1)
            backward.append(word(j - length..<j))
            j -= length
        }
        backward.reverse()
        if forward.count != backward.count { return forward.count < backward.count ? forward : backward }
        let singles = { (words: [String]) in words.filter { $0.unicodeScalars.count == 1 }.count }
        if singles(forward) != singles(backward) { return singles(forward) < singles(backward) ? forward : backward }
        // Still even: the split that leaves the particles 的, 地, 得 standing alone (重重|地 rather than 重|重地).
        let particleEnds = { (words: [String]) in
            words.filter {
                $0.unicodeScalars.count > 1 && ($0.hasSuffix("地") || $0.hasSuffix("的") || $0.hasSuffix("得"))
            }
            .count
        }
        return particleEnds(forward) < particleEnds(backward) ? forward : backward
    }

    // MARK: - Context

    struct Syllable {
        var text: String
        var pinyin: String
        var word: Int
        var single: Bool
        var lastInWord: Bool
        var fixed: Bool
    }

    enum Item {
        case syllable(Syllable)
        case pause(strong: Bool)
    }

    private static let numerals: Set<String> = [
        "零", "一", "二", "两", "三", "四", "五", "六", "七", "八", "九", "十", "百", "千", "万", "亿",
    ]
    /// After these, 一 is an ordinal or a day: 第一, 星期一, 周一, 初一.
    private static let ordinalBefore: Set<String> = ["第", "期", "周", "拜", "初"]
    /// Before these, 一 is an ordinal: 一月, 一号, 一楼, 一班, 一年级.
    private static let ordinalAfter: Set<String> = ["月", "号", "日", "楼", "班", "等", "单"]

    /// The tone changes of 一 and 不, V一V, and the particle 地; the context is the neighbouring syllables up to a pause.
    private func applyContext(_ items: inout [Item]) {
        func syllable(_ i: Int) -> Syllable? {
            guard i >= 0 && i < items.count, case .syllable(let s) = items[i] else { return nil }
            return s
        }
        for i in items.indices {
            guard var current = syllable(i), !current.fixed else { continue }
            let previous = syllable(i - 1)
            let next = syllable(i + 1)
            switch (current.text, current.pinyin) {
            case ("一", "yi1"):
                current.pinyin = toneOfYi(current, previous: previous, next: next, afterNext: syllable(i + 2))
            case ("不", "bu4"):
                if let previous, let next, current.single, previous.single, previous.text == next.text {
                    current.pinyin = "bu5"  // A不A questions: 是不是, 去不去, 好不好.
                } else if let previous, let next, current.single, previous.single, next.single,
                    Self.potentialVerbs.contains(previous.text), Self.potentialResults.contains(next.text)
                {
                    current.pinyin = "bu5"  // A verb, 不, its result: 跟不上, 停不下, 打不开.
                } else if let next, !current.lastInWord || current.single, Pinyin.tone(next.pinyin) == 4 {
                    current.pinyin = "bu2"
                }
            case ("地", "di4"):
                // Standing alone between two characters, 地 is the adverbial particle (慢慢地走, 安静地离开): the
                // lexicon holds every word with 地 as dì (地上, 草地, 就地), and those are whole words here.
                // After a doubled character (慢慢地, 悄悄地) it is the particle even at the end.
                let doubled = i >= 2 && syllable(i - 2).map { $0.text == previous?.text && $0.single } == true
                if current.single, let previous, !previous.fixed, next != nil || doubled { current.pinyin = "de5" }
            case ("为", "wei4"):
                // Before a number, standing-alone 为 is "is" (wéi): 深度为五厘米, 时间为30分钟.
                guard current.single, let next, next.fixed || (Self.numerals.contains(next.text) && next.text != "一")
                else { continue }
                current.pinyin = "wei2"
            case ("长", "zhang3"):
                // Standing alone, 长 is zhǎng after a place or body it heads (省长, 局长) and before what grows
                // (长了, 长出, 长个); otherwise long, cháng (越长, 长杆, 长长的). The words are in the lexicon.
                guard current.single, previous?.fixed != true else { continue }
                let heads = previous.map { Self.titlePrefixes.contains($0.text) } ?? false
                let grows = next.map { Self.growthFollowers.contains($0.text) } ?? false
                let degree = previous.map { Self.degreeWords.contains($0.text) } ?? false
                if degree || (!heads && !grows) { current.pinyin = "chang2" }
            default:
                continue
            }
            items[i] = .syllable(current)
        }
    }

    /// Verbs that take a result after 不 (跟不上, 看不清), and the results: there 不 is neutral.
    private static let potentialVerbs: Set<String> = Set(
        "跟看听找拿买吃喝走跑跳爬追赶挤坐站说记想做写读打关开睡起停动搬抬接忍受用等救逃出进回过穿洗擦认猜算拉推提抓管顾办挡躲叫喊闻摸"
            .map(String.init))
    private static let potentialResults: Set<String> = Set("上下了起见到动完住开出进来去清懂及成好过掉透稳".map(String.init))
    /// What a standing-alone 长 heads as a title (省长, 局长), and what follows it when it grows (长大, 长出).
    private static let titlePrefixes: Set<String> = Set(
        "省市局部院科组队班校厂站所团营连排船机州县乡镇村处室股首兄学年家社馆店区".map(String.init))
    private static let growthFollowers: Set<String> = Set("大高出了得成满胖肉牙草虫霉毛芽个歪壮着".map(String.init))
    /// Words of degree before which 长 is long.
    private static let degreeWords: Set<String> = Set("很太越最更较多挺真好过够么".map(String.init))

    private func toneOfYi(_ yi: Syllable, previous: Syllable?, next: Syllable?, afterNext: Syllable?) -> String {
        guard let next else { return "yi1" }  // At the end of a clause: 统一。
        if !yi.single && yi.lastInWord { return "yi1" }  // At the end of a word: 统一, 唯一, 万一.
        if let previous {
            if Self.ordinalBefore.contains(previous.text) || Self.numerals.contains(previous.text) || previous.fixed {
                return "yi1"
            }
            // 看一看, 想一想: the 一 between a repeated verb is neutral.
            if previous.single && next.single && previous.text == next.text && !previous.text.isEmpty { return "yi5" }
        }
        // In numbers written in characters: 一百, 一千 yì; 一万, 一亿 yí; 一二三, 一十 yī.
        if next.text == "百" || next.text == "千" { return "yi4" }
        if next.text == "万" || next.text == "亿" { return "yi2" }
        if Self.numerals.contains(next.text) || next.fixed { return "yi1" }
        if Self.ordinalAfter.contains(next.text) { return "yi1" }
        if next.text == "年", afterNext?.text == "级" { return "yi1" }
        let tone = Pinyin.tone(next.pinyin)
        return tone == 4 || tone == 5 ? "yi2" : "yi4"
    }
}

/// The school's lexicon on top of the shipped one, built on first use and then shared by copies of the front-end.
private final class LexiconBox: Sendable {
    let school: SchoolLexicon
    private let built = Mutex<MandarinLexicon?>(nil)

    init(school: SchoolLexicon) { self.school = school }

    var lexicon: MandarinLexicon {
        if school.entries.isEmpty { return MandarinLexicon.shipped }
        return built.withLock { built in
            if let built { return built }
            let lexicon = MandarinLexicon.shipped.adding(school)
            built = lexicon
            return lexicon
        }
    }
}

/// What the front-end makes of a text: the text as normalized, the syllables, and what the voice gets.
public struct SpokenText: Sendable, Hashable {
    /// The text as given.
    public let text: String
    /// The normalized text: numbers, symbols and abbreviations as said, punctuation full-width.
    public let normalized: String
    /// One tone-numbered syllable per spoken syllable, after the tone changes; no punctuation.
    public let pinyin: [String]
    /// The voice's input: the syllables separated by spaces, with `, ` and `。` where the text pauses.
    public let voiceInput: String
    /// Spans that could not be read with certainty; empty for a clean text.
    public let problems: [ReadingProblem]

    init(text: String, normalized: String, items: [MandarinFrontEnd.Item], problems: [ReadingProblem]) {
        self.text = text
        self.normalized = normalized
        self.problems = problems
        var pinyin: [String] = []
        var voice = ""
        for item in items {
            switch item {
            case .syllable(let s):
                pinyin.append(s.pinyin)
                if !voice.isEmpty && !voice.hasSuffix(" ") { voice += " " }
                voice += s.pinyin
            case .pause(let strong):
                // A full-width full stop: after a tone digit espeak-ng takes "." for part of a number, not a sentence end.
                if !voice.isEmpty && !voice.hasSuffix("。") && !voice.hasSuffix(", ") { voice += strong ? "。" : ", " }
            }
        }
        self.pinyin = pinyin
        self.voiceInput = voice.hasSuffix(" ") ? String(voice.dropLast()) : voice
    }
}
