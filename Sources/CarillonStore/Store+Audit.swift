public import Foundation
import GRDB

/// One control command as the audit log keeps it: who, in what role, from where, what, and how it went.
public struct AuditRecord: Sendable, Hashable {
    /// The row's id: 0 until appended.
    public var id: Int64
    public var at: Date
    /// Who: `uid 1000 (alice)` on the socket, a token's name over the network.
    public var actor: String
    public var role: String
    /// From where: `unix`, or the peer's address and port such as `192.0.2.7:51234`.
    public var source: String
    public var command: String
    /// The arguments as JSON, already redacted by the caller: the store never sees a secret to hide.
    public var arguments: String
    public var ok: Bool
    /// The error's code when the command failed.
    public var errorCode: String?
    public var message: String?

    public init(
        id: Int64 = 0, at: Date = Date(), actor: String, role: String, source: String, command: String,
        arguments: String, ok: Bool, errorCode: String? = nil, message: String? = nil
    ) {
        self.id = id
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

/// Which audit rows to list. A filter left nil matches every row.
public struct AuditQuery: Sendable, Hashable {
    /// At or after this time.
    public var from: Date?
    /// Before this time: exclusive, so that back-to-back windows neither overlap nor leave a gap.
    public var to: Date?
    /// The actor, matched exactly.
    public var actor: String?
    /// A command, or a family of them: `library` matches `library` and `library.import`, not `libraryx`.
    public var command: String?
    /// At most this many rows; capped at 10,000, and a negative limit is refused.
    public var limit: Int

    public init(from: Date? = nil, to: Date? = nil, actor: String? = nil, command: String? = nil, limit: Int = 100) {
        self.from = from
        self.to = to
        self.actor = actor
        self.command = command
        self.limit = limit
    }
}

extension Store {
    /// Appends one row and returns its id (`record.id` is ignored). Text longer than 4,096 characters is
    /// cut to 4,096 ending in "…", so that one oversized request cannot bloat the log.
    @discardableResult
    public func appendAudit(_ record: AuditRecord) async throws(StoreError) -> Int64 {
        var row = record
        for field in [\AuditRecord.actor, \.role, \.source, \.command, \.arguments] {
            row[keyPath: field] = Self.truncatedForAudit(row[keyPath: field])
        }
        row.errorCode = row.errorCode.map(Self.truncatedForAudit)
        row.message = row.message.map(Self.truncatedForAudit)
        do {
            return try await commit { [row] db in
                try db.execute(
                    sql: """
                        INSERT INTO audit (at, actor, role, source, command, arguments, ok, error_code, message)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        row.at.microseconds, row.actor, row.role, row.source, row.command, row.arguments, row.ok,
                        row.errorCode, row.message,
                    ])
                return db.lastInsertedRowID
            }
        } catch {
            throw StoreError("cannot append to the audit log: \(Self.describe(error))")
        }
    }

    /// The audit rows matching `query`, newest first.
    /// - Throws: `StoreError` for a negative limit or a database failure.
    public func audit(_ query: AuditQuery) async throws(StoreError) -> [AuditRecord] {
        let limit = try Self.checkedLimit(query.limit)
        var filter = QueryFilter()
        filter.during(column: "at", from: query.from, to: query.to)
        filter.add("actor = ?", query.actor)
        if let command = query.command {
            // By characters, not LIKE: a `_` or `%` in the name must not act as a wildcard.
            filter.add("(command = ? OR substr(command, 1, length(?) + 1) = ? || '.')", values: [command, command, command])
        }
        var arguments = filter.arguments
        arguments += [limit]
        // Only the fixed clauses above are spliced into the SQL; every value is bound.
        let sql = "SELECT * FROM audit \(filter.whereClause) ORDER BY at DESC, id DESC LIMIT ?"
        do {
            return try await writer.read { [arguments] db in
                try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                    AuditRecord(
                        id: row["id"], at: Date(microseconds: row["at"]), actor: row["actor"], role: row["role"],
                        source: row["source"], command: row["command"], arguments: row["arguments"], ok: row["ok"],
                        errorCode: row["error_code"], message: row["message"])
                }
            }
        } catch {
            throw StoreError("cannot read the audit log: \(Self.describe(error))")
        }
    }

    /// The longest text an audit column keeps, in characters, "…" included.
    static let auditTextLimit = 4096

    /// `text` cut to `auditTextLimit` characters, the last one "…", when it is longer.
    static func truncatedForAudit(_ text: String) -> String {
        // UTF-8 length bounds the character count and costs nothing: skip counting the common short text.
        guard text.utf8.count > auditTextLimit, text.count > auditTextLimit else { return text }
        return text.prefix(auditTextLimit - 1) + "…"
    }
}
