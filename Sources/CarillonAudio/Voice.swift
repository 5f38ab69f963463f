import Synchronization

/// How one play ended in one zone.
public enum EndReason: Sendable, Hashable {
    /// Every sample was written.
    case finished
    /// Faded out on request: a stop or a cut.
    case stopped
    /// The audio could not be read or the output failed.
    case failed(String)
}

/// One clip playing in one zone: a ring of converted samples between the feeder and the output
/// thread, and the gain and fade the output thread applies.
final class Voice: @unchecked Sendable {
    let play: UInt64
    let zone: String
    let ring: SampleRing
    /// Channels of the decoded audio: the zone's channel count.
    let channels: Int
    /// For each decoded channel, the output channel it sounds on.
    let channelMap: [Int]

    // Feeder side. `reader` is touched only by the feeder once the voice is handed over.
    var reader: (any FrameReader)?
    /// Set by the feeder once the reader is exhausted: an empty ring then means the end.
    let sourceEnded = Atomic<Bool>(false)
    /// Set, after `failure`, when the reader threw.
    let sourceFailed = Atomic<Bool>(false)
    var failure: AudioError?

    // Requests from any thread, applied by the output thread at its next period.
    /// The gain to ramp to, as `Float.bitPattern`.
    let targetGain: Atomic<UInt32>
    /// Set to fade out over `fadeMilliseconds` and end.
    let stopRequested = Atomic<Bool>(false)
    let fadeMilliseconds = Atomic<Int>(20)

    // Output-thread state.
    var gain: Float
    var rampTarget: Float
    var rampStep: Float = 0
    var fadeFrames = 0
    var fadeLeft = 0
    var framesOut = 0
    var started = false

    /// Whether a `LiveInput` fills the ring instead of the feeder, so running low is no cue to decode.
    let isLive: Bool
    /// Called after a stop is requested: a live voice not yet handed to its output joins it then,
    /// so that a stop before its first samples still ends it.
    private let onStopRequest: (@Sendable (Voice) -> Void)?

    convenience init(
        play: UInt64, zone: String, channelMap: [Int], reader: any FrameReader, gain: Float, seconds: Int = 2
    ) {
        self.init(
            play: play, zone: zone, channelMap: channelMap, channels: reader.format.channels, gain: gain,
            ringSamples: reader.format.sampleRate * reader.format.channels * seconds)
        self.reader = reader
    }

    /// A voice with no reader: `isLive` if `onStopRequest` is given, its ring then filled by a `LiveInput`.
    init(
        play: UInt64, zone: String, channelMap: [Int], channels: Int, gain: Float, ringSamples: Int,
        onStopRequest: (@Sendable (Voice) -> Void)? = nil
    ) {
        self.play = play
        self.zone = zone
        self.channelMap = channelMap
        self.channels = channels
        self.gain = gain
        self.rampTarget = gain
        self.targetGain = Atomic(gain.bitPattern)
        self.ring = SampleRing(minimumCapacity: ringSamples)
        self.isLive = onStopRequest != nil
        self.onStopRequest = onStopRequest
    }

    /// Asks the output thread to fade the voice out and end it.
    func requestStop(fadeMilliseconds: Int) {
        self.fadeMilliseconds.store(fadeMilliseconds, ordering: .relaxed)
        stopRequested.store(true, ordering: .releasing)
        onStopRequest?(self)
    }

    /// Fills the ring from the reader until it is full or `maxFrames` were read. Feeder or prefill only.
    /// - Returns: whether the reader has more to give.
    @discardableResult
    func fill(scratch: UnsafeMutablePointer<Float>, scratchFrames: Int, maxFrames: Int = .max) -> Bool {
        guard let reader, !sourceEnded.load(ordering: .relaxed) else { return false }
        var budget = maxFrames
        while budget > 0 {
            let room = ring.free / channels
            let want = min(room, scratchFrames, budget)
            if want <= 0 { return true }
            do {
                let n = try reader.read(into: scratch, frames: want)
                if n == 0 {
                    self.reader = nil
                    sourceEnded.store(true, ordering: .releasing)
                    return false
                }
                ring.write(scratch, count: n * channels)
                budget -= n
            } catch {
                failure = error
                self.reader = nil
                sourceFailed.store(true, ordering: .releasing)
                sourceEnded.store(true, ordering: .releasing)
                return false
            }
        }
        return true
    }
}
