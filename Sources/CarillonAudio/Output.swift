import CALSA
import Dispatch
import Foundation
import Glibc
import Synchronization

/// How one output (an ALSA PCM) is opened and paced.
public struct OutputConfig: Sendable, Hashable {
    /// The output's name in the config; with no zones declared it is also the zone's name.
    public var name: String
    /// An ALSA PCM name, such as `default`, `hw:1,0` or a PCM defined in `alsaConfig`.
    public var device: String
    /// ALSA configuration text laid over the system's, so a PCM can be defined inline.
    public var alsaConfig: String?
    public var format: AudioFormat
    /// How far the engine runs ahead of real time: the audible delay of a new sound.
    public var bufferMilliseconds: Int
    /// The unit of mixing and writing.
    public var periodMilliseconds: Int

    public init(
        name: String, device: String, alsaConfig: String? = nil, format: AudioFormat = .init(sampleRate: 48000, channels: 2),
        bufferMilliseconds: Int = 30, periodMilliseconds: Int = 5
    ) {
        self.name = name
        self.device = device
        self.alsaConfig = alsaConfig
        self.format = format
        self.bufferMilliseconds = bufferMilliseconds
        self.periodMilliseconds = periodMilliseconds
    }
}

/// What an output is doing, for `status`.
public struct OutputStatus: Sendable, Hashable {
    public enum State: Sendable, Hashable {
        case opening
        case running
        /// The device failed or could not be opened; the engine retries.
        case fault(String)
    }
    public var name: String
    public var device: String
    public var state: State
    /// Frames written since the device was last opened.
    public var framesWritten: Int64
    public var xruns: Int
    public var voices: Int
    /// The period and buffer the device accepted, in frames; 0 until open.
    public var periodFrames: Int
    public var bufferFrames: Int
}

/// One ALSA device and the thread that feeds it.
///
/// Every method may be called from any thread; the audio work happens on the output's own thread.
final class Output: @unchecked Sendable {
    let config: OutputConfig
    private let feeder: Feeder
    private let onEvent: @Sendable (AudioEvent) -> Void
    private let onHeartbeat: @Sendable (UInt64) -> Void

    private let incoming = Mutex<[Voice]>([])
    private let running = Atomic<Bool>(true)
    private let done = DispatchSemaphore(value: 0)
    private let wake = DispatchSemaphore(value: 0)
    private let statusBox: Mutex<OutputStatus>

    // Output-thread state.
    private var voices: [Voice] = []
    private var intake: [Voice] = []

    init(
        config: OutputConfig, feeder: Feeder, onEvent: @escaping @Sendable (AudioEvent) -> Void,
        onHeartbeat: @escaping @Sendable (UInt64) -> Void
    ) {
        self.config = config
        self.feeder = feeder
        self.onEvent = onEvent
        self.onHeartbeat = onHeartbeat
        statusBox = Mutex(
            OutputStatus(
                name: config.name, device: config.device, state: .opening, framesWritten: 0, xruns: 0, voices: 0,
                periodFrames: 0, bufferFrames: 0))
        voices.reserveCapacity(64)
        intake.reserveCapacity(64)
    }

