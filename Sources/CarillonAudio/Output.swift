import CALSA
import CarillonCore
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
    /// How far the engine runs ahead of real time: the audible delay of a new sound on a PCM that
    /// cannot rewind. On one that can, the least it keeps queued while sounds play (it keeps up to
    /// `Output.takeBackLeadMilliseconds`, and takes the rest back when a sound starts).
    public var bufferMilliseconds: Int
    /// The unit of mixing and writing.
    public var periodMilliseconds: Int
    /// How long the output thread may sleep while nothing plays: about one wake-up per
    /// `idleMilliseconds`. 0 writes the idle silence period by period, as while playing.
    public var idleMilliseconds: Int
    public var idleSilence: IdleSilence

    public init(
        name: String, device: String, alsaConfig: String? = nil, format: AudioFormat = .init(sampleRate: 48000, channels: 2),
        bufferMilliseconds: Int = 30, periodMilliseconds: Int = 5, idleMilliseconds: Int = 2000,
        idleSilence: IdleSilence = .automatic
    ) {
        self.name = name
        self.device = device
        self.alsaConfig = alsaConfig
        self.format = format
        self.bufferMilliseconds = bufferMilliseconds
        self.periodMilliseconds = periodMilliseconds
        self.idleMilliseconds = idleMilliseconds
        self.idleSilence = idleSilence
    }
}

