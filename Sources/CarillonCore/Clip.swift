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

    public init(
        id: String, category: ClipCategory, title: String, language: String = "zh-CN", source: ClipSource,
        gainDB: Double = 0
    ) {
        self.id = id
        self.category = category
        self.title = title
        self.language = language
        self.source = source
        self.gainDB = gainDB
    }

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
