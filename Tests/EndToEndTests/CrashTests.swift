import CarillonTesting
import Foundation
import Glibc
import Testing

/// `kill -9` at random moments of every kind of write, then a restart and the checks of DESIGN.md's
/// reliability rules: the database is intact, nothing acknowledged is lost, nothing half-applied
/// shows, and an acknowledged plan runs again. Short form in `make test`; `make crash-test`
/// (CARILLON_LONG=1) kills 200 times. The seed is printed: CARILLON_SEED=N replays the choices
/// (the kill instants are random delays, so a replay repeats the plan of the run, not the races).
@Suite("Crash-only: kill -9 during writes", .serialized, .ownThread)
struct CrashTests {
    enum Kind: CaseIterable { case schedule, bundle, importClip, plan, plays }

    /// What the test client was told: every acknowledgement, and every attempt (acknowledged or not).
    final class Ledger: @unchecked Sendable {
        let lock = NSLock()
        var attemptedVersions: Set<Int> = []
        var ackedVersions: Set<Int> = []
        var attemptedBundles: Set<Int> = []
        var ackedBundles: Set<Int> = []
        var attemptedClips: Set<String> = []
        var ackedClips: Set<String> = []
        var ackedPlays: [Int] = []
        /// Plan operations in order: (start?, acknowledged).
        var planOps: [(start: Bool, acked: Bool)] = []
        var nextVersion = 1
        var planAcks = 0
        /// How each attempt ended that was not acknowledged, for the summary (most end with the kill).
        var refusals: [String] = []
        var nextClip = 1

        func locked<T>(_ body: (Ledger) -> T) -> T {
            lock.lock()
            defer { lock.unlock() }
            return body(self)
        }
        func version() -> Int { locked { $0.nextVersion += 1; return $0.nextVersion - 1 } }
    }

    /// A school whose bureau signs bundles that carry a schedule, a plan and the plan's alarm clip.
    struct School {
        let rig: Rig
        let scratch: TemporaryDirectory
        var key: String { scratch.file("bureau.key") }

        static func start() throws -> School {
            let scratch = try TemporaryDirectory("carillon-crash-bureau")
            let made = try run(Binaries.client, ["bundle", "keygen", "-o", scratch.file("bureau")])
            guard made.status == 0 else { throw HarnessError("keygen: \(made.stderr)") }
            let rig = try Rig.start(
                extra: """
                    [bureau]
                    school = "crash-school"
                    keys = ["\(scratch.file("bureau.pub"))"]
                    [plans]
                    dir = "@DIR@/plans"
                    """,
                catalog: """
                    [[clip]]
                    id = "alarm.crash"
                    category = "alarm"
                    title = "crash test alarm"
                    file = "alarm.wav"
                    """,
                prepare: { directory in
                    try WAVFile.write(
                        path: directory.file("library/alarm.wav"), sampleRate: 48000, channels: 1,
                        samples: WAVFile.tone(frequency: 1000, seconds: 0.5, sampleRate: 48000, channels: 1))
                    try directory.write("plans/crash.toml", "title = \"crash\"\n[[step]]\nalarm = \"alarm.crash\"\nseconds = 1\n")
                })
            return School(rig: rig, scratch: scratch)
        }

        /// Signs bundle `version`: its schedule, plan `crash-v<version>` and clip `alarm.crash-v<version>`.
        func sign(version: Int) throws -> String {
            let directory = scratch.file("b\(version)")
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try SchedulerTests.schedule(version: version, at: [Date().addingTimeInterval(3600)])
                .write(toFile: directory + "/schedule.toml", atomically: true, encoding: .utf8)
            try "title = \"v\(version)\"\n[[step]]\nalarm = \"alarm.crash-v\(version)\"\nseconds = 1\n"
                .write(toFile: directory + "/crash-v\(version).toml", atomically: true, encoding: .utf8)
            try WAVFile.write(
                path: directory + "/alarm.crash-v\(version).wav", sampleRate: 48000, channels: 1,
                samples: WAVFile.tone(frequency: 600 + Double(version), seconds: 1, sampleRate: 48000, channels: 1))
            let output = scratch.file("v\(version).bundle")
            let signed = try run(
                Binaries.client,
                [
                    "bundle", "sign", "--key", key, "--schools", "*", "-o", output, directory + "/schedule.toml",
                    directory + "/crash-v\(version).toml", directory + "/alarm.crash-v\(version).wav",
                ])
            guard signed.status == 0 else { throw HarnessError("sign: \(signed.stderr)") }
            return output
        }
    }

