import CarillonAudio
import CarillonTesting
import Foundation
import Glibc

/// Latencies of one series of triggers, in milliseconds, each from the client's send time.
struct Series {
    /// To the first loud sample written to ALSA (the probe's timestamp): the headline figure.
    var probe: [Double] = []
    /// To that sample reaching the capture file (inotify): one ALSA buffer later, see CaptureWatch.
    var file: [Double] = []
    /// The daemon's own figure (play log `latency_ms`): request read → first sample written.
    var daemon: [Double] = []
    /// To that sample being heard: the probe's figure plus what the device held queued ahead of it
    /// (carillond's play log `heard_latency_ms − latency_ms`; for MPD, the paced probe's device).
    var heard: [Double] = []
    /// Under a flood: bad requests answered per second meanwhile.
    var floodRate: Double?
}

/// What a trigger competes with.
enum Condition: String, CaseIterable {
    case idle
    /// Another clip sounds (background music for carillond; a looping song for MPD).
    case clip
    /// A live shout holds the zone (carillond only).
    case shout
    /// 50 clients flood the control socket with malformed requests.
    case flood
}

/// The catalog, plan and clips every carillond of the bench shares.
enum CarillonLibrary {
    static let catalog = """
        [[clip]]
        id = "bench.loud"
        category = "recorded"
        title = "loud noise, 2 s"
        file = "loud.wav"

        [[clip]]
        id = "bench.quiet"
        category = "recorded"
        title = "quiet noise, 30 s"
        file = "quiet.wav"

        [[clip]]
        id = "alarm.bench"
        category = "alarm"
        title = "loud noise, 2 s, from memory"
        file = "alarm.wav"

        [[clip]]
        id = "bench.bell"
        category = "bell"
        title = "loud noise, 0.1 s"
        file = "bell.wav"

        """

    static func write(into directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try CarillonLibrary.catalog.write(toFile: directory + "/catalog.toml", atomically: true, encoding: .utf8)
        try Clips.write(Clips.loud(seconds: 2), to: directory + "/loud.wav")
        try Clips.write(Clips.quiet(seconds: 30), to: directory + "/quiet.wav")
        try Clips.write(Clips.loud(seconds: 2, seed: 3), to: directory + "/alarm.wav")
        try Clips.write(Clips.loud(seconds: 0.1, seed: 5), to: directory + "/bell.wav")
    }
}

/// A carillond on an ALSA `file`-over-`null` capture PCM, with the probe under it.
final class CarillonRig {
    let directory: TemporaryDirectory
    let daemon: DaemonProcess
    let probe: ProbeLog
    let capture: CaptureWatch
    /// Spawn → READY=1, milliseconds.
    let readyMs: Double
    var socket: String { daemon.socketPath }
    var pid: Int32 { daemon.process.processIdentifier }

    /// - Parameters:
    ///   - library: a library directory; by default the bench's own clips in the rig's directory.
    ///   - data: the data directory; by default a fresh one, so the start is a first start.
    ///   - extra: more config text (a `[schedule]` section).
    init(
        probeLibrary: String, library: String? = nil, data: String? = nil, extra: String = "",
        prepare: (TemporaryDirectory) throws -> Void = { _ in }
    ) throws {
        directory = try TemporaryDirectory("carillon-bench")
        Leftovers.made(directory)
        let pcm = CapturePCM(path: directory.file("capture.raw"))
        if library == nil { try CarillonLibrary.write(into: directory.file("library")) }
        try directory.write(
            "plans/bench.toml",
            """
            title = "bench"
            [[step]]
            alarm = "alarm.bench"
            seconds = 10
            """)
        try prepare(directory)
        probe = ProbeLog(path: directory.file("probe.log"))
        capture = CaptureWatch(path: pcm.path)
        let t0 = monotonic()
        daemon = try DaemonProcess(
            config: pcm.daemonConfig(
                data: data ?? "@DIR@/data", library: library ?? "@DIR@/library", tables: "[plans]\ndir = \"@DIR@/plans\"")
                + "\n" + extra, in: directory, environment: probeEnvironment(library: probeLibrary, log: probe.path, pace: false))
        readyMs = milliseconds(from: t0, to: monotonic())
        Leftovers.started(daemon.process.processIdentifier)
    }

