import CarillonStore
import Foundation
import GRDB
import Testing

@Suite("The audit log")
struct AuditTests {
    @Test("a write from a cancelled task still lands: a client that hangs up takes nothing with it")
    func writesOutliveCancellation() async throws {
        let store = try Store.inMemory()
        let task = Task {
            // Cancelled before the write starts, as when the connection closed while the command ran.
            withUnsafeCurrentTask { $0?.cancel() }
            _ = try await store.appendAudit(Self.record(1, "uid 1000 (alice)", "shout"))
            try await store.recordRequested(
                PlayRecord(id: 7, clip: "shout", zones: ["yard"], level: "shout", source: "shout", requestedBy: "alice", requestedAt: Date()))
        }
        try await task.value
        #expect(task.isCancelled)
        #expect(try await store.audit(AuditQuery()).map(\.command) == ["shout"])
        #expect(try await store.plays(PlayQuery()).map(\.id) == [7])
    }

    static let t0 = Date(timeIntervalSince1970: 1_790_000_000)

    static func record(
        _ offset: TimeInterval, _ actor: String, _ command: String, ok: Bool = true, arguments: String = "{}"
    ) -> AuditRecord {
        AuditRecord(
            at: t0.addingTimeInterval(offset), actor: actor, role: "operator", source: "unix", command: command,
            arguments: arguments, ok: ok)
    }

    /// Seven rows, appended out of time order; rows 5 and 6 share a time, so ties are tested.
    static func makeStore() async throws -> Store {
        let store = try Store.inMemory()
        let rows = [
            record(0, "uid 1000 (alice)", "library"),  // 1
            record(10, "uid 1000 (alice)", "library.import"),  // 2
            record(20, "uid 1001 (bob)", "libraryx"),  // 3
            record(30, "panel", "schedule.apply", ok: false),  // 4
            record(40, "uid 1001 (bob)", "library.remove"),  // 5
            record(40, "uid 1000 (alice)", "play"),  // 6
            record(-5, "uid 1000 (alice)", "lib"),  // 7
        ]
        for row in rows { try await store.appendAudit(row) }
        return store
    }

    static func ids(_ store: Store, _ query: AuditQuery) async throws -> [Int64] {
        try await store.audit(query).map(\.id)
    }

    @Test("a row comes back as appended, with its new id")
    func roundTrip() async throws {
        let store = try Store.inMemory()
        var failed = AuditRecord(
            id: 99, at: Date(timeIntervalSince1970: 1_790_000_000.123456), actor: "token ops-panel", role: "admin",
            source: "192.0.2.7:51234", command: "zone.mute", arguments: #"{"zone":"hall","token":"<redacted>"}"#,
            ok: false, errorCode: "forbidden", message: "the role `viewer` cannot mute")
        let succeeded = AuditRecord(
            at: Self.t0, actor: "uid 1000 (alice)", role: "operator", source: "unix", command: "status",
            arguments: "{}",
            ok: true)
        let first = try await store.appendAudit(failed)
        let second = try await store.appendAudit(succeeded)
        // The id passed in is ignored: the database assigns it.
        #expect(first == 1)
        #expect(second == 2)
        failed.id = first
        var expectedSucceeded = succeeded
        expectedSucceeded.id = second
        #expect(try await store.audit(AuditQuery()) == [failed, expectedSucceeded])
    }

    @Test("with no filter: every row, newest first, ties by id")
    func everything() async throws {
        let store = try await Self.makeStore()
        #expect(try await Self.ids(store, AuditQuery()) == [6, 5, 4, 3, 2, 1, 7])
        #expect(try await store.audit(AuditQuery()).map(\.ok) == [true, true, false, true, true, true, true])
    }

