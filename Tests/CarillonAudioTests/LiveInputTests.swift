@testable import CarillonAudio
import CarillonTesting
import Foundation
import Testing

/// Live plays through an engine whose one output, `main` (48 kHz stereo), is captured to a file.
///
/// The tests pace their pushes on the output itself: once the voice plays (its prefill came) they
/// wait, woken by each write to the capture file, until it holds at most 20 ms, then push the next
/// 20 ms. So nothing is dropped however slowly the test runs; a test that falls behind only leaves
/// gaps of silence, which the checks allow.
@Suite("Live input through the engine", .ownThread)
struct LiveInputTests {
    private static let mono48 = AudioFormat(sampleRate: 48000, channels: 1)

    private struct Rig {
        let engine: AudioEngine
        let capture: CapturePCM
        var events: AsyncStream<AudioEvent>.Iterator

        /// The next event that matches; nil if none came within the rig's time limit.
        mutating func next(_ matching: (AudioEvent) -> Bool) async -> AudioEvent? {
            while let event = await events.next() { if matching(event) { return event } }
            return nil
        }

        mutating func started(_ play: UInt64) async -> Int64? {
            if case .started(_, _, _, let frame, _, _, _) = await next({
                if case .started(play, _, _, _, _, _, _) = $0 { true } else { false }
            }) {
                return frame
            }
            return nil
        }

        mutating func ended(_ play: UInt64) async -> (reason: EndReason, frames: Int)? {
            if case .ended(_, _, let reason, let frames) = await next({
                if case .ended(play, _, _, _) = $0 { true } else { false }
            }) {
                return (reason, frames)
            }
            return nil
        }

        /// Left-channel samples from `frame` on, once the capture holds everything written so far.
        func capturedLeft(from frame: Int64) throws -> [Int16] {
            let written = engine.status()[0].framesWritten
            try capture.waitForSize(Int(written) * 4)
            let samples = capture.samples()
            return stride(from: Int(frame) * 2, to: samples.count, by: 2).map { samples[$0] }
        }
    }

    /// A started engine; its event stream ends after a minute, so a missing event fails the test instead of hanging it.
    private func rig(_ directory: TemporaryDirectory) -> Rig {
        let capture = CapturePCM(path: directory.file("capture.raw"))
        let (events, sink) = AsyncStream.makeStream(of: AudioEvent.self)
        let engine = AudioEngine(
            outputs: [OutputConfig(name: "main", device: "cap", alsaConfig: capture.alsaConfig)],
            onEvent: { sink.yield($0) })
        engine.start()
        Task {
            try? await Task.sleep(for: .seconds(60))
            sink.finish()
        }
        return Rig(engine: engine, capture: capture, events: events.makeAsyncIterator())
    }

    /// A sine, half a sample off zero so that every sample of it is audible.
    private func sine(_ frequency: Double, frames: Int, rate: Int = 48000, amplitude: Double = 0.5) -> [Float] {
        (0..<frames).map { Float(amplitude * sin(2 * Double.pi * frequency * (Double($0) + 0.5) / Double(rate))) }
    }

    /// A sample as the output writes it: S16 at 0 dB, below the limiter's threshold.
    private func s16(_ x: Float) -> Int16 { Int16(max(-32768, min(32767, (x * 32768).rounded()))) }

    /// Pushes `audio` in chunks of `chunk` frames, each once the voice holds at most `lowWater` output frames.
    private func pushPaced(
        _ audio: [Float], chunk: Int, lowWater: Int, into input: LiveInput, capture: CapturePCM
    ) throws {
        for start in stride(from: 0, to: audio.count, by: chunk) {
            if input.isPlaying {
                try FileWatch.wait(for: capture.path, timeout: .seconds(30)) { input.bufferedFrames <= lowWater }
            }
            #expect(input.push(Array(audio[start..<min(audio.count, start + chunk)])) == 0)
        }
    }

    /// Matches `captured` against `expected`, skipping silence where the source ran late.
    /// - Returns: the frames of silence skipped, or nil at the first sample that is neither.
    private func matchAllowingGaps(_ captured: [Int16], _ expected: [Int16]) -> Int? {
        var i = 0
        var gaps = 0
        for sample in expected {
            while i < captured.count && captured[i] != sample && captured[i] == 0 {
                i += 1
                gaps += 1
            }
            guard i < captured.count, captured[i] == sample else { return nil }
            i += 1
        }
        return gaps
    }

    @Test("a sine pushed in 20 ms chunks plays sample for sample, then ends as finished")
    func playsPushedAudio() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var rig = rig(directory)
        defer { rig.engine.shutdown() }
        let input = try rig.engine.startLive(play: 1, zone: "main", format: Self.mono48)
        let tone = sine(440, frames: 48000)
        try pushPaced(tone, chunk: 960, lowWater: 960, into: input, capture: rig.capture)
        input.finish()

