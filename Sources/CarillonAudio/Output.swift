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
    /// A fault injected by tests and drills: 0 none, 1 the device fails until cleared, 2 one underrun.
    let injectedFault = Atomic<Int>(0)
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

    /// Updated every period: atomics, so the audio thread never waits for a `status` reader.
    private let framesWritten = Atomic<Int64>(0)
    private let voiceCount = Atomic<Int>(0)

    var status: OutputStatus {
        var status = statusBox.withLock { $0 }
        status.framesWritten = framesWritten.load(ordering: .relaxed)
        status.voices = voiceCount.load(ordering: .relaxed)
        return status
    }

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
            do throws(AudioError) {
                if injectedFault.load(ordering: .relaxed) == 1 {
                    throw AudioError("device \"\(config.device)\" failed: injected fault")
                }
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
            framesWritten.store(0, ordering: .relaxed)
            statusBox.withLock {
                $0.state = .running
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
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: period * channels)
        let bytes = UnsafeMutableRawPointer.allocate(byteCount: period * channels * 4, alignment: 16)
        defer {
            mix.deallocate()
            scratch.deallocate()
            bytes.deallocate()
        }
        var limiter = Limiter(sampleRate: format.sampleRate)
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

            let startedNow = mixPeriod(into: mix, scratch: scratch, frames: period)
            limiter.process(mix, frames: period, channels: channels)
            convert(mix, to: bytes, samples: period * channels, format: pcm.sampleFormat)
            switch injectedFault.load(ordering: .relaxed) {
            case 1:
                endAll(.failed("output \(config.name): injected fault"))
                return "device \"\(config.device)\" failed: injected fault"
            case 2:
                injectedFault.store(0, ordering: .relaxed)
                statusBox.withLock { $0.xruns += 1 }
                onEvent(.xrun(output: config.name))
                _ = pcm.recover(-EPIPE)
            default: break
            }
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
                for voice in voices where voice.framesOut > 0 && !voice.started {
                    voice.started = true
                    onEvent(
                        .started(
                            play: voice.play, zone: voice.zone, output: config.name, frame: written,
                            wallNanoseconds: wall, monotonicNanoseconds: writtenAt, queuedFrames: queuedAhead))
                }
            }
            written += Int64(period)
            framesWritten.store(written, ordering: .relaxed)
            voiceCount.store(voices.count, ordering: .relaxed)
            retireFinished()
        }
        return nil
    }

    /// Sums the voices into `mix`, each on its zone's channels with its gain; returns how many
    /// voices sounded for the first time.
    private func mixPeriod(into mix: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, frames: Int) -> Int {
        let outChannels = config.format.channels
        let rate = config.format.sampleRate
        mix.update(repeating: 0, count: frames * outChannels)
        var firsts = 0
        var lowWater = false
        for voice in voices {
            if voice.stopRequested.load(ordering: .acquiring) && voice.fadeFrames == 0 {
                let ms = voice.fadeMilliseconds.load(ordering: .relaxed)
                voice.fadeFrames = max(1, rate * ms / 1000)
                voice.fadeLeft = voice.fadeFrames
            }
            let target = Float(bitPattern: voice.targetGain.load(ordering: .relaxed))
            if target != voice.rampTarget {
                // Ducks and restores ramp over 80 ms: quick, and smooth enough not to pump or click.
                voice.rampTarget = target
                voice.rampStep = (target - voice.gain) / Float(max(1, rate * 80 / 1000))
            }
            let channels = voice.channels
            var wanted = frames
            if voice.fadeFrames > 0 { wanted = min(frames, voice.fadeLeft) }
            let got = voice.ring.read(into: scratch, count: wanted * channels) / channels
            for f in 0..<got {
                if voice.gain != voice.rampTarget {
                    voice.gain += voice.rampStep
                    if (voice.rampStep > 0 && voice.gain > voice.rampTarget)
                        || (voice.rampStep < 0 && voice.gain < voice.rampTarget)
                    {
                        voice.gain = voice.rampTarget
                    }
                }
                var g = voice.gain
                if voice.fadeFrames > 0 { g *= Float(voice.fadeLeft - f) / Float(voice.fadeFrames) }
                let frame = scratch + f * channels
                let out = mix + f * outChannels
                for c in 0..<channels { out[voice.channelMap[c]] += frame[c] * g }
            }
            if voice.fadeFrames > 0 { voice.fadeLeft -= wanted }
            if got > 0 && voice.framesOut == 0 { firsts += 1 }
            voice.framesOut += got
            if !voice.isLive && voice.ring.available < voice.ring.capacity / 4 { lowWater = true }
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
            } else if voice.sourceEnded.load(ordering: .acquiring) && voice.ring.available == 0 {
                // The end flag first: once it is seen, every sample written before it is visible too.
                reason =
                    voice.sourceFailed.load(ordering: .acquiring)
                    ? .failed(voice.failure?.message ?? "decode error") : .finished
            }
            if let reason {
                voice.stopRequested.store(true, ordering: .relaxed)
                onEvent(.ended(play: voice.play, zone: voice.zone, reason: reason, frames: voice.framesOut))
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
            onEvent(.ended(play: voice.play, zone: voice.zone, reason: reason, frames: voice.framesOut))
        }
        voices.removeAll(keepingCapacity: true)
        voiceCount.store(0, ordering: .relaxed)
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

/// Keeps the summed signal of an output below full scale: instant attack, 100 ms release.
/// A lone clip below the threshold passes bit for bit.
struct Limiter {
    private let threshold: Float = 0.97
    private let release: Float
    private var gain: Float = 1

    init(sampleRate: Int) {
        release = 1 / Float(max(1, sampleRate / 10))
    }

    mutating func process(_ samples: UnsafeMutablePointer<Float>, frames: Int, channels: Int) {
        for f in 0..<frames {
            let frame = samples + f * channels
            var peak: Float = 0
            for c in 0..<channels { peak = max(peak, abs(frame[c])) }
            if peak * gain > threshold {
                gain = threshold / peak
            } else if gain < 1 {
                gain = min(1, gain + release)
            }
            if gain < 1 { for c in 0..<channels { frame[c] *= gain } }
        }
    }
}
