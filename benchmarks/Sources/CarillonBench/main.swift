// carillon-bench: latency measurements against a real carillond on a capture PCM, timed from
// outside the daemon: the client's send time, and the capture file's growth seen through inotify.
import CarillonAudio
import CarillonControl
import CarillonProtocol
import CarillonTesting
import Foundation
import Synchronization

/// CLOCK_MONOTONIC in nanoseconds.
func monotonic() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Watches a capture file (raw S16) as it grows, and reports when a sample louder than a threshold
/// first appears after it was armed.
final class OnsetWatcher: Sendable {
    private struct State {
        var armed = false
        var offset = 0
        var onset: UInt64?
    }

    private let path: String
    private let state = Mutex(State())

    init(path: String) throws {
        self.path = path
        let thread = Thread { [self] in self.watch() }
        thread.start()
    }

    /// Starts looking for an onset in what is written from now on.
    func arm() {
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        state.withLock { $0 = State(armed: true, offset: size - size % 4, onset: nil) }
    }

    /// Waits (up to 5 s) for the onset; returns its monotonic time.
    func onset() -> UInt64? {
        for _ in 0..<5000 {
            if let onset = state.withLock({ $0.onset }) { return onset }
            usleep(1000)
        }
        return nil
    }

    private func watch() {
        let fd = inotify_init1(Int32(IN_CLOEXEC))
        _ = inotify_add_watch(fd, path, UInt32(IN_MODIFY))
        let file = open(path, O_RDONLY)
        var events = [UInt8](repeating: 0, count: 4096)
        var chunk = [Int16](repeating: 0, count: 65536)
        while read(fd, &events, events.count) > 0 {
            let now = monotonic()
            let (armed, offset) = state.withLock { ($0.armed, $0.offset) }
            guard armed else { continue }
            let n = chunk.withUnsafeMutableBytes { pread(file, $0.baseAddress, $0.count, off_t(offset)) }
            guard n > 0 else { continue }
            let samples = n / 2
            let loud = chunk[0..<samples].contains { abs(Int32($0)) > 300 }
            state.withLock { s in
                guard s.armed else { return }
                s.offset += samples * 2
                if loud {
                    s.onset = now
                    s.armed = false
                }
            }
        }
    }
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
}

/// A daemon with one stereo output captured to a raw file, an alarm clip, and a plan `bench`.
func startDaemon() throws -> (DaemonProcess, String) {
    let directory = try TemporaryDirectory("carillon-bench")
    let capture = CapturePCM(path: directory.file("capture.raw"))
    try directory.write(
        "library/catalog.toml",
        """
        [[clip]]
        id = "alarm.evacuation"
        category = "alarm"
        title = "evacuation alarm"
        synth = "evacuation-alarm"
        """)
    try directory.write(
        "plans/bench.toml",
        """
        title = "bench"
        [[step]]
        alarm = "alarm.evacuation"
        seconds = 10
        """)
    let daemon = try DaemonProcess(
        config: """
            [station]
            data_dir = "@DIR@/data"
            [control]
            socket = "@DIR@/control.sock"
            [library]
            dir = "@DIR@/library"
            [plans]
            dir = "@DIR@/plans"
            [[output]]
            name = "main"
            device = "cap"
            alsa_conf = '''
            \(capture.alsaConfig)
            '''
            """, in: directory)
    return (daemon, capture.path)
}

/// Shout: first packet written by the client → first voice sample written to ALSA.
func shoutLatency(runs: Int) async throws -> [Double] {
    let (daemon, capture) = try startDaemon()
    defer { daemon.stop(); daemon.directory.remove() }
    let watcher = try OnsetWatcher(path: capture)
    let encoder = try OpusVoiceEncoder()
    let tone = (0..<(opusFrameSamples * 15)).map { Float(0.5 * sin(2 * Double.pi * 1000 * Double($0) / 48000)) }
    let packets = try (0..<15).map { i in
        Data(Data(try encoder.encode(Array(tone[(i * opusFrameSamples)..<((i + 1) * opusFrameSamples)]))).base64EncodedString().utf8)
    }
    var latencies: [Double] = []
    for run in 0..<(runs + 3) {
        let sent: UInt64 = try await ControlConnection.with(.unixDomainSocket(path: daemon.socketPath)) { connection in
            _ = try await connection.call(.shout, ShoutArgs(), returning: ShoutAccepted.self)
            watcher.arm()
            let t0 = monotonic()
            for (i, packet) in packets.enumerated() {
                try await connection.writeLine(packet)
                if i == 0 { continue }
                try await Task.sleep(for: .milliseconds(20))
            }
            try await connection.writeLine(Data(".".utf8))
            while let line = try await connection.nextLine(), !String(decoding: line, as: UTF8.self).contains("shout.ended") {}
            return t0
        }
        guard let onset = watcher.onset() else { throw HarnessError("run \(run): no voice reached the capture") }
        // The first runs warm the daemon's code paths up; they are not counted.
        if run >= 3 { latencies.append(Double(onset - sent) / 1e6) }
        try await Task.sleep(for: .milliseconds(30))
    }
    let log = try await ControlConnection.with(.unixDomainSocket(path: daemon.socketPath)) {
        try await $0.call(.logPlays, LogArgs(source: "shout", limit: runs), returning: LogResult.self)
    }
    let inside = log.plays.compactMap(\.latencyMs)
    FileHandle.standardError.write(
        Data("daemon-side first packet → first frame written: p50 \(percentile(inside, 0.5)) ms, p95 \(percentile(inside, 0.95)) ms, max \(inside.max() ?? .nan) ms\n".utf8))
    return latencies
}

