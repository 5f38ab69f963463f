import CarillonAudio
import CarillonControl
import CarillonProtocol
@testable import CarillonStation
import CarillonStore
import CarillonTesting
import Foundation
import Logging
import Synchronization
import Testing

@Suite("Storage health")
struct StorageHealthTests {
    struct Injected: Error, CustomStringConvertible {
        var description: String { "database or disk is full" }
    }

    /// The events published so far, without waiting: the hub yields synchronously.
    static func drain(_ stream: AsyncStream<Event>, count: Int) async -> [Event] {
        var events: [Event] = []
        var iterator = stream.makeAsyncIterator()
        while events.count < count, let event = await iterator.next() { events.append(event) }
        return events
    }

    @Test("one failure makes it failing and announces it once; with no settle time the next success makes it ok and keeps the count")
    func transitions() async {
        let hub = EventHub()
        let (id, stream) = hub.subscribe(kinds: ["storage"]) {}
        let health = StorageHealth(events: hub, logger: Logger(label: "test"), settle: .zero)
        #expect(health.info == StorageInfo(state: "ok", failedWrites: 0))
        health.succeeded()

        health.failed("play log", Injected())
        let first = health.info
        #expect(first.state == "failing" && first.failedWrites == 1)
        #expect(first.lastError == "play log write failed: database or disk is full")
        #expect(first.since != nil && first.since == first.lastErrorAt)

        health.failed("audit log", Injected())
        let second = health.info
        #expect(second.failedWrites == 2 && second.since == first.since, "the run began at the first failure")
        #expect(second.lastError == "audit log write failed: database or disk is full")

        health.succeeded()
        let recovered = health.info
        #expect(recovered.state == "ok" && recovered.failedWrites == 2 && recovered.since == nil)
        #expect(recovered.lastError == second.lastError && recovered.lastErrorAt == second.lastErrorAt, "the last failure stays")
        health.succeeded()

        health.failed("plan state", Injected())
        #expect(health.info.state == "failing" && health.info.failedWrites == 3)
        hub.unsubscribe(id)

        let events = await Self.drain(stream, count: 3)
        #expect(events.map(\.event) == ["storage.fault", "storage.recovered", "storage.fault"])
        #expect(events.first?.detail == "play log write failed: database or disk is full")
        #expect(events.dropFirst().first?.detail?.hasPrefix("2 writes failed over ") == true, "\(events)")
    }

    /// A clock that moves only when the test says, and a timer whose rechecks fire when it says.
    final class ManualTime: Sendable {
        let start = ContinuousClock.now
        private let offset = Mutex(Duration.zero)
        private let pending = Mutex<[(at: Duration, recheck: @Sendable () -> Void)]>([])

        func now() -> ContinuousClock.Instant { start + offset.withLock { $0 } }
        var scheduled: [Duration] { pending.withLock { $0.map(\.at) } }

        func timer(after: Duration, recheck: @escaping @Sendable () -> Void) {
            let at = offset.withLock { $0 } + after
            pending.withLock { $0.append((at, recheck)) }
        }

        /// Moves the clock on, firing the rechecks that fall due, in order.
        func advance(_ by: Duration) {
            let now = offset.withLock { $0 += by; return $0 }
            let due = pending.withLock { list in
                let due = list.filter { $0.at <= now }.sorted { $0.at < $1.at }
                list.removeAll { $0.at <= now }
                return due
            }
            for item in due { item.recheck() }
        }
    }

