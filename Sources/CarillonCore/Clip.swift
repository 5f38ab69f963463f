import Foundation

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

/// A grade band a clip is written for; a school has one or more (`[school] grades`), and tips are chosen by them.
public enum GradeBand: String, Sendable, Hashable, Codable, CaseIterable {
    /// Grades 1 to 3 of primary school.
    case lowerPrimary = "lower-primary"
    /// Grades 4 to 6 of primary school.
    case upperPrimary = "upper-primary"
    /// Grades 7 to 9: junior middle school.
    case juniorMiddle = "junior-middle"

    /// Every band: a clip for everyone, and the default of a school.
    public static let all = Set(allCases)

    /// The bands of a pre-2027 `grade` tag, kept so that older catalogs and databases still load:
    /// `primary` is both primary bands, `middle` and `high` are junior middle, `all` is every band.
    public static func legacy(_ name: String) -> Set<GradeBand>? {
        switch name {
        case "primary": [.lowerPrimary, .upperPrimary]
        case "middle", "high": [.juniorMiddle]
        case "all": all
        default: nil
        }
    }

    /// The bands as stored and shown: names in school order joined by commas, e.g. `lower-primary,upper-primary`.
    public static func text(_ bands: Set<GradeBand>) -> String {
        allCases.filter(bands.contains).map(\.rawValue).joined(separator: ",")
    }

    /// Reads `text(_:)`, or a single legacy name; nil when a name is unknown or there is none.
    public static func bands(fromText text: String) -> Set<GradeBand>? {
        if let legacy = legacy(text) { return legacy }
        var bands: Set<GradeBand> = []
        for bytes in text.utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
            // Foundation's trimming only for a name with a space or a non-ASCII byte in it: a start
            // reads this for each of ten thousand catalog rows, and `text(_:)` writes no such name.
            let name = String(decoding: bytes, as: UTF8.self)
            let plain = bytes.allSatisfy { $0 > 0x20 && $0 < 0x80 }
            guard let band = GradeBand(rawValue: plain ? name : name.trimmingCharacters(in: .whitespaces)) else { return nil }
            bands.insert(band)
        }
        return bands.isEmpty ? nil : bands
    }

    /// The band names for error messages: `lower-primary`, `upper-primary`, `junior-middle`.
    public static let namesList = allCases.map { "`\($0.rawValue)`" }.joined(separator: ", ")
}

/// When a clip is in season: a tip about drowning belongs to summer.
public enum ClipSeason: String, Sendable, Hashable, Codable, CaseIterable {
    case all, spring, summer, autumn, winter

    /// The season of a date as tips are tagged: spring is March and April, summer May to August (drowning and heat
    /// start with May in most of China, and so does the drowning campaign), autumn September to November, winter
    /// December to February.
    public init(of date: LocalDate) {
        switch date.month {
        case 3...4: self = .spring
        case 5...8: self = .summer
        case 9...11: self = .autumn
        default: self = .winter
        }
    }

    /// Whether a clip tagged with this season may play on `date`.
    public func holds(_ date: LocalDate) -> Bool {
        self == .all || self == ClipSeason(of: date)
    }
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
    /// The grade bands the clip is written for; never empty.
    public var grades: Set<GradeBand>
    public var season: ClipSeason
    /// SHA-256 of an imported file's bytes: the same recording is never imported twice.
    public var contentHash: String?
    /// Seconds, once known (after import or render).
    public var duration: Double?

    public init(
        id: String, category: ClipCategory, title: String, language: String = "zh-CN", source: ClipSource,
        gainDB: Double = 0, subject: String? = nil, grades: Set<GradeBand> = GradeBand.all, season: ClipSeason = .all,
        contentHash: String? = nil, duration: Double? = nil
    ) {
        self.id = id
        self.category = category
        self.title = title
        self.language = language
        self.source = source
        self.gainDB = gainDB
        self.subject = subject
        self.grades = grades.isEmpty ? GradeBand.all : grades
        self.season = season
        self.contentHash = contentHash
        self.duration = duration
    }

    /// The tip subjects of the platform, in its order; a theme names one of them.
    public static let tipSubjects = [
        "traffic", "food", "earthquake", "cyber", "fire", "outdoor", "injury", "social", "law", "mental", "cases",
        "technique", "epidemic", "drugs", "security", "bus", "intruder",
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