/// Plan start: the request sent → the first alarm sample written, idle or over a quiet shout.
func planLatency(runs: Int, duringShout: Bool) async throws -> [Double] {
    let (daemon, capture) = try startDaemon()
    defer { daemon.stop(); daemon.directory.remove() }
    let socket = ControlAddress.unixDomainSocket(path: daemon.socketPath)
    // Until the alarm is decoded into memory, the plan would use the stand-in; wait for the real one.
    for _ in 0..<200 {
        let list = try await ControlConnection.with(socket) { try await $0.call(.planList, Empty(), returning: PlanList.self) }
        if list.plans.first?.ready == true { break }
        try await Task.sleep(for: .milliseconds(50))
    }
    let watcher = try OnsetWatcher(path: capture)
    // A shout too quiet for the onset detector, so that the alarm has to cut a live voice.
    let encoder = try OpusVoiceEncoder()
    let whisper = try Data(Data(encoder.encode((0..<opusFrameSamples).map { Float(0.003 * sin(Double($0) / 10)) })).base64EncodedString().utf8)
    var latencies: [Double] = []
    for run in 0..<(runs + 3) {
        let shout: Task<Void, any Error>? =
            duringShout
            ? Task {
                try await ControlConnection.with(socket) { connection in
                    _ = try await connection.call(.shout, ShoutArgs(), returning: ShoutAccepted.self)
                    while !Task.isCancelled {
                        try await connection.writeLine(whisper)
                        try await Task.sleep(for: .milliseconds(20))
                    }
                }
            } : nil
        if duringShout { try await Task.sleep(for: .milliseconds(300)) }
        let sent: UInt64 = try await ControlConnection.with(socket) { connection in
            watcher.arm()
            let t0 = monotonic()
            _ = try await connection.call(.planStart, PlanStartArgs(plan: "bench"), returning: ActivePlanInfo.self)
            return t0
        }
        guard let onset = watcher.onset() else { throw HarnessError("run \(run): no alarm reached the capture") }
        if run >= 3 { latencies.append(Double(onset - sent) / 1e6) }
        _ = try await ControlConnection.with(socket) { try await $0.call(.planStop, PlanStopArgs(), returning: PlanStatus.self) }
        shout?.cancel()
        _ = await shout?.result
        try await Task.sleep(for: .milliseconds(100))
    }
    // The daemon's own figure beside it: request handled → first frame written (its play log).
    let log = try await ControlConnection.with(socket) {
        try await $0.call(.logPlays, LogArgs(source: "plan", limit: runs), returning: LogResult.self)
    }
    let inside = log.plays.compactMap(\.latencyMs)
    FileHandle.standardError.write(
        Data("daemon-side request → first frame written: p50 \(percentile(inside, 0.5)) ms, p99 \(percentile(inside, 0.99)) ms, max \(inside.max() ?? .nan) ms\n".utf8))
    return latencies
}

func report(_ values: [Double]) throws {
    let summary: [String: Double] = [
        "runs": Double(values.count), "p50_ms": percentile(values, 0.5), "p95_ms": percentile(values, 0.95),
        "p99_ms": percentile(values, 0.99), "max_ms": values.max() ?? .nan, "min_ms": values.min() ?? .nan,
    ]
    let json = try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys])
    print(String(decoding: json, as: UTF8.self))
}

let arguments = CommandLine.arguments.dropFirst()
guard let command = arguments.first else {
    print("usage: carillon-bench shout-latency|plan-latency|plan-latency-during-shout [RUNS]")
    exit(2)
}
switch command {
case "shout-latency":
    try report(try await shoutLatency(runs: arguments.dropFirst().first.flatMap { Int($0) } ?? 50))
case "plan-latency":
    try report(try await planLatency(runs: arguments.dropFirst().first.flatMap { Int($0) } ?? 50, duringShout: false))
case "plan-latency-during-shout":
    try report(try await planLatency(runs: arguments.dropFirst().first.flatMap { Int($0) } ?? 50, duringShout: true))
default:
    print("unknown measurement \(command)")
    exit(2)
}
