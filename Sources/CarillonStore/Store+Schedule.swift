public import Foundation
import GRDB

/// A schedule version as applied.
public struct AppliedSchedule: Sendable, Hashable {
    public var version: Int
    public var text: String
    public var source: String
    public var appliedAt: Date

    init(row: Row) {
        version = row["version"]
        text = row["text"]
        source = row["source"]
        appliedAt = Date(microseconds: row["applied_at"])
    }
}

extension Store {
    /// The schedule in force: the highest version not rolled back.
    public func currentSchedule() throws(StoreError) -> AppliedSchedule? {
        do {
            return try writer.read { db in
                try Row.fetchOne(db, sql: "SELECT * FROM schedule WHERE rolled_back_at IS NULL ORDER BY version DESC LIMIT 1")
                    .map(AppliedSchedule.init(row:))
            }
        } catch { throw StoreError(Self.describe(error)) }
    }

    /// Records a new schedule version and puts it in force; refuses one at or below the version floor.
    public func applySchedule(version: Int, text: String, source: String) async throws(StoreError) {
        do {
            try await commit { db in
                try Self.checkAboveFloor(version, db)
                try Self.insertSchedule(version: version, text: text, source: source, db)
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError("cannot record the schedule: \(Self.describe(error))")
        }
    }

    /// The highest version this school has held, from a bundle or a schedule, rolled back or not:
    /// every new bundle or schedule must be above it, so a rollback never reopens a replay.
    public func versionFloor() throws(StoreError) -> Int {
        do { return try writer.read(Self.floor) } catch { throw StoreError(Self.describe(error)) }
    }

    static func floor(_ db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT MAX(v) FROM (SELECT MAX(version) AS v FROM schedule UNION ALL SELECT MAX(version) FROM bundle)") ?? 0
    }

    static func checkAboveFloor(_ version: Int, _ db: Database) throws {
        let floor = try floor(db)
        guard version > floor else {
            throw StoreError("version \(version) is not above \(floor), the highest this school has held", kind: .staleVersion)
        }
    }

    static func insertSchedule(version: Int, text: String, source: String, _ db: Database) throws {
        try db.execute(
            sql: "INSERT INTO schedule (version, text, source, applied_at) VALUES (?, ?, ?, ?)",
            arguments: [version, text, source, Date().microseconds])
    }

    /// A saved document, decoded.
    public func state<T: Decodable>(_ key: String, as type: T.Type) throws(StoreError) -> T? {
        do {
            guard let text = try writer.read({ try String.fetchOne($0, sql: "SELECT value FROM state WHERE key = ?", arguments: [key]) })
            else { return nil }
            return try JSONDecoder().decode(T.self, from: Data(text.utf8))
        } catch { throw StoreError("cannot read \(key): \(Self.describe(error))") }
    }

    /// Saves a document, durably, before the caller acts on it.
    public func saveState<T: Encodable & Sendable>(_ key: String, _ value: T) async throws(StoreError) {
        do {
            let text = String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
            try await commit { db in
                try db.execute(
                    sql: "INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    arguments: [key, text])
            }
        } catch { throw StoreError("cannot save \(key): \(Self.describe(error))") }
    }
}