    func stop() {
        capture.stop()
        daemon.stop()
        Leftovers.stopped(daemon.process.processIdentifier)
        directory.remove()
        Leftovers.removed(directory)
    }

    /// Waits until the plan's alarm is decoded into memory, so that a plan start sounds the real clip.
    func waitForPlan() throws {
        let control = try LineSocket(path: socket)
        for _ in 0..<400 {
            let plans = try control.call("plan.list")["plans"] as? [[String: Any]] ?? []
            if plans.first?["ready"] as? Bool == true { return }
            usleep(25_000)
        }
        throw HarnessError("the plan `bench` never became ready")
    }

    /// Waits out the one-off work that follows a start: the plan's alarm decoded, no render job
    /// running, the worker threads of that work retired (libdispatch ends an idle worker 5 s after
    /// its last job), then 1 s in which no thread started or ended and the daemon used under 1 % of
    /// a core. Watched in 250 ms windows; gives up after `limit` seconds. Returns the seconds waited.
    func settle(limit: Double = 20) throws -> Double {
        let t0 = monotonic()
        func seconds(since t: UInt64) -> Double { Double(monotonic() - t) / 1e9 }
        try waitForPlan()
        let control = try LineSocket(path: socket)
        while try control.call("library.progress")["running"] as? Bool == true, seconds(since: t0) < limit { usleep(50_000) }
        var lastBusy = monotonic()
        var lastChange = monotonic()
        var last = ProcessSample(pid: pid)
        while seconds(since: t0) < limit, seconds(since: lastBusy) < 5.5 || seconds(since: lastChange) < 1 {
            usleep(250_000)
            let now = ProcessSample(pid: pid)
            if ProcessSample.rates(last, now).cpuPercent >= 1 { lastBusy = monotonic() }
            if Set(now.perThread.keys) != Set(last.perThread.keys) { lastChange = monotonic() }
            last = now
        }
        return seconds(since: t0)
    }

    /// The daemon's own latency of each play, by play number, from its play log.
    /// Each play's request → first sample written, and first sample written → heard, from the play log.
    func loggedLatencies() throws -> [Int: (written: Double, queued: Double?)] {
        let control = try LineSocket(path: socket)
        let plays = try control.call("log.plays", ["limit": 10000])["plays"] as? [[String: Any]] ?? []
        var latencies: [Int: (written: Double, queued: Double?)] = [:]
        for play in plays {
            guard let id = play["play"] as? Int, let latency = play["latency_ms"] as? Double else { continue }
            latencies[id] = (latency, (play["heard_latency_ms"] as? Double).map { $0 - latency })
        }
        return latencies
    }

    /// The daemon's figures for `plays`, and the heard times: each probe figure plus its play's queue.
    private func fromLog(_ series: inout Series, plays: [(probe: Double, play: Int)]) throws {
        let logged = try loggedLatencies()
        series.daemon = plays.compactMap { logged[$0.play]?.written }
        series.heard = plays.compactMap { entry in logged[entry.play]?.queued.map { entry.probe + $0 } }
    }

