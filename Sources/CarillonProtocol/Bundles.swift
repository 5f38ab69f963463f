public import Foundation

/// `bundle.apply`: a bundle uploaded with `bundle.upload` and `bundle.chunk`, or, for an admin on
/// the daemon's own machine, a file the daemon can read.
public struct BundleApplyArgs: Sendable, Codable, Hashable {
    public var upload: String?
    public var path: String?

    public init(upload: String? = nil, path: String? = nil) {
        self.upload = upload
        self.path = path
    }
}

public struct BundleApplied: Sendable, Codable, Hashable {
    public var version: Int
    /// The version in force before.
    public var previous: Int
    /// SHA-256 of the manifest, as `bundle verify` prints it.
    public var digest: String
    /// True when this very bundle had been applied before: nothing changed (a push retried).
    public var already: Bool
    public var schedule: Bool
    public var plans: [String]
    public var clips: [String]

    public init(version: Int, previous: Int, digest: String, already: Bool, schedule: Bool, plans: [String], clips: [String]) {
        self.version = version
        self.previous = previous
        self.digest = digest
        self.already = already
        self.schedule = schedule
        self.plans = plans
        self.clips = clips
    }
}

/// `schedule.rollback`: back to an earlier version; the version floor for new bundles stays.
public struct ScheduleRollbackArgs: Sendable, Codable, Hashable {
    /// The version to go back to; absent: the one before the version in force.
    public var to: Int?
    public init(to: Int? = nil) { self.to = to }
}

public struct ScheduleRolledBack: Sendable, Codable, Hashable {
    /// The version in force before and after.
    public var from: Int
    public var to: Int
    /// The schedule's version now in force (at or below `to`).
    public var schedule: Int
    /// Every new bundle or schedule must be above this.
    public var floor: Int

    public init(from: Int, to: Int, schedule: Int, floor: Int) {
        self.from = from
        self.to = to
        self.schedule = schedule
        self.floor = floor
    }
}

/// `schedule.history`: every version the school has held, newest first.
public struct ScheduleHistory: Sendable, Codable, Hashable {
    public var versions: [VersionInfo]
    public var floor: Int
    public init(versions: [VersionInfo], floor: Int) {
        self.versions = versions
        self.floor = floor
    }
}

public struct VersionInfo: Sendable, Codable, Hashable {
    public var version: Int
    /// Whether the version carried a schedule, and whether it came in a bundle.
    public var schedule: Bool
    public var bundle: Bool
    public var source: String
    public var appliedAt: Date
    public var rolledBackAt: Date?
    public var inForce: Bool

    public init(version: Int, schedule: Bool, bundle: Bool, source: String, appliedAt: Date, rolledBackAt: Date?, inForce: Bool) {
        self.version = version
        self.schedule = schedule
        self.bundle = bundle
        self.source = source
        self.appliedAt = appliedAt
        self.rolledBackAt = rolledBackAt
        self.inForce = inForce
    }
}
