import CarillonCore
public import Foundation
import GRDB

/// A bundle as the school applied it.
public struct BundleRecord: Sendable, Hashable {
    public var version: Int
    /// SHA-256 of the manifest as signed.
    public var digest: String
    public var key: String
    public var issuedAt: Date
    public var expiresAt: Date
    /// The manifest JSON, exactly as signed.
    public var manifest: String
    public var appliedAt: Date
    public var appliedBy: String
    public var rolledBackAt: Date?

    public init(
        version: Int, digest: String, key: String, issuedAt: Date, expiresAt: Date, manifest: String, appliedAt: Date,
        appliedBy: String, rolledBackAt: Date? = nil
    ) {
        self.version = version
        self.digest = digest
        self.key = key
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.manifest = manifest
        self.appliedAt = appliedAt
        self.appliedBy = appliedBy
        self.rolledBackAt = rolledBackAt
    }

    init(row: Row) {
        version = row["version"]
        digest = row["digest"]
        key = row["key"]
        issuedAt = Date(microseconds: row["issued_at"])
        expiresAt = Date(microseconds: row["expires_at"])
        manifest = row["manifest"]
        appliedAt = Date(microseconds: row["applied_at"])
        appliedBy = row["applied_by"]
        rolledBackAt = (row["rolled_back_at"] as Int64?).map(Date.init(microseconds:))
    }
}

/// One version in the school's history: a schedule, a bundle, or a bundle that carried a schedule.
public struct VersionRecord: Sendable, Hashable {
    public var version: Int
    public var hasSchedule: Bool
    public var hasBundle: Bool
    /// Who or what applied it: the schedule's source, or the bundle's applier.
    public var source: String
    public var appliedAt: Date
    public var rolledBackAt: Date?
}

extension Store {
    /// Applies a verified bundle in one transaction: its record, its schedule, its plans and its
    /// clips' catalog entries all land, or none does. The clips' files must already be in place.
    /// - Throws: when the version is not above the floor, or a clip would replace one the bundle
    ///   does not own (shipped or imported).
    public func applyBundle(
        _ record: BundleRecord, schedule: String?, plans: [String: String], clips: [CatalogEntry]
    ) async throws(StoreError) {
        do {
            try await commit { db in
                try Self.checkAboveFloor(record.version, db)
                for entry in clips {
                    if let origin = try String.fetchOne(db, sql: "SELECT origin FROM clip WHERE id = ?", arguments: [entry.clip.id]),
                        origin != "bundle"
                    {
                        throw StoreError(
                            "clip `\(entry.clip.id)` is already in the library (\(origin)); a bundle may not replace it", kind: .conflict)
                    }
                }
                try db.execute(
                    sql: """
                        INSERT INTO bundle (version, digest, key, issued_at, expires_at, manifest, applied_at, applied_by)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        record.version, record.digest, record.key, record.issuedAt.microseconds, record.expiresAt.microseconds,
                        record.manifest, record.appliedAt.microseconds, record.appliedBy,
                    ])
                for (name, text) in plans {
                    try db.execute(
                        sql: "INSERT INTO bundle_plan (version, name, text) VALUES (?, ?, ?)", arguments: [record.version, name, text])
                }
                if let schedule {
                    try Self.insertSchedule(version: record.version, text: schedule, source: "bundle v\(record.version)", db)
                }
                for entry in clips { try Self.upsert(entry, db) }
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError("cannot record the bundle: \(Self.describe(error))")
        }
    }

    /// The bundle with this manifest digest, if the school ever applied it.
    public func bundle(digest: String) throws(StoreError) -> BundleRecord? {
        do {
            return try writer.read { db in
                try Row.fetchOne(db, sql: "SELECT * FROM bundle WHERE digest = ?", arguments: [digest]).map(BundleRecord.init(row:))
            }
        } catch { throw StoreError(Self.describe(error)) }
    }

    /// Every bundle applied, newest first.
    public func bundles() throws(StoreError) -> [BundleRecord] {
        do {
            return try writer.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM bundle ORDER BY version DESC").map(BundleRecord.init(row:))
            }
        } catch { throw StoreError(Self.describe(error)) }
    }

    /// The plans bundles put in force: for each name, the text from the newest bundle not rolled back.
    public func bundlePlans() throws(StoreError) -> [String: (version: Int, text: String)] {
        do {
            return try writer.read { db in
                var plans: [String: (version: Int, text: String)] = [:]
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT p.version, p.name, p.text FROM bundle_plan p JOIN bundle b ON b.version = p.version
                        WHERE b.rolled_back_at IS NULL ORDER BY p.version
                        """)
                for row in rows { plans[row["name"]] = (row["version"], row["text"]) }
                return plans
            }
        } catch { throw StoreError(Self.describe(error)) }
    }

