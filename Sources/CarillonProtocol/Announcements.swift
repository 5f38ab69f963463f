public import Foundation

/// `announce`: books a clip or a text to play later, at the announcement level. Exactly one of
/// `clip` and `text` is given.
public struct AnnounceArgs: Sendable, Codable, Hashable {
    /// When it plays: an ISO 8601 date-time with its offset, after now and at most 30 days ahead.
    public var at: Date
    /// A clip of the library.
    public var clip: String?
    /// A text to read aloud after the pre-announce chime, as `say`; at most 300 characters.
    public var text: String?
    /// For a text: `zh` (Mandarin, the default) or `en`.
    public var voice: String?
    /// Zones or zone groups; absent or `["all"]` means every zone the caller may use.
    public var zones: [String]?

    public init(at: Date, clip: String? = nil, text: String? = nil, voice: String? = nil, zones: [String]? = nil) {
        self.at = at
        self.clip = clip
        self.text = text
        self.voice = voice
        self.zones = zones
    }
}

extension AnnounceArgs: ZoneTargeting {}

/// One booked announcement: `announce` and `announce.cancel` answer with it; `announce.list` lists them.
public struct AnnouncementInfo: Sendable, Codable, Hashable {
    public var announcement: Int64
    public var at: Date
    public var clip: String?
    public var text: String?
    public var voice: String?
    /// The zones it plays in, zone groups expanded.
    public var zones: [String]
    /// `pending`, `played`, `cancelled`, `missed` or `failed`.
    public var state: String
    public var createdBy: String
    public var createdAt: Date
    /// The play it became, once played (see `log`).
    public var play: Int64?
    /// Why it was missed or failed, or who cancelled it.
    public var detail: String?
    /// When it left `pending`.
    public var endedAt: Date?

    public init(
        announcement: Int64, at: Date, clip: String?, text: String?, voice: String?, zones: [String], state: String,
        createdBy: String, createdAt: Date, play: Int64? = nil, detail: String? = nil, endedAt: Date? = nil
    ) {
        self.announcement = announcement
        self.at = at
        self.clip = clip
        self.text = text
        self.voice = voice
        self.zones = zones
        self.state = state
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.play = play
        self.detail = detail
        self.endedAt = endedAt
    }
}

/// `announce.list`: the pending announcements, earliest first; with `all`, also the ones that
/// played, were cancelled, missed or failed in the last 7 days.
public struct AnnounceListArgs: Sendable, Codable, Hashable {
    public var all: Bool?
    public init(all: Bool? = nil) { self.all = all }
}

public struct AnnouncementList: Sendable, Codable, Hashable {
    public var announcements: [AnnouncementInfo]
    public init(announcements: [AnnouncementInfo]) { self.announcements = announcements }
}

/// `announce.cancel`: cancels a pending announcement.
public struct AnnounceCancelArgs: Sendable, Codable, Hashable {
    public var announcement: Int64
    public init(announcement: Int64) { self.announcement = announcement }
}

/// One zone group in `status`.
public struct ZoneGroupInfo: Sendable, Codable, Hashable {
    public var name: String
    public var zones: [String]
    public init(name: String, zones: [String]) {
        self.name = name
        self.zones = zones
    }
}
