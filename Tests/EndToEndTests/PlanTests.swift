import CarillonProtocol
import CarillonTesting
import Foundation
import Testing

/// Emergency plans against a captured PCM. The test library's alarm is a 1 kHz tone, its message
/// a 500 Hz tone and its drill prefix a 2 kHz tone, so the capture's order can be read back.
@Suite("Emergency plans", .serialized, .ownThread)
struct PlanTests {
    static let catalog = """
        [[clip]]
        id = "alarm.test"
        category = "alarm"
        title = "test alarm"
        file = "alarm1k.wav"

        [[clip]]
        id = "alarm.broken"
        category = "alarm"
        title = "an alarm whose file is damaged"
        file = "corrupt.wav"

        [[clip]]
        id = "alarm.soft"
        category = "alarm"
        title = "a calm tone, as the lockdown plan's"
        file = "alarm700.wav"

        [[clip]]
        id = "msg.test"
        category = "message"
        title = "test message"
        file = "msg500.wav"

        [[clip]]
        id = "msg.drill.prefix"
        category = "message"
        title = "this is a drill"
        file = "drill2k.wav"
        """

    /// The tones `catalog` names, each a pure tone the capture can tell apart.
    static func writeTones(in directory: TemporaryDirectory) throws {
        for (name, frequency, seconds) in [("alarm1k", 1000.0, 1.0), ("alarm700", 700.0, 1.0), ("msg500", 500.0, 1.0), ("drill2k", 2000.0, 0.5)] {
            try WAVFile.write(
                path: directory.file("library/\(name).wav"), sampleRate: 48000, channels: 1,
                samples: WAVFile.tone(frequency: frequency, seconds: seconds, sampleRate: 48000, channels: 1))
        }
    }

    static func start() throws -> Rig {
        try Rig.start(
            extra: """
                [plans]
                dir = "@DIR@/plans"
                [notify]
                command = ["/bin/sh", "-c", "cat >> @DIR@/notified.jsonl; echo >> @DIR@/notified.jsonl"]
                timeout = 5
                """,
            catalog: catalog,
            prepare: { directory in
                try writeTones(in: directory)
                try directory.write(
                    "plans/test.toml",
                    """
                    title = "测试预案"
                    [[step]]
                    alarm = "alarm.test"
                    seconds = 1
                    [[step]]
                    message = "msg.test"
                    [[notify]]
                    role = "leader"
                    task = "指挥疏散"
                    [[notify]]
                    group = "class-teachers"
                    task = "带领学生撤离"
                    """)
                try directory.write(
                    "plans/intro.toml",
                    """
                    title = "先避险后疏散"
                    [[intro]]
                    message = "msg.drill.prefix"
                    [[step]]
                    alarm = "alarm.test"
                    seconds = 1
                    [[step]]
                    message = "msg.test"
                    """)
                // As the shipped lockdown plan: a calm tone, never the evacuation alarm.
                try directory.write(
                    "plans/lockdown.toml",
                    """
                    title = "封闭"
                    [[step]]
                    alarm = "alarm.soft"
                    seconds = 1
                    [[step]]
                    message = "msg.test"
                    """)
                try directory.write(
                    "plans/quiet.toml",
                    """
                    title = "只有广播"
                    [[step]]
                    message = "msg.test"
                    [[step]]
                    pause = 0.5
                    """)
                try directory.write(
                    "plans/broken.toml",
                    """
                    title = "损坏的警报"
                    [[step]]
                    alarm = "alarm.broken"
                    seconds = 2
                    """)
            })
    }

    /// Waits, half a second of capture at a time, until the capture from `frame` holds `count` tones.
    /// A plan's steps follow the engine's reports, which a loaded machine delays: waiting for a
    /// fixed length of capture (silence counts) raced them.
    static func waitForTones(_ rig: Rig, from frame: Int, count: Int, timeout: Duration = .seconds(60)) throws -> [String] {
        let deadline = ContinuousClock.now + timeout
        var order = tones(rig, from: frame)
        while order.count < count, ContinuousClock.now < deadline {
            try waitFor(rig, seconds: 0.5)
            order = tones(rig, from: frame)
        }
        return order
    }

