import CarillonTesting
import Foundation
import Glibc
import Synchronization

/// CLOCK_MONOTONIC in nanoseconds: the clock of every latency here, the probe's included.
func monotonic() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

func milliseconds(from start: UInt64, to end: UInt64) -> Double { (Double(end) - Double(start)) / 1e6 }

/// Nearest-rank percentile of `values` (`p` in 0...1); NaN when empty.
func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    return sorted[min(sorted.count - 1, max(0, Int((Double(sorted.count) * p).rounded(.up)) - 1))]
}

/// Progress on stderr, so that a long run shows where it is.
func note(_ text: String) {
    FileHandle.standardError.write(Data("[bench \(String(format: "%6.1f", (Double(monotonic()) - Double(benchStart)) / 1e9))s] \(text)\n".utf8))
}

/// When the bench started (first asked for: `main` asks at once).
let benchStart = monotonic()

/// The wall time of each section of the run, in the order they ran: `make bench` has a budget.
final class PhaseClock {
    private(set) var laps: [(name: String, seconds: Double)] = []
    private var started = monotonic()

    /// Ends the section that ran since the last lap (or the start) and names it.
    func lap(_ name: String) {
        let now = monotonic()
        laps.append((name, Double(now - started) / 1e9))
        started = now
    }

    var json: [String: Double] { Dictionary(laps.map { ($0.name, $0.seconds) }, uniquingKeysWith: +) }

    var summary: String {
        laps.map { $0.name + String(format: " %.1f s", $0.seconds) }.joined(separator: ", ")
            + String(format: "; %.1f s in all", laps.reduce(0) { $0 + $1.seconds })
    }
}

/// A blocking line-oriented client on a UNIX stream socket: the same code talks to both daemons,
/// and a request's send time is taken just before its bytes go to the kernel.
final class LineSocket {
    let fd: Int32
    private var buffer = [UInt8]()
    private var start = 0

    init(path: String) throws { fd = try UnixSocket.connect(path) }

    deinit { close(fd) }

