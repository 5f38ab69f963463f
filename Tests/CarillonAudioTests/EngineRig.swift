import CarillonAudio
import CarillonTesting
import Foundation

/// A started engine with one output, "main", on a captured PCM, and its events in order. The event
/// stream ends after a minute, so a missing event fails the test instead of hanging it.
struct EngineRig {
    let engine: AudioEngine
    let capture: CapturePCM
    var events: AsyncStream<AudioEvent>.Iterator

    init(_ directory: TemporaryDirectory, idle: IdleSilence = .automatic, milliseconds: Int = 2000) {
        capture = CapturePCM(path: directory.file("capture.raw"))
        let (events, sink) = AsyncStream.makeStream(of: AudioEvent.self)
        engine = AudioEngine(
            outputs: [
                OutputConfig(
                    name: "main", device: "cap", alsaConfig: capture.alsaConfig, idleMilliseconds: milliseconds,
                    idleSilence: idle)
            ],
            onEvent: { sink.yield($0) })
        engine.start()
        Task {
            try? await Task.sleep(for: .seconds(60))
            sink.finish()
        }
        self.events = events.makeAsyncIterator()
    }

    /// The next event that matches; nil if none came within the rig's time limit.
    mutating func next(_ matching: (AudioEvent) -> Bool) async -> AudioEvent? {
        while let event = await events.next() { if matching(event) { return event } }
        return nil
    }

    /// The frame where `play` started and the frames queued ahead of it then.
    mutating func started(_ play: UInt64) async throws -> (frame: Int, queued: Int) {
        let event = await next { if case .started(play, _, _, _, _, _, _) = $0 { true } else { false } }
        guard case .started(_, _, _, let frame, _, _, let queued) = event else { throw HarnessError("\(play) never started") }
        return (Int(frame), queued)
    }

    mutating func ended(_ play: UInt64) async throws -> (reason: EndReason, frames: Int) {
        let event = await next { if case .ended(play, _, _, _) = $0 { true } else { false } }
        guard case .ended(_, _, let reason, let frames) = event else { throw HarnessError("\(play) never ended") }
        return (reason, frames)
    }

    /// Starts `clip` (interleaved stereo at 48 kHz) in "main".
    func play(_ clip: [Int16], id: UInt64, deferred: Bool = false) throws {
        let buffer = PCMBuffer(format: AudioFormat(sampleRate: 48000, channels: 2), samples: clip.map { Float($0) / 32768 })
        try engine.start(.buffer(buffer), play: id, zone: "main", deferred: deferred)
    }
}
