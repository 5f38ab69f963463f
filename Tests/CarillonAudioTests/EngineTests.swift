import CarillonAudio
import CarillonTesting
import Foundation
import Testing

@Suite("The engine on a captured ALSA PCM", .ownThread)
struct EngineTests {
    /// An engine with one output `main` captured to a file, and its events as a stream.
    private func engine(_ directory: TemporaryDirectory) -> (AudioEngine, CapturePCM, AsyncStream<AudioEvent>) {
        let capture = CapturePCM(path: directory.file("capture.raw"))
        let (events, sink) = AsyncStream.makeStream(of: AudioEvent.self)
        let engine = AudioEngine(
            outputs: [OutputConfig(name: "main", device: "cap", alsaConfig: capture.alsaConfig)],
            onEvent: { sink.yield($0) })
        return (engine, capture, events)
    }

    @Test("a buffer plays sample for sample at the frame the engine reports, then ends as finished")
    func playsBuffer() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (engine, capture, events) = engine(directory)
        engine.start()
        defer { engine.shutdown() }
        let clip = WAVFile.noise(frames: 9600, channels: 2, seed: 7)
        let buffer = PCMBuffer(format: AudioFormat(sampleRate: 48000, channels: 2), samples: clip.map { Float($0) / 32768 })
        try engine.start(.buffer(buffer), play: 1, zone: "main")

        var first: Int64?
        var ended: (EndReason, Int)?
        for await event in events {
            switch event {
            case .started(1, "main", "main", let frame, _, _, let queued):
                first = frame
                // How far ahead it runs is a timing figure, measured by the benchmarks, not here.
                #expect(queued >= 0)
            case .ended(1, "main", let reason, let frames): ended = (reason, frames)
            default: break
            }
            if ended != nil { break }
        }
        let start = try #require(first)
        #expect(ended?.0 == .finished)
        #expect(ended?.1 == 9600)
        try capture.waitForSize((Int(start) + 9600) * 4)
        let captured = capture.samples()
        #expect(Array(captured[(Int(start) * 2)..<(Int(start) * 2 + clip.count)]) == clip)
    }

    @Test("a clip that cannot be decoded is refused before anything plays")
    func refusesBadAudio() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (engine, _, _) = engine(directory)
        try Data("RIFF....WAVEjunk".utf8).write(to: URL(fileURLWithPath: directory.file("bad.wav")))
        #expect(throws: AudioError.self) { try engine.start(.file(directory.file("bad.wav")), play: 1, zone: "main") }
        #expect(throws: AudioError.self) { try engine.check(.file(directory.file("bad.wav"))) }
        #expect(throws: AudioError("unknown zone nowhere")) {
            try engine.start(
                .buffer(PCMBuffer(format: .init(sampleRate: 48000, channels: 2), samples: [0, 0])), play: 2, zone: "nowhere")
        }
    }

    @Test("stop fades out within 20 ms and ends the play as stopped")
    func stopFades() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (engine, capture, events) = engine(directory)
        engine.start()
        defer { engine.shutdown() }
        let tone = WAVFile.tone(frequency: 440, seconds: 60, sampleRate: 48000, channels: 2)
        let buffer = PCMBuffer(format: AudioFormat(sampleRate: 48000, channels: 2), samples: tone.map { Float($0) / 32768 })
        try engine.start(.buffer(buffer), play: 5, zone: "main")
        // Wait for a second of it on the capture (the test process may be slow), then stop it.
        try FileWatch.wait(for: capture.path, timeout: .seconds(30)) {
            let samples = capture.samples()
            guard let first = samples.firstIndex(where: { $0 != 0 }) else { return false }
            return samples.count >= first + 48000 * 2
        }
        #expect(engine.stop(play: 5))
        var start: Int64 = 0
        var frames = 0
        for await event in events {
            if case .started(5, _, _, let frame, _, _, _) = event { start = frame }
            if case .ended(5, _, let reason, let written) = event {
                #expect(reason == .stopped)
                frames = written
                break
            }
        }
        try capture.waitForSize((Int(start) + frames + 4800) * 4)
        let captured = capture.samples()
        let end = (Int(start) + frames) * 2
        // The last 20 ms ramp down to silence, with no step larger than the tone's own slope.
        let fade = captured[(end - 1920)..<end]
        #expect(abs(Int(fade.last!)) < 200)
        #expect(captured[end..<(end + 9600)].allSatisfy { $0 == 0 }, "silence after the stop")
        let maxStep = zip(captured[(end - 4000)..<end], captured[(end - 3998)..<(end + 2)]).map { abs(Int($0) - Int($1)) }.max()!
        #expect(maxStep < 1500, "no click: largest step \(maxStep)")
    }
}