    @Test("damped: successes between failures do not recover it; a success and the settle time without a failure do, by the timer")
    func damped() async {
        let hub = EventHub()
        let (id, stream) = hub.subscribe(kinds: ["storage"]) {}
        let time = ManualTime()
        let health = StorageHealth(
            events: hub, logger: Logger(label: "test"), settle: .seconds(30), now: { time.now() },
            timer: { time.timer(after: $0, recheck: $1) })

        // A full disk: a failed INSERT, a successful UPDATE, another failure 10 s on.
        health.failed("play log", Injected())
        health.succeeded()
        #expect(health.info.state == "failing", "a success within the settle time does not recover it")
        #expect(time.scheduled == [.seconds(30)], "one recheck, at the end of the quiet time")
        time.advance(.seconds(10))
        health.failed("play log", Injected())
        health.succeeded()
        #expect(time.scheduled == [.seconds(30)], "a recheck already pending is not doubled")
        time.advance(.seconds(20))
        #expect(health.info.state == "failing", "30 s after the first failure, 20 s after the last")
        #expect(time.scheduled == [.seconds(40)], "the recheck found 20 s of quiet and asked again for the rest")
        time.advance(.seconds(10))
        let recovered = health.info
        #expect(recovered.state == "ok" && recovered.failedWrites == 2 && recovered.since == nil, "\(recovered)")
        #expect(time.scheduled.isEmpty)

        // Failures with no success after them: no recovery, however long it is quiet.
        health.failed("audit log", Injected())
        time.advance(.seconds(3600))
        #expect(health.info.state == "failing" && time.scheduled.isEmpty)
        // A success long after the last failure recovers at once.
        health.succeeded()
        #expect(health.info.state == "ok")

        // A recheck that finds a failure after the success leaves it failing, and asks for nothing.
        health.failed("plan state", Injected())
        health.succeeded()
        time.advance(.seconds(5))
        health.failed("plan state", Injected())
        time.advance(.seconds(25))
        #expect(health.info.state == "failing" && time.scheduled.isEmpty)
        hub.unsubscribe(id)

        let events = await Self.drain(stream, count: 5)
        #expect(events.map(\.event) == ["storage.fault", "storage.recovered", "storage.fault", "storage.recovered", "storage.fault"])
        #expect(events.dropFirst().first?.detail?.hasPrefix("2 writes failed over ") == true, "\(events)")
    }

    @Test("`station.storage_settle_seconds`: 30 s unless set, 0 to 3600")
    func settleConfig() throws {
        func parse(_ station: String) throws -> StationConfig {
            try StationConfig.parse(Array("[station]\n\(station)\n".utf8), file: "/etc/carillon/carillon.toml")
        }
        #expect(try parse("").storageSettle == .seconds(30))
        #expect(try parse("storage_settle_seconds = 2.5").storageSettle == .milliseconds(2500))
        #expect(try parse("storage_settle_seconds = 0").storageSettle == .zero)
        #expect(throws: (any Error).self) { try parse("storage_settle_seconds = 3601") }
        #expect(throws: (any Error).self) { try parse("storage_settle_seconds = -1") }
        #expect(throws: (any Error).self) { try parse("storage_settle_seconds = \"soon\"") }
    }

    @Test("the wire form is snake_case; a status or plan answer without the new fields still decodes")
    func wire() throws {
        let at = Date(timeIntervalSince1970: 1_800_000_000)
        let info = StorageInfo(state: "failing", failedWrites: 3, lastError: "x", lastErrorAt: at, since: at)
        let text = String(decoding: try Wire.encoder().encode(info), as: UTF8.self)
        #expect(text == #"{"failed_writes":3,"last_error":"x","last_error_at":"2027-01-15T08:00:00Z","since":"2027-01-15T08:00:00Z","state":"failing"}"#)
        #expect(try Wire.decoder().decode(StorageInfo.self, from: Data(text.utf8)) == info)

        let old = #"{"server":"s","version":"0.1.0","started_at":"2027-01-15T08:00:00Z","uptime_seconds":1,"outputs":[],"zones":[],"playing":[],"clips":0}"#
        #expect(try Wire.decoder().decode(StatusResult.self, from: Data(old.utf8)).storage == nil)
        let plan = #"{"plan":"fire","title":"t","drill":false,"zones":["all"],"by":"x","started_at":"2027-01-15T08:00:00Z","cycle":1,"run":4}"#
        #expect(try Wire.decoder().decode(ActivePlanInfo.self, from: Data(plan.utf8)).warning == nil)
    }

    /// A Station on a database file, and a way to make its writes fail: a trigger that aborts
    /// every insert into `table`, added and dropped by a second connection (the sqlite3 CLI).
    struct Rig {
        let directory: TemporaryDirectory
        let station: Station
        var database: String { directory.file("carillon.sqlite") }