    /// Writes `line` and a newline, all of it.
    func send(_ line: String) throws {
        let bytes = Array((line + "\n").utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw HarnessError("send failed: \(String(cString: strerror(errno)))") }
            offset += n
        }
    }

    /// The next line without its newline; nil once the peer has closed.
    func readLine() throws -> String? {
        while true {
            if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[start..<newline], as: UTF8.self)
                start = newline + 1
                if start > 65536 {
                    buffer.removeFirst(start)
                    start = 0
                }
                return line
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = recv(fd, &chunk, chunk.count, 0)
            if n == 0 { return nil }
            guard n > 0 else {
                if errno == EINTR { continue }
                throw HarnessError("recv failed: \(String(cString: strerror(errno)))")
            }
            buffer.append(contentsOf: chunk[0..<n])
        }
    }

    /// carillond: one request line, one response line, parsed.
    func call(_ cmd: String, _ args: [String: Any] = [:]) throws -> [String: Any] {
        try send(Self.request(cmd, args))
        guard let line = try readLine() else { throw HarnessError("carillond closed the connection on \(cmd)") }
        guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw HarnessError("not a response: \(line)")
        }
        guard object["ok"] as? Bool == true else { throw HarnessError("\(cmd) refused: \(line)") }
        return object["result"] as? [String: Any] ?? [:]
    }

    static func request(_ cmd: String, _ args: [String: Any] = [:]) -> String {
        let data = try! JSONSerialization.data(withJSONObject: ["cmd": cmd, "args": args], options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    /// MPD: sends a command (or command list), reads up to its `OK` or `ACK` line.
    @discardableResult
    func mpd(_ command: String) throws -> [String] {
        try send(command)
        var lines: [String] = []
        while let line = try readLine() {
            if line == "OK" { return lines }
            if line.hasPrefix("ACK") { throw HarnessError("mpd refused `\(command)`: \(line)") }
            lines.append(line)
        }
        throw HarnessError("mpd closed the connection on `\(command)`")
    }

    /// Waits until a socket at `path` accepts a connection; returns the connection.
    static func waitFor(path: String, timeout: Double = 30) throws -> LineSocket {
        let deadline = monotonic() + UInt64(timeout * 1e9)
        while true {
            if let socket = try? LineSocket(path: path) { return socket }
            guard monotonic() < deadline else { throw HarnessError("nothing listens on \(path)") }
            usleep(500)
        }
    }
}

/// CPU time, context switches and memory of a process, thread by thread, from /proc.
struct ProcessSample {
    /// Per thread (by id): time on a CPU (schedstat, nanoseconds), voluntary context switches (the
    /// thread slept: each is one wake-up) and involuntary ones (it was preempted: the machine's
    /// load, not the daemon's doing).
    var perThread: [Int: (cpu: UInt64, wakeups: UInt64, preemptions: UInt64)] = [:]
    var rssKB = 0
    var anonKB = 0
    var threads: Int { perThread.count }
    let at = monotonic()

    /// Summed over the threads.
    var cpu: UInt64 { perThread.values.reduce(0) { $0 + $1.cpu } }

    init(pid: Int32) {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        for task in tasks {
            guard let tid = Int(task) else { continue }
            var cpu: UInt64 = 0
            var wakeups: UInt64 = 0
            var preemptions: UInt64 = 0
            if let stat = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/schedstat", encoding: .utf8),
                let ns = stat.split(separator: " ").first.flatMap({ UInt64($0) })
            {
                cpu = ns
            }
            for (key, value) in Self.fields("/proc/\(pid)/task/\(task)/status") {
                if key == "voluntary_ctxt_switches" { wakeups = UInt64(value) ?? 0 }
                if key == "nonvoluntary_ctxt_switches" { preemptions = UInt64(value) ?? 0 }
            }
            perThread[tid] = (cpu, wakeups, preemptions)
        }
        for (key, value) in Self.fields("/proc/\(pid)/status") {
            if key == "VmRSS" { rssKB = Int(value.split(separator: " ").first ?? "") ?? 0 }
            if key == "RssAnon" { anonKB = Int(value.split(separator: " ").first ?? "") ?? 0 }
        }
    }

    private static func fields(_ path: String) -> [(String, String)] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
    }

    /// CPU use between two samples, in percent of one core, wake-ups and preemptions per second. Thread by
    /// thread: a thread started in between counts whole, and one that ended in between (its last
    /// figures are lost with it) counts for nothing rather than making the sum go down; `ended`
    /// says how many did.
    static func rates(_ a: ProcessSample, _ b: ProcessSample) -> (cpuPercent: Double, wakeups: Double, preemptions: Double, ended: Int) {
        let seconds = Double(b.at - a.at) / 1e9
        var cpu: UInt64 = 0
        var wakeups: UInt64 = 0
        var preemptions: UInt64 = 0
        func grown(_ now: UInt64, _ before: UInt64) -> UInt64 { now >= before ? now - before : 0 }
        for (tid, now) in b.perThread {
            let before = a.perThread[tid] ?? (0, 0, 0)
            cpu += grown(now.cpu, before.cpu)
            wakeups += grown(now.wakeups, before.wakeups)
            preemptions += grown(now.preemptions, before.preemptions)
        }
        let ended = a.perThread.keys.filter { b.perThread[$0] == nil }.count
        return (Double(cpu) / 1e9 / seconds * 100, Double(wakeups) / seconds, Double(preemptions) / seconds, ended)
    }
}

/// The clips both daemons play, written once as 48 kHz stereo 16-bit WAV.
enum Clips {
    static let rate = 48000
    /// Far above the probe's threshold from its first sample.
    static func loud(seconds: Double, seed: UInt64 = 1) -> [Int16] {
        WAVFile.noise(frames: Int(seconds * Double(rate)), channels: 2, amplitude: 12000, seed: seed)
    }
    /// Below the probe's threshold (1000): something playing that the onset detector ignores.
    static func quiet(seconds: Double) -> [Int16] {
        WAVFile.noise(frames: Int(seconds * Double(rate)), channels: 2, amplitude: 150, seed: 7)
    }

    static func write(_ samples: [Int16], to path: String, channels: Int = 2, rate: Int = rate) throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try WAVFile.write(path: path, sampleRate: rate, channels: channels, samples: samples)
    }
}

/// The daemons and directories the bench made, so that a failed run leaves no daemon running and
/// says where its files are.
enum Leftovers {
    private static let pids = Mutex<Set<Int32>>([])
    private static let directories = Mutex<Set<String>>([])

    static func started(_ pid: Int32) { _ = pids.withLock { $0.insert(pid) } }
    static func stopped(_ pid: Int32) { _ = pids.withLock { $0.remove(pid) } }
    static func made(_ directory: TemporaryDirectory) { _ = directories.withLock { $0.insert(directory.path) } }
    static func removed(_ directory: TemporaryDirectory) { _ = directories.withLock { $0.remove(directory.path) } }

    /// Stops every daemon still running. The directories still there are kept, not removed: they
    /// hold the failed run's daemon log, probe log and capture. Returns them.
    static func stopDaemons() -> [String] {
        for pid in pids.withLock({ $0 }) {
            kill(pid, SIGTERM)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        return directories.withLock { $0 }.sorted()
    }
}