    /// The test tone loudest in the 0.1 s window of the left channel from `start`; nil for silence.
    static func label(_ samples: [Int16], at start: Int) -> String? {
        let window = Signal.channel(samples, 0, of: 2, frames: start..<(start + 4800))
        let amplitudes = [("1k", 1000.0), ("700", 700.0), ("500", 500.0), ("2k", 2000.0)].map {
            ($0.0, Signal.amplitude(of: $0.1, in: window, sampleRate: 48000))
        }
        guard let best = amplitudes.max(by: { $0.1 < $1.1 }), best.1 > 0.05 else { return nil }
        return best.0
    }

    /// The capture read as 0.1 s windows labelled by their loudest test tone, runs and silences collapsed.
    static func tones(_ rig: Rig, from frame: Int = 0) -> [String] {
        let samples = rig.capture.samples()
        let frames = samples.count / 2
        var labels: [String] = []
        var start = frame
        while start + 4800 <= frames {
            let label = Self.label(samples, at: start) ?? "-"
            if label != "-" && labels.last != label { labels.append(label) }
            start += 4800
        }
        return labels
    }

    /// Waits until the capture holds `seconds` more audio than now.
    static func waitFor(_ rig: Rig, seconds: Double) throws {
        try rig.capture.waitForSize(rig.capture.size + Int(seconds * 48000) * 4, timeout: .seconds(60))
    }

