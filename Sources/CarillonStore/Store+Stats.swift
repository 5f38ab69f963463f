public import CarillonCore
public import Foundation
import GRDB

/// How `stats` splits its counts.
public enum StatsGrouping: String, Sendable, Hashable, CaseIterable {
    /// The clip's category: the catalog's, or the one the daemon's own plays carry (see `Store.stats`).
    case category
    /// The local date of the request, in the query's time zone.
    case day
    /// Each zone named by the play; a play in two zones counts in both.
    case zone
    /// The play's `source`, with plan runs as `plan` and drill runs as `drill`.
    case source
}

/// Which part of the log to count, and how to split it.
public struct StatsQuery: Sendable, Hashable {
    /// Requested (or, for plan runs, started) at or after this time.
    public var from: Date?
    /// Before this time: exclusive, as in `PlayQuery`.
    public var to: Date?
    /// nil: totals only.
    public var by: StatsGrouping?
    /// The time zone whose midnights end the days of `.day`; the schedule's.
    public var timeZone: TimeZone

    public init(from: Date? = nil, to: Date? = nil, by: StatsGrouping? = nil, timeZone: TimeZone = TimeZone(secondsFromGMT: 0)!) {
        self.from = from
        self.to = to
        self.by = by
        self.timeZone = timeZone
    }
}

/// The counts the city platform reports (see `BroadcastCounts`).
public typealias StatsCounters = BroadcastCounts

/// One group of a split count.
public struct StatsGroup: Sendable, Hashable {
    /// The category, `YYYY-MM-DD`, zone or source.
    public var key: String
    public var counters: StatsCounters

    public init(key: String, counters: StatsCounters) {
        self.key = key
        self.counters = counters
    }
}

/// Totals, and the groups when asked for, from one snapshot of the database.
public struct StatsReport: Sendable, Hashable {
    public var total: StatsCounters
    /// Ordered by key (so days are in date order); groups with nothing to count are left out.
    public var groups: [StatsGroup]
}

extension Store {
    /// Counts the play log and the plan runs with `GROUP BY`, never loading the rows.
    ///
    /// The rules, which follow how the daemon writes the log:
    /// - A play *sounded* when its first sample was written (`first_sample_at`), or when it
    ///   `finished` (it played to its end; this also covers a start time the log lost). Refused,
    ///   failed, missed or still-queued plays never sounded and are not broadcasts.
    /// - A shout's pre-announce chime is its own row (`source` shout, clip `chime.pre-announce`);
    ///   it is part of the shout and not counted. A `say` chime is inside the `say` audio.
    /// - Plan and drill plays (each cycle, the all-clear, a drill's end message) are not counted as
    ///   plays: a drill's all-clear can carry `source` plan, so the rows cannot tell drills apart.
    ///   The `plan_run` table can, exactly: each run counts once, as a broadcast and as a plan or a
    ///   drill, at its start time and in its zones, with category `alarm`.
    /// - Categories come from the catalog; the daemon's own clips have none there, so `say` and
    ///   `shout` plays count as `message`, a missed `tip:today`/`tip:next` as `tip`, and a clip
    ///   gone from the catalog as `unknown`.
    /// - A scheduled `say` event is logged with `source` tts by `schedule …`: it is not instant.
    /// - Missed events keep the zones the schedule named, so `all` can appear as a zone.
    /// - Throws: `StoreError` when the database cannot be read.
    public func stats(_ query: StatsQuery) async throws(StoreError) -> StatsReport {
        do {
            return try await writer.read { db in
                let total = try Self.counts(db, query, by: nil).first?.counters ?? StatsCounters()
                let groups = try query.by.map { try Self.counts(db, query, by: $0) } ?? []
                return StatsReport(total: total, groups: groups)
            }
        } catch {
            throw StoreError("cannot count the play log: \(Self.describe(error))")
        }
    }

