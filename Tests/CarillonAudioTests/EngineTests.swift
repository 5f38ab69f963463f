import CarillonAudio
import CarillonTesting
import Foundation
import Testing

@Suite("The engine on a captured ALSA PCM")
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
        try engine.play(.buffer(buffer), id: 1, outputs: ["main"])

        var first: Int64?
        var ended: (EndReason, Int)?
        for await event in events {
            switch event {
            case .started(1, "main", let frame, _, _, let queued):
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
        #expect(throws: AudioError.self) { try engine.play(.file(directory.file("bad.wav")), id: 1, outputs: ["main"]) }
        #expect(throws: AudioError("unknown output nowhere")) {
            try engine.play(.buffer(PCMBuffer(format: .init(sampleRate: 48000, channels: 2), samples: [0, 0])), id: 2, outputs: ["nowhere"])
        }
    }

    @Test("stop fades out within 20 ms and ends the play as stopped")
    func stopFades() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (engine, capture, events) = engine(directory)
        engine.start()
        defer { engine.shutdown() }
        let tone = WAVFile.tone(frequency: 440, seconds: 10, sampleRate: 48000, channels: 2)
        let buffer = PCMBuffer(format: AudioFormat(sampleRate: 48000, channels: 2), samples: tone.map { Float($0) / 32768 })
        try engine.play(.buffer(buffer), id: 5, outputs: ["main"])
        var start: Int64 = 0
        var frames = 0
        for await event in events {
            if case .started(5, _, let frame, _, _, _) = event {
                start = frame
                #expect(engine.stop(id: 5))
            }
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
