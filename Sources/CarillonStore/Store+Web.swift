public import Foundation
import GRDB

/// A person paired with the phone console.
public struct WebDeviceRecord: Sendable, Hashable {
    public var name: String
    /// A role's raw value.
    public var role: String
    /// Nil: every zone.
    public var zones: [String]?
    public var groups: [String]
    public var pairedAt: Date
    public var lastSeen: Date?
    /// Sessions held now, in `devices()` only.
    public var sessions: Int

    public init(name: String, role: String, zones: [String]?, groups: [String], pairedAt: Date, lastSeen: Date? = nil, sessions: Int = 0) {
        self.name = name
        self.role = role
        self.zones = zones
        self.groups = groups
        self.pairedAt = pairedAt
        self.lastSeen = lastSeen
        self.sessions = sessions
    }

    init(row: Row) {
        name = row["name"]
        role = row["role"]
        zones = (row["zones"] as String?).map(Self.split)
        groups = Self.split(row["groups"])
        pairedAt = Date(microseconds: row["paired_at"])
        lastSeen = (row["last_seen"] as Int64?).map(Date.init(microseconds:))
        sessions = row["sessions"] ?? 0
    }

    static func split(_ text: String) -> [String] { text.split(separator: ",").map(String.init) }
}

/// A console session as stored: whose it is and its times.
public struct WebSessionRecord: Sendable, Hashable {
    public var device: WebDeviceRecord
    public var createdAt: Date
    public var lastSeen: Date
}

/// Why a pairing link was refused.
public enum PairingRefusal: Error, Sendable, Hashable {
    case unknown, used, expired
}

/// One row of a plan run's roll-call.
public struct RollCallRecord: Sendable, Hashable {
    public var person: String
    public var audience: String
    public var task: String
    public var ackedAt: Date?

    public init(person: String, audience: String, task: String, ackedAt: Date? = nil) {
        self.person = person
        self.audience = audience
        self.task = task
        self.ackedAt = ackedAt
    }
}

