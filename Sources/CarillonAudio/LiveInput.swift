import CSoxr
import Foundation
import Synchronization

extension AudioEngine {
    /// Starts a play whose audio arrives in real time, such as a decoded live voice, in one zone at
    /// `gainDB` (plus the zone's trim). The play joins its output once it holds `prefill` of audio
    /// (or finishes, or is stopped), so `.started` marks the first pushed sample; from then on the
    /// output plays what is pushed at its own pace, and silence whenever the source falls behind
    /// (which never ends the play: only `finish`, a stop or a fault does). The `.ended` event counts
    /// the pushed frames that sounded, not that silence.
    ///
    /// The prefill is the jitter buffer: the output mixes its lead (`bufferMilliseconds`) at once,
    /// so a voice joined on its first 20 ms packet ran dry before the second arrived and every shout
    /// began with 20–50 ms of silence after its first syllable. By default it is that lead plus 20 ms,
    /// one packet, within `maxBufferedMilliseconds`.
    ///
    /// `stop(play:)`, `cut(play:zone:)` and `setGain(play:zone:gainDB:)` reach it like any other play.
    /// - Parameters:
    ///   - format: the pushed audio's format; it is converted to the zone's as it is pushed.
    ///   - maxBufferedMilliseconds: the most audio held for the output; what a push brings beyond it is
    ///     dropped, so that a burst of late packets can never add lasting delay to a live voice.
    /// - Throws: `AudioError` if the zone is unknown or the format or buffer cannot be used.
    public func startLive(
        play id: UInt64, zone: String, format: AudioFormat, gainDB: Double = 0, maxBufferedMilliseconds: Int = 100,
        prefillMilliseconds: Int? = nil
    ) throws(AudioError) -> LiveInput {
        guard let (output, channels, trim) = zones[zone] else { throw AudioError("unknown zone \(zone)") }
        guard format.sampleRate > 0, format.channels > 0 else {
            throw AudioError("cannot play live audio of \(format)")
        }
        guard (1...LiveInput.maxBufferLimit).contains(maxBufferedMilliseconds) else {
            throw AudioError("a live buffer holds 1...\(LiveInput.maxBufferLimit) ms, not \(maxBufferedMilliseconds)")
        }
        let prefill = min(maxBufferedMilliseconds, max(0, prefillMilliseconds ?? output.config.bufferMilliseconds + 20))
        let input = try LiveInput(
            play: id, zone: zone, output: output, channelMap: channels, source: format,
            gain: Float(Foundation.pow(10, (gainDB + trim) / 20)), maxBufferedMilliseconds: maxBufferedMilliseconds,
            prefillMilliseconds: prefill)
        live.add(input.voice)
        return input
    }
}

/// The feeding end of a live play: audio pushed here is heard in its zone at the output's pace.
///
/// Push from one thread or task at a time: the samples go into a ring the output thread reads
/// without locks, with this object as its only writer. (Concurrent calls are serialized, not
/// corrupted, but their audio would interleave.) `droppedFrames` may be read from anywhere.
///
/// Dropping the last reference finishes the play, so a lost sender cannot hold a zone forever.
public final class LiveInput: Sendable {
    /// The most `maxBufferedMilliseconds` can be: far beyond any sane live delay.
    static let maxBufferLimit = 2000

    let voice: Voice
    private let channels: Int
    private let join: OutputJoin
    private let pusher: Mutex<Pusher>
    private let dropped = Atomic<Int>(0)

    init(
        play: UInt64, zone: String, output: Output, channelMap: [Int], source: AudioFormat, gain: Float,
        maxBufferedMilliseconds: Int, prefillMilliseconds: Int
    ) throws(AudioError) {
        let target = AudioFormat(sampleRate: output.config.format.sampleRate, channels: channelMap.count)
        let limit = max(1, target.sampleRate * maxBufferedMilliseconds / 1000)
        let prefill = min(limit, max(1, target.sampleRate * prefillMilliseconds / 1000))
        let join = OutputJoin(output)
        // Room for the limit plus a converter's tail at the end, which `finish` lets through.
        let voice = Voice(
            play: play, zone: zone, channelMap: channelMap, channels: target.channels, gain: gain,
            ringSamples: (limit + target.sampleRate / 10) * target.channels,
            onStopRequest: { join.join($0) })
        self.voice = voice
        self.channels = target.channels
        self.join = join
        self.pusher = try Mutex(
            Pusher(voice: voice, join: join, source: source, target: target, limitFrames: limit, prefillFrames: prefill))
    }

