import CarillonTesting
import Foundation
import Glibc
import Testing

/// 200 clients at once, a flood of malformed and oversized requests and slow clients, while a
/// day's bells run compressed (the daemon has no time-scaling knob: the schedule itself is
/// compressed, a bell every few seconds) and a plan starts. Short form in `make test`;
/// `make load-test` (CARILLON_LONG=1) runs two minutes of bells with the load on throughout.
@Suite("Load: many clients, bad clients, bells and a plan", .serialized, .ownThread)
struct LoadTests {
    struct Figures {
        var statusAnswered = 0
        var statusFailed = 0
        var statusMaxMS = 0.0
        var statusTotalMS = 0.0
        var peakRSS = 0
        var peakFDs = 0
        var requests = 0
        var refused = 0
        var malformedSent = 0
        var oversizedClosed = 0
        var slowClosed = 0
    }

    @Test("no bell missed, the plan sounds, status is answered throughout, memory and descriptors stay bounded")
    func load() throws {
        let long = Reliability.long
        var generator = SeededGenerator(seed: Reliability.seed("load", fallback: 0x10AD))
        let rig = try Rig.start(
            extraOutputs: Rig.output("yard", capturingTo: "@DIR@/yard.raw"),
            // Room for every client of the test at once, and slow clients closed within the run.
            control: "max_connections = 400\nidle_timeout = 3",
            // Short bells, spaced apart, with little grace: a bell that cannot start within 5 s of its
            // time means the zone was held long after the last sound in it ended, as happened when the
            // engine's reports fell behind the clients' requests.
            extra: "[plans]\ndir = \"@DIR@/plans\"\n[levels.bell]\ngrace = 5",
            catalog: """
                [[clip]]
                id = "alarm.load"
                category = "alarm"
                title = "1 kHz"
                file = "alarm.wav"

                [[clip]]
                id = "bell.load"
                category = "bell"
                title = "800 Hz"
                file = "bell.wav"
                """,
            prepare: { directory in
                try WAVFile.write(
                    path: directory.file("library/alarm.wav"), sampleRate: 48000, channels: 1,
                    samples: WAVFile.tone(frequency: 1000, seconds: 1, sampleRate: 48000, channels: 1))
                try WAVFile.write(
                    path: directory.file("library/bell.wav"), sampleRate: 48000, channels: 1,
                    samples: WAVFile.tone(frequency: 800, seconds: 0.5, sampleRate: 48000, channels: 1))
                try directory.write("plans/load.toml", "title = \"load\"\nzones = [\"yard\"]\n[[step]]\nalarm = \"alarm.load\"\nseconds = 1\n")
            })
        defer { rig.stop() }
        let daemon = rig.daemon
        let yardCapture = CapturePCM(name: "yardcap", path: rig.directory.file("yard.raw"))
        let pid = daemon.process.processIdentifier
        let socket = daemon.socketPath

        let bellCount = long ? 40 : 6
        let instants = FaultInjectionTests.bells(count: bellCount, every: long ? 3 : 2)
        try rig.directory.write("s.toml", SchedulerTests.schedule(version: 1, at: instants, clip: "bell.load"))
        #expect(try daemon.client(["schedule", "apply", rig.directory.file("s.toml")]).status == 0)
        let baseline = Reliability.resources(of: pid)

        let figures = Locked(Figures())
        let done = Locked(false)
        var groups: [DispatchGroup] = []
        // The status probe: its own connection, every answer timed; and the daemon's resources sampled after each.
        groups.append(spawn {
            guard let probe = try? LineClient(unix: socket) else {
                figures.withLock { $0.statusFailed += 1 }
                return
            }
            while !done.get {
                let start = ContinuousClock.now
                let answer = probe.call("status", timeout: .seconds(30))
                let ms = Double((ContinuousClock.now - start) / .microseconds(1)) / 1000
                let (rss, fds) = Reliability.resources(of: pid)
                figures.withLock {
                    if answer?.ok == true {
                        $0.statusAnswered += 1
                        $0.statusMaxMS = max($0.statusMaxMS, ms)
                        $0.statusTotalMS += ms
                    } else {
                        $0.statusFailed += 1
                    }
                    $0.peakRSS = max($0.peakRSS, rss)
                    $0.peakFDs = max($0.peakFDs, fds)
                }
                if answer == nil { return }
            }
        })
        // 200 well-behaved clients, each a mix of reads and, now and then, a background play.
        let perClient = long ? Int.max : 10
        for index in 0..<200 {
            groups.append(spawn {
                guard let client = try? LineClient(unix: socket) else {
                    figures.withLock { $0.refused += 1 }
                    return
                }
                var sent = 0
                while sent < perClient && !done.get {
                    let answer: [String: Any]?
                    switch sent % 5 {
                    case 0: answer = client.call("status")
                    case 1: answer = client.call("schedule.next", ["count": 3])
                    case 2: answer = client.call("library.list")
                    case 3: answer = client.call("log", ["limit": 5])
                    default:
                        answer = index % 10 == 0
                            ? client.call("play", ["clip": "test.noise", "zones": ["main"], "level": "background"]) : client.call("plan.status")
                    }
                    sent += 1
                    guard let answer else {
                        figures.withLock { $0.refused += 1 }
                        return
                    }
                    figures.withLock { $0.requests += 1 }
                    if answer.errorCode == "too-many-connections" { return }
                }
            })
        }
        // Malformed and oversized requests, each on a fresh connection.
        let garbage = [
            "not json at all\n", "{\"id\":1,\"cmd\":\"no-such-command\"}\n", "{\"id\":2,\"cmd\":\"play\",\"args\":{\"clip\":42}}\n",
            "{\"id\":3,\"cmd\":\"play\",\"args\":{\"clip\":\"bell.nope\"}}\n", "\u{0}\u{1}\u{2}\n", "[1,2,3]\n",
            "{\"id\":4,\"cmd\":\"schedule.apply\",\"args\":{\"text\":\"version = x\"}}\n",
        ]
        let malformedRounds = long ? Int.max : 20
        let seeds = (0..<10).map { _ in UInt64.random(in: 0...UInt64.max, using: &generator) }
        for seed in seeds {
            groups.append(spawn {
                var random = SeededGenerator(seed: seed)
                var round = 0
                while round < malformedRounds && !done.get {
                    round += 1
                    guard let client = try? LineClient(unix: socket) else { continue }
                    if Int.random(in: 0..<4, using: &random) == 0 {
                        // Over max_line_bytes (64 KiB): the daemon answers with an error and closes.
                        let size = Int.random(in: 70_000...2_000_000, using: &random)
                        client.send("{\"id\":1,\"cmd\":\"status\",\"pad\":\"" + String(repeating: "x", count: size))
                        while client.readLine(timeout: .seconds(30)) != nil {}
                        figures.withLock { $0.oversizedClosed += 1 }
                    } else {
                        client.send(garbage.randomElement(using: &random)!)
                        _ = client.readLine(timeout: .seconds(30))
                        figures.withLock { $0.malformedSent += 1 }
                    }
                }
            })
        }
        // Slow clients: a byte at a time, a line they never finish; the daemon closes them.
        for _ in 0..<(long ? 20 : 10) {
            groups.append(spawn {
                guard let client = try? LineClient(unix: socket) else { return }
                let line = Array("{\"id\":1,\"cmd\":\"status\"" + String(repeating: " ", count: 10_000))
                for character in line {
                    guard !done.get, client.send(String(character)) else { break }
                    var poller = pollfd(fd: client.fd, events: Int16(POLLIN), revents: 0)
                    // A byte every 100 ms, or at once when the daemon has closed the connection.
                    if poll(&poller, 1, 100) > 0 {
                        figures.withLock { $0.slowClosed += 1 }
                        return
                    }
                }
            })
        }

        // The plan, in the middle of it all, in the yard only.
        try FaultInjectionTests.waitForLog(daemon) { _ in SchedulerTests.scheduledPlays(daemon) >= 1 }
        let yardBefore = yardCapture.size / 4
        let plan = try daemon.client(["plan", "start", "load", "--yes"])
        #expect(plan.status == 0, "\(plan.stderr)")
        try FaultInjectionTests.waitForLog(daemon, timeout: .seconds(long ? 300 : 90)) { _ in SchedulerTests.scheduledPlays(daemon) >= bellCount }
        done.withLock { $0 = true }
        for group in groups { #expect(group.wait(timeout: .now() + 120) == .success, "a client thread hung") }

        // Every bell rang in main, none missed.
        #expect(SchedulerTests.scheduledPlays(daemon) == bellCount)
        let plays = Reliability.jsonLines(try daemon.client(["log", "--json", "--source", "schedule", "--limit", "1000"]).stdout)
        #expect(plays.count == bellCount, "\(plays.count) scheduled plays logged")
        let missed = plays.filter { "\($0)".contains("missed") }
        #expect(missed.isEmpty, "bells missed: \(missed)")
        // The plan sounded in the yard: its 1 kHz alarm is in the yard's capture after the start.
        let samples = yardCapture.samples()
        let alarm = Signal.amplitude(
            of: 1000, in: Signal.channel(samples, 0, of: 2, frames: yardBefore..<min(samples.count / 2, yardBefore + 48000 * 3)),
            sampleRate: 48000)
        #expect(alarm > 0.05, "the plan's alarm is not in the yard: \(alarm)")
        #expect(try daemon.client(["plan", "status", "--json"]).stdout.contains("\"plan\":\"load\""))

        // Resources: bounded during the load, back to the baseline's descriptors after it.
        var after = Reliability.resources(of: pid)
        for _ in 0..<200 where after.fds > baseline.fds + 2 {
            _ = try daemon.client(["status"])
            after = Reliability.resources(of: pid)
        }
        let f = figures.get
        print(
            """
            load (\(long ? "long" : "short")): \(bellCount) bells, \(f.requests) requests from 200 clients (\(f.refused) refused or cut off), \
            \(f.malformedSent) malformed, \(f.oversizedClosed) oversized, \(f.slowClosed) slow clients closed by the daemon;
              status answered \(f.statusAnswered) times, failed \(f.statusFailed), mean \(String(format: "%.1f", f.statusTotalMS / Double(max(f.statusAnswered, 1)))) ms, max \(String(format: "%.1f", f.statusMaxMS)) ms;
              VmRSS baseline \(baseline.rssKiB) KiB, peak \(f.peakRSS) KiB, after \(after.rssKiB) KiB; fds baseline \(baseline.fds), peak \(f.peakFDs), after \(after.fds)
            """)
        #expect(f.statusFailed == 0 && f.statusAnswered > 0, "status went unanswered")
        #expect(f.refused == 0, "well-behaved clients were refused or cut off: \(f.refused)")
        #expect(f.oversizedClosed > 0 && f.malformedSent > 0)
        #expect(f.slowClosed > 0, "no slow client was closed")
        #expect(f.peakFDs <= baseline.fds + 400 + 10, "descriptors beyond max_connections")
        #expect(after.fds <= baseline.fds + 2, "descriptors leaked: \(baseline.fds) before, \(after.fds) after")
        // Under the address sanitizer (`make test-sanitize` says so), its quarantine keeps up to 256 MiB
        // of freed memory, with shadow and redzones on top: measured 569–625 MiB, 169 MiB without the
        // quarantine. There the bound only catches runaway growth.
        let asan = ProcessInfo.processInfo.environment["CARILLON_SANITIZER"] == "address"
        let limitKiB = (asan ? 1024 : 256) * 1024
        #expect(f.peakRSS < limitKiB, "VmRSS peaked at \(f.peakRSS) KiB (limit \(limitKiB) KiB)")
        #expect(try daemon.client(["plan", "stop"]).status == 0)
    }
}
