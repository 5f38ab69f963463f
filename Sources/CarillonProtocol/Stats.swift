public import CarillonCore
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

/// The counters of `stats`: see `BroadcastCounts`.
public typealias StatsCounts = BroadcastCounts

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
