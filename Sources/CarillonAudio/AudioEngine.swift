import Foundation
import Synchronization

/// Something the engine reports from its threads.
public enum AudioEvent: Sendable, Hashable {
    /// A play's first samples in a zone were written to ALSA.
    /// - frame: the index of its first frame in the output's stream since the device was opened;
    /// - queuedFrames: frames ahead of it in the device, so it is heard `queuedFrames / rate` later.
    case started(
        play: UInt64, zone: String, output: String, frame: Int64, wallNanoseconds: Int64,
        monotonicNanoseconds: UInt64, queuedFrames: Int)
    /// A play ended in a zone; `frames` were written.
    case ended(play: UInt64, zone: String, reason: EndReason, frames: Int)
    /// An output failed or could not be opened; the engine keeps retrying.
    case fault(output: String, message: String)
    /// An output that had failed plays again.
    case recovered(output: String)
    /// An underrun or suspend was recovered.
    case xrun(output: String)
}

/// A zone: speakers on some channels of one output.
public struct ZoneConfig: Sendable, Hashable {
    public var name: String
    public var output: String
    /// The output's channels this zone drives, 0-based; empty means all of them.
    public var channels: [Int]
    /// A fixed trim for the zone, e.g. a quieter dormitory.
    public var gainDB: Double

    public init(name: String, output: String, channels: [Int] = [], gainDB: Double = 0) {
        self.name = name
        self.output = output
        self.channels = channels
        self.gainDB = gainDB
    }
}

/// A fault to inject into an output, for tests and drills of the recovery path.
public enum InjectedFault: Sendable, Hashable {
    /// Clears an injected fault: the device works again.
    case none
    /// The device fails now and cannot be reopened until cleared.
    case deviceFailure
    /// One underrun, recovered as a real one would be.
    case underrun
}

/// What to play: a file streamed from disk, or audio already in memory.
public enum AudioInput: Sendable {
    case file(String)
    case buffer(PCMBuffer)
    /// Buffers of one format played back to back: a plan's cycle, its parts shared, not copied.
    case buffers([PCMBuffer])
}

/// The playback engine: one thread per ALSA output, one feeder thread decoding ahead.
///
/// Thread-safe. `start` decodes the first fraction of a second on the caller's thread.
public final class AudioEngine: Sendable {
    private let outputs: [Output]
    let zones: [String: (output: Output, channels: [Int], gain: Double)]
    private let feeder: Feeder
    private let watchdog: Watchdog?
    /// The voices of each play still sounding, so that a stop can reach them from any thread.
    let live: LiveVoices
    /// Voices decoded and prefilled by `start(deferred: true)`, not yet given to their outputs.
    private let staged = Mutex<[(Output, Voice)]>([])

    /// - Parameters:
    ///   - zones: the zones; an output that no zone names becomes one zone of its own name.
    ///   - onEvent: called on the audio threads; must return quickly and never block.
    ///   - watchdog: called from the output loops when every output has looped within `interval`.
    public init(
        outputs configs: [OutputConfig], zones zoneConfigs: [ZoneConfig] = [],
        onEvent: @escaping @Sendable (AudioEvent) -> Void,
        watchdog: (interval: Duration, pet: @Sendable () -> Void)? = nil
    ) {
        let feeder = Feeder()
        let watchdog = watchdog.map { Watchdog(outputs: configs.count, interval: $0.interval, pet: $0.pet) }
        let live = LiveVoices()
        self.feeder = feeder
        self.watchdog = watchdog
        self.live = live
        let report: @Sendable (AudioEvent) -> Void = { event in
            if case .ended(let play, let zone, _, _) = event { live.remove(play: play, zone: zone) }
            onEvent(event)
        }
        let outputs = configs.enumerated().map { index, config in
            Output(
                config: config, feeder: feeder, onEvent: report,
                onHeartbeat: { now in watchdog?.heartbeat(output: index, now: now) })
        }
        self.outputs = outputs
        var zones: [String: (output: Output, channels: [Int], gain: Double)] = [:]
        for output in outputs {
            let declared = zoneConfigs.filter { $0.output == output.config.name }
            let all = Array(0..<output.config.format.channels)
            if declared.isEmpty { zones[output.config.name] = (output, all, 0) }
            for zone in declared {
                zones[zone.name] = (output, zone.channels.isEmpty ? all : zone.channels, zone.gainDB)
            }
        }
        self.zones = zones
    }

    /// The configured outputs, in config order.
    public var outputNames: [String] { outputs.map(\.config.name) }

    /// The output a zone plays on.
    public func output(of zone: String) -> String? { zones[zone]?.output.config.name }

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

