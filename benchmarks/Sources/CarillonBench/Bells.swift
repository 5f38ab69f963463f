import CarillonTesting
import Foundation
import Glibc

/// A carillond whose schedule rings a 0.1 s bell every second: `count` bells after two warm-ups.
final class BellRun {
    let rig: CarillonRig
    /// The scheduled instants, Unix seconds, warm-ups included.
    let instants: [Double]

    /// The first instant (a whole second, Unix time) far enough ahead for a daemon or two to start.
    static func firstInstant() -> Double { Date().timeIntervalSince1970.rounded(.up) + 6 }

    /// - Parameters:
    ///   - first: the first warm-up's instant; daemons given the same one ring together.
    ///   - library: a library directory holding the bench's clips; by default the rig's own.
    init(probeLibrary: String, count: Int, first: Double = BellRun.firstInstant(), library: String? = nil) throws {
        instants = (0..<(count + 2)).map { first + Double($0) }
        let clock = DateFormatter()
        clock.timeZone = TimeZone(identifier: "UTC")
        clock.dateFormat = "HH:mm:ss"
        let events = instants.map { "  { at = \"\(clock.string(from: Date(timeIntervalSince1970: $0)))\", play = \"bench.bell\" }," }
        let schedule = """
            version = 1
            timezone = "UTC"
            grace = 60
            [terms]
            "bench" = { from = 2020-01-01, to = 2099-12-31 }
            [week]
            mon = "bench"
            tue = "bench"
            wed = "bench"
            thu = "bench"
            fri = "bench"
            sat = "bench"
            sun = "bench"
            [timetables.bench]
            events = [
            \(events.joined(separator: "\n"))
            ]
            """
        rig = try CarillonRig(probeLibrary: probeLibrary, library: library, extra: "[schedule]\nfile = \"@DIR@/schedule.toml\"") {
            try $0.write("schedule.toml", schedule)
        }
    }

    /// Waits for the last bell, then matches each scheduled instant with the onset the probe saw.
    /// - Parameter beforeStop: runs after the last bell, before the daemon stops.
    func finish(beforeStop: () throws -> Void = {}) throws -> BellResult {
        let last = instants.last ?? 0
        while Date().timeIntervalSince1970 < last + 1.5 { usleep(100_000) }
        defer { rig.stop() }
        try beforeStop()
        // The daemon's own request → first sample written of each bell, in the order they rang:
        // what is left of the lateness came before the play (the timer, the scheduler's state saved).
        let logged = try rig.loggedLatencies().sorted { $0.key < $1.key }.map(\.value.written)
        let onsets = rig.probe.everything().sorted { $0.wall < $1.wall }
        var matched: [(scheduled: Double, onset: Onset)] = []
        // In order: each bell takes the next onset from 200 ms before its instant; one that comes
        // after the following bell's instant and 900 ms is not its own, and it counts as missing.
        var next = 0
        for instant in instants.dropFirst(2) {
            while next < onsets.count, Double(onsets[next].wall) < (instant - 0.2) * 1e9 { next += 1 }
            guard next < onsets.count else { break }
            if Double(onsets[next].wall) < (instant + 1.9) * 1e9 {
                matched.append((instant, onsets[next]))
                next += 1
            }
        }
        let lateness = matched.map { (Double($0.onset.wall) - $0.scheduled * 1e9) / 1e6 }
        // Only when every instant has its play in the log (none missed), so that they pair up.
        let beforePlay =
            logged.count == instants.count
            ? zip(matched, lateness).compactMap { bell, late in
                instants.firstIndex(of: bell.scheduled).map { late - logged[$0] }
            } : []
        // On the capture timeline (frame f sounds at start + f/rate), how far each bell is from where
        // the schedule puts it relative to the others: no clock is read for this one.
        let offsets = matched.map { Double($0.onset.frame) / Double(Clips.rate) * 1000 - ($0.scheduled - instants[0]) * 1000 }
        let middle = percentile(offsets, 0.5)
        let timelineError = offsets.map { abs($0 - middle) }
        let verified = try verifyInCapture(frames: matched.map(\.onset.frame))
        return BellResult(
            scheduled: matched.map(\.scheduled), lateness: lateness, beforePlay: beforePlay, timelineError: timelineError, missing: instants.count - 2 - matched.count, verified: verified)
    }

    /// How many of the frames are, in the capture file itself, a loud sample after 20 ms of quiet.
    private func verifyInCapture(frames: [Int64]) throws -> Int {
        guard let data = FileManager.default.contents(atPath: rig.capture.path) else { return 0 }
        let samples = data.withUnsafeBytes { Array($0.bindMemory(to: Int16.self)) }
        return frames.filter { frame in
            let at = Int(frame) * 2
            let quiet = max(0, at - 2 * Clips.rate / 50)
            guard at + 1 < samples.count else { return false }
            return abs(Int(samples[at])) > 1000 || abs(Int(samples[at + 1])) > 1000
                ? samples[quiet..<at].allSatisfy { abs(Int($0)) <= 1000 } : false
        }.count
    }
}

struct BellResult {
    /// Each matched bell's scheduled instant, Unix seconds, in the order of `lateness`.
    var scheduled: [Double]
    /// First bell sample written (CLOCK_REALTIME, the probe's) − scheduled instant, ms.
    var lateness: [Double]
    /// Of that, the part before the play was requested: lateness − the daemon's request → first
    /// sample written (play log). Empty when the log's plays and the instants do not pair up.
    var beforePlay: [Double]
    /// |offset on the capture timeline − the median offset|, ms.
    var timelineError: [Double]
    var missing: Int
    /// Onsets found where the probe said, in the capture file.
    var verified: Int

    /// The bells of several daemons, as one series.
    init(merging parts: [BellResult]) {
        scheduled = parts.flatMap(\.scheduled)
        lateness = parts.flatMap(\.lateness)
        beforePlay = parts.allSatisfy { $0.beforePlay.count == $0.lateness.count } ? parts.flatMap(\.beforePlay) : []
        timelineError = parts.flatMap(\.timelineError)
        missing = parts.reduce(0) { $0 + $1.missing }
        verified = parts.reduce(0) { $0 + $1.verified }
    }

    init(scheduled: [Double], lateness: [Double], beforePlay: [Double], timelineError: [Double], missing: Int, verified: Int) {
        self.scheduled = scheduled
        self.lateness = lateness
        self.beforePlay = beforePlay
        self.timelineError = timelineError
        self.missing = missing
        self.verified = verified
    }

    var json: [String: Any] {
        ["lateness_ms": summary(lateness), "before_play_ms": summary(beforePlay), "timeline_error_ms": summary(timelineError), "missing": missing, "verified_in_capture": verified]
    }
}
