public import Foundation
import GRDB

/// A schedule version as applied.
public struct AppliedSchedule: Sendable, Hashable {
    public var version: Int
    public var text: String
    public var source: String
    public var appliedAt: Date
}

extension Store {
    /// The schedule with the highest version, the one in force.
    public func currentSchedule() throws(StoreError) -> AppliedSchedule? {
        do {
            return try writer.read { db in
                try Row.fetchOne(db, sql: "SELECT * FROM schedule ORDER BY version DESC LIMIT 1").map {
                    AppliedSchedule(
                        version: $0["version"], text: $0["text"], source: $0["source"],
                        appliedAt: Date(microseconds: $0["applied_at"]))
                }
            }
        } catch { throw StoreError(Self.describe(error)) }
    }

    /// Records a new schedule version; refuses one at or below the version in force.
    public func applySchedule(version: Int, text: String, source: String) async throws(StoreError) {
        do {
            try await writer.write { db in
                let current = try Int.fetchOne(db, sql: "SELECT MAX(version) FROM schedule") ?? 0
                guard version > current else {
                    throw StoreError("version \(version) is not above the version in force, \(current)")
                }
                try db.execute(
                    sql: "INSERT INTO schedule (version, text, source, applied_at) VALUES (?, ?, ?, ?)",
                    arguments: [version, text, source, Date().microseconds])
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError("cannot record the schedule: \(Self.describe(error))")
        }
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
            try await writer.write { db in
                try db.execute(
                    sql: "INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    arguments: [key, text])
            }
        } catch { throw StoreError("cannot save \(key): \(Self.describe(error))") }
    }
}
