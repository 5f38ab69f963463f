import CarillonAudio
import CarillonTesting
import Foundation
import Testing

/// While a sound plays, an output keeps about 100 ms queued (a wake-up every ~70 ms) on a PCM that
/// can rewind; a new sound, cut or duck takes that queue back to one period and is mixed into it,
/// so it is heard one period ahead instead of behind the queue. The captured PCM (`file` over
/// `null`) rewinds what its write buffer still holds, so these run on real ALSA calls.
@Suite("Taking back the queue", .ownThread)
struct TakeBackTests {
    /// One period at the default 5 ms; a take-back leaves between one and two queued ahead.
    private static let period = 240

    @Test("a sound started over another is mixed in one period ahead, and the first plays on sample for sample")
    func playOverPlay() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var rig = EngineRig(directory)
        defer { rig.engine.shutdown() }
        // Below half scale each, so their sum passes the limiter untouched and is exact in S16.
        let first = WAVFile.noise(frames: 96000, channels: 2, amplitude: 8000, seed: 41)
        let second = WAVFile.noise(frames: 9600, channels: 2, amplitude: 8000, seed: 42)
        try rig.play(first, id: 1)
        let (a, _) = try await rig.started(1)
        // Half a second in: the output has long been keeping its full queue.
        try rig.capture.waitForSize((a + 24000) * 4)

        try rig.play(second, id: 2)
        let (b, queued) = try await rig.started(2)
        #expect(queued < 2 * Self.period, "taken back to one period: \(queued) frames were queued ahead of the second")
        let end2 = try await rig.ended(2)
        #expect(end2.reason == .finished && end2.frames == 9600)
        rig.engine.stopAll()
        _ = try await rig.ended(1)

        try rig.capture.waitForSize((b + 9600) * 4)
        let captured = rig.capture.samples()
        let offset = (b - a) * 2
        // Nothing of the first was lost or repeated where its queued periods were taken back and mixed again.
        #expect(Array(captured[(a * 2)..<(b * 2)]) == Array(first[..<offset]))
        let sum = (0..<second.count).map { first[offset + $0] + second[$0] }
        #expect(Array(captured[(b * 2)..<(b * 2 + second.count)]) == sum, "from the second's first frame, both together")
    }

    @Test("an alarm over a clip: the clip's fade and the alarm begin in the same period, one ahead of the speaker")
    func alarmCutsClip() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var rig = EngineRig(directory)
        defer { rig.engine.shutdown() }
        let clip = WAVFile.noise(frames: 96000, channels: 2, amplitude: 8000, seed: 51)
        let alarm = WAVFile.noise(frames: 9600, channels: 2, amplitude: 8000, seed: 52)
        try rig.play(clip, id: 1)
        let (a, _) = try await rig.started(1)
        try rig.capture.waitForSize((a + 24000) * 4)

        // As the station does for an emergency: the alarm staged, the clip cut, both handed over at once.
        try rig.play(alarm, id: 2, deferred: true)
        rig.engine.cut(play: 1, zone: "main", fadeMilliseconds: 30)
        rig.engine.publishDeferred()
        let (b, queued) = try await rig.started(2)
        #expect(queued < 2 * Self.period, "\(queued) frames were queued ahead of the alarm")
        let end1 = try await rig.ended(1)
        #expect(end1.reason == .stopped)
        #expect(end1.frames == b - a + 1440, "the clip faded over the alarm's first 30 ms, no earlier and no later")
        _ = try await rig.ended(2)

        try rig.capture.waitForSize((b + 9600) * 4)
        let captured = rig.capture.samples()
        #expect(Array(captured[(a * 2)..<(b * 2)]) == Array(clip[..<((b - a) * 2)]))
        #expect(Array(captured[((b + 1440) * 2)..<((b + 9600) * 2)]) == Array(alarm[(1440 * 2)...]), "then the alarm alone")
    }

    @Test("a stop alone is heard one period ahead too: the fade begins where the speaker is, not behind the queue")
    func stopAlone() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var rig = EngineRig(directory)
        defer { rig.engine.shutdown() }
        let clip = WAVFile.noise(frames: 96000, channels: 2, amplitude: 8000, seed: 61)
        try rig.play(clip, id: 1)
        let event = await rig.next { if case .started(1, _, _, _, _, _, _) = $0 { true } else { false } }
        guard case .started(_, _, _, let frame, _, let writtenAt, let queued) = event else { throw HarnessError("never started") }
        let a = Int(frame)
        // The speaker's frame at a moment, on the output's clock: the clip's first frame is heard
        // `queued` frames after it was written (a PCM that does not play in real time is paced so).
        func speaker(_ now: UInt64) -> Int { a - queued + Int((now - writtenAt) * 48000 / 1_000_000_000) }
        try rig.capture.waitForSize((a + 24000) * 4)

        let before = speaker(Self.now())
        #expect(rig.engine.stop(play: 1))
        let end = try await rig.ended(1)
        let after = speaker(Self.now())
        #expect(end.reason == .stopped)
        // A stop fades over 20 ms (960 frames). Behind the queue it would begin up to 100 ms
        // (4,800 frames) after the speaker's frame; taken back, within two periods of it.
        let fadeBegins = a + end.frames - 960
        #expect(fadeBegins >= before, "nothing already heard was taken back")
        #expect(fadeBegins < after + 2 * Self.period, "the fade begins \(fadeBegins - after) frames ahead of the speaker")
        try rig.capture.waitForSize((a + end.frames + 2400) * 4)
        let captured = rig.capture.samples()
        #expect(Array(captured[(a * 2)..<(fadeBegins * 2)]) == Array(clip[..<((fadeBegins - a) * 2)]))
        #expect(captured[((a + end.frames) * 2)..<((a + end.frames + 2400) * 2)].allSatisfy { $0 == 0 }, "silence after the fade")
    }

    private static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
