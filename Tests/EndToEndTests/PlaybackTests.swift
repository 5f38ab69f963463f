import CarillonControl
import CarillonProtocol
import CarillonTesting
import Foundation
import Testing

@Suite("A clip played through the real daemon reaches ALSA", .ownThread)
struct PlaybackTests {
    @Test("a played clip is in the capture sample for sample, where the daemon says it started")
    func clipReachesALSA() throws {
        let rig = try Rig.start()
        defer { rig.stop() }

        let played = try rig.daemon.client(["play", "test.noise", "--wait", "--json"])
        #expect(played.status == 0, "\(played.stderr)")
        let lines = played.stdout.split(separator: "\n")
        try #require(lines.count == 2, "play --wait --json prints the play and its outcome: \(played.stdout)")
        let outcome = try Wire.decoder().decode(PlayOutcome.self, from: Data(lines[1].utf8))
        #expect(outcome.outcome == "finished")
        let main = try #require(outcome.zones.first { $0.zone == "main" })
        let firstFrame = try #require(main.firstFrame)
        let frameCount = rig.clip.count / 2
        #expect(main.frames == frameCount)

        // The file PCM writes a period at a time; the daemon keeps writing silence after the clip.
        try rig.capture.waitForSize((Int(firstFrame) + frameCount) * 4)
        let captured = rig.capture.samples()
        let found = try #require(
            firstIndex(of: rig.clip[0..<64], in: captured, stride: 2), "the clip's first samples are not in the capture")
        #expect(found == Int(firstFrame) * 2, "the clip starts where the daemon reported it")
        #expect(Array(captured[found..<(found + rig.clip.count)]) == rig.clip, "every sample arrives unchanged")
        // Before the clip the device was running and playing silence.
        #expect(found > 0 && captured[0..<found].allSatisfy { $0 == 0 })

        // The log has when it was heard: written, plus what was queued ahead of it (from idle, one
        // 5 ms period). The wire's times are whole seconds; `heard_latency_ms` has the difference.
        let log = try rig.daemon.client(["log", "--json"])
        #expect(log.status == 0, "\(log.stderr)")
        let logged = try Wire.decoder().decode(LoggedPlay.self, from: Data(log.stdout.split(separator: "\n")[0].utf8))
        let written = try #require(logged.firstSampleAt)
        let heard = try #require(logged.heardAt)
        #expect(heard >= written)
        let latency = try #require(logged.latencyMs)
        let heardLatency = try #require(logged.heardLatencyMs)
        #expect(heardLatency >= latency && heardLatency - latency <= 5.01, "heard \(heardLatency - latency) ms after written")
    }

    @Test("a synthesized bell plays and is logged as finished")
    func synthesizedBellPlays() throws {
        let rig = try Rig.start()
        defer { rig.stop() }
        let played = try rig.daemon.client(["play", "bell.start", "--wait"])
        #expect(played.status == 0, "\(played.stderr)")
        #expect(played.stdout.contains("finished"))
        let status = try rig.daemon.client(["status"])
        #expect(status.status == 0)
        #expect(status.stdout.contains("main  cap  48000 Hz 2 ch  running"))
    }

    @Test("stop fades a play out and reports it stopped")
    func stopEndsAPlay() async throws {
        let rig = try Rig.start(clipSeconds: 30)
        defer { rig.stop() }
        try await ControlConnection.with(.unixDomainSocket(path: rig.daemon.socketPath)) { control in
            let info = try await control.call(.play, PlayArgs(clip: "test.noise"), returning: PlayInfo.self)
            let status = try await control.call(.status, Empty(), returning: StatusResult.self)
            #expect(status.playing.map(\.play) == [info.play])
            let stopped = try await control.call(.stop, StopArgs(play: info.play), returning: StopResult.self)
            #expect(stopped.stopped == [info.play])
            let outcome = try await control.call(.wait, WaitArgs(play: info.play), returning: PlayOutcome.self)
            #expect(outcome.outcome == "stopped")
            // Less than the whole 30 s clip was written: the stop took effect.
            #expect(outcome.zones.first!.frames < Rig.rate * 30, "the stop came before the clip's end")
        }
    }
}

@Suite("Metrics", .ownThread)
struct MetricsTests {
    @Test("status --prometheus counts plays by category, level and outcome, and their latency")
    func prometheus() throws {
        let rig = try Rig.start()
        defer { rig.stop() }
        #expect(try rig.daemon.client(["play", "test.noise", "--wait"]).status == 0)
        let metrics = try rig.daemon.client(["status", "--prometheus"])
        #expect(metrics.status == 0)
        let lines = metrics.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains(#"carillon_plays_total{category="recorded",level="announcement",outcome="finished"} 1"#), "\(metrics.stdout)")
        #expect(lines.contains(#"carillon_output_up{output="main",device="cap"} 1"#))
        #expect(lines.contains("carillon_play_latency_seconds_count 1"))
        #expect(lines.contains(#"carillon_play_latency_seconds_bucket{le="+Inf"} 1"#))
        #expect(lines.contains(#"carillon_zone_queue_depth{zone="main"} 0"#))
        // Every sample line belongs to a declared family.
        let families = Set(lines.filter { $0.hasPrefix("# TYPE ") }.map { $0.split(separator: " ")[2] })
        for line in lines where !line.hasPrefix("#") {
            let name = line.prefix { $0 != "{" && $0 != " " }
            #expect(families.contains { name == $0 || name.hasPrefix($0 + "_") }, "\(line)")
        }
    }
}
