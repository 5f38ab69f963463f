import CarillonCrypto
import Foundation

/// Readings of Chinese characters and words as tone-numbered pinyin syllables (`di4`, `zhen4`; tone 5 is neutral, ü is `v`).
///
/// The shipped lexicon (generated from pypinyin's data by tools/speech/make-lexicon.py) holds each character's
/// default reading and only the phrases read otherwise. It is parsed once, on first use, and shared; a school's
/// own lexicon is a small overlay on top of it. Immutable, so thread-safe.
public struct MandarinLexicon: Sendable {
    /// Each character's reading when it stands alone.
    private var characters: [Unicode.Scalar: String]
    /// Words whose reading is not their characters' defaults (and, in the shipped data, words with 一, 地 or 得).
    private var phrases: [String: [String]]
    /// The longest phrase, in characters: how far segmentation looks ahead.
    private(set) var longestPhrase: Int

    /// The shipped lexicon, parsed from the generated data on first use (about 30 ms); thread-safe.
    public static let shipped = MandarinLexicon(shippedData: shippedData)

    /// Parses the generated data: `syllable characters…` lines, a `=` line, then `phrase syllable…` lines.
    init(shippedData data: String) {
        var characters: [Unicode.Scalar: String] = [:]
        characters.reserveCapacity(27_000)
        var phrases: [String: [String]] = [:]
        phrases.reserveCapacity(10_000)
        var longest = 1
        var inPhrases = false
        for line in data.split(separator: "\n", omittingEmptySubsequences: true) {
            if line == "=" {
                inPhrases = true
                continue
            }
            let fields = line.split(separator: " ")
            guard let head = fields.first, fields.count >= 2 else { continue }
            if inPhrases {
                let word = String(head)
                let syllables = fields.dropFirst().map(String.init)
                guard syllables.count == word.unicodeScalars.count else { continue }
                phrases[word] = syllables
                longest = max(longest, syllables.count)
            } else {
                let syllable = String(head)
                for scalar in fields[1].unicodeScalars { characters[scalar] = syllable }
            }
        }
        self.characters = characters
        self.phrases = phrases
        self.longestPhrase = longest
    }

    /// This lexicon with a school's entries on top: theirs win, for single characters and words alike.
    public func adding(_ school: SchoolLexicon) -> MandarinLexicon {
        var copy = self
        for entry in school.entries {
            if entry.word.unicodeScalars.count == 1, let scalar = entry.word.unicodeScalars.first {
                copy.characters[scalar] = entry.syllables[0]
            } else {
                copy.phrases[entry.word] = entry.syllables
                copy.longestPhrase = max(copy.longestPhrase, entry.syllables.count)
            }
        }
        return copy
    }

    /// The reading of a word of two or more characters, if the lexicon has one.
    func phrase(_ word: String) -> [String]? { phrases[word] }

    /// A character's default reading, if the lexicon knows the character.
    func reading(of scalar: Unicode.Scalar) -> String? { characters[scalar] }

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
                        message: "\"\(word)\" has \(word.unicodeScalars.count) characters but \(syllables.count) syllables"))
                continue
            }
            if let bad = syllables.first(where: { !Pinyin.isValid($0) }) {
                problems.append(
                    .init(
                        line: lineNumber,
                        message: "\"\(bad)\" is not a tone-numbered pinyin syllable (such as zhong1; tone 1–5, ü as v)"))
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
