public import Foundation

/// `auth`: proves who a TCP client is. The token is sent once, over TLS; the daemon keeps only its
/// SHA-256. On the UNIX socket the peer's uid already says who it is, and `auth` is refused.
public struct AuthArgs: Sendable, Codable, Hashable {
    public var token: String
    public init(token: String) { self.token = token }
}

/// Who the connection now acts as.
public struct Identity: Sendable, Codable, Hashable {
    /// A token's name, or `uid 1000 (alice)` on the UNIX socket.
    public var name: String
    public var role: Role
    /// The zones the caller may use; absent means every zone.
    public var zones: [String]?
    /// The staff groups of a paired console device (`class-teachers`); absent for other callers.
    public var groups: [String]?

    public init(name: String, role: Role, zones: [String]? = nil, groups: [String]? = nil) {
        self.name = name
        self.role = role
        self.zones = zones
        self.groups = groups
    }
}

/// Arguments of the commands that target zones. For a caller limited to some zones, absent zones
/// (or `["all"]`) mean all of theirs, and a zone outside them is refused with `permission-denied`.
public protocol ZoneTargeting {
    var zones: [String]? { get set }
}

extension PlayArgs: ZoneTargeting {}
extension SayArgs: ZoneTargeting {}
extension ShoutArgs: ZoneTargeting {}

/// `events`: subscribes the connection to the daemon's events until it closes.
public struct EventsArgs: Sendable, Codable, Hashable {
    /// Event name prefixes to receive, e.g. `["play", "fault"]`; absent means all.
    public var kinds: [String]?
    public init(kinds: [String]? = nil) { self.kinds = kinds }
}

public struct EventsSubscribed: Sendable, Codable, Hashable {
    /// The prefixes subscribed to; empty means every event.
    public var kinds: [String]
    /// Events a subscriber may fall behind by before it is dropped.
    public var queueLimit: Int
    public init(kinds: [String], queueLimit: Int) {
        self.kinds = kinds
        self.queueLimit = queueLimit
    }
}

/// One event line: `{"event":"play.started","at":"…",…}`. It has `event` and never `ok`, so a
/// client tells it from a response by that key. Fields that do not apply are absent.
public struct Event: Sendable, Codable, Hashable {
    /// `play.started`, `play.ended`, `shout.started`, `shout.ended`, `output.fault`,
    /// `output.recovered`, `storage.fault`, `storage.recovered`, `schedule.changed`,
    /// `library.changed`, `config.reloaded`, `plan.started`, `plan.resumed`, `plan.stopped`,
    /// `city.connected`, `city.disconnected`, `city.alert`, `announce.created`, `announce.played`,
    /// `announce.cancelled`, `announce.missed`, `announce.failed`, `events.dropped`.
    public var event: String
    public var at: Date
    public var play: Int64?
    public var clip: String?
    public var zones: [String]?
    public var level: String?
    /// How a play or shout ended: `finished`, `stopped`, `cut`, `failed`, `missed`, `timeout`.
    public var outcome: String?
    public var detail: String?
    public var output: String?
    /// Who asked: an identity, `schedule` or `plan`.
    public var by: String?
    /// A schedule's version, for `schedule.changed`.
    public var version: Int?
    /// For `plan.*` events: the plan, its title, whether it is a drill, and every task.
    public var plan: String?
    public var title: String?
    public var drill: Bool?
    public var tasks: [PlanTask]?
    /// For `plan.started`: the task of the subscriber's own role, when the plan has one for it.
    public var task: String?
    /// For `city.alert`: the alert's id.
    public var alert: String?
    /// For `announce.*` events: the booked announcement, and when it is (or was) due.
    public var announcement: Int64?
    public var due: Date?
    /// For `shout.started` from the console: microphone frame captured to first sample written, in ms.
    public var latencyMs: Double?
    /// For `plan.acked`: who acknowledged their task; for `web.revoked`: the device.
    public var person: String?

    public init(
        event: String, at: Date = Date(), play: Int64? = nil, clip: String? = nil, zones: [String]? = nil,
        level: String? = nil, outcome: String? = nil, detail: String? = nil, output: String? = nil, by: String? = nil,
        version: Int? = nil, plan: String? = nil, title: String? = nil, drill: Bool? = nil, tasks: [PlanTask]? = nil,
        alert: String? = nil, announcement: Int64? = nil, due: Date? = nil
    ) {
        self.event = event
        self.at = at
        self.play = play
        self.clip = clip
        self.zones = zones
        self.level = level
        self.outcome = outcome
        self.detail = detail
        self.output = output
        self.by = by
        self.version = version
        self.plan = plan
        self.title = title
        self.drill = drill
        self.tasks = tasks
        self.alert = alert
        self.announcement = announcement
        self.due = due
    }
}

/// `shout`: asks to speak live. When it is accepted the connection carries the voice: one Opus
/// packet per line, base64, 20 ms each, then a line holding `.` (see PROTOCOL.md).
public struct ShoutArgs: Sendable, Codable, Hashable {
    public var zones: [String]?
    /// Play the pre-announce chime first; the acceptance comes when it has sounded.
    public var chime: Bool?
    /// `opus` (the default), or `pcm16`: 16-bit little-endian samples, as the console sends them
    /// from browsers without an Opus encoder.
    public var codec: String?

