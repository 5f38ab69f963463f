import CarillonCrypto
import Foundation

/// Readings of Chinese characters and words as tone-numbered pinyin syllables (`di4`, `zhen4`; tone 5 is neutral, ü is `v`).
///
/// The shipped lexicon (generated from pypinyin's data by tools/speech/make-lexicon.py) holds each character's
/// default reading and only the phrases read otherwise. It is parsed once, on first use, and shared; a school's
/// own lexicon is a small overlay on top of it. Immutable, so thread-safe.
public struct MandarinLexicon: Sendable {
    /// Every distinct syllable; readings are indices into it (about 1,500, so a UInt16 each).
    private var syllables: [String] = []
    private var syllableIndex: [String: UInt16] = [:]
    /// Each character's reading when it stands alone.
    private var characters: [UInt32: UInt16] = [:]
    /// Words whose reading is not their characters' defaults (and, in the shipped data, words with 一, 地 or 得):
    /// where their syllables start in `phraseSyllables`, and how many.
    private var phrases: [String: PhraseSpan] = [:]
    private var phraseSyllables: [UInt16] = []
    /// The longest phrase starting, and ending, with each pair of characters: segmentation tries no longer window.
    private var longestFrom: [UInt64: UInt8] = [:]
    private var longestTo: [UInt64: UInt8] = [:]

    private struct PhraseSpan {
        var start: UInt32
        var count: UInt8
    }

    /// The shipped lexicon, parsed from the generated data on first use; thread-safe.
    public static let shipped = MandarinLexicon(shippedData: shippedData)

    /// Parses the generated data: `syllable characters…` lines, a `=` line, then `phrase syllable…` lines.
    init(shippedData data: String) {
        characters.reserveCapacity(27_000)
        phrases.reserveCapacity(10_500)
        phraseSyllables.reserveCapacity(32_000)
        longestFrom.reserveCapacity(10_500)
        longestTo.reserveCapacity(10_500)
        var inPhrases = false
        var copy = data
        copy.withUTF8 { bytes in
            var lineStart = 0
            while lineStart < bytes.count {
                var lineEnd = lineStart
                while lineEnd < bytes.count && bytes[lineEnd] != 0x0A { lineEnd += 1 }
                defer { lineStart = lineEnd + 1 }
                guard lineEnd > lineStart else { continue }
                if lineEnd - lineStart == 1 && bytes[lineStart] == UInt8(ascii: "=") {
                    inPhrases = true
                    continue
                }
                var fields: [String] = []
                var fieldStart = lineStart
                for i in lineStart...lineEnd where i == lineEnd || bytes[i] == 0x20 {
                    if i > fieldStart {
                        fields.append(
                            String(decoding: UnsafeBufferPointer(rebasing: bytes[fieldStart..<i]), as: UTF8.self))
                    }
                    fieldStart = i + 1
                }
                guard fields.count >= 2 else { continue }
                if inPhrases {
                    add(phrase: fields[0], syllables: fields.dropFirst())
                } else {
                    let syllable = index(of: fields[0])
                    for scalar in fields[1].unicodeScalars { characters[scalar.value] = syllable }
                }
            }
        }
    }

    private mutating func index(of syllable: String) -> UInt16 {
        if let index = syllableIndex[syllable] { return index }
        let index = UInt16(truncatingIfNeeded: syllables.count)
        syllables.append(syllable)
        syllableIndex[syllable] = index
        return index
    }

    private mutating func add(phrase word: String, syllables readings: ArraySlice<String>) {
        let scalars = Array(word.unicodeScalars)
        guard scalars.count >= 2, scalars.count == readings.count, scalars.count <= 255 else { return }
        let start = UInt32(truncatingIfNeeded: phraseSyllables.count)
        for reading in readings { phraseSyllables.append(index(of: reading)) }
        phrases[word] = PhraseSpan(start: start, count: UInt8(scalars.count))
        let length = UInt8(scalars.count)
        let first = Self.pair(scalars[0], scalars[1])
        let last = Self.pair(scalars[scalars.count - 2], scalars[scalars.count - 1])
        longestFrom[first] = max(longestFrom[first] ?? 0, length)
        longestTo[last] = max(longestTo[last] ?? 0, length)
    }

    private static func pair(_ a: Unicode.Scalar, _ b: Unicode.Scalar) -> UInt64 {
        UInt64(a.value) << 32 | UInt64(b.value)
    }