    var status: OutputStatus { statusBox.withLock { $0 } }

    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "carillon-out-\(config.name)"
        thread.start()
    }

    func shutdown() {
        running.store(false, ordering: .relaxed)
        wake.signal()
        done.wait()
    }

    /// Hands a prefilled voice to the output thread; it starts at the next period.
    func add(_ voice: Voice) {
        incoming.withLock { $0.append(voice) }
    }

    // MARK: - The output thread

    private func run() {
        defer { done.signal() }
        var backoff = 250
        var faulted = false
        while running.load(ordering: .relaxed) {
            onHeartbeat(monotonicNanoseconds())
            let pcm: ALSAPCM
            do {
                pcm = try ALSAPCM(
                    device: config.device, extraConfig: config.alsaConfig, format: config.format,
                    periodMicroseconds: config.periodMilliseconds * 1000,
                    bufferMicroseconds: config.bufferMilliseconds * 1000 + config.periodMilliseconds * 2000)
            } catch {
                fault(error.message, announce: !faulted)
                faulted = true
                // Sleep in short steps so the watchdog still hears from this thread.
                let until = monotonicNanoseconds() + UInt64(backoff) * 1_000_000
                while running.load(ordering: .relaxed), monotonicNanoseconds() < until {
                    _ = wake.wait(timeout: .now() + .milliseconds(min(250, backoff)))
                    onHeartbeat(monotonicNanoseconds())
                    failVoicesWhileDown(error.message)
                }
                backoff = min(backoff * 2, 2000)
                continue
            }
            statusBox.withLock {
                $0.state = .running
                $0.framesWritten = 0
                $0.periodFrames = pcm.periodFrames
                $0.bufferFrames = pcm.bufferFrames
            }
            if faulted {
                onEvent(.recovered(output: config.name))
                faulted = false
            }
            backoff = 250
            if let failure = play(on: pcm) {
                fault(failure, announce: true)
                faulted = true
            }
        }
        endAll(.stopped)
    }

    private func fault(_ message: String, announce: Bool) {
        statusBox.withLock { $0.state = .fault(message) }
        if announce { onEvent(.fault(output: config.name, message: message)) }
    }

    /// Plays until shutdown or a device failure; returns the failure.
    private func play(on pcm: ALSAPCM) -> String? {
        let format = config.format
        let channels = format.channels
        let rate = UInt64(format.sampleRate)
        let period = pcm.periodFrames
        let ahead = max(period, format.sampleRate * config.bufferMilliseconds / 1000)
        let mix = UnsafeMutablePointer<Float>.allocate(capacity: period * channels)
        let bytes = UnsafeMutableRawPointer.allocate(byteCount: period * channels * 4, alignment: 16)
        defer {
            mix.deallocate()
            bytes.deallocate()
        }
        var written: Int64 = 0
        var anchorFrames: Int64 = 0
        var anchorTime = monotonicNanoseconds()
        // Real devices report their queue; `null` and `file` PCMs report 0 and never block,
        // so the engine paces itself on the monotonic clock.
        var deviceKnowsDelay = false

        while running.load(ordering: .relaxed) {
            let now = monotonicNanoseconds()
            onHeartbeat(now)
            takeIncoming()

            let played = anchorFrames + Int64((now - anchorTime) * rate / 1_000_000_000)
            var queued = deviceKnowsDelay ? Int64(pcm.delay()) : written - played
            if queued < -Int64(format.sampleRate) {
                // Far behind (the machine stalled): start a fresh timeline instead of catching up.
                anchorFrames = written
                anchorTime = now
                queued = 0
            }
            if queued > Int64(ahead - period) {
                if deviceKnowsDelay {
                    sleepUntil(monotonicNanoseconds: now + UInt64(period) * 1_000_000_000 / rate / 2)
                } else {
                    let due = written + Int64(period) - Int64(ahead) - anchorFrames
                    sleepUntil(monotonicNanoseconds: anchorTime + UInt64(max(0, due)) * 1_000_000_000 / rate)
                }
                continue
            }

            let startedNow = mixPeriod(into: mix, frames: period)
            convert(mix, to: bytes, samples: period * channels, format: pcm.sampleFormat)
            var offset = 0
            while offset < period {
                let n = pcm.write(bytes + offset * channels * pcm.sampleFormat.bytes, frames: period - offset)
                if n >= 0 {
                    offset += n
                    continue
                }
                if n == -Int(EAGAIN) { continue }
                if n == -Int(EPIPE) || n == -Int(ESTRPIPE) {
                    statusBox.withLock { $0.xruns += 1 }
                    onEvent(.xrun(output: config.name))
                }
                let recovered = pcm.recover(Int32(n))
                if recovered < 0 {
                    endAll(.failed("output \(config.name): \(ALSAPCM.describe(Int32(n)))"))
                    return "device \"\(config.device)\" failed: \(ALSAPCM.describe(Int32(n)))"
                }
                anchorFrames = written + Int64(offset)
                anchorTime = monotonicNanoseconds()
            }
            let writtenAt = monotonicNanoseconds()
            let delay = pcm.delay()
            if delay > 0 { deviceKnowsDelay = true }
            if startedNow > 0 {
                let wall = wallNanoseconds()
                // Behind real time (the thread was held up), the new sound is heard as soon as written.
                let queuedAhead = deviceKnowsDelay ? delay : max(0, Int(written + Int64(period) - played))
                for voice in voices where voice.framesOut > 0 && voice.framesOut <= period && !voice.started {
                    voice.started = true
                    onEvent(
                        .started(
                            play: voice.play, output: config.name, frame: written, wallNanoseconds: wall,
                            monotonicNanoseconds: writtenAt, queuedFrames: queuedAhead))
                }
            }
            written += Int64(period)
            statusBox.withLock {
                $0.framesWritten = written
                $0.voices = voices.count
            }
            retireFinished()
        }
        return nil
    }

    /// Sums the voices into `mix`; returns how many voices sounded for the first time.
    private func mixPeriod(into mix: UnsafeMutablePointer<Float>, frames: Int) -> Int {
        let channels = config.format.channels
        mix.update(repeating: 0, count: frames * channels)
        var firsts = 0
        var lowWater = false
        for voice in voices {
            if voice.stopRequested.load(ordering: .relaxed) && voice.fadeFrames == 0 {
                // A 20 ms linear fade: short enough to feel instant, long enough not to click.
                voice.fadeFrames = max(1, config.format.sampleRate / 50)
                voice.fadeLeft = voice.fadeFrames
            }
            var wanted = frames
            if voice.fadeFrames > 0 { wanted = min(frames, voice.fadeLeft) }
            let gain = voice.gain
            let fadeFrames = voice.fadeFrames
            let fadeLeft = voice.fadeLeft
            let got =
                voice.ring.mix(into: mix, count: wanted * channels) { i in
                    guard fadeFrames > 0 else { return gain }
                    return gain * Float(fadeLeft - i / channels) / Float(fadeFrames)
                } / channels
            if voice.fadeFrames > 0 { voice.fadeLeft -= wanted }
            if got > 0 && voice.framesOut == 0 { firsts += 1 }
            voice.framesOut += got
            if voice.ring.available < voice.ring.capacity / 4 { lowWater = true }
        }
        if lowWater { feeder.nudge() }
        return firsts
    }

    private func takeIncoming() {
        incoming.withLockIfAvailable { list in
            guard !list.isEmpty else { return }
            swap(&list, &intake)
        }
        guard !intake.isEmpty else { return }
        voices.append(contentsOf: intake)
        intake.removeAll(keepingCapacity: true)
    }

    /// Ends voices that ran dry after their source ended, or whose fade finished.
    private func retireFinished() {
        var i = 0
        while i < voices.count {
            let voice = voices[i]
            var reason: EndReason?
            if voice.fadeFrames > 0 && voice.fadeLeft <= 0 {
                reason = .stopped
            } else if voice.ring.available == 0 && voice.sourceEnded.load(ordering: .acquiring) {
                reason =
                    voice.sourceFailed.load(ordering: .acquiring)
                    ? .failed(voice.failure?.message ?? "decode error") : .finished
            }
            if let reason {
                voice.stopRequested.store(true, ordering: .relaxed)
                onEvent(.ended(play: voice.play, output: config.name, reason: reason, frames: voice.framesOut))
                voices.remove(at: i)
            } else {
                i += 1
            }
        }
    }

    private func failVoicesWhileDown(_ message: String) {
        takeIncoming()
        guard !voices.isEmpty else { return }
        endAll(.failed("output \(config.name) is down: \(message)"))
    }

    private func endAll(_ reason: EndReason) {
        takeIncoming()
        for voice in voices {
            voice.stopRequested.store(true, ordering: .relaxed)
            onEvent(.ended(play: voice.play, output: config.name, reason: reason, frames: voice.framesOut))
        }
        voices.removeAll(keepingCapacity: true)
        statusBox.withLock { $0.voices = 0 }
    }

    private func convert(
        _ mix: UnsafeMutablePointer<Float>, to bytes: UnsafeMutableRawPointer, samples: Int, format: SampleFormat
    ) {
        switch format {
        case .s16:
            let out = bytes.assumingMemoryBound(to: Int16.self)
            for i in 0..<samples {
                let x = (mix[i] * 32768).rounded()
                out[i] = Int16(max(-32768, min(32767, x)))
            }
        case .s32:
            let out = bytes.assumingMemoryBound(to: Int32.self)
            for i in 0..<samples {
                let x = Double(mix[i]) * 2_147_483_648
                out[i] = Int32(max(-2_147_483_648, min(2_147_483_647, x.rounded())))
            }
        case .float32:
            let out = bytes.assumingMemoryBound(to: Float.self)
            for i in 0..<samples { out[i] = max(-1, min(1, mix[i])) }
        }
    }
}
