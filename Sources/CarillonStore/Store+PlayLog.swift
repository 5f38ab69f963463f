public import Foundation
import GRDB

/// One row of the play log.
public struct PlayRecord: Sendable, Hashable {
    public var id: Int64
    public var clip: String
    public var zones: [String]
    public var level: String
    public var source: String
    public var requestedBy: String
    public var requestedAt: Date
    public var firstSampleAt: Date?
    public var audibleAt: Date?
    public var latency: Duration?
    public var endedAt: Date?
    public var outcome: String?
    public var detail: String?
    /// The clip's category as the catalog has it when queried, not when played: nil for a clip the
    /// catalog does not hold (`say`, `tip:today`, a removed import). Never written with the play.
    public var category: String?

    public init(
        id: Int64, clip: String, zones: [String], level: String, source: String, requestedBy: String, requestedAt: Date
    ) {
        self.id = id
        self.clip = clip
        self.zones = zones
        self.level = level
        self.source = source
        self.requestedBy = requestedBy
        self.requestedAt = requestedAt
    }

    /// A `play` row, with `category` when the query joined the catalog (GRDB reads a missing column as nil).
    init(row: Row) {
        id = row["id"]
        clip = row["clip"]
        zones = (row["zones"] as String).split(separator: ",").map(String.init)
        level = row["level"]
        source = row["source"]
        requestedBy = row["requested_by"]
        requestedAt = Date(microseconds: row["requested_at"])
        firstSampleAt = (row["first_sample_at"] as Int64?).map(Date.init(microseconds:))
        audibleAt = (row["audible_at"] as Int64?).map(Date.init(microseconds:))
        latency = (row["latency_us"] as Int64?).map { .microseconds($0) }
        endedAt = (row["ended_at"] as Int64?).map(Date.init(microseconds:))
        outcome = row["outcome"]
        detail = row["detail"]
        category = row["category"]
    }
}

/// Which plays to list. A filter left nil matches every play.
public struct PlayQuery: Sendable, Hashable {
    /// Requested at or after this time.
    public var from: Date?
    /// Requested before this time: exclusive, so that back-to-back windows neither overlap nor leave a gap.
    public var to: Date?
    /// The clip's category in the catalog; a play of a clip the catalog does not hold never matches.
    public var category: String?
    /// One zone name, matched whole: `a` finds plays in `a` (alone or with others), never in `ab`.
    public var zone: String?
    /// `manual`, `schedule`, `plan`, `shout`, `tts`, …
    public var source: String?
    public var level: String?
    /// At most this many plays; capped at 10,000, and a negative limit is refused.
    public var limit: Int

    public init(
        from: Date? = nil, to: Date? = nil, category: String? = nil, zone: String? = nil, source: String? = nil,
        level: String? = nil, limit: Int = 100
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

extension Store {
    /// The plays matching `query`, latest request first, each with its clip's category.
    /// - Throws: `StoreError` for a negative limit, a zone that cannot be one name, or a database failure.
    public func plays(_ query: PlayQuery) async throws(StoreError) -> [PlayRecord] {
        let limit = try Self.checkedLimit(query.limit)
        var filter = QueryFilter()
        filter.during(column: "play.requested_at", from: query.from, to: query.to)
        filter.add("clip.category = ?", query.category)
        if let zone = query.zone {
            // The column is comma-separated, so a comma or an empty name would match across names.
            guard !zone.isEmpty, !zone.contains(",") else { throw StoreError("`\(zone)` is not a zone name") }
            // Commas on both sides make the match whole-name: ",a," is not inside ",ab,".
            filter.add("instr(',' || play.zones || ',', ',' || ? || ',') > 0", zone)
        }
        filter.add("play.source = ?", query.source)
        filter.add("play.level = ?", query.level)
        var arguments = filter.arguments
        arguments += [limit]
        // Only the fixed clauses above are spliced into the SQL; every value is bound.
        let sql = """
            SELECT play.*, clip.category AS category
            FROM play LEFT JOIN clip ON clip.id = play.clip
            \(filter.whereClause)
            ORDER BY play.requested_at DESC, play.id DESC
            LIMIT ?
            """
        do {
            return try await writer.read { [arguments] db in
                try Row.fetchAll(db, sql: sql, arguments: arguments).map(PlayRecord.init(row:))
            }
        } catch {
            throw StoreError("cannot read the play log: \(Self.describe(error))")
        }
    }


    /// The most rows one query returns, so that one request cannot pull a whole log into memory.
    static let maximumLimit = 10_000

    /// `limit` capped at `maximumLimit`. A negative one is refused: SQLite would read it as "no limit".
    static func checkedLimit(_ limit: Int) throws(StoreError) -> Int {
        guard limit >= 0 else { throw StoreError("the limit cannot be negative (\(limit))") }
        return min(limit, maximumLimit)
    }
}

/// The `WHERE` of a log query: fixed clauses, each with its values bound, never spliced in.
struct QueryFilter {
    private var clauses: [String] = []
    private(set) var arguments = StatementArguments()

    /// Adds `clause` with its `?` bound to `value`, when there is a value.
    mutating func add(_ clause: String, _ value: String?) {
        guard let value else { return }
        clauses.append(clause)
        arguments += [value]
    }

    /// Rows whose `column` (microseconds) is at or after `from` and before `to`.
    mutating func during(column: String, from: Date?, to: Date?) {
        if let from {
            clauses.append("\(column) >= ?")
            arguments += [from.microseconds]
        }
        if let to {
            clauses.append("\(column) < ?")
            arguments += [to.microseconds]
        }
    }

    /// Appends a clause that binds several values.
    mutating func add(_ clause: String, values: [String]) {
        clauses.append(clause)
        for value in values { arguments += [value] }
    }

    /// `WHERE` and the clauses joined by `AND`, or nothing.
    var whereClause: String { clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ") }
}