    @Test("after every kill -9 the database is intact, every acknowledged write is there, no half-applied update shows, an acknowledged plan runs")
    func killDuringWrites() throws {
        let kills = Reliability.long ? 200 : 15
        var generator = SeededGenerator(seed: Reliability.seed("crash", fallback: 0xC0FFEE))
        let school = try School.start()
        var daemon = school.rig.daemon
        defer {
            daemon.stop()
            school.rig.directory.remove()
            school.scratch.remove()
        }
        let ledger = Ledger()
        var kinds: [Kind] = []
        var counts: [String: Int] = [:]
        var resumedAtReady = 0
        var planResumes = 0
        let started = ContinuousClock.now
        for round in 0..<kills {
            if kinds.isEmpty { kinds = Kind.allCases.shuffled(using: &generator) }
            let kind = kinds.removeLast()
            counts["\(kind)", default: 0] += 1
            // Inputs are made before the daemon is touched, so the kill lands on the daemon's work.
            let bundles: [(Int, String)] = try (kind == .bundle ? 0..<4 : 0..<0).map { _ in
                let version = ledger.version()
                return (version, try school.sign(version: version))
            }
            let imports = kind == .importClip ? try (0..<4).map { _ in try makeImport(ledger, in: school.scratch) } : []
            let stop = Locked(false)
            let socket = daemon.socketPath
            let worker: DispatchGroup
            switch kind {
            case .schedule:
                worker = spawn { Self.applySchedules(socket: socket, ledger: ledger, stop: stop) }
            case .bundle:
                worker = spawn { Self.applyBundles(socket: socket, bundles: bundles, ledger: ledger, stop: stop) }
            case .importClip:
                worker = spawn { Self.importClips(socket: socket, files: imports, ledger: ledger, stop: stop) }
            case .plan:
                worker = spawn { Self.startAndStopPlans(socket: socket, ledger: ledger, stop: stop) }
            case .plays:
                let group = DispatchGroup()
                for _ in 0..<4 {
                    group.enter()
                    _ = spawn {
                        Self.play(socket: socket, ledger: ledger, stop: stop)
                        group.leave()
                    }
                }
                worker = group
            }
            // The fault itself: a random instant into the work (a delay drawn from the seed, not a wait for anything).
            let maxMS = kind == .bundle || kind == .importClip ? 700 : 400
            usleep(useconds_t(Int.random(in: 5...maxMS, using: &generator) * 1000))
            Reliability.crash(daemon)
            stop.withLock { $0 = true }
            #expect(worker.wait(timeout: .now() + 120) == .success, "round \(round): the client hung after the kill")
            daemon = try Reliability.restart(daemon)
            let (planActive, atReady) = try verify(daemon, ledger: ledger, round: round, kind: kind)
            if planActive {
                planResumes += 1
                if atReady { resumedAtReady += 1 }
            }
        }
        let elapsed = ContinuousClock.now - started
        // Each kind of write was acknowledged at least once between the kills, or the run proved nothing about it.
        ledger.locked { l in
            #expect(!l.ackedVersions.isEmpty && !l.ackedBundles.isEmpty && !l.ackedClips.isEmpty && !l.ackedPlays.isEmpty && l.planAcks > 0)
        }
        if Reliability.long { #expect(planResumes > 0, "no kill found a plan running") }
        ledger.locked { l in
            print(
                """
                crash: \(kills) kills survived in \(elapsed) (\(counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")));
                  acknowledged and found after restart: \(l.ackedVersions.count) schedule versions, \(l.ackedBundles.count) bundles, \(l.ackedClips.count) imported clips, \(l.ackedPlays.count) plays, \(l.planAcks) plan starts/stops;
                  attempted in all: \(l.attemptedVersions.count) schedules, \(l.attemptedBundles.count) bundles, \(l.attemptedClips.count) imports;
                  plan resumed after restart \(planResumes) times (already active at READY: \(resumedAtReady));
                  unacknowledged attempts (cut by the kill unless it says otherwise): \(l.refusals.count)\(l.refusals.isEmpty ? "" : "\n    " + l.refusals.suffix(5).joined(separator: "\n    "))
                """)
        }
    }

    // MARK: - The checks after each restart

    /// Returns whether a plan was expected active (and was), and whether it was already at READY.
    private func verify(_ daemon: DaemonProcess, ledger: Ledger, round: Int, kind: Kind) throws -> (Bool, Bool) {
        let context = "round \(round) (\(kind))"
        // A plan expected active is checked first, before anything else can delay the question.
        let planExpectation: Bool? = ledger.locked { l in
            guard let lastAcked = l.planOps.lastIndex(where: \.acked) else {
                return l.planOps.isEmpty ? false : (l.planOps.contains { $0.start } ? nil : false)
            }
            let expected = l.planOps[lastAcked].start
            // An operation after it that was not acknowledged may or may not have happened.
            return l.planOps[(lastAcked + 1)...].contains { $0.start != expected } ? nil : expected
        }
        let atReady = try daemon.client(["plan", "status", "--json"]).stdout.contains("\"plan\":\"crash\"")

        let database = daemon.directory.file("data/carillon.sqlite")
        #expect(try Reliability.sqlite(database, "PRAGMA integrity_check") == "ok", "\(context): integrity_check")

        // Versions: every acknowledged one is held; none appears that was never attempted.
        let history = Reliability.jsonLines(try daemon.client(["schedule", "history", "--json"]).stdout)
        let held = Dictionary(history.compactMap { line in (line["version"] as? Int).map { ($0, line) } }, uniquingKeysWith: { a, _ in a })
        let (acked, ackedBundles, attempted, attemptedBundles) = ledger.locked { ($0.ackedVersions, $0.ackedBundles, $0.attemptedVersions, $0.attemptedBundles) }
        let lost = acked.union(ackedBundles).subtracting(held.keys)
        #expect(lost.isEmpty, "\(context): acknowledged versions lost: \(lost.sorted())")
        let phantom = Set(held.keys).subtracting(attempted.union(attemptedBundles))
        #expect(phantom.isEmpty, "\(context): versions never applied: \(phantom.sorted())")
        if let top = held.keys.max() {
            let shown = try daemon.client(["schedule", "show", "--json"]).stdout
            #expect(shown.contains("\"version\":\(top)"), "\(context): \(top) is the highest held but not in force: \(shown)")
        }

        // A bundle is all there or not at all: its schedule, its plan and its clip.
        let plans = Set(Reliability.jsonLines(try daemon.client(["plan", "list", "--json"]).stdout).compactMap { $0["name"] as? String })
        let clips = Set(Reliability.jsonLines(try daemon.client(["library", "list", "--json"]).stdout).compactMap { $0["id"] as? String })
        for version in attemptedBundles {
            let applied = held[version]
            let partsPresent = (plans.contains("crash-v\(version)"), clips.contains("alarm.crash-v\(version)"))
            if let applied {
                #expect(applied["bundle"] as? Bool == true && applied["schedule"] as? Bool == true, "\(context): v\(version) \(applied)")
                #expect(partsPresent == (true, true), "\(context): bundle v\(version) is in the history without all its parts: \(partsPresent)")
            } else {
                #expect(partsPresent == (false, false), "\(context): bundle v\(version) is not in the history, yet parts of it are: \(partsPresent)")
            }
        }

        // Imports: every acknowledged clip is listed; none that was never imported; each names a file that exists.
        let (ackedClips, attemptedClips) = ledger.locked { ($0.ackedClips, $0.attemptedClips) }
        #expect(ackedClips.subtracting(clips).isEmpty, "\(context): imported clips lost: \(ackedClips.subtracting(clips).sorted())")
        let importedHere = clips.filter { $0.hasPrefix("recorded.crash-") }
        #expect(importedHere.subtracting(attemptedClips).isEmpty, "\(context): clips never imported")
        let files = try Reliability.sqlite(database, "SELECT source FROM clip WHERE origin IN ('imported', 'bundle')")
            .split(separator: "\n").map(String.init)
        for file in files where !FileManager.default.fileExists(atPath: file) {
            Issue.record("\(context): the catalog names \(file), which does not exist")
        }
        // What a killed upload or apply left on disk is cleared at start: a crash loop must not fill the disk.
        let uploads = (try? FileManager.default.contentsOfDirectory(atPath: daemon.directory.file("data/uploads"))) ?? []
        #expect(uploads.isEmpty, "\(context): uploads left behind after the restart: \(uploads)")
        let recordings = (try? FileManager.default.contentsOfDirectory(atPath: daemon.directory.file("data/recordings"))) ?? []
        let named = Set(files.map { ($0 as NSString).lastPathComponent })
        let orphans = recordings.filter { !named.contains($0) }
        #expect(orphans.isEmpty, "\(context): recordings no clip names: \(orphans)")

        // Plays: every acknowledged play id is in the play log.
        let plays = ledger.locked { $0.ackedPlays }
        var found = 0
        for chunk in stride(from: 0, to: plays.count, by: 2000).map({ plays[$0..<min($0 + 2000, plays.count)] }) {
            found += Int(try Reliability.sqlite(database, "SELECT COUNT(*) FROM play WHERE id IN (\(chunk.map(String.init).joined(separator: ",")))")) ?? 0
        }
        #expect(found == plays.count, "\(context): \(plays.count - found) acknowledged plays lost")

        // The plan: saved as running exactly when acknowledged so, and then sounding again.
        let saved = try Reliability.sqlite(database, "SELECT value FROM state WHERE key = 'plan.active'")
        let savedRunning = saved.contains("\"name\":\"crash\"")
        if let planExpectation { #expect(savedRunning == planExpectation, "\(context): plan saved \(saved), expected running: \(planExpectation)") }
        var resumed = false
        if savedRunning {
            let log = daemon.directory.file("daemon.log")
            try FileWatch.wait(for: log, timeout: .seconds(30)) { daemon.log_.contains("emergency plan resumed after restart") }
            let status = try daemon.client(["plan", "status", "--json"]).stdout
            #expect(status.contains("\"plan\":\"crash\""), "\(context): the plan is not running after the restart: \(status)")
            resumed = planExpectation == true
            // Resumed before the socket answers: a client asking at once sees it, and cannot race it.
            #expect(atReady, "\(context): the plan was not yet running when the daemon first answered")
            // Back to a quiet school for the next round: an acknowledged stop.
            let stopped = try daemon.client(["plan", "stop"])
            #expect(stopped.status == 0, "\(context): \(stopped.stderr)")
        }
        ledger.locked { $0.planOps.removeAll() }
        return (resumed, atReady && resumed)
    }

    // MARK: - The clients, each until the daemon dies under it

    private static func applySchedules(socket: String, ledger: Ledger, stop: Locked<Bool>) {
        guard let client = try? LineClient(unix: socket) else { return }
        while !stop.get {
            let version = ledger.version()
            ledger.locked { _ = $0.attemptedVersions.insert(version) }
            let text = SchedulerTests.schedule(version: version, at: [Date().addingTimeInterval(7200)])
            guard let answer = client.call("schedule.apply", ["text": text, "name": "v\(version).toml"]) else { return }
            if answer.ok { ledger.locked { _ = $0.ackedVersions.insert(version) } }
        }
    }

    private static func applyBundles(socket: String, bundles: [(Int, String)], ledger: Ledger, stop: Locked<Bool>) {
        for (version, file) in bundles where !stop.get {
            ledger.locked { _ = $0.attemptedBundles.insert(version) }
            guard let result = try? run(Binaries.client, ["--socket", socket, "bundle", "apply", file]) else { return }
            if result.status == 0 && result.stdout.contains("bundle version \(version) in force") {
                ledger.locked { _ = $0.ackedBundles.insert(version) }
            } else {
                ledger.locked { $0.refusals.append("bundle v\(version): \(result.status) \(result.stdout)\(result.stderr)") }
            }
        }
    }

    private func makeImport(_ ledger: Ledger, in scratch: TemporaryDirectory) throws -> (String, String) {
        let n = ledger.locked { $0.nextClip += 1; return $0.nextClip - 1 }
        let path = scratch.file("import-\(n).wav")
        // Distinct noise per file: a second import of the same content is refused as a duplicate.
        try WAVFile.write(
            path: path, sampleRate: 48000, channels: 2, samples: WAVFile.noise(frames: 48000, channels: 2, seed: UInt64(n) + 100))
        return ("recorded.crash-\(n)", path)
    }

    private static func importClips(socket: String, files: [(String, String)], ledger: Ledger, stop: Locked<Bool>) {
        for (id, file) in files where !stop.get {
            ledger.locked { _ = $0.attemptedClips.insert(id) }
            guard let result = try? run(Binaries.client, ["--socket", socket, "library", "import", file, "--id", id, "--json"]) else { return }
            if result.status == 0 {
                ledger.locked { _ = $0.ackedClips.insert(id) }
            } else {
                ledger.locked { $0.refusals.append("import \(id): \(result.status) \(result.stderr)") }
            }
        }
    }

    private static func startAndStopPlans(socket: String, ledger: Ledger, stop: Locked<Bool>) {
        guard let client = try? LineClient(unix: socket) else { return }
        // Two starts (the second supersedes the first) to each stop: the kill finds a plan running more often than not.
        var turn = 0
        while !stop.get {
            let start = turn % 3 != 2
            turn += 1
            let index = ledger.locked { $0.planOps.append((start, false)); return $0.planOps.count - 1 }
            guard let answer = start ? client.call("plan.start", ["plan": "crash"]) : client.call("plan.stop") else { return }
            // A stop with no plan running is refused as not-found: the plan is not running either way.
            if answer.ok || (!start && answer.errorCode == "not-found") {
                ledger.locked {
                    $0.planOps[index].acked = true
                    $0.planAcks += 1
                }
            }
        }
    }

    private static func play(socket: String, ledger: Ledger, stop: Locked<Bool>) {
        guard let client = try? LineClient(unix: socket) else { return }
        while !stop.get {
            // Background: each replaces the last, so the zone never fills up; every one is a play-log row.
            guard let answer = client.call("play", ["clip": "test.noise", "level": "background"]) else { return }
            if answer.ok, let id = answer.result?["play"] as? Int { ledger.locked { $0.ackedPlays.append(id) } }
        }
    }
}