        let start = try #require(await rig.started(1))
        let end = try #require(await rig.ended(1))
        #expect(end.reason == .finished)
        #expect(end.frames == 48000, "every pushed frame sounded")
        #expect(input.droppedFrames == 0)

        let left = try rig.capturedLeft(from: start)
        let gaps = try #require(matchAllowingGaps(left, tone.map(s16)), "the capture is the pushed sine")
        // Gaps come only from a test process too slow to push in time; on an idle machine there are none.
        #expect(gaps < 24000, "\(gaps) frames of silence inside a second of audio")
        let tail = left.count - 48000 - gaps
        #expect(tail >= 0 && left.suffix(tail).allSatisfy { $0 == 0 }, "silence after the end")
        let heard = left.prefix(48000).map { Float($0) / 32768 }
        if gaps == 0 {
            #expect(abs(Signal.amplitude(of: 440, in: heard, sampleRate: 48000) - 0.5) < 0.01)
        }
    }

    @Test("a 16 kHz mono source is converted to the zone's 48 kHz stereo as it is pushed, keeping pitch and length")
    func convertsFormat() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var rig = rig(directory)
        defer { rig.engine.shutdown() }
        let input = try rig.engine.startLive(play: 2, zone: "main", format: AudioFormat(sampleRate: 16000, channels: 1))
        // 20 ms at 16 kHz is 320 frames, 960 once converted; push again once the voice holds 10 ms.
        try pushPaced(
            sine(440, frames: 16000, rate: 16000), chunk: 320, lowWater: 480, into: input, capture: rig.capture)
        input.finish()

        let start = try #require(await rig.started(2))
        let end = try #require(await rig.ended(2))
        #expect(end.reason == .finished)
        #expect(abs(end.frames - 48000) <= 48, "one second in, one second out: \(end.frames) frames")
        #expect(input.droppedFrames == 0)

        let samples = try rig.capturedLeft(from: start)
        let all = rig.capture.samples()
        let left = samples.map { Float($0) / 32768 }
        let right = stride(from: Int(start) * 2 + 1, to: all.count, by: 2).map { Float(all[$0]) / 32768 }
        #expect(Array(right.prefix(left.count)) == left, "mono is copied to both channels")
        // Without the gaps of silence a slow test may leave (each could count as a crossing), the
        // cycles are the tone's.
        let cycles = Signal.risingCrossings(left.filter { $0 != 0 })
        #expect(abs(cycles - 440) <= 2, "440 Hz for a second: \(cycles) cycles")
        let peak = left.map(abs).max() ?? 0
        #expect(abs(peak - 0.5) < 0.03, "level kept: peak \(peak)")
    }

    @Test("a live voice waits for the output's lead plus a packet before it sounds: the jitter buffer")
    func prefill() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var rig = rig(directory)
        defer { rig.engine.shutdown() }
        // The output's lead is 30 ms: the voice joins once it holds 50 ms (2,400 frames).
        let input = try rig.engine.startLive(play: 11, zone: "main", format: Self.mono48)
        let tone = sine(440, frames: 9600)
        #expect(input.push(Array(tone[0..<960])) == 0)
        #expect(input.push(Array(tone[960..<1920])) == 0)
        #expect(!input.isPlaying, "40 ms held: the output would mix its 30 ms lead and run dry 10 ms later")
        #expect(input.push(Array(tone[1920..<2880])) == 0)
        #expect(input.isPlaying)
        let start = try #require(await rig.started(11))
        // Once it sounds, the output has taken its lead and 20 ms or more are left for the next packet.
        try pushPaced(Array(tone[2880...]), chunk: 960, lowWater: 960, into: input, capture: rig.capture)
        input.finish()
        let end = try #require(await rig.ended(11))
        #expect(end.reason == .finished && end.frames == 9600)
        let left = try rig.capturedLeft(from: start)
        #expect(Array(left.prefix(2880)) == Array(tone.prefix(2880)).map(s16), "the first 60 ms without a gap")
    }

    @Test("a push beyond the buffer limit is dropped, so latency cannot build up")
    func dropsBeyondLimit() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var rig = rig(directory)
        defer { rig.engine.shutdown() }

        // The voice joins the output only after the first push is queued, so none of it is played
        // while it is queued: of 200 ms at once, exactly 40 ms is kept.
        let input = try rig.engine.startLive(play: 3, zone: "main", format: Self.mono48, maxBufferedMilliseconds: 40)
        #expect(input.push(sine(440, frames: 9600)) == 9600 - 1920)
        #expect(input.droppedFrames == 7680)
        input.finish()
        let end = try #require(await rig.ended(3))
        #expect(end.reason == .finished)
        #expect(end.frames == 1920)
        // Once ended, a push is dropped whole.
        #expect(input.push(sine(440, frames: 960)) == 960)
        #expect(input.droppedFrames == 7680 + 960)

        let wide = try rig.engine.startLive(play: 4, zone: "main", format: Self.mono48, maxBufferedMilliseconds: 100)
        #expect(wide.push(sine(440, frames: 9600)) == 4800)
        wide.finish()
        #expect(try #require(await rig.ended(4)).frames == 4800)
    }

    @Test("stop and cut end a live play, even one not yet pushed to; later pushes are dropped")
    func stopEndsLive() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var rig = rig(directory)
        defer { rig.engine.shutdown() }

        let sounding = try rig.engine.startLive(play: 5, zone: "main", format: Self.mono48, prefillMilliseconds: 20)
        #expect(sounding.push(sine(440, frames: 960)) == 0)
        _ = try #require(await rig.started(5))
        #expect(rig.engine.stop(play: 5))
        #expect(try #require(await rig.ended(5)).reason == .stopped)
        #expect(sounding.push(sine(440, frames: 960)) == 960)

        // A stop before any audio still ends the play, with nothing heard.
        let silent = try rig.engine.startLive(play: 6, zone: "main", format: Self.mono48)
        #expect(rig.engine.stop(play: 6))
        let end = try #require(await rig.ended(6))
        #expect(end.reason == .stopped && end.frames == 0)
        #expect(silent.push(sine(440, frames: 960)) == 960)

        // An emergency cuts a shout from its zone.
        let cut = try rig.engine.startLive(play: 7, zone: "main", format: Self.mono48, prefillMilliseconds: 20)
        #expect(cut.push(sine(440, frames: 960)) == 0)
        rig.engine.cut(play: 7, zone: "main")
        #expect(try #require(await rig.ended(7)).reason == .stopped)
        #expect(!rig.engine.stop(play: 7), "gone once ended")
    }

    @Test("letting go of a live input finishes its play, so a lost sender cannot hold the zone")
    func releaseFinishes() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var rig = rig(directory)
        defer { rig.engine.shutdown() }
        do {
            let input = try rig.engine.startLive(play: 10, zone: "main", format: Self.mono48)
            #expect(input.push(sine(440, frames: 960)) == 0)
        }
        let end = try #require(await rig.ended(10))
        #expect(end.reason == .finished && end.frames == 960)
    }

    @Test("a live play whose source pauses is not ended by the underrun, and resumes when pushed again")
    func underrunKeepsPlaying() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var rig = rig(directory)
        defer { rig.engine.shutdown() }
        let input = try rig.engine.startLive(play: 8, zone: "main", format: Self.mono48, prefillMilliseconds: 20)
        let first = sine(440, frames: 960)
        let second = sine(880, frames: 960)
        #expect(input.push(first) == 0)
        let start = try #require(await rig.started(8))
        // The output goes on for 200 ms past the pushed audio: the voice runs dry and plays silence.
        try rig.capture.waitForSize((Int(start) + 960 + 9600) * 4)
        #expect(rig.engine.status()[0].voices == 1, "still playing")
        #expect(input.push(second) == 0, "not ended, so nothing dropped")
        input.finish()
        let end = try #require(await rig.ended(8))
        #expect(end.reason == .finished)
        #expect(end.frames == 1920)

        let left = try rig.capturedLeft(from: start)
        #expect(Array(left.prefix(960)) == first.map(s16))
        let resumed = try #require(left.indices.dropFirst(960).first { left[$0] != 0 })
        #expect(resumed >= 960 + 9600, "silence while the source paused")
        #expect(Array(left[resumed..<(resumed + 960)]) == second.map(s16))
    }

    @Test("an unknown zone or an unusable buffer limit is refused")
    func refusesBadArguments() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let rig = rig(directory)
        defer { rig.engine.shutdown() }
        #expect(throws: AudioError("unknown zone nowhere")) {
            try rig.engine.startLive(play: 9, zone: "nowhere", format: Self.mono48)
        }
        #expect(throws: AudioError("a live buffer holds 1...2000 ms, not 0")) {
            try rig.engine.startLive(play: 9, zone: "main", format: Self.mono48, maxBufferedMilliseconds: 0)
        }
        #expect(throws: AudioError.self) {
            try rig.engine.startLive(play: 9, zone: "main", format: AudioFormat(sampleRate: 48000, channels: 0))
        }
    }
}