    /// Triggers `runs` plays or plan starts (after `warmups` uncounted ones) under `condition`.
    func triggers(plan: Bool, condition: Condition, runs: Int, warmups: Int = 3) throws -> Series {
        let control = try LineSocket(path: socket)
        let flood = condition == .flood ? Flood(socket: socket, clients: 50) : nil
        defer { _ = flood?.stop() }
        if flood != nil { usleep(500_000) }
        var series = Series()
        var plays: [(probe: Double, play: Int)] = []
        for run in 0..<(runs + warmups) {
            var shout: Whisper?
            switch condition {
            case .clip:
                _ = try control.call("play", ["clip": "bench.quiet", "level": "background"])
                usleep(100_000)
            case .shout:
                shout = try Whisper(socket: socket)
                usleep(100_000)
            case .idle, .flood: usleep(20_000)
            }
            probe.drain()
            // Below an emergency every level would wait for the shout, by design; a leader's play may cut it.
            let request =
                plan
                ? LineSocket.request("plan.start", ["plan": "bench"])
                : LineSocket.request("play", condition == .shout ? ["clip": "bench.loud", "level": "emergency"] : ["clip": "bench.loud"])
            let t0 = monotonic()
            try control.send(request)
            guard let line = try control.readLine(),
                let response = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                response["ok"] as? Bool == true, let result = response["result"] as? [String: Any]
            else { throw HarnessError("run \(run): the trigger was refused") }
            guard let onset = probe.next(after: t0) else { throw HarnessError("run \(run): no onset written to ALSA") }
            if run >= warmups {
                series.probe.append(milliseconds(from: t0, to: onset.mono))
                if let seen = capture.reached(frame: onset.frame, frameBytes: 4, after: t0, timeout: 2) {
                    series.file.append(milliseconds(from: t0, to: seen))
                }
                if let id = result["play"] as? Int { plays.append((series.probe.last!, id)) }
            }
            if plan { _ = try control.call("plan.stop") }
            _ = try control.call("stop")
            shout?.finish()
            usleep(60_000)
        }
        try fromLog(&series, plays: plays)
        series.floodRate = flood?.stop()
        return series
    }

    /// A shout's first voice packet sent → its first sample written, over `runs` shouts.
    func shouts(runs: Int, warmups: Int = 3) throws -> Series {
        let encoder = try OpusVoiceEncoder()
        let tone = (0..<(opusFrameSamples * 10)).map { Float(0.5 * sin(2 * Double.pi * 1000 * Double($0) / 48000)) }
        let packets = try (0..<10).map { i in
            Data(try encoder.encode(Array(tone[(i * opusFrameSamples)..<((i + 1) * opusFrameSamples)]))).base64EncodedString()
        }
        var series = Series()
        var plays: [(probe: Double, play: Int)] = []
        for run in 0..<(runs + warmups) {
            let connection = try LineSocket(path: socket)
            let accepted = try connection.call("shout")
            probe.drain()
            let t0 = monotonic()
            for (i, packet) in packets.enumerated() {
                if i > 0 { usleep(20_000) }
                try connection.send(packet)
            }
            try connection.send(".")
            while let line = try connection.readLine(), !line.contains("shout.ended") {}
            guard let onset = probe.next(after: t0) else { throw HarnessError("shout \(run): no voice written to ALSA") }
            if run >= warmups {
                series.probe.append(milliseconds(from: t0, to: onset.mono))
                if let seen = capture.reached(frame: onset.frame, frameBytes: 4, after: t0, timeout: 2) {
                    series.file.append(milliseconds(from: t0, to: seen))
                }
                if let id = accepted["play"] as? Int { plays.append((series.probe.last!, id)) }
            }
            // The probe finds an onset after 20 ms of quiet in what was written: the daemon runs up
            // to 30 ms ahead of the speaker, so a shorter pause could leave less quiet than that.
            usleep(100_000)
        }
        try fromLog(&series, plays: plays)
        return series
    }
}

/// A shout too quiet for the probe's onset detector: something live that a trigger has to cut.
final class Whisper: @unchecked Sendable {
    private let connection: LineSocket
    private let stopping = DispatchSemaphore(value: 0)
    private let stopped = DispatchSemaphore(value: 0)

    init(socket: String) throws {
        connection = try LineSocket(path: socket)
        _ = try connection.call("shout")
        let encoder = try OpusVoiceEncoder()
        let whisper = try Data(encoder.encode((0..<opusFrameSamples).map { Float(0.003 * sin(Double($0) / 10)) })).base64EncodedString()
        let thread = Thread { [self] in
            // One packet every 20 ms, as a microphone would send them, until told to finish.
            while stopping.wait(timeout: .now() + .milliseconds(20)) == .timedOut {
                guard (try? connection.send(whisper)) != nil else { break }
            }
            stopped.signal()
        }
        thread.start()
    }

    /// Ends the shout (if a trigger has not cut it already) and reads its `shout.ended`.
    func finish() {
        stopping.signal()
        stopped.wait()
        _ = try? connection.send(".")
        while let line = try? connection.readLine(), !line.contains("shout.ended") {}
    }
}