    @Test("a plan started while a bell plays cuts the bell, then alternates alarm and message; stop frees the zone")
    func fireCutsBell() throws {
        let rig = try Self.start()
        defer { rig.stop() }
        let bell = try rig.daemon.client(["play", "bell.start", "--json"])
        let bellID = try Wire.decoder().decode(PlayInfo.self, from: Data(bell.stdout.utf8)).play
        try Self.waitFor(rig, seconds: 0.3)
        let startFrame = rig.capture.samples().count / 2
        let started = try rig.daemon.client(["plan", "start", "test", "--yes"])
        #expect(started.status == 0, "\(started.stderr)")
        let outcome = try rig.daemon.client(["request", "wait", #"{"play":\#(bellID)}"#])
        #expect(outcome.stdout.contains("\"outcome\":\"cut\""), "\(outcome.stdout)")
        let order = try Self.waitForTones(rig, from: startFrame, count: 4)
        #expect(Array(order.prefix(4)) == ["1k", "500", "1k", "500"], "\(order)")
        let stopped = try rig.daemon.client(["plan", "stop", "test"])
        #expect(stopped.status == 0, "\(stopped.stderr)")
        // The zone is the schedule's again: an ordinary play sounds to its end.
        let after = try rig.daemon.client(["play", "test.noise", "--wait"])
        #expect(after.status == 0 && after.stdout.contains("finished"), "\(after.stdout) \(after.stderr)")
        let log = try rig.daemon.client(["log", "--plans", "--json"])
        #expect(log.stdout.contains("\"outcome\":\"stopped\"") && log.stdout.contains("\"drill\":false"), "\(log.stdout)")
        let plays = try rig.daemon.client(["log", "--json", "--source", "plan"])
        #expect(plays.stdout.contains("plan.test"), "\(plays.stdout)")
    }

    @Test("a drill prefixes each message with the drill announcement, and is logged as a drill")
    func drill() throws {
        let rig = try Self.start()
        defer { rig.stop() }
        let startFrame = rig.capture.samples().count / 2
        let started = try rig.daemon.client(["plan", "start", "test", "--drill", "--yes"])
        #expect(started.status == 0, "\(started.stderr)")
        let order = try Self.waitForTones(rig, from: startFrame, count: 6)
        _ = try rig.daemon.client(["plan", "stop"])
        #expect(Array(order.prefix(6)) == ["1k", "2k", "500", "1k", "2k", "500"], "\(order)")
        let log = try rig.daemon.client(["log", "--plans", "--json"])
        #expect(log.stdout.contains("\"drill\":true"), "\(log.stdout)")
        let plays = try rig.daemon.client(["log", "--json", "--source", "drill"])
        #expect(plays.stdout.contains("plan.test"), "\(plays.stdout)")
    }

    @Test("the notifier command receives the plan event as JSON, with every task")
    func notifier() throws {
        let rig = try Self.start()
        defer { rig.stop() }
        #expect(try rig.daemon.client(["plan", "start", "test", "--yes"]).status == 0)
        let file = rig.directory.file("notified.jsonl")
        try FileWatch.wait(for: file, timeout: .seconds(30)) {
            (try? String(contentsOfFile: file, encoding: .utf8))?.contains("\n") == true
        }
        let line = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n")[0]
        let event = try Wire.decoder().decode(Event.self, from: Data(line.utf8))
        #expect(event.event == "plan.started" && event.plan == "test" && event.drill == false)
        #expect(event.tasks == [PlanTask(audience: "leader", task: "指挥疏散"), PlanTask(audience: "class-teachers", task: "带领学生撤离")])
        #expect(event.zones == ["main"] && event.by?.contains("uid 0") == true)
    }

    @Test("after kill -9 during a plan, the restarted daemon sounds the plan again")
    func resumesAfterCrash() throws {
        let rig = try Self.start()
        defer { rig.stop() }
        #expect(try rig.daemon.client(["plan", "start", "test", "--yes"]).status == 0)
        try Self.waitFor(rig, seconds: 0.5)
        kill(rig.daemon.process.processIdentifier, SIGKILL)
        rig.daemon.process.waitUntilExit()
        let config = try String(contentsOfFile: rig.daemon.configPath, encoding: .utf8)
        let restarted = try DaemonProcess(config: config, in: rig.directory)
        defer { restarted.stop() }
        let status = try restarted.client(["plan", "status", "--json"])
        #expect(status.stdout.contains("\"plan\":\"test\""), "\(status.stdout)")
        let before = rig.capture.samples().count / 2
        try Self.waitFor(rig, seconds: 1.5)
        #expect(Self.tones(rig, from: before).contains("1k"), "the alarm did not sound after the restart")
        let log = try restarted.client(["log", "--plans", "--json"])
        #expect(log.stdout.contains("resumed after restart"), "\(log.stdout)")
    }

    /// The first frame from `frame` on whose left channel is not silent.
    static func firstSound(_ rig: Rig, from frame: Int) -> Int? {
        let samples = rig.capture.samples()
        return (frame..<(samples.count / 2)).first { abs(Int(samples[2 * $0])) > 300 }
    }

    /// The RMS of 0.3 s of the left channel well inside the first sounding of `tone` from `frame`:
    /// from the 0.1 s window after the first one `tones` labels with it, so that neither silence
    /// before the tone (a stopped plan's tail, the wait for the next start) nor its edges count.
    static func rms(of tone: String, _ rig: Rig, from frame: Int) -> Double? {
        let samples = rig.capture.samples()
        let frames = samples.count / 2
        var start = frame
        while start + 4 * 4800 <= frames {
            if Self.label(samples, at: start) == tone {
                return Signal.rms(Signal.channel(samples, 0, of: 2, frames: (start + 4800)..<(start + 4 * 4800)))
            }
            start += 4800
        }
        return nil
    }

    @Test("a resumed plan sounds its own audio at the library's loudness from its first sample; a plan with no alarm never gets one")
    func resumedPlansSoundTheirOwnAudio() throws {
        let rig = try Self.start()
        var daemon = rig.daemon
        defer { _ = daemon.stop() }
        defer { rig.stop() }
        // Each plan with its first tone and how many tones its cycle has (quiet's repeats one).
        for (plan, first, tones) in [("test", "1k", 2), ("lockdown", "700", 2), ("quiet", "500", 1)] {
            // Started normally: the loudness its first tone has.
            let startFrame = rig.capture.samples().count / 2
            #expect(try daemon.client(["plan", "start", plan, "--yes"]).status == 0)
            _ = try Self.waitForTones(rig, from: startFrame, count: tones)
            try Self.waitFor(rig, seconds: 0.5)
            let measured = Self.rms(of: first, rig, from: startFrame)
            let normal = try #require(measured, "\(plan): no \(first) tone after its start")
            // Killed while it runs, then restarted: it must sound again, as itself.
            kill(daemon.process.processIdentifier, SIGKILL)
            daemon.process.waitUntilExit()
            let config = try String(contentsOfFile: daemon.configPath, encoding: .utf8)
            // A fresh capture file, so that frame 0 is the restart's and nothing of the old one remains.
            unlink(rig.capture.path)
            daemon = try DaemonProcess(config: config, in: rig.directory)
            let order = try Self.waitForTones(rig, from: 0, count: tones)
            #expect(order.first == first, "\(plan) resumed with \(order)")
            let onset = Self.firstSound(rig, from: 0)
            let resumedOnset = try #require(onset, "\(plan): silence after the restart")
            // 520 Hz is the synthesized stand-in alarm: not a trace of it in the first second (the stand-in
            // measured 0.42 to 0.82 here; a 500 Hz message leaks about 0.015 into this bin).
            let samples = rig.capture.samples()
            let opening = Signal.channel(samples, 0, of: 2, frames: resumedOnset..<min(samples.count / 2, resumedOnset + 48000))
            #expect(Signal.amplitude(of: 520, in: opening, sampleRate: 48000) < 0.05, "\(plan) resumed with the stand-in alarm")
            try Self.waitFor(rig, seconds: 0.5)
            let heard = Self.rms(of: first, rig, from: 0)
            let resumed = try #require(heard, "\(plan): no \(first) tone after the restart")
            // The old stand-in was 5 to 13 dB off.
            #expect(abs(Signal.dB(resumed / normal)) < 1, "\(plan): \(Signal.dB(resumed / normal)) dB from its normal loudness")
            #expect(try daemon.client(["plan", "stop", plan]).status == 0)
            // Past the stopped plan's last written audio, so the next start is measured alone.
            try Self.waitFor(rig, seconds: 0.3)
        }
    }

    @Test("a plan whose alarm clip cannot be decoded still sounds the synthesized alarm")
    func brokenAlarm() throws {
        let rig = try Self.start()
        defer { rig.stop() }
        try Self.waitFor(rig, seconds: 0.1)
        let startFrame = rig.capture.samples().count / 2
        #expect(try rig.daemon.client(["plan", "start", "broken", "--yes"]).status == 0)
        try Self.waitFor(rig, seconds: 1.5)
        let samples = rig.capture.samples()
        let left = Signal.channel(samples, 0, of: 2, frames: startFrame..<(samples.count / 2))
        #expect(Signal.rms(left) > 0.05, "silence where the alarm should sound")
    }

    @Test("an unknown plan is not found; only a leader may start one")
    func refusals() throws {
        let rig = try Self.start()
        defer { rig.stop() }
        let unknown = try rig.daemon.client(["plan", "start", "nope", "--yes"])
        #expect(unknown.status == 1 && unknown.stderr.contains("no plan"), "\(unknown.stderr)")
        guard getuid() == 0 else { return }
        chmod(rig.directory.path, 0o755)
        chmod(rig.daemon.socketPath, 0o666)
        let teacher = try run(
            "/usr/bin/setpriv",
            ["--reuid=52000", "--regid=52000", "--clear-groups", Binaries.client, "--socket", rig.daemon.socketPath, "plan", "start", "test", "--yes"])
        #expect(teacher.status == 4, "a viewer's plan start must be refused: \(teacher.stderr)")
    }

    @Test("a running plan suspends the schedule in its zones: a bell due meanwhile does not ring")
    func suspendsSchedule() throws {
        let rig = try Self.start()
        defer { rig.stop() }
        #expect(try rig.daemon.client(["plan", "start", "test", "--yes"]).status == 0)
        let due = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.up) + 2)
        try rig.directory.write("schedule.toml", SchedulerTests.schedule(version: 5, at: [due]))
        let applied = try rig.daemon.client(["schedule", "apply", rig.directory.file("schedule.toml")])
        #expect(applied.status == 0, "\(applied.stderr)")
        let logFile = rig.directory.file("daemon.log")
        try FileWatch.wait(for: logFile, timeout: .seconds(30)) { rig.daemon.log_.contains("suspended by the running plan") }
        #expect(SchedulerTests.scheduledPlays(rig.daemon) == 0, "a scheduled play sounded under the plan")
        let status = try rig.daemon.client(["plan", "status", "--json"])
        #expect(status.stdout.contains("\"plan\":\"test\""))
    }

