/// What kind of clip this is; statistics and rotation are counted by category.
public enum ClipCategory: String, Sendable, Hashable, Codable, CaseIterable {
    case bell, tip, culture, recorded, alarm, message
}

/// Where a clip's audio comes from.
public enum ClipSource: Sendable, Hashable {
    /// An audio file, absolute path.
    case file(String)
    /// A synthesized sound, by its catalog name and parameters, rendered and cached on first use.
    case synth(name: String, parameters: [String: Double])
    /// Text read aloud by the speech synthesizer in a voice (`zh` or `en`), rendered and cached.
    case speech(text: String, voice: String)
}

/// Who a clip is written for: tips are chosen by grade band.
public enum GradeBand: String, Sendable, Hashable, Codable, CaseIterable {
    case primary, middle, high, all
}

/// When a clip is in season: a tip about drowning belongs to summer.
public enum ClipSeason: String, Sendable, Hashable, Codable, CaseIterable {
    case all, spring, summer, autumn, winter
}

/// One entry of the school's audio library. Holds no audio.
public struct Clip: Sendable, Hashable, Identifiable {
    /// A stable id such as `bell.start` or `tip.fire.012`.
    public var id: String
    public var category: ClipCategory
    public var title: String
    /// A BCP 47 tag such as `zh-CN`.
    public var language: String
    public var source: ClipSource
    /// Gain applied at playback, so that clips share one loudness.
    public var gainDB: Double
    /// For tips: the safety subject, e.g. `fire`; the weekly theme names one.
    public var subject: String?
    public var grade: GradeBand
    public var season: ClipSeason
    /// SHA-256 of an imported file's bytes: the same recording is never imported twice.
    public var contentHash: String?
    /// Seconds, once known (after import or render).
    public var duration: Double?

    public init(
        id: String, category: ClipCategory, title: String, language: String = "zh-CN", source: ClipSource,
        gainDB: Double = 0, subject: String? = nil, grade: GradeBand = .all, season: ClipSeason = .all,
        contentHash: String? = nil, duration: Double? = nil
    ) {
        self.id = id
        self.category = category
        self.title = title
        self.language = language
        self.source = source
        self.gainDB = gainDB
        self.subject = subject
        self.grade = grade
        self.season = season
        self.contentHash = contentHash
        self.duration = duration
    }

    /// The tip subjects of the platform, in its order; a week's theme is one of them.
    public static let tipSubjects = [
        "traffic", "food", "earthquake", "cyber", "fire", "outdoor", "injury", "social", "law", "mental", "cases",
        "technique",
    ]

    /// Whether `id` is usable as a clip id: dot-separated words of lower-case letters, digits, `-` and `_`.
    public static func isWellFormedID(_ id: String) -> Bool {
        guard !id.isEmpty, id.utf8.count <= 128 else { return false }
        return id.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { part in
            !part.isEmpty
                && part.unicodeScalars.allSatisfy {
                    ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_"
                }
        }
    }
}
