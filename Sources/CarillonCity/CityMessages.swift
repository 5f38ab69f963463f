public import Foundation

/// A school's answer to one alert, on `school/ID/ack`. Times are ms since 1970.
public struct AlertAck: Sendable, Hashable, Codable {
    public var v: Int = 1
    public var school: String
    /// The alert's id; absent when the alert could not be read far enough to know it.
    public var alert: String?
    /// `sounded`, `refused` or `failed` (valid, but it could not sound here).
    public var outcome: String
    /// For `refused` and `failed`: an `AlertRefusal.Reason`.
    public var reason: String?
    public var detail: String?
    /// When the school received it.
    public var received: Int64
    /// When its first alarm sample was written to the output; absent if it did not sound or the
    /// sample was not written within the link's wait.
    public var firstSample: Int64?
    public var drill: Bool?

    public init(
        school: String, alert: String?, outcome: String, reason: String? = nil, detail: String? = nil, received: Int64,
        firstSample: Int64? = nil, drill: Bool? = nil
    ) {
        self.school = school
        self.alert = alert
        self.outcome = outcome
        self.reason = reason
        self.detail = detail
        self.received = received
        self.firstSample = firstSample
        self.drill = drill
    }
}

/// A school's retained status on `school/ID/status`: `online` with what it runs, or `offline`
/// (the last will the broker publishes when the school's connection is lost).
public struct SchoolStatus: Sendable, Hashable, Codable {
    public var v: Int = 1
    public var school: String
    public var district: String?
    /// `online` or `offline`.
    public var state: String
    /// carillond's version.
    public var version: String?
    /// The schedule version in force, if the school has one.
    public var schedule: Int?
    /// The highest bundle version the school has applied, if any.
    public var bundle: Int?
    /// The last alert heard (whatever became of it) and the last one sounded: their ids.
    public var lastHeard: String?
    public var lastSounded: String?
    /// When this status was published, in ms since 1970; absent in the last will, written at connect.
    public var at: Int64?

    public init(
        school: String, district: String?, state: String, version: String? = nil, schedule: Int? = nil, bundle: Int? = nil,
        lastHeard: String? = nil, lastSounded: String? = nil, at: Int64? = nil
    ) {
        self.school = school
        self.district = district
        self.state = state
        self.version = version
        self.schedule = schedule
        self.bundle = bundle
        self.lastHeard = lastHeard
        self.lastSounded = lastSounded
        self.at = at
    }

    /// The JSON the broker stores, keys sorted so that two equal statuses are equal bytes.
    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding strings and integers cannot fail.
        return (try? encoder.encode(self)) ?? Data()
    }
}

extension AlertAck {
    /// The JSON published.
    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)) ?? Data()
    }
}

/// Milliseconds since 1970 of `date`, clamped to what an Int64 holds.
public func millisecondsSince1970(_ date: Date) -> Int64 {
    let value = (date.timeIntervalSince1970 * 1000).rounded()
    guard value.isFinite else { return 0 }
    return Int64(max(min(value, 9.0e15), -9.0e15))
}