    @Test("a plan's intro plays once, before the first cycle, and the cycle alone repeats")
    func introOnce() throws {
        let rig = try Self.start()
        defer { rig.stop() }
        // Until its audio is prepared (just after READY) a plan sounds its alarm alone, by design.
        try FaultInjectionTests.waitForLog(rig.daemon) { $0.contains("plans ready") }
        let startFrame = rig.capture.samples().count / 2
        #expect(try rig.daemon.client(["plan", "start", "intro", "--yes"]).status == 0)
        // Three cycles' worth: an intro that came back would stand before the third alarm.
        let order = try Self.waitForTones(rig, from: startFrame, count: 6)
        _ = try rig.daemon.client(["plan", "stop"])
        #expect(Array(order.prefix(6)) == ["2k", "1k", "500", "1k", "500", "1k"], "\(order)")
        #expect(order.filter { $0 == "2k" }.count == 1, "the intro came back: \(order)")
    }

    @Test("a second plan supersedes the first: the newest emergency wins, and the first run says so")
    func supersedes() throws {
        let rig = try Self.start()
        defer { rig.stop() }
        #expect(try rig.daemon.client(["plan", "start", "test", "--yes"]).status == 0)
        try Self.waitFor(rig, seconds: 0.3)
        #expect(try rig.daemon.client(["plan", "start", "broken", "--yes"]).status == 0)
        // The first plan's cut play has ended by the time the second's alarm is heard for a while.
        try Self.waitFor(rig, seconds: 0.5)
        let status = try rig.daemon.client(["plan", "status", "--json"])
        #expect(status.stdout.contains("\"plan\":\"broken\""), "\(status.stdout)")
        let runs = try rig.daemon.client(["log", "--plans", "--json"]).stdout.split(separator: "\n")
        let first = try #require(runs.first { $0.contains("\"plan\":\"test\"") })
        #expect(first.contains("\"outcome\":\"superseded\""), "\(first)")
        #expect(!first.contains("\"step\":\"cut\""), "the superseded run was ended twice: \(first)")
        let second = try #require(runs.first { $0.contains("\"plan\":\"broken\"") })
        #expect(second.contains("\"outcome\":\"running\""), "\(second)")
    }

