import Foundation
import Synchronization

/// Something the engine reports from its threads.
public enum AudioEvent: Sendable, Hashable {
    /// A play's first samples were written to ALSA on an output.
    /// - frame: the index of its first frame in the output's stream since the device was opened;
    /// - queuedFrames: frames ahead of it in the device, so it is heard `queuedFrames / rate` later.
    case started(
        play: UInt64, output: String, frame: Int64, wallNanoseconds: Int64, monotonicNanoseconds: UInt64,
        queuedFrames: Int)
    /// A play ended on an output; `frames` were written.
    case ended(play: UInt64, output: String, reason: EndReason, frames: Int)
    /// An output failed or could not be opened; the engine keeps retrying.
    case fault(output: String, message: String)
    /// An output that had failed plays again.
    case recovered(output: String)
    /// An underrun or suspend was recovered.
    case xrun(output: String)
}

/// What to play: a file streamed from disk, or audio already in memory.
public enum AudioInput: Sendable {
    case file(String)
    case buffer(PCMBuffer)
}

/// The playback engine: one thread per ALSA output, one feeder thread decoding ahead.
///
/// Thread-safe. `play` decodes the first fraction of a second on the caller's thread, so call it
/// off the Swift concurrency pool's hot path if the source is slow.
public final class AudioEngine: Sendable {
    private let outputs: [Output]
    private let feeder: Feeder
    private let watchdog: Watchdog?
    /// The voices of each play still sounding, so that a stop can reach them from any thread.
    private let live: LiveVoices

    /// - Parameters:
    ///   - onEvent: called on the audio threads; must return quickly and never block.
    ///   - watchdog: called from the output loops when every output has looped within `interval`.
    public init(
        outputs configs: [OutputConfig], onEvent: @escaping @Sendable (AudioEvent) -> Void,
        watchdog: (interval: Duration, pet: @Sendable () -> Void)? = nil
    ) {
        let feeder = Feeder()
        let watchdog = watchdog.map { Watchdog(outputs: configs.count, interval: $0.interval, pet: $0.pet) }
        let live = LiveVoices()
        self.feeder = feeder
        self.watchdog = watchdog
        self.live = live
        let report: @Sendable (AudioEvent) -> Void = { event in
            if case .ended(let play, let output, _, _) = event { live.remove(play: play, output: output) }
            onEvent(event)
        }
        self.outputs = configs.enumerated().map { index, config in
            Output(
                config: config, feeder: feeder, onEvent: report,
                onHeartbeat: { now in watchdog?.heartbeat(output: index, now: now) })
        }
    }

    /// The configured outputs, in config order.
    public var outputNames: [String] { outputs.map(\.config.name) }

    public func start() {
        feeder.start()
        for output in outputs { output.start() }
    }

    /// Stops every thread; plays still sounding end as stopped.
    public func shutdown() {
        for output in outputs { output.shutdown() }
        feeder.shutdown()
    }

    public func status() -> [OutputStatus] { outputs.map(\.status) }

    /// Starts `input` on the named outputs at `gainDB`.
    /// - Throws: `AudioError` if the audio cannot be decoded or an output name is unknown; nothing starts then.
    public func play(_ input: AudioInput, id: UInt64, outputs names: [String], gainDB: Double = 0) throws(AudioError) {
        var prepared: [(Output, Voice)] = []
        let gain = Float(pow10(gainDB / 20))
        for name in names {
            guard let output = outputs.first(where: { $0.config.name == name }) else {
                throw AudioError("unknown output \(name)")
            }
            let reader: any FrameReader =
                switch input {
                case .file(let path): try ConvertingReader(upstream: SoundFile(path: path), target: output.config.format)
                case .buffer(let buffer):
                    buffer.format == output.config.format
                        ? BufferReader(buffer)
                        : try ConvertingReader(upstream: BufferReader(buffer), target: output.config.format)
                }
            let voice = Voice(play: id, output: name, reader: reader, gain: gain)
            // Prefill a quarter second here, so the output thread has audio the moment it looks.
            let scratchFrames = 2048
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: scratchFrames * output.config.format.channels)
            defer { scratch.deallocate() }
            voice.fill(scratch: scratch, scratchFrames: scratchFrames, maxFrames: output.config.format.sampleRate / 4)
            if voice.sourceFailed.load(ordering: .acquiring) {
                throw voice.failure ?? AudioError("decode error")
            }
            prepared.append((output, voice))
        }
        live.add(prepared.map(\.1))
        for (output, voice) in prepared {
            if !voice.sourceEnded.load(ordering: .acquiring) { feeder.add(voice) }
            output.add(voice)
        }
    }

    /// Fades out and ends a play on every output; returns whether it was sounding.
    @discardableResult
    public func stop(id: UInt64) -> Bool {
        live.stop { $0 == id }
    }

    /// Fades out and ends every play; returns how many were sounding.
    @discardableResult
    public func stopAll() -> Int {
        live.stopAll()
    }
}

private func pow10(_ x: Double) -> Double { Foundation.pow(10, x) }

/// The voices that have not ended yet, by play.
final class LiveVoices: Sendable {
    private let voices = Mutex<[UInt64: [Voice]]>([:])

    func add(_ list: [Voice]) {
        voices.withLock { map in for voice in list { map[voice.play, default: []].append(voice) } }
    }

    func remove(play: UInt64, output: String) {
        voices.withLock { map in
            map[play]?.removeAll { $0.output == output }
            if map[play]?.isEmpty == true { map[play] = nil }
        }
    }

    func stop(where matches: (UInt64) -> Bool) -> Bool {
        voices.withLock { map in
            var any = false
            for (play, list) in map where matches(play) {
                any = true
                for voice in list { voice.stopRequested.store(true, ordering: .relaxed) }
            }
            return any
        }
    }

    func stopAll() -> Int {
        voices.withLock { map in
            for list in map.values { for voice in list { voice.stopRequested.store(true, ordering: .relaxed) } }
            return map.count
        }
    }
}

/// Pets the service manager's watchdog only while every output thread is looping.
final class Watchdog: Sendable {
    private final class Beat: Sendable { let last = Atomic<UInt64>(0) }
    private let beats: [Beat]
    private let lastPet = Atomic<UInt64>(0)
    private let interval: UInt64
    private let pet: @Sendable () -> Void

    init(outputs: Int, interval: Duration, pet: @escaping @Sendable () -> Void) {
        beats = (0..<max(outputs, 1)).map { _ in Beat() }
        let (seconds, attoseconds) = interval.components
        self.interval = UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000)
        self.pet = pet
    }

    func heartbeat(output: Int, now: UInt64) {
        beats[output].last.store(now, ordering: .relaxed)
        let last = lastPet.load(ordering: .relaxed)
        guard now &- last >= interval else { return }
        for beat in beats where now &- beat.last.load(ordering: .relaxed) > interval { return }
        if lastPet.compareExchange(expected: last, desired: now, ordering: .relaxed).exchanged { pet() }
    }
}