/// How an output keeps its device running on silence while its thread sleeps.
public enum IdleSilence: Sendable, Hashable {
    /// `.queued` on a device that plays in real time and can rewind. On a PCM that does not play in
    /// real time (ALSA `null`, or `file` over `null`) the silence is written when the thread wakes,
    /// for the time that passed: nothing can underrun there, and a capture stays a timeline.
    /// Elsewhere, silence is written period by period.
    case automatic
    /// Queued in the device up to `idleMilliseconds` ahead, so that it plays on while the thread
    /// sleeps. A sound that starts takes that silence back (`snd_pcm_rewind`) down to one period,
    /// so it is heard as soon as it would have been without it.
    case queued
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
    /// Set with `add` and `poke`: what is queued in the device no longer matches what should sound.
    private let changed = Atomic<Bool>(false)
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
        Thread.start(named: "out-\(config.name)") { [self] in run() }
    }

    func shutdown() {
        running.store(false, ordering: .relaxed)
        wake.signal()
        done.wait()
    }

    /// Hands a prefilled voice to the output thread. An idle output writes it at once; one that
    /// plays mixes it at its next period, with the cuts and ducks that come with it (the station
    /// starts a sound first, then changes the ones it affects, expecting both in the same period).
    func add(_ voice: Voice) {
        // Its take-back history (some 90 KB) is allocated here, on the caller's thread: the output
        // thread allocates nothing while it mixes.
        let period = max(1, config.format.sampleRate * config.periodMilliseconds / 1000)
        let lead = max(config.bufferMilliseconds + config.periodMilliseconds, Self.takeBackLeadMilliseconds)
        voice.prepareTakeBack(periods: lead / max(1, config.periodMilliseconds) + 3, frames: period)
        incoming.withLock { $0.append(voice) }
        poke()
    }

    /// Tells the output thread that a voice was cut, stopped or ducked: what is queued ahead is
    /// taken back and mixed again, so the change is heard `margin` ahead instead of a queue later.
    func poke() {
        changed.store(true, ordering: .releasing)
        wake.signal()
    }

    /// Wakes the output thread, so that it sees a request (an injected fault) without waiting out its sleep.
    func wakeUp() { wake.signal() }

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
                    bufferMicroseconds: config.idleSilence == .queued && config.idleMilliseconds > 0
                        ? idleBufferMicroseconds : playBufferMicroseconds)
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

    /// The device buffer while sounds play: the longest lead plus two periods of slack.
    private var playBufferMicroseconds: Int {
        max(config.bufferMilliseconds, Self.takeBackLeadMilliseconds) * 1000 + config.periodMilliseconds * 2000
    }
    /// The queue kept while sounds play on a PCM that can take back what it holds: a wake-up every
    /// `takeBackLeadMilliseconds - bufferMilliseconds`, where each period would need its own.
    static let takeBackLeadMilliseconds = 100
    /// The device buffer for queued idle silence: the idle stretch plus the lead kept at a refill.
    private var idleBufferMicroseconds: Int { (config.idleMilliseconds + Self.refillMilliseconds) * 1000 }
    /// Queued idle silence is topped up once it falls to this: ample for a thread woken late.
    private static let refillMilliseconds = 200

    /// How this output idles, once its PCM is known (see `IdleSilence`).
    private enum IdleMode {
        /// Silence queued up to the device's buffer, rewound when a sound starts.
        case queued
        /// Silence written when the thread wakes, for the time that passed.
        case late
        /// Silence written period by period, like sound.
        case periodic
    }

    /// Plays until shutdown or a device failure; returns the failure.
    private func play(on pcm: ALSAPCM) -> String? {
        let format = config.format
        let channels = format.channels
        let rate = format.sampleRate
        let frameBytes = channels * pcm.sampleFormat.bytes
        let period = max(1, rate * config.periodMilliseconds / 1000)
        let ahead = Int64(max(period, rate * config.bufferMilliseconds / 1000))
        // What stays queued ahead of a sound that cuts into idle silence: one period.
        let margin = Int64(period)
        let silenceFrames = max(period, rate / 10)
        let mix = UnsafeMutablePointer<Float>.allocate(capacity: period * channels)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: period * channels)
        let bytes = UnsafeMutableRawPointer.allocate(byteCount: period * frameBytes, alignment: 16)
        let silence = UnsafeMutableRawPointer.allocate(byteCount: silenceFrames * frameBytes, alignment: 16)
        silence.initializeMemory(as: UInt8.self, repeating: 0, count: silenceFrames * frameBytes)
        defer {
            mix.deallocate()
            scratch.deallocate()
            bytes.deallocate()
            silence.deallocate()
        }
        var limiter = Limiter(sampleRate: rate)
        var written: Int64 = 0
        var anchorFrames: Int64 = 0
        var anchorTime = monotonicNanoseconds()
        // Real devices report their queue; `null` and `file` PCMs report 0 and never block,
        // so the engine paces itself on the monotonic clock.
        var deviceKnowsDelay = false
        // Where idle silence began: what is written from there on is silence that may be taken back.
        var silentFrom: Int64? = 0
        var limiterAtSilence = limiter
        var rewindChecked = false
        // The number of the next period to mix, and the first one a take-back may go back to.
        var serial = 0
        var floor = 0

        func played(at now: UInt64) -> Int64 {
            let elapsed = now &- anchorTime
            // In two steps, so that months of uptime cannot overflow.
            let frames = elapsed / 1_000_000_000 * UInt64(rate) + elapsed % 1_000_000_000 * UInt64(rate) / 1_000_000_000
            return anchorTime > now ? anchorFrames : anchorFrames + Int64(frames)
        }
        func queued(at now: UInt64) -> Int64 { deviceKnowsDelay ? Int64(pcm.delay()) : written - played(at: now) }
        func nanoseconds(_ frames: Int64) -> UInt64 { UInt64(max(0, frames)) * 1_000_000_000 / UInt64(rate) }
        // While sounds play, the queue is topped up to a lead once it falls to a refill mark. Where
        // the PCM cannot rewind, the lead is `ahead` and the refill one period less, so a sound that
        // arrives is mixed at the next period, with the cuts and ducks it brings (see `add`). Where
        // it can, and no live voice (filled in real time) plays, the lead is `longLead` and the
        // refill `ahead`: one wake-up per ~70 ms, and a sound, cut or duck takes back the queue
        // beyond `margin` and is mixed into it at once (`takeBack`).
        let lowWater = ahead - Int64(period)
        let longLead = Int64(max(Int(ahead) + period, rate * Self.takeBackLeadMilliseconds / 1000))
        /// When `queue` will have fallen to `level`: time to top it up.
        func due(_ now: UInt64, queue: Int64, level: Int64) -> UInt64 {
            deviceKnowsDelay
                ? now + nanoseconds(queue - level)
                : anchorTime + nanoseconds(written - level - anchorFrames)
        }
        // Take-back state: the periods mixed are numbered; each remembers where it began and the
        // limiter then, each voice its own state (`Voice.mark`). Nothing is taken back across a
        // period where a voice joined or ended, silence was written or the device recovered.
        let remembered = Int(longLead / Int64(period)) + 2
        var marks = [PeriodMark](repeating: PeriodMark(period: -1, first: 0, limiter: limiter), count: remembered)
        // Known after the first period written while sounds play.
        var canRewind: Bool?
        var filling = false
        /// Takes back the whole periods queued beyond `margin`, down to `floor`, and puts every
        /// voice back where it was at the first of them; returns whether any were.
        func takeBack(_ now: UInt64) -> Bool {
            guard canRewind == true else { return false }
            let spare = min(queued(at: now) - margin, Int64(pcm.rewindable()))
            let periods = min(Int(max(0, spare) / Int64(period)), serial - floor, remembered - 1)
            guard periods > 0 else { return false }
            let back = pcm.rewind(periods * period)
            let whole = back / period
            // A part period left where it was keeps the numbering whole.
            if back > whole * period { _ = pcm.forward(back - whole * period) }
            guard whole > 0 else { return false }
            serial -= whole
            let mark = marks[serial % remembered]
            written -= Int64(whole * period)
            assert(mark.period == serial && mark.first == written)
            limiter = mark.limiter
            for voice in voices where voice.remembers(period: serial) { voice.restore(period: serial) }
            framesWritten.store(written, ordering: .relaxed)
            return true
        }
        /// Writes `frames` frames; on a failure it cannot recover from, ends every voice and returns why.
        func write(_ source: UnsafeRawPointer, frames: Int) -> String? {
            var offset = 0
            while offset < frames {
                let n = pcm.write(source + offset * frameBytes, frames: frames - offset)
                if n >= 0 {
                    offset += n
                    continue
                }
                if n == -Int(EAGAIN) { continue }
                if n == -Int(EPIPE) || n == -Int(ESTRPIPE) {
                    statusBox.withLock { $0.xruns += 1 }
                    onEvent(.xrun(output: config.name))
                }
                if pcm.recover(Int32(n)) < 0 {
                    endAll(.failed("output \(config.name): \(ALSAPCM.describe(Int32(n)))"))
                    return "device \"\(config.device)\" failed: \(ALSAPCM.describe(Int32(n)))"
                }
                anchorFrames = written + Int64(offset)
                anchorTime = monotonicNanoseconds()
                // What the device held was dropped.
                floor = serial
            }
            written += Int64(frames)
            return nil
        }
        func writeSilence(_ frames: Int64) -> String? {
            var left = frames
            while left > 0 {
                let n = Int(min(left, Int64(silenceFrames)))
                if let failure = write(silence, frames: n) { return failure }
                left -= Int64(n)
            }
            limiter.rest(frames: Int(max(0, frames)))
            framesWritten.store(written, ordering: .relaxed)
            return nil
        }
        func resetTimeline() {
            written = 0
            silentFrom = 0
            anchorFrames = 0
            anchorTime = monotonicNanoseconds()
            framesWritten.store(0, ordering: .relaxed)
        }

        var idle = IdleMode.periodic
        if config.idleMilliseconds > 0 {
            switch config.idleSilence {
            case .queued: idle = .queued
            case .automatic:
                // A device that plays in real time shows a queue once written to; `null` never does.
                if let failure = writeSilence(Int64(period)) { return failure }
                if pcm.delay() > 0 || pcm.avail() < pcm.bufferFrames {
                    do throws(AudioError) {
                        try pcm.resize(bufferMicroseconds: idleBufferMicroseconds)
                        idle = .queued
                    } catch {
                        do throws(AudioError) {
                            try pcm.resize(bufferMicroseconds: playBufferMicroseconds)
                        } catch {
                            endAll(.failed("output \(config.name): \(error.message)"))
                            return error.message
                        }
                    }
                    // The probe was dropped with the old buffer.
                    resetTimeline()
                    statusBox.withLock {
                        $0.periodFrames = pcm.periodFrames
                        $0.bufferFrames = pcm.bufferFrames
                    }
                } else {
                    idle = .late
                }
            }
        }

        while running.load(ordering: .relaxed) {
            let now = monotonicNanoseconds()
            onHeartbeat(now)
            let poked = changed.exchange(false, ordering: .acquiring)
            let joined = takeIncoming()
            switch injectedFault.load(ordering: .relaxed) {
            case 1:
                endAll(.failed("output \(config.name): injected fault"))
                return "device \"\(config.device)\" failed: injected fault"
            case 2:
                injectedFault.store(0, ordering: .relaxed)
                statusBox.withLock { $0.xruns += 1 }
                onEvent(.xrun(output: config.name))
                _ = pcm.recover(-EPIPE)
                floor = serial
            default: break
            }

            var queue = queued(at: now)
            // Late idle silence is legitimately up to an idle stretch behind.
            let stall = Int64(rate) * Int64(1000 + (idle == .late && voices.isEmpty ? config.idleMilliseconds : 0)) / 1000
            if queue < -stall {
                // Far behind (the machine stalled): start a fresh timeline instead of catching up.
                anchorFrames = written
                anchorTime = now
                queue = 0
                floor = serial
            }

            if voices.isEmpty {
                switch idle {
                case .queued:
                    let refill = Int64(min(rate * Self.refillMilliseconds / 1000, pcm.bufferFrames / 2))
                    if queue <= refill {
                        if let failure = writeSilence(Int64(pcm.bufferFrames) - max(0, queue)) { return failure }
                        queue = Int64(pcm.bufferFrames)
                        if !rewindChecked {
                            rewindChecked = true
                            // A PCM that cannot rewind (a rate converter, say) would make the next sound
                            // wait behind all this silence once; from then on it gets it period by period.
                            if pcm.rewindable() == 0 { idle = .periodic }
                        }
                    }
                    sleep(until: now + nanoseconds(queue - refill))
                case .late:
                    if queue < 0, let failure = writeSilence(-queue) { return failure }
                    sleep(until: now + UInt64(config.idleMilliseconds) * 1_000_000)
                case .periodic:
                    if queue > lowWater {
                        sleep(until: due(now, queue: queue, level: lowWater))
                    } else if let failure = writeSilence(Int64(period)) {
                        return failure
                    }
                }
                continue
            }

            let lead = canRewind == true && !voices.contains(where: \.isLive) ? longLead : ahead
            if let from = silentFrom {
                // Sound after idle silence: it starts `margin` ahead of the speaker, never before
                // the silence began, so nothing already mixed is taken back.
                switch idle {
                case .queued:
                    let excess = min(queue - margin, written - from, Int64(pcm.rewindable()))
                    if excess > 0 {
                        let back = Int64(pcm.rewind(Int(excess)))
                        written -= back
                        queue -= back
                        limiter = limiterAtSilence
                        limiter.rest(frames: Int(written - from))
                    }
                case .late:
                    if queue < margin, let failure = writeSilence(margin - queue) { return failure }
                case .periodic: break
                }
                silentFrom = nil
                floor = serial
                filling = true
            } else {
                if poked && takeBack(now) {
                    queue = queued(at: now)
                    filling = true
                }
                if joined > 0 { floor = serial }
                let refill = lead == longLead ? ahead : lowWater
                if queue <= refill { filling = true }
                if !filling {
                    sleep(until: due(now, queue: queue, level: refill))
                    continue
                }
            }

            marks[serial % remembered] = PeriodMark(period: serial, first: written, limiter: limiter)
            let startedNow = mixPeriod(into: mix, scratch: scratch, frames: period, serial: serial)
            serial += 1
            limiter.process(mix, frames: period, channels: channels)
            convert(mix, to: bytes, samples: period * channels, format: pcm.sampleFormat)
            let first = written
            if let failure = write(bytes, frames: period) { return failure }
            let writtenAt = monotonicNanoseconds()
            let delay = pcm.delay()
            if canRewind == nil { canRewind = pcm.rewindable() > 0 }
            if delay > 0 && !deviceKnowsDelay {
                deviceKnowsDelay = true
                // It plays in real time after all: late silence would underrun it.
                if idle == .late { idle = .periodic }
            }
            if startedNow > 0 {
                let wall = wallNanoseconds()
                // Behind real time (the thread was held up), the new sound is heard as soon as written.
                let queuedAhead = deviceKnowsDelay ? max(0, delay - period) : Int(max(0, first - played(at: writtenAt)))
                for voice in voices where voice.framesOut > 0 && !voice.started {
                    voice.started = true
                    onEvent(
                        .started(
                            play: voice.play, zone: voice.zone, output: config.name, frame: first,
                            wallNanoseconds: wall, monotonicNanoseconds: writtenAt, queuedFrames: queuedAhead))
                }
            }
            framesWritten.store(written, ordering: .relaxed)
            voiceCount.store(voices.count, ordering: .relaxed)
            if retireFinished() { floor = serial }
            if (deviceKnowsDelay ? Int64(delay) : written - played(at: writtenAt)) >= lead { filling = false }
            if voices.isEmpty {
                silentFrom = written
                limiterAtSilence = limiter
            }
        }
        return nil
    }

    /// Sleeps until `deadline` on CLOCK_MONOTONIC, or until woken by a new voice, a fault or shutdown.
    private func sleep(until deadline: UInt64) {
        let now = monotonicNanoseconds()
        guard deadline > now else { return }
        _ = wake.wait(timeout: .now() + .nanoseconds(Int(deadline - now)))
    }

    /// Sums the voices into `mix`, each on its zone's channels with its gain; returns how many
    /// voices sounded for the first time.
    private func mixPeriod(
        into mix: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, frames: Int, serial: Int
    ) -> Int {
        let outChannels = config.format.channels
        let rate = config.format.sampleRate
        mix.update(repeating: 0, count: frames * outChannels)
        var firsts = 0
        var lowWater = false
        for voice in voices {
            // Before any request is applied: a take-back to this period applies them again.
            voice.mark(period: serial)
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
            let got = voice.read(into: scratch, count: wanted * channels) / channels
            // Locals in the per-frame loop: each access to the voice's properties would be checked.
            var gain = voice.gain
            let (rampTarget, rampStep) = (voice.rampTarget, voice.rampStep)
            let (fadeFrames, fadeLeft) = (voice.fadeFrames, voice.fadeLeft)
            voice.channelMap.withUnsafeBufferPointer { map in
                for f in 0..<got {
                    if gain != rampTarget {
                        gain += rampStep
                        if (rampStep > 0 && gain > rampTarget) || (rampStep < 0 && gain < rampTarget) { gain = rampTarget }
                    }
                    var g = gain
                    if fadeFrames > 0 { g *= Float(fadeLeft - f) / Float(fadeFrames) }
                    let frame = scratch + f * channels
                    let out = mix + f * outChannels
                    for c in 0..<channels { out[map[c]] += frame[c] * g }
                }
            }
            voice.gain = gain
            if voice.fadeFrames > 0 { voice.fadeLeft -= wanted }
            if got > 0 && voice.framesOut == 0 { firsts += 1 }
            voice.framesOut += got
            if !voice.isLive && voice.ring.available < voice.ring.capacity / 4 { lowWater = true }
        }
        if lowWater { feeder.nudge() }
        return firsts
    }

    /// Moves voices handed over by `add` into the mix; returns how many.
    @discardableResult
    private func takeIncoming() -> Int {
        incoming.withLockIfAvailable { list in
            guard !list.isEmpty else { return }
            swap(&list, &intake)
        }
        guard !intake.isEmpty else { return 0 }
        let count = intake.count
        voices.append(contentsOf: intake)
        intake.removeAll(keepingCapacity: true)
        return count
    }

    /// Ends voices that ran dry after their source ended, or whose fade finished; returns whether any.
    private func retireFinished() -> Bool {
        var any = false
        var i = 0
        while i < voices.count {
            let voice = voices[i]
            var reason: EndReason?
            if voice.fadeFrames > 0 && voice.fadeLeft <= 0 {
                reason = .stopped
            } else if voice.drained {
                reason =
                    voice.sourceFailed.load(ordering: .acquiring)
                    ? .failed(voice.failure?.message ?? "decode error") : .finished
            }
            if let reason {
                voice.stopRequested.store(true, ordering: .relaxed)
                onEvent(.ended(play: voice.play, zone: voice.zone, reason: reason, frames: voice.framesOut))
                voices.remove(at: i)
                any = true
            } else {
                i += 1
            }
        }
        return any
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

/// Where a mixed period began in the output's timeline, and the limiter's state then.
struct PeriodMark {
    var period: Int
    var first: Int64
    var limiter: Limiter
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

    /// Recovers over `frames` of silence, which passes unchanged.
    mutating func rest(frames: Int) {
        if gain < 1 { gain = min(1, gain + release * Float(frames)) }
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
