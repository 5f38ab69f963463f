import CarillonTesting
import Foundation
import Glibc
import Testing

/// `make soak`: the daemon in real time for ten minutes (CARILLON_SOAK_SECONDS), a bell every 5 s,
/// a play and a status every second, VmRSS and descriptors sampled every 5 s. It fails if they
/// grow: the last minute's median VmRSS more than 10 % above the second minute's, or any more
/// descriptors at the end than in the second minute. Not in `make test` (CARILLON_SOAK=1 only).
@Suite("Soak: ten minutes of real time")
struct SoakTests {
    static let enabled = ProcessInfo.processInfo.environment["CARILLON_SOAK"] == "1"

    static func median(_ values: [Int]) -> Int {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }

    @Test("VmRSS and descriptors do not grow over a run with bells, plays and status", .enabled(if: enabled, "set CARILLON_SOAK=1 (make soak)"))
    func soak() throws {
        let seconds = ProcessInfo.processInfo.environment["CARILLON_SOAK_SECONDS"].flatMap(Int.init) ?? 600
        let rig = try Rig.start()
        defer { rig.stop() }
        let daemon = rig.daemon
        let pid = daemon.process.processIdentifier
        let bells = FaultInjectionTests.bells(count: seconds / 5, every: 5)
        try rig.directory.write("s.toml", SchedulerTests.schedule(version: 1, at: bells))
        #expect(try daemon.client(["schedule", "apply", rig.directory.file("s.toml")]).status == 0)
        let client = try LineClient(unix: daemon.socketPath)
        let start = ContinuousClock.now
        var samples: [(at: Double, rss: Int, fds: Int)] = []
        var plays = 0
        var statusFailures = 0
        var tick = 0
        while true {
            let elapsed = Double((ContinuousClock.now - start) / .milliseconds(1)) / 1000
            if elapsed >= Double(seconds) { break }
            // The workload, once a second: a play (background, replacing the last), a status.
            if client.call("play", ["clip": "test.noise", "level": "background"])?.ok == true { plays += 1 }
            if client.call("status")?.ok != true { statusFailures += 1 }
            if tick % 5 == 0 {
                let (rss, fds) = Reliability.resources(of: pid)
                samples.append((elapsed, rss, fds))
            }
            tick += 1
            // Real time is the point of a soak: a second between rounds.
            usleep(1_000_000)
        }
        let second = samples.filter { $0.at >= 60 && $0.at < 120 }
        let last = samples.filter { $0.at >= Double(seconds) - 60 }
        let rssSecond = Self.median(second.map(\.rss))
        let rssLast = Self.median(last.map(\.rss))
        let fdsSecond = Self.median(second.map(\.fds))
        let fdsEnd = samples.last?.fds ?? 0
        let rung = SchedulerTests.scheduledPlays(daemon)
        print(
            """
            soak: \(seconds) s, \(samples.count) samples, \(plays) plays, \(rung) bells, \(statusFailures) status failures;
              VmRSS median second minute \(rssSecond) KiB, last minute \(rssLast) KiB, max \(samples.map(\.rss).max() ?? 0) KiB;
              fds median second minute \(fdsSecond), at the end \(fdsEnd), max \(samples.map(\.fds).max() ?? 0)
            """)
        print("soak samples (s, KiB, fds): " + samples.map { "\(Int($0.at)),\($0.rss),\($0.fds)" }.joined(separator: " "))
        #expect(statusFailures == 0)
        #expect(Double(rssLast) <= Double(rssSecond) * 1.10, "VmRSS grew: \(rssSecond) → \(rssLast) KiB")
        #expect(fdsEnd <= fdsSecond, "descriptors grew: \(fdsSecond) → \(fdsEnd)")
        #expect(rung >= bells.filter { $0 < Date() }.count - 1, "bells rang: \(rung)")
    }
}
