import CarillonTesting
import Foundation
import Glibc
import Synchronization

/// A sound onset that benchmarks/probe/alsa-probe.c saw the daemon write to ALSA.
struct Onset: Sendable {
    /// CLOCK_MONOTONIC and CLOCK_REALTIME when the write that carried it returned, nanoseconds.
    let mono: UInt64
    let wall: UInt64
    /// Its frame in the PCM's stream since the device was opened: its offset in the capture file.
    let frame: Int64
    /// Under a paced probe, what its emulated device held ahead of it, in microseconds: it was heard
    /// that much later. nil when the daemon paces itself (its play log has its own queue).
    let queuedAhead: Int64?
}

/// The environment that puts the probe under a daemon.
/// - Parameter pace: whether the probe gives the `null` PCM a device clock (MPD, which does not
///   pace itself). carillond paces itself on CLOCK_MONOTONIC and writes idle silence late on a PCM
///   without a clock, by design; an emulated clock under that would stall it (docs/BENCHMARKS.md).
func probeEnvironment(library: String, log: String, pace: Bool) -> [String: String] {
    ["LD_PRELOAD": library, "CARILLON_PROBE_LOG": log, "CARILLON_PROBE_PACE": pace ? "1" : "0"]
}

/// Reads one daemon's probe log as it grows.
final class ProbeLog {
    let path: String
    private var consumed = 0
    private var pending: [Onset] = []
    /// Every onset read so far, in order.
    private(set) var all: [Onset] = []

    init(path: String) {
        self.path = path
        _ = FileManager.default.createFile(atPath: path, contents: nil)
    }

    private func refresh() {
        guard let handle = FileHandle(forReadingAtPath: path) else { return }
        defer { try? handle.close() }
        try? handle.seek(toOffset: UInt64(consumed))
        let data = handle.readDataToEndOfFile()
        guard let end = data.lastIndex(of: UInt8(ascii: "\n")) else { return }
        consumed += end - data.startIndex + 1
        for line in String(decoding: data[data.startIndex...end], as: UTF8.self).split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count == 5, f[0] == "onset", let mono = UInt64(f[1]), let wall = UInt64(f[2]), let frame = Int64(f[3]),
                let ahead = Int64(f[4])
            else { continue }
            let onset = Onset(mono: mono, wall: wall, frame: frame, queuedAhead: ahead >= 0 ? ahead : nil)
            pending.append(onset)
            all.append(onset)
        }
    }

    /// The first onset written at or after `after` (monotonic ns), waiting for it up to `timeout`.
    /// The wait is woken by inotify; the timestamp is the probe's, so the wait's own delay does not count.
    func next(after: UInt64, timeout: Duration = .seconds(5)) -> Onset? {
        var found: Onset?
        try? FileWatch.wait(for: path, timeout: timeout) {
            refresh()
            pending.removeAll { $0.mono < after }
            found = pending.first
            return found != nil
        }
        if found != nil { pending.removeFirst() }
        return found
    }

    /// Forgets onsets not yet taken: what a trigger left sounding must not count for the next.
    func drain() {
        refresh()
        pending.removeAll()
    }

    /// Every onset so far.
    func everything() -> [Onset] {
        refresh()
        return all
    }
}

/// Records when the capture file grew and to what size, from inotify: the view from outside the
/// daemon's process. The ALSA `file` plugin holds one ALSA buffer back before it writes (it writes
/// what exceeds a buffer's worth), so a frame reaches the file one buffer of writes after it was
/// written to ALSA.
final class CaptureWatch: @unchecked Sendable {
    private let growth = Mutex<[(mono: UInt64, bytes: Int)]>([])
    private let running = Atomic<Bool>(true)
    private let fd: Int32
    let path: String

    init(path: String) {
        self.path = path
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        fd = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        _ = inotify_add_watch(fd, path, UInt32(IN_MODIFY))
        let thread = Thread { [self] in watch() }
        thread.start()
    }

    private func watch() {
        var events = [UInt8](repeating: 0, count: 4096)
        var info = stat()
        defer { close(fd) }
        while running.load(ordering: .relaxed) {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            // Woken at least every 200 ms to notice `stop()`.
            guard poll(&poller, 1, 200) > 0, read(fd, &events, events.count) > 0 else { continue }
            let now = monotonic()
            guard stat(path, &info) == 0 else { continue }
            growth.withLock { $0.append((now, Int(info.st_size))) }
        }
    }

    /// When, after `after`, the file first held the frame `frame` (of `frameBytes` bytes), monotonic
    /// ns; waits for it up to `timeout` seconds.
    func reached(frame: Int64, frameBytes: Int, after: UInt64, timeout: Double) -> UInt64? {
        let bytes = Int(frame + 1) * frameBytes
        let deadline = monotonic() + UInt64(timeout * 1e9)
        while monotonic() < deadline {
            let seen = growth.withLock { list in
                var i = list.count
                while i > 0, list[i - 1].mono >= after { i -= 1 }
                return list[i...].first { $0.bytes >= bytes }?.mono
            }
            if let seen { return seen }
            usleep(2000)
        }
        return nil
    }

    func stop() { running.store(false, ordering: .relaxed) }
}