extension Store {
    /// Keeps a new pairing link's hash until it is used or expires; expired ones are dropped here.
    public func addPairing(hash: String, device: WebDeviceRecord, expiresAt: Date, now: Date) async throws(StoreError) {
        try await webWrite { db in
            try db.execute(sql: "DELETE FROM web_pairing WHERE expires_at <= ?", arguments: [now.microseconds])
            try db.execute(
                sql: "INSERT INTO web_pairing (hash, name, role, zones, groups, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [
                    hash, device.name, device.role, device.zones?.joined(separator: ","), device.groups.joined(separator: ","),
                    expiresAt.microseconds,
                ])
        }
    }

    /// Uses a pairing link once: the person is paired (or their pairing renewed) and the session
    /// stored, in one transaction. A link used, expired or unknown changes nothing.
    public func redeemPairing(hash: String, session: String, now: Date) async throws(StoreError) -> Result<WebDeviceRecord, PairingRefusal> {
        do {
            return try await commit { db -> Result<WebDeviceRecord, PairingRefusal> in
                guard let row = try Row.fetchOne(db, sql: "SELECT * FROM web_pairing WHERE hash = ?", arguments: [hash]) else {
                    return .failure(.unknown)
                }
                if (row["used_at"] as Int64?) != nil { return .failure(.used) }
                if (row["expires_at"] as Int64) <= now.microseconds { return .failure(.expired) }
                try db.execute(sql: "UPDATE web_pairing SET used_at = ? WHERE hash = ?", arguments: [now.microseconds, hash])
                let name: String = row["name"]
                try db.execute(
                    sql: """
                        INSERT INTO web_device (name, role, zones, groups, paired_at, last_seen) VALUES (?, ?, ?, ?, ?, ?)
                        ON CONFLICT (name) DO UPDATE SET role = excluded.role, zones = excluded.zones, groups = excluded.groups,
                            last_seen = excluded.last_seen
                        """,
                    arguments: [name, row["role"] as String, row["zones"] as String?, row["groups"] as String, now.microseconds, now.microseconds])
                try db.execute(
                    sql: "INSERT INTO web_session (hash, device, created_at, last_seen) VALUES (?, ?, ?, ?)",
                    arguments: [session, name, now.microseconds, now.microseconds])
                let device = try Row.fetchOne(db, sql: "SELECT * FROM web_device WHERE name = ?", arguments: [name])
                return .success(device.map(WebDeviceRecord.init(row:))!)
            }
        } catch {
            throw StoreError(Self.describe(error))
        }
    }

    /// The session and its person; nil if there is none.
    public func webSession(hash: String) async throws(StoreError) -> WebSessionRecord? {
        do {
            return try await writer.read { db in
                guard
                    let row = try Row.fetchOne(
                        db,
                        sql: """
                            SELECT d.*, s.created_at AS s_created, s.last_seen AS s_seen FROM web_session s
                            JOIN web_device d ON d.name = s.device WHERE s.hash = ?
                            """, arguments: [hash])
                else { return nil }
                return WebSessionRecord(
                    device: WebDeviceRecord(row: row), createdAt: Date(microseconds: row["s_created"]),
                    lastSeen: Date(microseconds: row["s_seen"]))
            }
        } catch {
            throw StoreError(Self.describe(error))
        }
    }

    /// Records activity on a session, and on its person.
    public func touchWebSession(hash: String, device: String, now: Date) async throws(StoreError) {
        try await webWrite { db in
            try db.execute(sql: "UPDATE web_session SET last_seen = ? WHERE hash = ?", arguments: [now.microseconds, hash])
            try db.execute(sql: "UPDATE web_device SET last_seen = ? WHERE name = ?", arguments: [now.microseconds, device])
        }
    }

    public func deleteWebSession(hash: String) async throws(StoreError) {
        try await webWrite { db in try db.execute(sql: "DELETE FROM web_session WHERE hash = ?", arguments: [hash]) }
    }

    /// Every paired person, by name, with their live sessions counted (created after `since`).
    public func webDevices(sessionsSince since: Date) async throws(StoreError) -> [WebDeviceRecord] {
        do {
            return try await writer.read { db in
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT d.*, (SELECT COUNT(*) FROM web_session s WHERE s.device = d.name AND s.created_at > ?) AS sessions
                        FROM web_device d ORDER BY d.name
                        """, arguments: [since.microseconds]
                ).map(WebDeviceRecord.init(row:))
            }
        } catch {
            throw StoreError(Self.describe(error))
        }
    }

    /// Unpairs a person: their sessions and unused links go with them. Nil if no one has that name.
    public func revokeWebDevice(name: String) async throws(StoreError) -> Int? {
        do {
            return try await commit { db -> Int? in
                guard try Row.fetchOne(db, sql: "SELECT name FROM web_device WHERE name = ?", arguments: [name]) != nil else { return nil }
                try db.execute(sql: "DELETE FROM web_session WHERE device = ?", arguments: [name])
                let sessions = db.changesCount
                try db.execute(sql: "DELETE FROM web_pairing WHERE name = ? AND used_at IS NULL", arguments: [name])
                try db.execute(sql: "DELETE FROM web_device WHERE name = ?", arguments: [name])
                return sessions
            }
        } catch {
            throw StoreError(Self.describe(error))
        }
    }

    /// Writes a plan run's roll-call as it starts: each person's tasks, none acknowledged.
    public func saveRollCall(run: Int64, _ entries: [RollCallRecord]) async throws(StoreError) {
        try await webWrite { db in
            for (position, entry) in entries.enumerated() {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO plan_roll_call (run, person, audience, task, position, acked_at) VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [run, entry.person, entry.audience, entry.task, position, entry.ackedAt?.microseconds])
            }
        }
    }

    /// Records that `person` has their tasks of `run`; the first acknowledgment's time stays.
    /// Returns false when the run gave them no task.
    public func acknowledge(run: Int64, person: String, at: Date) async throws(StoreError) -> Bool {
        do {
            return try await commit { db -> Bool in
                let count = try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM plan_roll_call WHERE run = ? AND person = ?", arguments: [run, person]) ?? 0
                guard count > 0 else { return false }
                try db.execute(
                    sql: "UPDATE plan_roll_call SET acked_at = ? WHERE run = ? AND person = ? AND acked_at IS NULL",
                    arguments: [at.microseconds, run, person])
                return true
            }
        } catch {
            throw StoreError(Self.describe(error))
        }
    }

    /// A run's roll-call, in the order it was written.
    public func rollCall(run: Int64) throws(StoreError) -> [RollCallRecord] {
        do {
            return try writer.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM plan_roll_call WHERE run = ? ORDER BY position", arguments: [run]).map { row in
                    RollCallRecord(
                        person: row["person"], audience: row["audience"], task: row["task"],
                        ackedAt: (row["acked_at"] as Int64?).map(Date.init(microseconds:)))
                }
            }
        } catch {
            throw StoreError(Self.describe(error))
        }
    }

    private func webWrite(_ body: @escaping @Sendable (Database) throws -> Void) async throws(StoreError) {
        do { try await commit(body) } catch { throw StoreError(Self.describe(error)) }
    }
}