    deinit { finish() }

    /// Queues interleaved samples in the `format` given to `startLive` (whole frames; a trailing
    /// partial frame is ignored). The first push that brings audio starts the play.
    /// - Returns: frames of this push dropped, in the pushed format: those beyond the buffer limit,
    ///   or all of them once the play has finished, been stopped or failed.
    @discardableResult
    public func push(_ samples: [Float]) -> Int {
        pusher.withLock { pusher in
            let before = pusher.droppedFrames
            samples.withUnsafeBufferPointer { pusher.push($0) }
            let total = pusher.droppedFrames
            dropped.store(total, ordering: .relaxed)
            return total - before
        }
    }

    /// Ends the play once what is held has sounded; it then ends as `.finished`. Later pushes are dropped.
    public func finish() {
        pusher.withLock { $0.finish() }
    }

    /// Frames dropped so far, in the pushed format: a measure of how late or bursty the source is.
    public var droppedFrames: Int { dropped.load(ordering: .relaxed) }

    /// Output frames held for the output thread right now (a snapshot, for tests and diagnostics).
    var bufferedFrames: Int { voice.ring.available / channels }

    /// Whether the play has joined its output (its prefill came, or it finished or was stopped).
    var isPlaying: Bool { join.isJoined }
}

/// Hands a live voice to its output once: on its first audio, its finish, or a stop, whichever comes first.
private final class OutputJoin: Sendable {
    private let output: Output
    private let joined = Atomic<Bool>(false)

    init(_ output: Output) { self.output = output }

    var isJoined: Bool { joined.load(ordering: .acquiring) }

    func join(_ voice: Voice) {
        if joined.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged {
            output.add(voice)
        }
    }
}

/// The pusher's side of a live voice: channel mapping, streaming resampling and the bounded write
/// into the voice's ring. Used only under `LiveInput`'s lock.
private final class Pusher {
    private let voice: Voice
    private let join: OutputJoin
    private let source: AudioFormat
    private let target: AudioFormat
    private let limitFrames: Int
    /// Output frames held before the voice joins its output: the jitter buffer.
    private let prefillFrames: Int
    private var resampler: Resampler?
    private let chunkFrames = 1024
    /// One chunk of pushed audio mapped to the target's channels.
    private let mapped: UnsafeMutablePointer<Float>
    /// Resampler output.
    private let converted: UnsafeMutablePointer<Float>
    private let convertedFrames: Int
    private var finished = false
    /// Pushed frames dropped whole: after the end, or when conversion failed.
    private var droppedPushed = 0
    /// Output frames that did not fit under the limit.
    private var droppedOutput = 0

    init(
        voice: Voice, join: OutputJoin, source: AudioFormat, target: AudioFormat, limitFrames: Int, prefillFrames: Int
    ) throws(AudioError) {
        self.voice = voice
        self.join = join
        self.source = source
        self.target = target
        self.limitFrames = limitFrames
        self.prefillFrames = prefillFrames
        resampler =
            source.sampleRate == target.sampleRate
            ? nil : try Resampler(from: source.sampleRate, to: target.sampleRate, channels: target.channels, steady: true)
        let ratio = Double(target.sampleRate) / Double(source.sampleRate)
        convertedFrames = Int(Double(chunkFrames) * max(1, ratio)) + 256
        mapped = .allocate(capacity: chunkFrames * target.channels)
        converted = .allocate(capacity: convertedFrames * target.channels)
    }

    deinit {
        mapped.deallocate()
        converted.deallocate()
    }

