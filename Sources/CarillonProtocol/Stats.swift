public import Foundation

/// `stats`: counts of what the school broadcast, as the city platform reports them.
public struct StatsArgs: Sendable, Codable, Hashable {
    /// Count what was requested at or after this instant.
    public var from: Date?
    /// Count what was requested before this instant (exclusive, as in `log.plays`).
    public var to: Date?
    /// Split the counts: `category`, `day`, `zone` or `source`; absent gives totals only.
    public var by: String?

    /// The values `by` may take.
    public static let groupings = ["category", "day", "zone", "source"]

    public init(from: Date? = nil, to: Date? = nil, by: String? = nil) {
        self.from = from
        self.to = to
        self.by = by
    }
}

/// The counters of `stats`. They overlap (a manual play of a bell is `instant` and `bells`), except
/// `broadcasts` and `missed`, which never share a play.
public struct StatsCounts: Sendable, Codable, Hashable {
    /// What went on the air: plays that sounded (wrote a sample, or finished), and one per plan or drill run.
    public var broadcasts: Int
    /// Plays a person asked for that sounded: `play`, `shout`, and `say` not from the schedule.
    public var instant: Int
    /// Safety-education plays that sounded (category `tip`).
    public var safety: Int
    /// Bells that sounded (category `bell`).
    public var bells: Int
    /// Emergency plan runs started, drills excluded.
    public var plans: Int
    /// Drill runs started.
    public var drills: Int
    /// Scheduled events logged as missed: past their grace window, they never sounded.
    public var missed: Int

    public init(
        broadcasts: Int = 0, instant: Int = 0, safety: Int = 0, bells: Int = 0, plans: Int = 0, drills: Int = 0, missed: Int = 0
    ) {
        self.broadcasts = broadcasts
        self.instant = instant
        self.safety = safety
        self.bells = bells
        self.plans = plans
        self.drills = drills
        self.missed = missed
    }

    /// The counters' names, in the order tables and CSV print them.
    public static let names = ["broadcasts", "instant", "safety", "bells", "plans", "drills", "missed"]

    /// The counters in the order of `names`.
    public var values: [Int] { [broadcasts, instant, safety, bells, plans, drills, missed] }

    /// Counter by counter sums, for a fleet's totals.
    public static func + (lhs: StatsCounts, rhs: StatsCounts) -> StatsCounts {
        StatsCounts(
            broadcasts: lhs.broadcasts + rhs.broadcasts, instant: lhs.instant + rhs.instant, safety: lhs.safety + rhs.safety,
            bells: lhs.bells + rhs.bells, plans: lhs.plans + rhs.plans, drills: lhs.drills + rhs.drills,
            missed: lhs.missed + rhs.missed)
    }
}

/// One group of a split count. On the wire it is flat: `{"group":"bell","broadcasts":3,…}`.
public struct StatsRow: Sendable, Codable, Hashable {
    /// The category, the local date (`YYYY-MM-DD`), the zone or the source.
    public var group: String
    public var counts: StatsCounts

    public init(group: String, counts: StatsCounts) {
        self.group = group
        self.counts = counts
    }

    private enum CodingKeys: String, CodingKey { case group }

    public init(from decoder: any Decoder) throws {
        group = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .group)
        counts = try StatsCounts(from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(group, forKey: .group)
        try counts.encode(to: encoder)
    }
}

/// `stats`'s answer.
public struct StatsResult: Sendable, Codable, Hashable {
    /// The window counted, as asked.
    public var from: Date?
    public var to: Date?
    /// The grouping asked for, if any.
    public var by: String?
    /// The IANA time zone whose days `by: day` uses: the schedule's, else the daemon's.
    public var timezone: String
    /// Everything in the window. With `by: zone` the rows can add up to more: a play in two zones counts in both.
    public var total: StatsCounts
    /// One row per group that has something to count, ordered by `group`; absent without `by`.
    public var rows: [StatsRow]?

    public init(from: Date?, to: Date?, by: String?, timezone: String, total: StatsCounts, rows: [StatsRow]?) {
        self.from = from
        self.to = to
        self.by = by
        self.timezone = timezone
        self.total = total
        self.rows = rows
    }
}