    /// This lexicon with a school's entries on top: theirs win, for single characters and words alike.
    public func adding(_ school: SchoolLexicon) -> MandarinLexicon {
        var copy = self
        for entry in school.entries {
            if entry.word.unicodeScalars.count == 1, let scalar = entry.word.unicodeScalars.first {
                copy.characters[scalar.value] = copy.index(of: entry.syllables[0])
            } else {
                copy.add(phrase: entry.word, syllables: entry.syllables[...])
            }
        }
        return copy
    }

    /// The reading of a word of two or more characters, if the lexicon has one.
    func phrase(_ word: String) -> [String]? {
        guard let span = phrases[word] else { return nil }
        let start = Int(span.start)
        return phraseSyllables[start..<start + Int(span.count)].map { syllables[Int($0)] }
    }

    /// A character's default reading, if the lexicon knows the character.
    func reading(of scalar: Unicode.Scalar) -> String? { characters[scalar.value].map { syllables[Int($0)] } }

    /// The longest phrase that could start with `a b`, and end with `a b`; 0 when none does.
    func longestPhrase(from a: Unicode.Scalar, _ b: Unicode.Scalar) -> Int { Int(longestFrom[Self.pair(a, b)] ?? 0) }
    func longestPhrase(to a: Unicode.Scalar, _ b: Unicode.Scalar) -> Int { Int(longestTo[Self.pair(a, b)] ?? 0) }

    /// How many characters and phrases the lexicon holds.
    public var counts: (characters: Int, phrases: Int) { (characters.count, phrases.count) }
}

/// A school's own words (names of the school, its places and people), from a file of `词 pin1 yin1` lines.
public struct SchoolLexicon: Sendable, Hashable {
    /// One word and its reading.
    public struct Entry: Sendable, Hashable {
        /// The word, in Chinese characters.
        public let word: String
        /// One tone-numbered syllable per character.
        public let syllables: [String]
    }

    /// The entries in file order; a later line for the same word wins.
    public let entries: [Entry]

    /// Parses lexicon text; throws every bad line at once as `FILE:LINE: message`. Pure.
    ///
    /// A line is a word of Chinese characters, then one tone-numbered pinyin syllable per character
    /// (`长江 chang2 jiang1`); `#` starts a comment. Syllables are checked against Mandarin's syllable inventory.
    public init(parsing text: String, file: String) throws(SchoolLexiconError) {
        var entries: [Entry] = []
        var problems: [SchoolLexiconError.Problem] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = index + 1
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            guard let word = fields.first else { continue }
            let syllables = fields.dropFirst().map { $0.lowercased().replacingOccurrences(of: "ü", with: "v") }
            guard word.unicodeScalars.allSatisfy(MandarinText.isHan) else {
                problems.append(.init(line: lineNumber, message: "\"\(word)\" is not a word of Chinese characters"))
                continue
            }
            guard syllables.count == word.unicodeScalars.count else {
                problems.append(
                    .init(
                        line: lineNumber,
                        message:
                            "\"\(word)\" has \(word.unicodeScalars.count) characters but \(syllables.count) syllables"))
                continue
            }
            if let bad = syllables.first(where: { !Pinyin.isValid($0) }) {
                problems.append(
                    .init(
                        line: lineNumber,
                        message: "\"\(bad)\" is not a tone-numbered pinyin syllable (such as zhong1; tone 1–5, ü as v)")
                )
                continue
            }
            entries.append(Entry(word: String(word), syllables: syllables))
        }
        if !problems.isEmpty { throw SchoolLexiconError(file: file, problems: problems) }
        self.entries = entries
    }

    /// An empty lexicon.
    public init() { entries = [] }
}

/// Every problem of a school lexicon file, in file order; shown as one `FILE:LINE: message` each.
public struct SchoolLexiconError: Error, Hashable, Sendable, CustomStringConvertible {
    /// One bad line.
    public struct Problem: Hashable, Sendable {
        /// The line, from 1.
        public let line: Int
        /// What is wrong with it.
        public let message: String
    }

    /// The file, as given to the parser.
    public let file: String
    /// The bad lines; never empty.
    public let problems: [Problem]

    /// `FILE:LINE: message`, one a line.
    public var description: String { problems.map { "\(file):\($0.line): \($0.message)" }.joined(separator: "\n") }
}

extension MandarinLexicon {
    /// Hex SHA-256 (first 16 bytes) of the shipped data, computed once: cache keys change whenever it is regenerated.
    public static let shippedDigest: String = SHA256.hash(data: Array(shippedData.utf8)).prefix(16)
        .map { String(format: "%02x", $0) }.joined()
}
