public import Foundation

/// An announcement a teacher booked for later: a clip or a text, at an instant, in some zones.
public struct Announcement: Sendable, Hashable, Codable {
    /// What it plays.
    public enum Content: Sendable, Hashable, Codable {
        case clip(String)
        /// Read aloud after the pre-announce chime, as `say` does; `voice` is `zh` or `en`.
        case text(String, voice: String)
    }

    /// What became of it. Only `pending` ones are waited for; the others stay for the list.
    public enum State: String, Sendable, Hashable, Codable, CaseIterable {
        case pending, played, cancelled, missed, failed
    }

    public var id: Int64
    public var at: Date
    public var content: Content
    /// The zones it plays in, expanded and checked when it was booked.
    public var zones: [String]
    public var state: State
    public var createdBy: String
    public var createdAt: Date
    /// The play it became, once played.
    public var play: Int64?
    /// Why it was missed or failed, or who cancelled it.
    public var detail: String?
    /// When it left `pending`.
    public var endedAt: Date?

    public init(
        id: Int64 = 0, at: Date, content: Content, zones: [String], state: State = .pending, createdBy: String,
        createdAt: Date, play: Int64? = nil, detail: String? = nil, endedAt: Date? = nil
    ) {
        self.id = id
        self.at = at
        self.content = content
        self.zones = zones
        self.state = state
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.play = play
        self.detail = detail
        self.endedAt = endedAt
    }
}

/// What to do with a pending announcement now.
public enum AnnouncementDecision: Sendable, Hashable {
    /// Its time has come (`lateness` seconds ago, inside the late grace): play it.
    case play(Int64, lateness: Double)
    /// Its time passed longer ago than the late grace (the daemon was down, or the clock jumped):
    /// it is not played, and is marked missed.
    case missed(Int64, lateness: Double)
}

/// The rules of booked announcements, pure: the clock is a parameter.
public struct AnnouncementRules: Sendable, Hashable {
    /// How late an announcement may still start: one whose time passed while the daemon was down
    /// (or before a forward jump of the clock) plays if it is at most this late, else it is missed.
    public var lateGrace: Double
    /// How far ahead one may be booked, in seconds.
    public var horizon: Double
    /// How many may wait at once, for the whole school.
    public var maxPending: Int
    /// The longest text, in characters (as `say`).
    public var maxTextCharacters: Int

    public init(
        lateGrace: Double = 60, horizon: Double = 30 * 86400, maxPending: Int = 200, maxTextCharacters: Int = 300
    ) {
        self.lateGrace = lateGrace
        self.horizon = horizon
        self.maxPending = maxPending
        self.maxTextCharacters = maxTextCharacters
    }

    /// Checks the instant asked for: after now, and not beyond the horizon.
    public func checkTime(_ at: Date, now: Date) throws(AnnouncementError) {
        guard at > now else { throw .inThePast(at: at, now: now) }
        guard at.timeIntervalSince(now) <= horizon else {
            throw .tooFarAhead(at: at, horizonDays: Int(horizon / 86400))
        }
    }

    /// Checks a text to read: not empty once trimmed, and not longer than `maxTextCharacters`. Returns it trimmed.
    public func checkText(_ text: String) throws(AnnouncementError) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw .emptyText }
        guard trimmed.count <= maxTextCharacters else {
            throw .textTooLong(characters: trimmed.count, limit: maxTextCharacters)
        }
        return trimmed
    }

    /// Checks that one more may be booked while `pending` wait.
    public func checkCapacity(pending: Int) throws(AnnouncementError) {
        guard pending < maxPending else { throw .tooMany(limit: maxPending) }
    }

    /// What is due at `now` among the pending announcements, earliest first, and when to look next
    /// (nil: nothing waits).
    public func step(_ pending: [Announcement], now: Date) -> (decisions: [AnnouncementDecision], wake: Date?) {
        var decisions: [AnnouncementDecision] = []
        var wake: Date?
        for announcement in pending.sorted(by: { ($0.at, $0.id) < ($1.at, $1.id) }) where announcement.state == .pending
        {
            let lateness = now.timeIntervalSince(announcement.at)
            if lateness < 0 {
                wake = min(wake ?? announcement.at, announcement.at)
            } else if lateness <= lateGrace {
                decisions.append(.play(announcement.id, lateness: lateness))
            } else {
                decisions.append(.missed(announcement.id, lateness: lateness))
            }
        }
        return (decisions, wake)
    }

    /// Whether a caller limited to `allowed` zones (nil: every zone) may cancel it: only one whose
    /// zones are all theirs, as `stop` rules.
    public static func mayCancel(_ announcement: Announcement, allowed: Set<String>?) -> Bool {
        guard let allowed else { return true }
        return Set(announcement.zones).isSubset(of: allowed)
    }

    /// Whether a caller limited to `allowed` zones sees it in the list: one that sounds in any of theirs.
    public static func isVisible(_ announcement: Announcement, allowed: Set<String>?) -> Bool {
        guard let allowed else { return true }
        return !Set(announcement.zones).isDisjoint(with: allowed)
    }
}

/// Why an announcement cannot be booked.
public enum AnnouncementError: Error, Sendable, Hashable, CustomStringConvertible {
    case inThePast(at: Date, now: Date)
    case tooFarAhead(at: Date, horizonDays: Int)
    case emptyText
    case textTooLong(characters: Int, limit: Int)
    case tooMany(limit: Int)

    public var description: String {
        switch self {
        case .inThePast(let at, let now):
            "\(Self.stamp(at)) is not after now (\(Self.stamp(now))); book a time to come"
        case .tooFarAhead(let at, let days):
            "\(Self.stamp(at)) is more than \(days) days ahead; announcements are booked at most \(days) days ahead"
        case .emptyText: "nothing to say: the text is empty"
        case .textTooLong(let characters, let limit):
            "the text is \(characters) characters; an announcement reads at most \(limit)"
        case .tooMany(let limit):
            "\(limit) announcements are already waiting, the most a school may have; cancel one or wait until one has played"
        }
    }

    private static func stamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
