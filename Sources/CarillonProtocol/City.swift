public import Foundation

/// `city.alert`: a signed city-wide alert, as the city link heard it. The daemon checks it whole
/// (signature against `[bureau] keys`, expiry, target, an id never heard before) and sounds it at
/// the emergency level, or refuses it; a refusal is an answer, not an error.
public struct CityAlertArgs: Sendable, Codable, Hashable {
    /// The published envelope's bytes, base64: `{"alert": …, "signature": …}`.
    public var envelope: String
    /// When it was received, in ms since 1970; now if absent.
    public var receivedMs: Int64?

    public init(envelope: String, receivedMs: Int64? = nil) {
        self.envelope = envelope
        self.receivedMs = receivedMs
    }
}

/// What became of a city alert.
public struct CityAlertResult: Sendable, Codable, Hashable {
    /// The alert's id, once it was read that far.
    public var alert: String?
    /// `sounded`, `refused` or `failed`.
    public var outcome: String
    /// For `refused` and `failed`: `oversized`, `malformed`, `unknown-key`, `bad-signature`,
    /// `expired`, `not-yet-valid`, `replayed`, `not-for-us`, `failed`.
    public var reason: String?
    public var detail: String?
    /// The play that sounds it: its `play.started` event carries the first sample's time.
    public var play: Int64?
    /// When its first sample was written to the output, in ms since 1970 (a date on the wire
    /// keeps whole seconds only); absent if it did not sound.
    public var firstSampleMs: Int64?
    public var drill: Bool?

    public init(
        alert: String?, outcome: String, reason: String? = nil, detail: String? = nil, play: Int64? = nil, firstSampleMs: Int64? = nil,
        drill: Bool? = nil
    ) {
        self.alert = alert
        self.outcome = outcome
        self.reason = reason
        self.detail = detail
        self.play = play
        self.firstSampleMs = firstSampleMs
        self.drill = drill
    }
}

/// The city link in `status`.
public struct CityLinkInfo: Sendable, Codable, Hashable {
    /// `connecting` (or waiting to reconnect) or `connected`.
    public var state: String
    /// `HOST:PORT`.
    public var broker: String
    public var school: String
    public var district: String?
    /// Why the last connection failed or was lost.
    public var lastError: String?
    public var lastErrorAt: Date?
    /// Since when the current connection holds.
    public var connectedSince: Date?
    /// Connections made since the daemon started, the first included.
    public var connections: Int
    /// The last alert heard, whatever became of it, and the last one sounded.
    public var lastHeard: CityAlertNote?
    public var lastSounded: CityAlertNote?
    /// Alerts by outcome since the daemon started.
    public var sounded: Int
    public var refused: Int
    public var failed: Int

    public init(
        state: String, broker: String, school: String, district: String?, lastError: String? = nil, lastErrorAt: Date? = nil,
        connectedSince: Date? = nil, connections: Int = 0, lastHeard: CityAlertNote? = nil, lastSounded: CityAlertNote? = nil,
        sounded: Int = 0, refused: Int = 0, failed: Int = 0
    ) {
        self.state = state
        self.broker = broker
        self.school = school
        self.district = district
        self.lastError = lastError
        self.lastErrorAt = lastErrorAt
        self.connectedSince = connectedSince
        self.connections = connections
        self.lastHeard = lastHeard
        self.lastSounded = lastSounded
        self.sounded = sounded
        self.refused = refused
        self.failed = failed
    }
}

/// One alert as the link remembers it.
public struct CityAlertNote: Sendable, Codable, Hashable {
    public var alert: String?
    public var at: Date
    /// `sounded`, `refused` or `failed`, and why.
    public var outcome: String
    public var reason: String?

    public init(alert: String?, at: Date, outcome: String, reason: String? = nil) {
        self.alert = alert
        self.at = at
        self.outcome = outcome
        self.reason = reason
    }
}