    public init(zones: [String]? = nil, chime: Bool? = nil, codec: String? = "opus") {
        self.zones = zones
        self.chime = chime
        self.codec = codec
    }
}

/// The shout is on the air: send the voice now.
public struct ShoutAccepted: Sendable, Codable, Hashable {
    /// Its play id, as in `status` and the log.
    public var play: Int64
    public var zones: [String]
    public var codec: String
    public var sampleRate: Int
    public var channels: Int
    public var frameMilliseconds: Int
    /// The shout ends after this long without a packet.
    public var timeoutMilliseconds: Int

    public init(play: Int64, zones: [String], codec: String, sampleRate: Int, channels: Int, frameMilliseconds: Int, timeoutMilliseconds: Int) {
        self.play = play
        self.zones = zones
        self.codec = codec
        self.sampleRate = sampleRate
        self.channels = channels
        self.frameMilliseconds = frameMilliseconds
        self.timeoutMilliseconds = timeoutMilliseconds
    }
}

/// `log.plays`: the play log, newest first.
public struct LogArgs: Sendable, Codable, Hashable {
    /// Plays requested at or after this instant.
    public var from: Date?
    /// Plays requested before this instant.
    public var to: Date?
    /// A clip category: `bell`, `tip`, `culture`, `emergency`, …
    public var category: String?
    public var zone: String?
    /// `manual`, `schedule`, `plan`, `shout` or `tts`.
    public var source: String?
    public var level: String?
    /// At most this many rows, 1 to 10000; 100 by default.
    public var limit: Int?

    public init(
        from: Date? = nil, to: Date? = nil, category: String? = nil, zone: String? = nil, source: String? = nil,
        level: String? = nil, limit: Int? = nil
    ) {
        self.from = from
        self.to = to
        self.category = category
        self.zone = zone
        self.source = source
        self.level = level
        self.limit = limit
    }
}

/// One play of the log.
public struct LoggedPlay: Sendable, Codable, Hashable {
    public var play: Int64
    public var clip: String
    public var category: String?
    public var zones: [String]
    public var level: String
    public var source: String
    public var requestedBy: String
    public var requestedAt: Date
    public var firstSampleAt: Date?
    /// Request to first sample written, in milliseconds.
    public var latencyMs: Double?
    /// When the first sample reached the speaker: written, plus what the device held ahead of it.
    public var heardAt: Date?
    /// Request to first sample heard, in milliseconds: what a listener waits.
    public var heardLatencyMs: Double?
    public var endedAt: Date?
    public var outcome: String?
    public var detail: String?

    public init(
        play: Int64, clip: String, category: String?, zones: [String], level: String, source: String, requestedBy: String,
        requestedAt: Date, firstSampleAt: Date?, latencyMs: Double?, heardAt: Date? = nil, endedAt: Date?, outcome: String?,
        detail: String?
    ) {
        self.play = play
        self.clip = clip
        self.category = category
        self.zones = zones
        self.level = level
        self.source = source
        self.requestedBy = requestedBy
        self.requestedAt = requestedAt
        self.firstSampleAt = firstSampleAt
        self.latencyMs = latencyMs
        self.heardAt = heardAt
        if let latencyMs, let heardAt, let firstSampleAt {
            heardLatencyMs = latencyMs + heardAt.timeIntervalSince(firstSampleAt) * 1000
        }
        self.endedAt = endedAt
        self.outcome = outcome
        self.detail = detail
    }
}

public struct LogResult: Sendable, Codable, Hashable {
    public var plays: [LoggedPlay]
    public init(plays: [LoggedPlay]) { self.plays = plays }
}

/// `log.audit`: state-changing commands, newest first.
public struct AuditArgs: Sendable, Codable, Hashable {
    public var from: Date?
    public var to: Date?
    /// An identity, as `auth` or the UNIX socket named it.
    public var actor: String?
    /// A command name, or a group such as `library`.
    public var command: String?
    public var limit: Int?

    public init(from: Date? = nil, to: Date? = nil, actor: String? = nil, command: String? = nil, limit: Int? = nil) {
        self.from = from
        self.to = to
        self.actor = actor
        self.command = command
        self.limit = limit
    }
}

/// One audited command: who, from where, what, and how it went.
public struct AuditEntry: Sendable, Codable, Hashable {
    public var at: Date
    public var actor: String
    public var role: String
    /// `unix`, or the TCP client's address and port.
    public var source: String
    public var command: String
    /// The arguments as JSON, with secrets removed.
    public var arguments: String
    public var ok: Bool
    public var errorCode: String?
    public var message: String?

    public init(
        at: Date, actor: String, role: String, source: String, command: String, arguments: String, ok: Bool,
        errorCode: String?, message: String?
    ) {
        self.at = at
        self.actor = actor
        self.role = role
        self.source = source
        self.command = command
        self.arguments = arguments
        self.ok = ok
        self.errorCode = errorCode
        self.message = message
    }
}

public struct AuditResult: Sendable, Codable, Hashable {
    public var entries: [AuditEntry]
    public init(entries: [AuditEntry]) { self.entries = entries }
}