    /// The schedule in force once the school goes back to `version`: the newest at or below it not rolled back.
    public func schedule(atOrBelow version: Int) throws(StoreError) -> AppliedSchedule? {
        do {
            return try writer.read { db in
                try Row.fetchOne(
                    db, sql: "SELECT * FROM schedule WHERE version <= ? AND rolled_back_at IS NULL ORDER BY version DESC LIMIT 1",
                    arguments: [version]
                ).map(AppliedSchedule.init(row:))
            }
        } catch { throw StoreError(Self.describe(error)) }
    }

    /// The school's versions, newest first: schedules and bundles, in one sequence.
    public func versionHistory() throws(StoreError) -> [VersionRecord] {
        do {
            return try writer.read { db in
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT v.version,
                               s.version IS NOT NULL AS has_schedule, b.version IS NOT NULL AS has_bundle,
                               COALESCE(b.applied_by, s.source) AS source,
                               COALESCE(b.applied_at, s.applied_at) AS applied_at,
                               COALESCE(b.rolled_back_at, s.rolled_back_at) AS rolled_back_at
                        FROM (SELECT version FROM schedule UNION SELECT version FROM bundle) v
                        LEFT JOIN schedule s ON s.version = v.version
                        LEFT JOIN bundle b ON b.version = v.version
                        ORDER BY v.version DESC
                        """
                ).map { row in
                    VersionRecord(
                        version: row["version"], hasSchedule: row["has_schedule"], hasBundle: row["has_bundle"],
                        source: row["source"], appliedAt: Date(microseconds: row["applied_at"]),
                        rolledBackAt: (row["rolled_back_at"] as Int64?).map(Date.init(microseconds:)))
                }
            }
        } catch { throw StoreError(Self.describe(error)) }
    }

    /// Goes back to an earlier version: every schedule and bundle above it is marked rolled back.
    /// The version floor stays where it was, so what was rolled back cannot be applied again.
    /// - Parameter target: the version to go back to; nil for the one before the version in force.
    /// - Returns: the version in force before and after.
    public func rollback(to target: Int?, at now: Date = Date()) async throws(StoreError) -> (from: Int, to: Int) {
        do {
            return try await commit { db in
                let live = try Int.fetchAll(
                    db,
                    sql: """
                        SELECT version FROM schedule WHERE rolled_back_at IS NULL
                        UNION SELECT version FROM bundle WHERE rolled_back_at IS NULL ORDER BY version DESC
                        """)
                guard let current = live.first else { throw StoreError("there is no version to roll back from") }
                guard let to = target ?? live.dropFirst().first else {
                    throw StoreError("version \(current) is the only one held; there is nothing to go back to")
                }
                guard to < current, live.contains(to) else {
                    throw StoreError(
                        "version \(to) is not one to go back to; the versions below \(current) in force are "
                            + (live.dropFirst().isEmpty ? "none" : live.dropFirst().map(String.init).joined(separator: ", ")))
                }
                guard try Bool.fetchOne(db, sql: "SELECT 1 FROM schedule WHERE version <= ? AND rolled_back_at IS NULL", arguments: [to]) == true
                else { throw StoreError("no schedule is held at or below version \(to)") }
                for table in ["schedule", "bundle"] {
                    try db.execute(
                        sql: "UPDATE \(table) SET rolled_back_at = ? WHERE version > ? AND rolled_back_at IS NULL",
                        arguments: [now.microseconds, to])
                }
                return (current, to)
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError("cannot roll back: \(Self.describe(error))")
        }
    }
}