@Suite("Device faults", .ownThread)
struct DeviceFaultEngineTests {
    /// Two outputs captured to files; faults are injected into the first through the engine's own
    /// hook, which takes the same path as a real write error: close, report, reopen with backoff.
    @Test("a failing device is reported, retried and resumes by itself, while the other output keeps playing")
    func failAndRecover() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let a = CapturePCM(name: "a", path: directory.file("a.raw"))
        let b = CapturePCM(name: "b", path: directory.file("b.raw"))
        let (events, sink) = AsyncStream.makeStream(of: AudioEvent.self)
        let engine = AudioEngine(
            outputs: [
                OutputConfig(name: "a", device: "a", alsaConfig: a.alsaConfig),
                OutputConfig(name: "b", device: "b", alsaConfig: b.alsaConfig),
            ], onEvent: { sink.yield($0) })
        engine.start()
        defer { engine.shutdown() }
        let tone = WAVFile.tone(frequency: 440, seconds: 30, sampleRate: 48000, channels: 2)
        let buffer = PCMBuffer(format: AudioFormat(sampleRate: 48000, channels: 2), samples: tone.map { Float($0) / 32768 })
        try engine.start(.buffer(buffer), play: 1, zone: "a")
        try engine.start(.buffer(buffer), play: 2, zone: "b")

        var iterator = events.makeAsyncIterator()
        func next(_ matching: (AudioEvent) -> Bool) async -> AudioEvent? {
            while let event = await iterator.next() { if matching(event) { return event } }
            return nil
        }
        engine.inject(.deviceFailure, output: "a")
        let failed = await next { if case .ended(1, _, _, _) = $0 { true } else { false } }
        #expect(failed.map { if case .ended(1, "a", .failed, _) = $0 { true } else { false } } == true)
        let fault = await next { if case .fault = $0 { true } else { false } }
        #expect(fault == .fault(output: "a", message: "device \"a\" failed: injected fault"))
        #expect(engine.status().first { $0.name == "a" }?.state == .fault("device \"a\" failed: injected fault"))
        // The retries fail while the fault lasts; the other output plays on: its capture keeps growing.
        let bBefore = b.size
        try b.waitForSize(bBefore + 48000 * 4)
        #expect(engine.status().first { $0.name == "a" }?.state == .fault("device \"a\" failed: injected fault"))

        engine.inject(.none, output: "a")
        #expect(await next { $0 == .recovered(output: "a") } != nil)
        #expect(engine.status().first { $0.name == "a" }?.state == .running)
        try engine.start(.buffer(PCMBuffer(format: buffer.format, samples: Array(buffer.samples.prefix(9600)))), play: 3, zone: "a")
        let done = await next { if case .ended(3, _, _, _) = $0 { true } else { false } }
        #expect(done == .ended(play: 3, zone: "a", reason: .finished, frames: 4800))
        engine.stop(play: 2)
    }

    @Test("an underrun is recovered and counted, and not a sample is lost or repeated")
    func underrun() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let capture = CapturePCM(path: directory.file("capture.raw"))
        let (events, sink) = AsyncStream.makeStream(of: AudioEvent.self)
        let engine = AudioEngine(
            outputs: [OutputConfig(name: "main", device: "cap", alsaConfig: capture.alsaConfig)], onEvent: { sink.yield($0) })
        engine.start()
        defer { engine.shutdown() }
        // Long enough that the underrun lands inside it however slowly this test runs.
        let clip = WAVFile.noise(frames: 48000 * 30, channels: 2, seed: 3)
        try engine.start(
            .buffer(PCMBuffer(format: AudioFormat(sampleRate: 48000, channels: 2), samples: clip.map { Float($0) / 32768 })),
            play: 1, zone: "main")
        // The underrun comes once the clip sounds (however slowly this process watches), then a stop.
        try FileWatch.wait(for: capture.path, timeout: .seconds(30)) {
            let samples = capture.samples()
            guard let first = samples.firstIndex(where: { $0 != 0 }) else { return false }
            return samples.count >= first + 4800 * 2
        }
        engine.inject(.underrun, output: "main")
        try FileWatch.wait(for: capture.path, timeout: .seconds(30)) { engine.status().first?.xruns == 1 }
        engine.stop(play: 1)
        var start: Int64 = 0
        var frames = 0
        var sawXrun = false
        for await event in events {
            if case .started(1, _, _, let frame, _, _, _) = event { start = frame }
            if event == .xrun(output: "main") { sawXrun = true }
            if case .ended(1, _, let reason, let written) = event {
                #expect(reason == .stopped, "the underrun came before the clip's end")
                frames = written
                break
            }
        }
        #expect(sawXrun && engine.status().first?.xruns == 1)
        try capture.waitForSize((Int(start) + frames) * 4)
        let captured = capture.samples()
        // Everything before the 20 ms stop fade is the clip, sample for sample, across the underrun.
        let exact = (frames - 960) * 2
        #expect(exact > 0)
        #expect(Array(captured[(Int(start) * 2)..<(Int(start) * 2 + exact)]) == Array(clip[0..<exact]))
    }
}