    @Test("by time: `from` is inclusive, `to` exclusive")
    func byTime() async throws {
        let store = try await Self.makeStore()
        let t0 = Self.t0
        #expect(try await Self.ids(store, AuditQuery(from: t0.addingTimeInterval(20))) == [6, 5, 4, 3])
        #expect(try await Self.ids(store, AuditQuery(to: t0.addingTimeInterval(20))) == [2, 1, 7])
        #expect(
            try await Self.ids(store, AuditQuery(from: t0.addingTimeInterval(10), to: t0.addingTimeInterval(40))) == [
                4, 3, 2,
            ])
        #expect(try await Self.ids(store, AuditQuery(from: t0.addingTimeInterval(30.000001))) == [6, 5])
        #expect(try await Self.ids(store, AuditQuery(to: t0.addingTimeInterval(0.000001))) == [1, 7])
        #expect(try await Self.ids(store, AuditQuery(from: t0, to: t0)).isEmpty)
    }

    @Test("by actor, exactly")
    func byActor() async throws {
        let store = try await Self.makeStore()
        #expect(try await Self.ids(store, AuditQuery(actor: "uid 1000 (alice)")) == [6, 2, 1, 7])
        #expect(try await Self.ids(store, AuditQuery(actor: "uid 1001 (bob)")) == [5, 3])
        #expect(try await Self.ids(store, AuditQuery(actor: "alice")).isEmpty)
        #expect(try await Self.ids(store, AuditQuery(actor: "uid 1000 (ALICE)")).isEmpty)
    }

    @Test("by command: the name, or a prefix that ends at a dot")
    func byCommand() async throws {
        let store = try await Self.makeStore()
        #expect(try await Self.ids(store, AuditQuery(command: "library")) == [5, 2, 1])
        #expect(try await Self.ids(store, AuditQuery(command: "library.import")) == [2])
        #expect(try await Self.ids(store, AuditQuery(command: "libraryx")) == [3])
        #expect(try await Self.ids(store, AuditQuery(command: "lib")) == [7])
        #expect(try await Self.ids(store, AuditQuery(command: "schedule")) == [4])
        #expect(try await Self.ids(store, AuditQuery(command: "library.imp")).isEmpty)
        #expect(try await Self.ids(store, AuditQuery(command: "librar")).isEmpty)
        // Names are matched literally, never as patterns.
        #expect(try await Self.ids(store, AuditQuery(command: "librar_")).isEmpty)
        #expect(try await Self.ids(store, AuditQuery(command: "%")).isEmpty)
    }

    @Test("filters combine with AND")
    func combined() async throws {
        let store = try await Self.makeStore()
        let t0 = Self.t0
        #expect(try await Self.ids(store, AuditQuery(actor: "uid 1000 (alice)", command: "library")) == [2, 1])
        #expect(try await Self.ids(store, AuditQuery(actor: "uid 1001 (bob)", command: "library")) == [5])
        #expect(try await Self.ids(store, AuditQuery(from: t0.addingTimeInterval(5), command: "library")) == [5, 2])
        #expect(
            try await Self.ids(
                store,
                AuditQuery(from: t0, to: t0.addingTimeInterval(40), actor: "uid 1000 (alice)", command: "library"))
                == [2, 1])
        #expect(try await Self.ids(store, AuditQuery(to: t0, actor: "uid 1000 (alice)")) == [7])
        #expect(try await Self.ids(store, AuditQuery(actor: "uid 1000 (alice)", limit: 2)) == [6, 2])
        #expect(try await Self.ids(store, AuditQuery(actor: "panel", command: "library")).isEmpty)
    }

    @Test("the limit keeps the newest rows")
    func limit() async throws {
        let store = try await Self.makeStore()
        #expect(try await Self.ids(store, AuditQuery(limit: 3)) == [6, 5, 4])
        #expect(try await Self.ids(store, AuditQuery(limit: 0)).isEmpty)
        #expect(try await Self.ids(store, AuditQuery(limit: .max)).count == 7)
    }

    @Test("a negative limit is refused")
    func negativeLimit() async throws {
        let store = try await Self.makeStore()
        let error = await #expect(throws: StoreError.self) { try await store.audit(AuditQuery(limit: -5)) }
        #expect(error?.description.contains("negative") == true)
    }

    @Test("no more than 10,000 rows come back, however many are asked for")
    func cap() async throws {
        let store = try Store.inMemory()
        for offset in 1...10_001 { try await store.appendAudit(Self.record(Double(offset), "panel", "status")) }
        let rows = try await store.audit(AuditQuery(limit: 1_000_000))
        #expect(rows.count == 10_000)
        #expect(rows.first?.id == 10_001)
        #expect(rows.last?.id == 2)
    }

    @Test("text longer than 4,096 characters is kept as its first 4,095 and an ellipsis")
    func truncation() async throws {
        let store = try Store.inMemory()
        let long = String(repeating: "x", count: 5000)
        // Two code points to a character: the cut must count characters and never split one.
        let flags = String(repeating: "🇨🇳", count: 4097)
        let exact = String(repeating: "y", count: 4096)
        try await store.appendAudit(
            AuditRecord(
                at: Self.t0, actor: "panel", role: "admin", source: "unix", command: "say", arguments: long, ok: false,
                errorCode: "invalid", message: flags))
        try await store.appendAudit(
            AuditRecord(
                at: Self.t0.addingTimeInterval(1), actor: "panel", role: "admin", source: "unix", command: "say",
                arguments: exact, ok: true, message: nil))
        let rows = try await store.audit(AuditQuery())
        try #require(rows.count == 2)

        let cut = rows[1]
        #expect(cut.arguments.count == 4096)
        #expect(cut.arguments == String(repeating: "x", count: 4095) + "…")
        #expect(cut.message?.count == 4096)
        #expect(cut.message == String(repeating: "🇨🇳", count: 4095) + "…")
        #expect(cut.errorCode == "invalid")

        let kept = rows[0]
        #expect(kept.arguments == exact)
        #expect(kept.message == nil)
    }

    @Test("v4 migrates a database that v3 left, and audit rows survive reopening")
    func migration() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("carillon-audit-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("carillon.sqlite").path

        do {
            let store = try Store.open(path: path)
            try await store.recordRequested(
                PlayRecord(
                    id: 12, clip: "bell.start", zones: ["main"], level: "bell", source: "schedule",
                    requestedBy: "scheduler", requestedAt: Self.t0))
        }
        // Take v4 back out by hand, leaving the file as a v3 daemon would have left it, with its play.
        do {
            let queue = try DatabaseQueue(path: path)
            try await queue.write { db in
                try db.execute(
                    sql: """
                        DROP TABLE audit;
                        DROP INDEX play_source;
                        DELETE FROM grdb_migrations WHERE identifier = 'v4-audit';
                        """)
            }
            #expect(try await queue.read { try $0.tableExists("audit") } == false)
        }

        let appended: AuditRecord
        do {
            let store = try Store.open(path: path)
            #expect(try await store.audit(AuditQuery()).isEmpty)
            var row = Self.record(50, "uid 1000 (alice)", "schedule.apply", arguments: #"{"version":3}"#)
            row.id = try await store.appendAudit(row)
            appended = row
            #expect(try await store.plays(PlayQuery(source: "schedule")).map(\.id) == [12])
        }
        do {
            let queue = try DatabaseQueue(path: path)
            let migrations = try await queue.read {
                try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier")
            }
            // v4 ran again; the later migrations stayed applied.
            #expect(
                Set(migrations) == [
                    "v1-play-log", "v2-clip-catalog", "v3-schedule", "v4-audit", "v5-plan-runs", "v6-bundles",
                    "v7-clip-grade-bands", "v8-city-alerts", "v9-announcements", "v10-web-devices", "v11-plan-roll-call",
                ])
            let indexes = try await queue.read { db in
                try String.fetchAll(
                    db,
                    sql:
                        "SELECT name FROM sqlite_master WHERE type = 'index' AND name IN ('audit_at', 'audit_actor', 'play_source') ORDER BY name"
                )
            }
            #expect(indexes == ["audit_actor", "audit_at", "play_source"])
        }

        let reopened = try Store.open(path: path)
        #expect(try await reopened.audit(AuditQuery()) == [appended])
        #expect(try await reopened.audit(AuditQuery(actor: "uid 1000 (alice)", command: "schedule")) == [appended])
        #expect(try reopened.lastPlayID() == 12)
    }
}
