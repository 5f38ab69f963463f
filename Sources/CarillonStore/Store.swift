public import Foundation
import GRDB

/// The daemon's database: the play log now; schedule, rotation and emergency state as they arrive.
///
/// Owns the GRDB writer. Every write is one transaction. Safe from any task: GRDB serializes writes
/// on its own queue, and the async methods never block the Swift concurrency pool.
public final class Store: Sendable {
    let writer: any DatabaseWriter

    private init(writer: any DatabaseWriter) throws {
        self.writer = writer
        try Self.migrator.migrate(writer)
    }

    /// Opens (or creates) the database file in WAL mode with `synchronous=FULL`, and migrates it.
    /// - Throws: `StoreError` naming the file when it cannot be opened or migrated.
    public static func open(path: String) throws(StoreError) -> Store {
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            // What was acknowledged must survive a power cut, not just a crash.
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // SQLite's page cache is 2,000 KiB a connection by default, and the writer's keeps every
            // page it wrote until it is full: the play and audit logs grow by every play and command,
            // so RssAnon rose for half an hour of a busy soak before it levelled. 512 KiB holds the
            // pages that appends and recent queries touch; older ones come from the OS's file cache.
            try db.execute(sql: "PRAGMA cache_size = -512")
        }
        configuration.busyMode = .timeout(5)
        // One reader connection. The daemon's reads are short (the logs, stats, state at start), and
        // in WAL mode they never wait for the writer. GRDB's pool opens a reader each time reads
        // first overlap, up to five, each two descriptors and its own page cache: in the hour soak a
        // second one opened after 32 minutes, and the descriptors looked like a leak.
        configuration.maximumReaderCount = 1
        do {
            return try Store(writer: DatabasePool(path: path, configuration: configuration))
        } catch {
            throw StoreError("cannot open database \(path): \(Self.describe(error))")
        }
    }

    /// A private in-memory database, for tests.
    public static func inMemory() throws(StoreError) -> Store {
        do {
            return try Store(writer: DatabaseQueue())
        } catch {
            throw StoreError("cannot create an in-memory database: \(Self.describe(error))")
        }
    }

    /// The journal mode in force, e.g. `wal`.
    public func journalMode() throws(StoreError) -> String {
        do { return try writer.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") ?? "" } } catch {
            throw StoreError(Self.describe(error))
        }
    }

    /// Migrations are frozen once shipped: add a new one, never edit an old one.
    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-play-log") { db in
            try db.execute(
                sql: """
                    CREATE TABLE play (
                        id INTEGER PRIMARY KEY,
                        clip TEXT NOT NULL,
                        zones TEXT NOT NULL,          -- comma-separated zone names
                        level TEXT NOT NULL,
                        source TEXT NOT NULL,         -- manual, schedule, plan, shout, tts
                        requested_by TEXT NOT NULL,
                        requested_at INTEGER NOT NULL, -- microseconds since the Unix epoch
                        first_sample_at INTEGER,      -- first sample written to ALSA
                        audible_at INTEGER,           -- first sample written plus the device's queue
                        latency_us INTEGER,           -- request to first sample, on the monotonic clock
                        ended_at INTEGER,
                        outcome TEXT,                 -- finished, stopped, cut, failed, missed
                        detail TEXT
                    );
                    CREATE INDEX play_requested_at ON play(requested_at);
                    """)
        }
        migrator.registerMigration("v2-clip-catalog") { db in
            try db.execute(
                sql: """
                    CREATE TABLE clip (
                        id TEXT PRIMARY KEY,
                        category TEXT NOT NULL,
                        title TEXT NOT NULL,
                        language TEXT NOT NULL,
                        origin TEXT NOT NULL,          -- shipped (the library's files) or imported
                        kind TEXT NOT NULL,            -- file, synth or speech
                        source TEXT NOT NULL,          -- the file's path, the synth as JSON, or the text
                        subject TEXT,                  -- tips: the safety subject
                        grade TEXT NOT NULL DEFAULT 'all',
                        season TEXT NOT NULL DEFAULT 'all',
                        duration_ms INTEGER,
                        loudness_lufs REAL,
                        gain_db REAL NOT NULL DEFAULT 0,
                        content_hash TEXT UNIQUE,      -- SHA-256 of an imported file
                        added_at INTEGER NOT NULL      -- microseconds since the Unix epoch
                    );
                    CREATE INDEX clip_category ON clip(category);
                    """)
        }
        migrator.registerMigration("v3-schedule") { db in
            try db.execute(
                sql: """
                    CREATE TABLE schedule (
                        version INTEGER PRIMARY KEY,    -- bundles and applies must raise it
                        text TEXT NOT NULL,             -- the schedule.toml as applied
                        source TEXT NOT NULL,           -- the file, or who applied it
                        applied_at INTEGER NOT NULL
                    );
                    -- Small documents saved whole: the scheduler's state, the tip rotation.
                    CREATE TABLE state (
                        key TEXT PRIMARY KEY,
                        value TEXT NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("v4-audit") { db in
            try db.execute(
                sql: """
                    -- Who did what, from where, and whether it worked: one row per control command.
                    CREATE TABLE audit (
                        id INTEGER PRIMARY KEY,
                        at INTEGER NOT NULL,            -- microseconds since the Unix epoch
                        actor TEXT NOT NULL,            -- "uid 1000 (alice)" or a token's name
                        role TEXT NOT NULL,
                        source TEXT NOT NULL,           -- "unix" or the peer's address and port
                        command TEXT NOT NULL,
                        arguments TEXT NOT NULL,        -- JSON, redacted by the caller
                        ok INTEGER NOT NULL,
                        error_code TEXT,
                        message TEXT
                    );
                    CREATE INDEX audit_at ON audit(at);
                    -- With the time, so one actor's newest rows come straight off the index.
                    CREATE INDEX audit_actor ON audit(actor, at);
                    CREATE INDEX play_source ON play(source, requested_at);
                    """)
        }
        migrator.registerMigration("v5-plan-runs") { db in
            try db.execute(
                sql: """
                    CREATE TABLE plan_run (
                        id INTEGER PRIMARY KEY,
                        plan TEXT NOT NULL,
                        title TEXT NOT NULL,
                        drill INTEGER NOT NULL,
                        zones TEXT NOT NULL,             -- comma-separated
                        started_at INTEGER NOT NULL,     -- microseconds since the Unix epoch
                        started_by TEXT NOT NULL,
                        stopped_at INTEGER,
                        stopped_by TEXT,
                        outcome TEXT NOT NULL,           -- running, stopped, completed, superseded, interrupted
                        timeline TEXT NOT NULL           -- JSON: [{"at": µs, "step": "…"}]
                    );
                    CREATE INDEX plan_run_started_at ON plan_run(started_at);
                    """)
        }
        migrator.registerMigration("v6-bundles") { db in
            try db.execute(
                sql: """
                    -- Bundles from the bureau as applied: the manifest as signed, and who applied it.
                    CREATE TABLE bundle (
                        version INTEGER PRIMARY KEY,     -- shares one sequence with schedule.version
                        digest TEXT NOT NULL UNIQUE,     -- SHA-256 of the manifest bytes
                        key TEXT NOT NULL,               -- the signing key's id
                        issued_at INTEGER NOT NULL,      -- microseconds since the Unix epoch
                        expires_at INTEGER NOT NULL,
                        manifest TEXT NOT NULL,          -- JSON, exactly as signed
                        applied_at INTEGER NOT NULL,
                        applied_by TEXT NOT NULL,
                        rolled_back_at INTEGER           -- set when a rollback went below it
                    );
                    -- The plans a bundle carried; in force: each name's plan from the newest bundle not rolled back.
                    CREATE TABLE bundle_plan (
                        version INTEGER NOT NULL REFERENCES bundle(version),
                        name TEXT NOT NULL,
                        text TEXT NOT NULL,
                        PRIMARY KEY (version, name)
                    );
                    -- A rolled-back schedule stays in the history and keeps the version floor up.
                    ALTER TABLE schedule ADD COLUMN rolled_back_at INTEGER;
                    """)
        }
        migrator.registerMigration("v7-clip-grade-bands") { db in
            try db.execute(
                sql: """
                    -- clip.grade now holds a set of grade bands, comma-joined in school order; the old single
                    -- names become their bands (middle and high school were one band, junior middle).
                    UPDATE clip SET grade = 'lower-primary,upper-primary' WHERE grade = 'primary';
                    UPDATE clip SET grade = 'junior-middle' WHERE grade IN ('middle', 'high');
                    UPDATE clip SET grade = 'lower-primary,upper-primary,junior-middle' WHERE grade = 'all';
                    """)
        }
        migrator.registerMigration("v8-city-alerts") { db in
            try db.execute(
                sql: """
                    -- Every city alert this school heard and accepted, until it expires: an id seen before is
                    -- a replay, restart or not.
                    CREATE TABLE city_alert (
                        id TEXT PRIMARY KEY,
                        expires_at INTEGER NOT NULL,  -- ms since 1970
                        heard_at INTEGER NOT NULL     -- ms since 1970
                    );
                    CREATE INDEX city_alert_expires ON city_alert (expires_at);
                    """)
        }
        migrator.registerMigration("v9-announcements") { db in
            try db.execute(
                sql: """
                    -- Announcements booked for later (`announce`): kept until they play, are cancelled or missed,
                    -- and afterwards for the list.
                    CREATE TABLE announcement (
                        id INTEGER PRIMARY KEY,
                        at INTEGER NOT NULL,             -- when it is due: microseconds since the Unix epoch
                        clip TEXT,                       -- a library clip, or
                        text TEXT,                       -- a text read aloud
                        voice TEXT,                      -- the text's voice: zh or en
                        zones TEXT NOT NULL,             -- comma-separated, zone groups expanded
                        state TEXT NOT NULL,             -- pending, played, cancelled, missed, failed
                        created_by TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        play INTEGER,                    -- the play it became
                        detail TEXT,                     -- why missed or failed; who cancelled
                        ended_at INTEGER                 -- when it left pending
                    );
                    CREATE INDEX announcement_state_at ON announcement (state, at);
                    """)
        }
        migrator.registerMigration("v10-web-devices") { db in
            try db.execute(
                sql: """
                    -- The people paired with the phone console, their browsers' sessions and the pairing
                    -- links not yet used. Secrets are kept as SHA-256 only (lower-case hex).
                    CREATE TABLE web_device (
                        name TEXT PRIMARY KEY,
                        role TEXT NOT NULL,
                        zones TEXT,                   -- comma-separated; NULL: every zone
                        groups TEXT NOT NULL,         -- comma-separated staff groups
                        paired_at INTEGER NOT NULL,   -- µs since 1970
                        last_seen INTEGER
                    );
                    CREATE TABLE web_session (
                        hash TEXT PRIMARY KEY,
                        device TEXT NOT NULL REFERENCES web_device(name) ON DELETE CASCADE,
                        created_at INTEGER NOT NULL,
                        last_seen INTEGER NOT NULL
                    );
                    CREATE INDEX web_session_device ON web_session (device);
                    CREATE TABLE web_pairing (
                        hash TEXT PRIMARY KEY,
                        name TEXT NOT NULL,
                        role TEXT NOT NULL,
                        zones TEXT,
                        groups TEXT NOT NULL,
                        expires_at INTEGER NOT NULL,
                        used_at INTEGER
                    );
                    """)
        }
        migrator.registerMigration("v11-plan-roll-call") { db in
            try db.execute(
                sql: """
                    -- Who was given which task when a plan run started, and when they acknowledged it.
                    CREATE TABLE plan_roll_call (
                        run INTEGER NOT NULL,
                        person TEXT NOT NULL,
                        audience TEXT NOT NULL,
                        task TEXT NOT NULL,
                        position INTEGER NOT NULL,
                        acked_at INTEGER,
                        PRIMARY KEY (run, person, audience, position)
                    );
                    """)
        }
        return migrator
    }

    /// Runs one write transaction to its end even when the calling task is cancelled: a client that
    /// hangs up must not take an acknowledged change, its audit row or a play's log with it.
    func commit<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let writer = writer
        return try await Task { try await writer.write(body) }.value
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? DatabaseError { return error.message ?? "\(error.resultCode)" }
        return "\(error)"
    }
}

/// A database failure, with a message for the log and the client.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The database could not do it.
        case failure
        /// Refused: the version is not above the version floor.
        case staleVersion
        /// Refused: it would replace something it may not.
        case conflict
    }

    public let description: String
    public let kind: Kind
    public init(_ description: String, kind: Kind = .failure) {
        self.description = description
        self.kind = kind
    }
}

extension Store {
    /// Records a play when it is requested.
    public func recordRequested(_ play: PlayRecord) async throws(StoreError) {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO play (id, clip, zones, level, source, requested_by, requested_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    play.id, play.clip, play.zones.joined(separator: ","), play.level, play.source, play.requestedBy,
                    play.requestedAt.microseconds,
                ])
        }
    }

    /// Records when a play's first sample reached ALSA, and when it was due to be heard.
    public func recordStarted(id: Int64, firstSampleAt: Date, audibleAt: Date, latency: Duration) async throws(StoreError) {
        try await write { db in
            try db.execute(
                sql: """
                    UPDATE play SET first_sample_at = ?, audible_at = ?, latency_us = ?
                    WHERE id = ? AND first_sample_at IS NULL
                    """,
                arguments: [firstSampleAt.microseconds, audibleAt.microseconds, latency.microseconds, id])
        }
    }

    /// Records how a play ended.
    public func recordEnded(id: Int64, at: Date, outcome: String, detail: String?) async throws(StoreError) {
        try await write { db in
            try db.execute(
                sql: "UPDATE play SET ended_at = ?, outcome = ?, detail = ? WHERE id = ?",
                arguments: [at.microseconds, outcome, detail, id])
        }
    }

    /// The highest play id ever recorded, so that ids stay unique across restarts.
    public func lastPlayID() throws(StoreError) -> Int64 {
        do { return try writer.read { try Int64.fetchOne($0, sql: "SELECT MAX(id) FROM play") ?? 0 } } catch {
            throw StoreError(Self.describe(error))
        }
    }

    /// The newest plays first.
    public func recentPlays(limit: Int) async throws(StoreError) -> [PlayRecord] {
        do {
            return try await writer.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM play ORDER BY id DESC LIMIT ?", arguments: [limit]).map(PlayRecord.init(row:))
            }
        } catch {
            throw StoreError(Self.describe(error))
        }
    }

    private func write(_ body: @escaping @Sendable (Database) throws -> Void) async throws(StoreError) {
        do { try await commit(body) } catch { throw StoreError(Self.describe(error)) }
    }
}

extension Date {
    var microseconds: Int64 { Int64((timeIntervalSince1970 * 1_000_000).rounded()) }
    init(microseconds: Int64) { self.init(timeIntervalSince1970: Double(microseconds) / 1_000_000) }
}

extension Duration {
    var microseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000 + attoseconds / 1_000_000_000_000
    }
}