    /// Starts `input` in one zone at `gainDB` (plus the zone's trim): at once on an idle output,
    /// otherwise from the output's next period.
    /// - Parameter deferred: decode and prefill now, but sound only at `publishDeferred()`: a caller
    ///   that also cuts or ducks other plays requests those first, so that the output thread, which
    ///   may render a period between two calls, never sounds the newcomer a period before its cut.
    /// - Throws: `AudioError` if the audio cannot be decoded or the zone is unknown; nothing starts then.
    public func start(
        _ input: AudioInput, play id: UInt64, zone: String, gainDB: Double = 0, deferred: Bool = false
    ) throws(AudioError) {
        guard let (output, channels, trim) = zones[zone] else { throw AudioError("unknown zone \(zone)") }
        let target = AudioFormat(sampleRate: output.config.format.sampleRate, channels: channels.count)
        let reader: any FrameReader =
            switch input {
            case .file(let path): try ConvertingReader(upstream: SoundFile(path: path), target: target)
            case .buffer(let buffer): try Self.reader(BufferReader([buffer]), target: target)
            case .buffers(let buffers): try Self.reader(BufferReader(buffers), target: target)
            }
        let voice = Voice(
            play: id, zone: zone, channelMap: channels, reader: reader, gain: Float(pow10((gainDB + trim) / 20)))
        // Prefill a quarter second here, so the output thread has audio the moment it looks.
        let scratchFrames = 2048
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: scratchFrames * channels.count)
        defer { scratch.deallocate() }
        voice.fill(scratch: scratch, scratchFrames: scratchFrames, maxFrames: target.sampleRate / 4)
        if voice.sourceFailed.load(ordering: .acquiring) {
            throw voice.failure ?? AudioError("decode error")
        }
        live.add(voice)
        if !voice.sourceEnded.load(ordering: .acquiring) { feeder.add(voice) }
        if deferred { staged.withLock { $0.append((output, voice)) } } else { output.add(voice) }
    }

    /// Sounds the plays started with `deferred: true`, each from its output's next period.
    public func publishDeferred() {
        let voices = staged.withLock { list in
            defer { list.removeAll() }
            return list
        }
        for (output, voice) in voices { output.add(voice) }
    }

    /// Memory audio as the output wants it: as it is, or through a converter.
    private static func reader(_ buffers: BufferReader, target: AudioFormat) throws(AudioError) -> any FrameReader {
        buffers.format == target ? buffers : try ConvertingReader(upstream: buffers, target: target)
    }

    /// Opens and decodes the start of `input`, so a bad file is refused before anything changes.
    public func check(_ input: AudioInput) throws(AudioError) {
        guard case .file(let path) = input else { return }
        let file = try SoundFile(path: path)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 1024 * file.format.channels)
        defer { scratch.deallocate() }
        guard try file.read(into: scratch, frames: 1024) > 0 else { throw AudioError("\(path) holds no audio") }
    }

    /// Ramps a sounding play's gain in a zone (a duck, or a restore to 0 dB) over 80 ms.
    public func setGain(play id: UInt64, zone: String, gainDB: Double) {
        let trim = zones[zone]?.gain ?? 0
        let linear = Float(pow10((gainDB + trim) / 20))
        live.forEach(play: id, zone: zone) { $0.targetGain.store(linear.bitPattern, ordering: .relaxed) }
        changed()
    }

    /// Fades a play out of one zone over `fadeMilliseconds` (at most 50) and ends it there.
    public func cut(play id: UInt64, zone: String, fadeMilliseconds: Int = 30) {
        live.forEach(play: id, zone: zone) { $0.requestStop(fadeMilliseconds: min(50, fadeMilliseconds)) }
        changed()
    }

    /// A cut or a duck is heard `margin` ahead rather than behind the queue: the outputs take back
    /// what they hold and mix it again. With plays staged, `publishDeferred` does that once, for
    /// the newcomers and the changes they bring together.
    private func changed() {
        guard staged.withLock({ $0.isEmpty }) else { return }
        for output in outputs { output.poke() }
    }

    /// Fades out and ends a play in every zone; returns whether it was sounding.
    @discardableResult
    public func stop(play id: UInt64) -> Bool {
        defer { changed() }
        return live.stop { $0 == id }
    }

    /// Fades out and ends every play; returns how many were sounding.
    @discardableResult
    public func stopAll() -> Int {
        defer { changed() }
        return live.stopAll()
    }

    /// Makes an output fail, underrun or recover, to exercise the real recovery path.
    public func inject(_ fault: InjectedFault, output name: String) {
        guard let output = outputs.first(where: { $0.config.name == name }) else { return }
        let code =
            switch fault {
            case .none: 0
            case .deviceFailure: 1
            case .underrun: 2
            }
        output.injectedFault.store(code, ordering: .relaxed)
        output.wakeUp()
    }
}

private func pow10(_ x: Double) -> Double { Foundation.pow(10, x) }

/// The voices that have not ended yet, by play.
final class LiveVoices: Sendable {
    private let voices = Mutex<[UInt64: [Voice]]>([:])

    func add(_ voice: Voice) {
        voices.withLock { $0[voice.play, default: []].append(voice) }
    }

    func remove(play: UInt64, zone: String) {
        voices.withLock { map in
            map[play]?.removeAll { $0.zone == zone }
            if map[play]?.isEmpty == true { map[play] = nil }
        }
    }

    func forEach(play: UInt64, zone: String, _ body: (Voice) -> Void) {
        voices.withLock { map in for voice in map[play] ?? [] where voice.zone == zone { body(voice) } }
    }

    func stop(where matches: (UInt64) -> Bool) -> Bool {
        voices.withLock { map in
            var any = false
            for (play, list) in map where matches(play) {
                any = true
                for voice in list { voice.requestStop(fadeMilliseconds: 20) }
            }
            return any
        }
    }

    func stopAll() -> Int {
        voices.withLock { map in
            for list in map.values { for voice in list { voice.requestStop(fadeMilliseconds: 20) } }
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