    @Test("a stop sent the moment the alarm is written finds the plan running, and every run is closed as stopped")
    func stopAsItSounds() throws {
        let rig = try Self.start()
        defer { rig.stop() }
        let starter = try LineClient(unix: rig.daemon.socketPath)
        let stopper = try LineClient(unix: rig.daemon.socketPath)
        let watcher = try LineClient(unix: rig.daemon.socketPath)
        #expect(watcher.call("events", ["kinds": ["play.started"]])?.ok == true)
        let rounds = 5
        for round in 1...rounds {
            // The start's answer is not awaited: the stop goes out once its alarm is written, while
            // the daemon may still be recording the run (it once answered "no plan is running").
            #expect(starter.send("{\"id\":\(round),\"cmd\":\"plan.start\",\"args\":{\"plan\":\"test\"}}\n"))
            var sounded = false
            while let line = watcher.readLine(timeout: .seconds(20)) {
                if line.contains("\"clip\":\"plan.test\"") {
                    sounded = true
                    break
                }
            }
            try #require(sounded, "round \(round): the plan's alarm never started")
            let stopped = stopper.call("plan.stop")
            #expect(stopped?.ok == true, "round \(round): \(stopped ?? [:])")
            let started = starter.readLine(timeout: .seconds(20)) ?? ""
            #expect(started.contains("\"ok\":true"), "round \(round): \(started)")
        }
        #expect(try rig.daemon.client(["plan", "status", "--json"]).stdout.contains("\"active\"") == false)
        let runs = Reliability.jsonLines(try rig.daemon.client(["log", "--plans", "--json"]).stdout)
        #expect(runs.count == rounds && runs.allSatisfy { $0["outcome"] as? String == "stopped" }, "\(runs)")
    }
}