        init() throws {
            directory = try TemporaryDirectory()
            try directory.write("library/catalog.toml", "")
            let store = try Store.open(path: directory.file("carillon.sqlite"))
            var config = try StationConfig.parse([], file: directory.file("carillon.toml"))
            config.storageSettle = .zero  // the damping has its own test
            station = try Station(
                config: config,
                library: Library.load(directory: directory.file("library")),
                engine: AudioEngine(outputs: [], onEvent: { _ in }), store: store,
                renderer: Renderer(cacheDirectory: directory.file("cache"), loudnessTarget: -18), logger: Logger(label: "test"))
        }

        func sql(_ statement: String) throws {
            let result = try run("/usr/bin/sqlite3", ["-batch", database, statement])
            guard result.status == 0 else { throw HarnessError("sqlite3: \(result.stderr)") }
        }

        func failInserts(into table: String) throws {
            try sql("CREATE TRIGGER fail_\(table) BEFORE INSERT ON \(table) BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;")
        }

        func allowInserts(into table: String) throws { try sql("DROP TRIGGER fail_\(table);") }
    }

    @Test(
        "a failed audit write (off the actor) shows in status, metrics and events; the next write that succeeds clears it",
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3"), "needs the sqlite3 CLI"))
    func stationReportsAuditFailures() async throws {
        let rig = try Rig()
        defer { rig.directory.remove() }
        let station = rig.station
        let hub = await station.events
        let (id, stream) = hub.subscribe(kinds: ["storage."]) {}
        let peer = Peer(address: "unix", identity: Identity(name: "uid 0 (root)", role: .admin))
        await station.audit(peer, command: "play", arguments: "{}", result: .success(nil))
        #expect(await station.status().storage == StorageInfo(state: "ok", failedWrites: 0))

        try rig.failInserts(into: "audit")
        await station.audit(peer, command: "play", arguments: "{}", result: .success(nil))
        await station.audit(peer, command: "stop", arguments: "{}", result: .success(nil))
        let failing = try #require(await station.status().storage)
        #expect(failing.state == "failing" && failing.failedWrites == 2, "\(failing)")
        #expect(failing.lastError?.hasPrefix("audit log write failed: ") == true, "\(failing)")
        #expect(failing.lastError?.contains("database or disk is full") == true, "\(failing)")
        let metrics = await station.metricsText().text
        #expect(metrics.contains("carillon_storage_failing 1\n") && metrics.contains("carillon_storage_failed_writes_total 2\n"), "\(metrics)")

        try rig.allowInserts(into: "audit")
        await station.audit(peer, command: "play", arguments: "{}", result: .success(nil))
        let ok = try #require(await station.status().storage)
        #expect(ok.state == "ok" && ok.failedWrites == 2 && ok.since == nil && ok.lastError == failing.lastError)
        #expect(await station.metricsText().text.contains("carillon_storage_failing 0\n"))

        hub.unsubscribe(id)
        let events = await Self.drain(stream, count: 2)
        #expect(events.map(\.event) == ["storage.fault", "storage.recovered"], "\(events)")
        // Recorded once the disk took writes again: the first and the last, not the two lost.
        let rows = try await station.logAudit(AuditArgs())
        #expect(rows.entries.count == 2)
    }

    @Test(
        "the actor's writes (play log, saved state) share the bookkeeping: `log` reports failure and recovery",
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3"), "needs the sqlite3 CLI"))
    func logHelperReports() async throws {
        let rig = try Rig()
        defer { rig.directory.remove() }
        let station = rig.station
        try rig.failInserts(into: "state")
        let failed = await station.saveStateForTest("plan state", key: "test.key")
        #expect(failed != nil)
        let failing = try #require(await station.status().storage)
        #expect(failing.state == "failing" && failing.failedWrites == 1)
        #expect(failing.lastError?.hasPrefix("plan state write failed: cannot save test.key") == true, "\(failing)")
        try rig.allowInserts(into: "state")
        #expect(await station.saveStateForTest("plan state", key: "test.key") == nil)
        #expect(await station.status().storage?.state == "ok")
    }
}

extension Station {
    /// One saved-state write through `log`, as the scheduler and the plans make them.
    func saveStateForTest(_ what: String, key: String) async -> String? {
        await log(what) { () throws(StoreError) in try await self.store.saveState(key, "value") }?.description
    }
}
