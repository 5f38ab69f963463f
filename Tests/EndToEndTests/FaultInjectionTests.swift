import CarillonTesting
import Foundation
import Glibc
import Testing

/// Faults from outside the daemon: a device that keeps failing, a full or read-only data
/// directory, a clip file that vanishes or rots, a clock that is set. Through each, the bells keep
/// sounding where they can, the fault is reported, and the daemon recovers once the cause is gone.
/// The small filesystems are tmpfs mounts made by the test (root only; skipped otherwise).
@Suite("Fault injection", .serialized, .ownThread)
struct FaultInjectionTests {
    /// Whether this process may mount a tmpfs (root, and a kernel that lets it).
    static let canMount: Bool = {
        guard getuid() == 0, let probe = try? TemporaryDirectory("carillon-mount-probe") else { return false }
        defer { probe.remove() }
        guard (try? run("/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", probe.path]))?.status == 0 else { return false }
        _ = try? run("/bin/umount", [probe.path])
        return true
    }()

    static func mount(_ path: String, size: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let mounted = try run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", path])
        guard mounted.status == 0 else { throw HarnessError("mount \(path): \(mounted.stderr)") }
    }

    static func unmount(_ path: String) { _ = try? run("/bin/umount", ["-l", path]) }

    /// Writes zeros into `path` until the filesystem is full.
    static func fill(_ path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        defer { close(fd) }
        let block = [UInt8](repeating: 0, count: 65536)
        while write(fd, block, block.count) > 0 {}
        // A last partial block: tmpfs fills to the page.
        while write(fd, block, 4096) > 0 {}
    }

    /// Bells every `every` seconds from about three seconds from now, `count` of them.
    static func bells(count: Int, every: Double) -> [Date] {
        let base = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.up) + 3)
        return (0..<count).map { base.addingTimeInterval(Double($0) * every) }
    }

    static func waitForLog(_ daemon: DaemonProcess, timeout: Duration = .seconds(60), _ condition: @escaping (String) -> Bool) throws {
        try FileWatch.wait(for: daemon.directory.file("daemon.log"), timeout: timeout) { condition(daemon.log_) }
    }

    static func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

    /// RMS of the capture's left channel over the last `seconds`.
    static func recentRMS(_ capture: CapturePCM, seconds: Double, channels: Int = 2) -> Double {
        let samples = capture.samples()
        let frames = samples.count / channels
        let from = max(0, frames - Int(seconds * 48000))
        return Signal.rms(Signal.channel(samples, 0, of: channels, frames: from..<frames))
    }

    // MARK: - The output device

    @Test(
        "an output whose device fails again and again is reported each time and recovers each time; the other output rings every bell",
        .enabled(if: FaultInjectionTests.canMount, "needs root to mount a tmpfs"))
    func intermittentDevice() throws {
        // The `yard` output's capture file lives on a 1 MiB tmpfs: about 5 s of audio fill it, the
        // write fails, ALSA reports EIO, the engine faults and reopens the device, which truncates the
        // file: a device that fails every few seconds and comes back by itself.
        var yardDirectory = ""
        let rig = try Rig.start(
            extraOutputs: """
                [[output]]
                name = "yard"
                device = "yardcap"
                alsa_conf = '''
                pcm.yardcap {
                    type file
                    slave.pcm { type null }
                    file "@DIR@/yard/capture.raw"
                    format "raw"
                }
                '''
                """,
            prepare: { directory in
                yardDirectory = directory.file("yard")
                try Self.mount(yardDirectory, size: "1m")
            })
        defer {
            rig.daemon.stop()
            Self.unmount(yardDirectory)
            rig.directory.remove()
        }
        let daemon = rig.daemon
        let instants = Self.bells(count: 10, every: 2.5)
        try rig.directory.write("s.toml", SchedulerTests.schedule(version: 1, at: instants))
        #expect(try daemon.client(["schedule", "apply", rig.directory.file("s.toml")]).status == 0)
        try Self.waitForLog(daemon) { _ in SchedulerTests.scheduledPlays(daemon) >= instants.count }
        let log = daemon.log_
        let faults = Self.count("output fault", in: log)
        let recoveries = Self.count("output recovered", in: log)
        print("intermittent device: \(faults) faults, \(recoveries) recoveries in \(instants.count) bells")
        #expect(faults >= 2, "the yard device should have failed at least twice: \(faults)")
        #expect(recoveries >= 2, "and recovered each time: \(recoveries)")
        #expect(SchedulerTests.scheduledPlays(daemon) == instants.count, "every bell was played")
        // Every bell reached the healthy output: its play log says so, zone by zone.
        let plays = Reliability.jsonLines(try daemon.client(["log", "--json", "--source", "schedule"]).stdout)
        #expect(plays.count == instants.count)
        for play in plays {
            let text = "\(play)"
            #expect(text.contains("main"), "\(text)")
            #expect(play["outcome"] as? String != "missed", "a bell was missed: \(text)")
        }
        #expect(rig.capture.size > 48000 * 4 * 20, "the main output kept running")
        // The cause goes away (the filesystem grows; a remount that changes the size is allowed with
        // files open): the yard recovers for good, and a play there alone finishes.
        #expect(try run("/bin/mount", ["-o", "remount,size=64m", yardDirectory]).status == 0)
        try Self.waitForLog(daemon) { Self.count("output recovered", in: $0) >= Self.count("output fault", in: $0) }
        let yard = try daemon.client(["play", "bell.start", "--zones", "yard", "--wait"])
        #expect(yard.stdout.contains("finished"), "\(yard.stdout)\(yard.stderr)")
        #expect(try daemon.client(["status"]).status == 0)
    }

    // MARK: - The data directory

    /// `status --json`'s `storage` object.
    static func storage(_ daemon: DaemonProcess) throws -> [String: Any] {
        let status = try daemon.client(["status", "--json"])
        return Reliability.jsonLines(status.stdout).first?["storage"] as? [String: Any] ?? [:]
    }

    /// The next event line on a subscribed connection, decoded; nil after a minute without one.
    static func nextEvent(_ client: LineClient) -> [String: Any]? {
        guard let line = client.readLine(timeout: .seconds(60)) else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
    }

    @Test(
        "a full data directory: bells keep ringing, the failed writes are reported (log, status, events, metrics), a plan start warns it will not resume, changes are refused clearly, and all works again once there is room",
        .enabled(if: FaultInjectionTests.canMount, "needs root to mount a tmpfs"))
    func dataDirectoryFull() throws {
        var dataDirectory = ""
        // A second output, `yard`, for a plan: the bells ring in every zone, and a plan suspends
        // the schedule where it runs, so it runs where the count of bells does not look.
        // Failures come at least every 2.5 s (a bell) while the disk is full: 10 s of settling keeps
        // `storage` failing through them, where recovering at each success would flap.
        let rig = try Rig.start(
            extraOutputs: Rig.output("yard", capturingTo: "@DIR@/yard.raw"),
            station: "storage_settle_seconds = 10",
            extra: """
                [plans]
                dir = "@DIR@/plans"
                """,
            catalog: """
                [[clip]]
                id = "alarm.test"
                category = "alarm"
                title = "test alarm"
                file = "noise.wav"
                """,
            prepare: { directory in
                try directory.write(
                    "plans/yard.toml",
                    """
                    title = "操场警报"
                    zones = ["yard"]
                    cycles = 1
                    [[step]]
                    alarm = "alarm.test"
                    seconds = 1
                    """)
                dataDirectory = directory.file("data")
                try Self.mount(dataDirectory, size: "16m")
            })
        defer {
            rig.daemon.stop()
            Self.unmount(dataDirectory)
            rig.directory.remove()
        }
        let daemon = rig.daemon
        let instants = Self.bells(count: 6, every: 2.5)
        try rig.directory.write("s.toml", SchedulerTests.schedule(version: 1, at: instants))
        #expect(try daemon.client(["schedule", "apply", rig.directory.file("s.toml")]).status == 0)
        // Monitoring listens from before the fault.
        let monitor = try LineClient(unix: daemon.socketPath)
        let subscribed = monitor.call("events", ["kinds": ["storage"]])
        #expect(subscribed?.ok == true, "\(String(describing: subscribed))")
        try Self.waitForLog(daemon) { _ in SchedulerTests.scheduledPlays(daemon) >= 1 }
        let healthy = try Self.storage(daemon)
        #expect(healthy["state"] as? String == "ok" && healthy["failed_writes"] as? Int == 0, "\(healthy)")

        let filler = dataDirectory + "/filler"
        Self.fill(filler)
        // Bells ring on: the scheduler saves its state first and plays even when the save fails.
        try Self.waitForLog(daemon) { _ in SchedulerTests.scheduledPlays(daemon) >= 4 }
        #expect(Self.recentRMS(rig.capture, seconds: 2.5) > 0.01 || SchedulerTests.scheduledPlays(daemon) >= 4)
        try Self.waitForLog(daemon) { $0.contains("play log write failed") || $0.contains("cannot save") }
        // Reported where monitoring looks: the event first, then `status` and `metrics`.
        let fault = Self.nextEvent(monitor)
        #expect(fault?["event"] as? String == "storage.fault", "\(String(describing: fault))")
        #expect((fault?["detail"] as? String)?.contains("write failed") == true, "\(String(describing: fault))")
        // On a full disk an in-place UPDATE can still succeed between failures; the settle time
        // keeps the state failing through them.
        let failing = try Self.storage(daemon)
        #expect((failing["failed_writes"] as? Int ?? 0) > 0, "\(failing)")
        #expect((failing["last_error"] as? String)?.lowercased().contains("full") == true, "\(failing)")
        #expect(failing["last_error_at"] is String, "\(failing)")
        #expect(failing["state"] as? String == "failing" && failing["since"] is String, "\(failing)")
        let human = try daemon.client(["status"]).stdout
        #expect(human.contains("storage: FAILING"), "\(human)")
        let metrics = try daemon.client(["status", "--prometheus"]).stdout
        let failedTotal = metrics.split(separator: "\n").first { $0.hasPrefix("carillon_storage_failed_writes_total ") }
        #expect(failedTotal.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0 > 0, "\(metrics)")
        // A plan sounds all the same, and says it would not survive a restart.
        let plan = try daemon.client(["plan", "start", "yard", "--yes"])
        #expect(plan.status == 0, "a plan is never refused for a full disk: \(plan.stderr)")
        #expect(plan.stderr.contains("warning:") && plan.stderr.contains("will not resume"), "\(plan.stderr)")
        print("full data directory: status storage \(failing); plan start warned: \(plan.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
        let manual = try daemon.client(["play", "test.noise", "--wait"])
        #expect(manual.status == 0 && manual.stdout.contains("finished"), "a play sounds on a full disk: \(manual.stdout)\(manual.stderr)")
        try rig.directory.write("s2.toml", SchedulerTests.schedule(version: 2, at: instants))
        let refused = try daemon.client(["schedule", "apply", rig.directory.file("s2.toml")])
        #expect(refused.status == 1 && refused.stderr.lowercased().contains("full"), "\(refused.stderr)")
        let status = try daemon.client(["status"])
        #expect(status.status == 0)
        try WAVFile.write(
            path: rig.directory.file("new.wav"), sampleRate: 48000, channels: 2, samples: WAVFile.noise(frames: 48000, channels: 2, seed: 7))
        let imported = try daemon.client(["library", "import", rig.directory.file("new.wav")])
        #expect(imported.status == 1, "an import with no room is refused: \(imported.stdout)")
        print("full data directory: apply refused with: \(refused.stderr.trimmingCharacters(in: .whitespacesAndNewlines)); import: \(imported.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")

        // Room again: the next change and the next bell are recorded.
        try FileManager.default.removeItem(atPath: filler)
        let applied = try daemon.client(["schedule", "apply", rig.directory.file("s2.toml")])
        #expect(applied.status == 0, "\(applied.stderr)")
        // Its audit row is a write that succeeds: 10 s after the last failure the storage is ok again,
        // and the count stays. A full disk still takes some writes (SQLite reuses free pages), so
        // it may have recovered and failed again in between; the events end with the recovery.
        var events: [String] = []
        var ok = try Self.storage(daemon)
        while ok["state"] as? String != "ok" || events.last != "storage.recovered" {
            guard let event = Self.nextEvent(monitor)?["event"] as? String else { break }
            events.append(event)
            ok = try Self.storage(daemon)
        }
        #expect(events.last == "storage.recovered", "\(events)")
        #expect(!zip(events, events.dropFirst()).contains { $0 == $1 }, "fault and recovery alternate: \(events)")
        print("full data directory: storage events after the fault: \(events); status then \(ok)")
        #expect(ok["state"] as? String == "ok" && ok["since"] == nil, "\(ok)")
        #expect((ok["failed_writes"] as? Int ?? 0) >= (failing["failed_writes"] as? Int ?? 0), "\(ok)")
        #expect(ok["last_error"] is String, "the last failure stays for a look: \(ok)")
        try Self.waitForLog(daemon) { _ in SchedulerTests.scheduledPlays(daemon) >= instants.count }
        #expect(SchedulerTests.scheduledPlays(daemon) == instants.count, "every bell rang, full disk or not")
        // Logging works again: a play now is in the play log.
        let after = try daemon.client(["play", "bell.start", "--json"])
        let afterID = Reliability.jsonLines(after.stdout).first?["play"] as? Int ?? -1
        let logged = Reliability.jsonLines(try daemon.client(["log", "--json", "--limit", "1000"]).stdout)
        #expect(logged.contains { $0["play"] as? Int == afterID }, "the play after recovery is in the play log: \(logged.count) rows")
        print("full data directory: \(logged.count) plays logged of \(instants.count) bells, 1 manual play during the fault and 1 after; \(Self.count("play log write failed", in: daemon.log_)) failed play-log writes reported")
        #expect(try daemon.client(["library", "import", rig.directory.file("new.wav")]).status == 0)
        #expect(try Reliability.sqlite(rig.directory.file("data/carillon.sqlite"), "PRAGMA integrity_check") == "ok")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: dataDirectory + "/uploads")) ?? []).isEmpty)
    }

    static func iso(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        return String(formatter.string(from: date.addingTimeInterval(-1)).prefix(19))
    }

    @Test(
        "a read-only data directory: refused by the kernel under the running daemon (files open for writing); read-only at start, the daemon starts, plays, refuses changes clearly, and records them once writable again",
        .enabled(if: FaultInjectionTests.canMount, "needs root to mount a tmpfs"))
    func dataDirectoryReadOnly() throws {
        var dataDirectory = ""
        let rig = try Rig.start(prepare: { directory in
            dataDirectory = directory.file("data")
            try Self.mount(dataDirectory, size: "16m")
        })
        defer {
            if rig.daemon.process.isRunning { rig.daemon.stop() }
            Self.unmount(dataDirectory)
            rig.directory.remove()
        }
        // While it runs: SQLite keeps the database and its WAL open for writing, so `remount,ro` is EBUSY.
        let remount = try run("/bin/mount", ["-o", "remount,ro", dataDirectory])
        print("read-only remount while the daemon runs: status \(remount.status) \(remount.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
        if remount.status == 0 {
            // Should a kernel allow it, the daemon must still answer and report the failed writes.
            #expect(try rig.daemon.client(["status"]).status == 0)
            let applied = try rig.daemon.client(["play", "test.noise", "--wait"])
            #expect(applied.status == 0, "a play sounds on a read-only disk")
            _ = try run("/bin/mount", ["-o", "remount,rw", dataDirectory])
        }
        // At start: killed, the directory read-only, started again.
        try rig.directory.write("ro.toml", SchedulerTests.schedule(version: 9, at: [Date().addingTimeInterval(3600)]))
        Reliability.crash(rig.daemon)
        #expect(try run("/bin/mount", ["-o", "remount,ro", dataDirectory]).status == 0)
        let config = try String(contentsOfFile: rig.daemon.configPath, encoding: .utf8)
        var refusedMessage = ""
        do {
            let daemon = try DaemonProcess(config: config, in: rig.directory, readyTimeout: .seconds(30))
            // Opened after all (SQLite reads a WAL database on a read-only filesystem): it must
            // still play, and report the writes it cannot make.
            refusedMessage = "started"
            #expect(try daemon.client(["status"]).status == 0)
            let played = try daemon.client(["play", "test.noise", "--wait"])
            #expect(played.stdout.contains("finished"), "a play on a read-only data directory: \(played.stdout)\(played.stderr)")
            let applied = try daemon.client(["schedule", "apply", rig.directory.file("ro.toml")])
            #expect(applied.status == 1, "a schedule cannot be recorded read-only")
            print("read-only data directory at start: it starts; play \(played.status), apply refused: \(applied.stderr.trimmingCharacters(in: .whitespacesAndNewlines)); failed writes logged: \(Self.count("write failed", in: daemon.log_) + Self.count("cannot save", in: daemon.log_))")
            daemon.stop()
        } catch {
            refusedMessage = "\(error)"
        }
        if refusedMessage != "started" {
            print("read-only data directory at start: \(refusedMessage.split(separator: "\n").filter { $0.contains("database") || $0.contains("exited") }.joined(separator: " | "))")
        }
        #expect(refusedMessage.contains("database") || refusedMessage == "started", "\(refusedMessage)")
        // Writable again: it starts, with everything it held.
        #expect(try run("/bin/mount", ["-o", "remount,rw", dataDirectory]).status == 0)
        let again = try DaemonProcess(config: config, in: rig.directory)
        defer { again.stop() }
        #expect(try again.client(["status"]).status == 0)
        #expect(try Reliability.sqlite(rig.directory.file("data/carillon.sqlite"), "PRAGMA integrity_check") == "ok")
    }

    // MARK: - Clip files

    @Test("a clip file that vanishes or is corrupted after import is refused clearly, cuts nothing, and plays again when restored; a bell after it rings")
    func clipFileVanishesOrRots() throws {
        let rig = try Rig.start()
        defer { rig.stop() }
        let daemon = rig.daemon
        try WAVFile.write(
            path: rig.directory.file("speech.wav"), sampleRate: 48000, channels: 2,
            samples: WAVFile.tone(frequency: 440, seconds: 6, sampleRate: 48000, channels: 2, amplitude: 0.4))
        let imported = try daemon.client(["library", "import", rig.directory.file("speech.wav"), "--id", "recorded.speech", "--json"])
        try #require(imported.status == 0, "\(imported.stderr)")
        let shown = Reliability.jsonLines(try daemon.client(["library", "show", "recorded.speech", "--json"]).stdout).first
        let file = try #require(shown?["file"] as? String)
        let original = try Data(contentsOf: URL(fileURLWithPath: file))

        // Gone: refused, and what sounds is not cut.
        let long = try daemon.client(["play", "test.noise", "--json"])
        try FileManager.default.removeItem(atPath: file)
        let gone = try daemon.client(["play", "recorded.speech"])
        #expect(gone.status == 1 && !gone.stderr.isEmpty, "\(gone.stdout)\(gone.stderr)")
        print("vanished clip: \(gone.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
        let first = Reliability.jsonLines(long.stdout).first?["play"] as? Int ?? 0
        let outcome = try daemon.client(["request", "wait", #"{"play":\#(first)}"#]).stdout
        #expect(outcome.contains("\"outcome\":\"finished\""), "the play under way was not disturbed: \(outcome)")

        // Rotten: garbage where the audio was.
        try Data("RIFF\0\0\0\0WAVEgarbage".utf8).write(to: URL(fileURLWithPath: file))
        let rotten = try daemon.client(["play", "recorded.speech"])
        #expect(rotten.status == 1, "\(rotten.stdout)")
        print("corrupted clip: \(rotten.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")

        // A scheduled event naming the clip fails alone; the bell after it rings.
        let instants = Self.bells(count: 2, every: 2)
        let schedule = SchedulerTests.schedule(version: 1, at: [instants[0]], clip: "recorded.speech")
            .replacingOccurrences(of: "events = [", with: "events = [\n  { at = \"\(Self.time(instants[1]))\", play = \"bell.start\" },")
        try rig.directory.write("s.toml", schedule)
        let applied = try daemon.client(["schedule", "apply", rig.directory.file("s.toml")])
        #expect(applied.status == 0, "\(applied.stderr)")
        try Self.waitForLog(daemon) { _ in SchedulerTests.scheduledPlays(daemon) >= 1 }
        #expect(daemon.log_.contains("scheduled event failed"), "the broken event is reported")

        // Truncated while it plays: the play ends, the daemon goes on.
        try original.write(to: URL(fileURLWithPath: file))
        let playing = try daemon.client(["play", "recorded.speech", "--json"])
        #expect(playing.status == 0, "restored, it plays: \(playing.stderr)")
        let id = Reliability.jsonLines(playing.stdout).first?["play"] as? Int ?? 0
        try rig.capture.waitForSize(rig.capture.size + 48000 * 4 / 2)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
        try handle.truncate(atOffset: 44 + 48000 * 4)
        try handle.close()
        let ended = try daemon.client(["request", "wait", #"{"play":\#(id)}"#]).stdout
        #expect(ended.contains("\"outcome\""), "\(ended)")
        print("clip truncated while playing: \(ended.trimmingCharacters(in: .whitespacesAndNewlines))")
        #expect(try daemon.client(["play", "bell.start", "--wait"]).stdout.contains("finished"))
    }

    static func time(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "HH:mm:ss"
        return formatter.string(from: date)
    }

    // MARK: - The clock

    @Test(
        "the wall clock set while the scheduler sleeps wakes it (timerfd cancel-on-set) and every bell still rings once",
        .enabled(if: getuid() == 0, "needs CAP_SYS_TIME"))
    func clockSet() throws {
        // The machine is shared: the clock is set to what it reads (a step of microseconds), which
        // is a clock change to the kernel all the same. Stepping it by minutes would disturb
        // everything else running here; the policy's handling of real steps is proven on the
        // injected clock (SchoolYearSoakTests, ScheduleTimeChangeTests).
        let rig = try Rig.start()
        defer { rig.stop() }
        let daemon = rig.daemon
        let instants = Self.bells(count: 3, every: 2)
        try rig.directory.write("s.toml", SchedulerTests.schedule(version: 1, at: instants))
        #expect(try daemon.client(["schedule", "apply", rig.directory.file("s.toml")]).status == 0)
        try Self.waitForLog(daemon) { _ in SchedulerTests.scheduledPlays(daemon) >= 1 }
        var set = 0
        for _ in 0..<5 {
            var now = timespec()
            clock_gettime(CLOCK_REALTIME, &now)
            if clock_settime(CLOCK_REALTIME, &now) == 0 { set += 1 }
        }
        #expect(set == 5, "clock_settime refused: errno \(errno)")
        try Self.waitForLog(daemon) { _ in SchedulerTests.scheduledPlays(daemon) >= 3 }
        let plays = Reliability.jsonLines(try daemon.client(["log", "--json", "--source", "schedule"]).stdout)
        #expect(plays.count == 3, "each bell once: \(plays.count)")
        #expect(plays.allSatisfy { $0["outcome"] as? String != "missed" })
    }
}