    /// The counters per group (one row with an empty key when `by` is nil).
    private static func counts(_ db: Database, _ query: StatsQuery, by: StatsGrouping?) throws -> [StatsGroup] {
        var plays = QueryFilter()
        plays.during(column: "play.requested_at", from: query.from, to: query.to)
        // Plan rows are counted from plan_run instead; a shout's chime belongs to its shout.
        plays.add("play.source NOT IN ('plan', 'drill')", values: [])
        plays.add("NOT (play.source = 'shout' AND play.clip = 'chime.pre-announce')", values: [])
        var runs = QueryFilter()
        runs.during(column: "plan_run.started_at", from: query.from, to: query.to)
        var arguments = plays.arguments
        arguments += runs.arguments

        let sums = ["broadcast", "instant", "safety", "bells", "plans", "drills", "missed"]
            .map { "COALESCE(SUM(\($0)), 0)" }.joined(separator: ", ")
        // One row per event that counts: a sounded or missed play, or a plan run. Flags are 0 or 1.
        var sql = """
            WITH RECURSIVE logged AS (
                SELECT play.requested_at AS at, play.zones AS zones, play.source AS source,
                    COALESCE(clip.category, CASE
                        WHEN play.clip IN ('tip:today', 'tip:next') THEN 'tip'
                        WHEN play.clip IN ('say', 'shout') THEN 'message'
                        ELSE 'unknown' END) AS category,
                    (play.first_sample_at IS NOT NULL OR play.outcome IS 'finished') AS sounded,
                    play.outcome IS 'missed' AS missed,
                    -- Older logs have the schedule's `say` as `tts`; its requester tells it apart.
                    (play.source IN ('manual', 'shout')
                        OR (play.source = 'tts' AND play.requested_by NOT LIKE 'schedule %')) AS asked
                FROM play LEFT JOIN clip ON clip.id = play.clip
                \(plays.whereClause)
            ),
            event(at, zones, source, category, broadcast, instant, safety, bells, plans, drills, missed) AS (
                SELECT at, zones, source, category, sounded, sounded AND asked, sounded AND category = 'tip',
                    sounded AND category = 'bell', 0, 0, missed AND NOT sounded
                FROM logged WHERE sounded OR missed
                UNION ALL
                SELECT started_at, zones, CASE WHEN drill THEN 'drill' ELSE 'plan' END, 'alarm', 1, 0, 0, 0,
                    drill = 0, drill <> 0, 0
                FROM plan_run \(runs.whereClause)
            )
            """
        switch by {
        case nil:
            sql += "\nSELECT '' AS key, \(sums) FROM event"
        case .category:
            sql += "\nSELECT category AS key, \(sums) FROM event GROUP BY key ORDER BY key"
        case .source:
            sql += "\nSELECT source AS key, \(sums) FROM event GROUP BY key ORDER BY key"
        case .day:
            let (offset, offsetArguments) = try dayOffset(db, query)
            arguments += offsetArguments
            // Local midnight-to-midnight: shift each instant by its UTC offset, then take the UTC date.
            sql += "\nSELECT date((at + \(offset)) / 1000000, 'unixepoch') AS key, \(sums) FROM event GROUP BY key ORDER BY key"
        case .zone:
            // `zones` is comma-separated: peel one name per step; the seed row's empty name is dropped.
            let flags = "broadcast, instant, safety, bells, plans, drills, missed"
            sql += """
                ,
                split(zone, rest, \(flags)) AS (
                    SELECT '', zones || ',', \(flags) FROM event
                    UNION ALL
                    SELECT substr(rest, 1, instr(rest, ',') - 1), substr(rest, instr(rest, ',') + 1), \(flags)
                    FROM split WHERE rest <> ''
                )
                SELECT zone AS key, \(sums) FROM split WHERE zone <> '' GROUP BY zone ORDER BY zone
                """
        }
        return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
            StatsGroup(
                key: row["key"],
                counters: StatsCounters(
                    broadcasts: row[1], instant: row[2], safety: row[3], bells: row[4], plans: row[5], drills: row[6],
                    missed: row[7]))
        }
    }

    /// An SQL expression of `at` giving its UTC offset in microseconds, exact across the time zone's
    /// changes (DST) inside the span the query can see, with its bound values.
    private static func dayOffset(_ db: Database, _ query: StatsQuery) throws -> (String, StatementArguments) {
        // The span the data covers, narrowed by the query: its changes of offset are few.
        let row = try Row.fetchOne(
            db,
            sql: """
                SELECT MIN(low), MAX(high) FROM (
                    SELECT MIN(requested_at) AS low, MAX(requested_at) AS high FROM play
                    UNION ALL SELECT MIN(started_at), MAX(started_at) FROM plan_run)
                """)
        let low = max(row?[0] as Int64? ?? 0, query.from?.microseconds ?? .min)
        let high = min(row?[1] as Int64? ?? 0, query.to?.microseconds ?? .max)
        let zone = query.timeZone
        func offset(_ microseconds: Int64) -> Int64 {
            Int64(zone.secondsFromGMT(for: Date(microseconds: microseconds))) * 1_000_000
        }
        var arguments = StatementArguments()
        var cases = ""
        var instant = Date(microseconds: low)
        while let change = zone.nextDaylightSavingTimeTransition(after: instant), change.microseconds <= high {
            // Before the change, the offset in force until it.
            cases += " WHEN at < ? THEN ?"
            arguments += [change.microseconds, offset(change.microseconds - 1)]
            instant = change
        }
        arguments += [offset(high)]
        return (cases.isEmpty ? "?" : "CASE\(cases) ELSE ? END", arguments)
    }
}