    /// All drops so far, in pushed frames; output frames are scaled back by the rate ratio.
    var droppedFrames: Int {
        droppedPushed + Int((Double(droppedOutput) * Double(source.sampleRate) / Double(target.sampleRate)).rounded())
    }

    func push(_ samples: UnsafeBufferPointer<Float>) {
        let frames = samples.count / source.channels
        guard frames > 0, let base = samples.baseAddress else { return }
        // Set by the output thread when the voice ends, or by a stop: nothing more will sound.
        if finished || voice.stopRequested.load(ordering: .acquiring) {
            droppedPushed += frames
            return
        }
        var offset = 0
        while offset < frames {
            let n = min(chunkFrames, frames - offset)
            mapChannels(base + offset * source.channels, frames: n)
            do throws(AudioError) {
                try enqueueConverted(frames: n)
            } catch {
                fail(error)
                droppedPushed += frames - offset
                return
            }
            offset += n
        }
        if (voice.ring.capacity - voice.ring.free) / target.channels >= prefillFrames { join.join(voice) }
    }

    func finish() {
        guard !finished else { return }
        finished = true
        if let resampler, !voice.stopRequested.load(ordering: .relaxed) {
            // The converter holds the last few milliseconds back; let them out, limit or not,
            // since nothing can pile up behind them any more.
            while true {
                guard
                    let (_, made) = try? resampler.process(
                        input: nil, inputFrames: 0, output: converted, outputCapacity: convertedFrames),
                    made > 0
                else { break }
                enqueue(converted, frames: made, bounded: false)
            }
        }
        resampler = nil
        voice.sourceEnded.store(true, ordering: .releasing)
        join.join(voice)
    }

    /// Ends the voice as failed; the output reports it once the ring runs dry.
    private func fail(_ error: AudioError) {
        finished = true
        resampler = nil
        voice.failure = error
        voice.sourceFailed.store(true, ordering: .releasing)
        voice.sourceEnded.store(true, ordering: .releasing)
        join.join(voice)
    }

    /// Resamples `frames` frames from `mapped` (if the rates differ) and queues the result.
    private func enqueueConverted(frames: Int) throws(AudioError) {
        guard let resampler else {
            enqueue(mapped, frames: frames, bounded: true)
            return
        }
        var done = 0
        while done < frames {
            let (consumed, made) = try resampler.process(
                input: mapped + done * target.channels, inputFrames: frames - done, output: converted,
                outputCapacity: convertedFrames)
            enqueue(converted, frames: made, bounded: true)
            done += consumed
            if consumed == 0 && made == 0 { throw AudioError("resampler made no progress") }
        }
    }

    /// Writes frames into the ring: up to the limit if `bounded`, else up to its capacity; the rest is dropped.
    private func enqueue(_ samples: UnsafeMutablePointer<Float>, frames count: Int, bounded: Bool) {
        guard count > 0 else { return }
        let channels = target.channels
        let free = voice.ring.free
        let held = (voice.ring.capacity - free) / channels
        let room = bounded ? max(0, min(free / channels, limitFrames - held)) : free / channels
        let accepted = min(count, room)
        if accepted > 0 { voice.ring.write(samples, count: accepted * channels) }
        droppedOutput += count - accepted
    }

    /// Copies pushed frames into `mapped` in the target's channels: duplicate up, average down,
    /// the same rule as for files.
    private func mapChannels(_ input: UnsafePointer<Float>, frames: Int) {
        let inChannels = source.channels
        let outChannels = target.channels
        if inChannels == outChannels {
            mapped.update(from: input, count: frames * inChannels)
            return
        }
        for f in 0..<frames {
            let frame = input + f * inChannels
            let out = mapped + f * outChannels
            if inChannels == 1 {
                for c in 0..<outChannels { out[c] = frame[0] }
            } else if outChannels == 1 {
                var sum: Float = 0
                for c in 0..<inChannels { sum += frame[c] }
                out[0] = sum / Float(inChannels)
            } else {
                for c in 0..<outChannels { out[c] = frame[min(c, inChannels - 1)] }
            }
        }
    }
}
