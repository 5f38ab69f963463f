/// Tone-numbered pinyin syllables: `zhong1`, `de5`, `lv4` (tone 5 is neutral, ü is written v).
/// SPI for the fuzz target, which checks every syllable the front-end gives.
@_spi(Fuzzing) public enum Pinyin {
    /// Every toneless syllable the shipped lexicon uses: Mandarin's inventory, as the data spells it.
    /// Both halves count: a syllable that is no character's default reading (得 as `dei3` in 非得)
    /// appears only in the phrases, and without them a school's `非得 fei1 dei3` was refused
    /// (found by fuzz-speech).
    static let inventory: Set<Substring> = {
        var set = Set<Substring>()
        var phrases = false
        for line in MandarinLexicon.shippedData.split(separator: "\n") {
            if line == "=" {
                phrases = true
                continue
            }
            let fields = line.split(separator: " ")
            // Before `=`: "syllable characters"; after it: "phrase syllable syllable …".
            for field in phrases ? fields.dropFirst() : fields.prefix(1) where field.count > 1 {
                if let tone = field.last, ("1"..."5").contains(tone) { set.insert(field.dropLast()) }
            }
        }
        return set
    }()

    /// Whether `syllable` is a Mandarin syllable with a tone number 1–5.
    public static func isValid(_ syllable: String) -> Bool {
        guard let last = syllable.last, ("1"..."5").contains(last), syllable.count >= 2 else { return false }
        return inventory.contains(syllable.dropLast())
    }

    /// The tone number of a syllable, 1–5 (5 when the syllable has none).
    static func tone(_ syllable: String) -> Int {
        syllable.last?.wholeNumberValue.flatMap { (1...5).contains($0) ? $0 : nil } ?? 5
    }

    /// The syllable with another tone.
    static func with(tone: Int, _ syllable: String) -> String {
        String(syllable.dropLast()) + String(tone)
    }
}

/// Character classes the front-end needs.
enum MandarinText {
    /// Whether a scalar is a CJK ideograph (basic block, extension A, compatibility ideographs).
    static func isHan(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0xF900...0xFAFF, 0x20000...0x2FFFF: true
        default: false
        }
    }
}
