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
    /// What the voice took from its ring over the last periods, so that periods the output takes
    /// back from its device (to mix an alarm in sooner) can be mixed again from the same samples.
    private var history: UnsafeMutablePointer<Float>?
    private var historySamples = 0
    /// Samples taken back: the next reads come from `history` before the ring.
    private(set) var replay = 0
    /// The mixing state at the start of each recent period, by period number modulo `marks.count`.
    private var marks: [Mark] = []

    struct Mark {
        var period = -1
        var gain: Float = 0
        var rampTarget: Float = 0
        var rampStep: Float = 0
        var fadeFrames = 0
        var fadeLeft = 0
        var framesOut = 0
    }

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

    deinit { history?.deallocate() }

    /// Before the voice joins, on the thread that hands it over (`Output.add`): room to remember
    /// `periods` periods of `frames` frames.
    func prepareTakeBack(periods: Int, frames: Int) {
        guard history == nil else { return }
        // Twice the span: a second take-back may come before the first one's replay is mixed.
        historySamples = 2 * periods * frames * channels
        history = .allocate(capacity: historySamples)
        marks = Array(repeating: Mark(), count: periods)
    }

    /// Output thread, at the start of period `period`, before anything of it is applied.
    func mark(period: Int) {
        guard !marks.isEmpty else { return }
        marks[period % marks.count] = Mark(
            period: period, gain: gain, rampTarget: rampTarget, rampStep: rampStep, fadeFrames: fadeFrames,
            fadeLeft: fadeLeft, framesOut: framesOut)
    }

    /// Output thread: whether the state at the start of `period` is still remembered.
    func remembers(period: Int) -> Bool {
        !marks.isEmpty && marks[period % marks.count].period == period
    }

    /// Output thread: back to the state at the start of `period` (see `remembers`); what was read
    /// since is read again.
    func restore(period: Int) {
        let mark = marks[period % marks.count]
        replay += (framesOut - mark.framesOut) * channels
        gain = mark.gain
        rampTarget = mark.rampTarget
        rampStep = mark.rampStep
        fadeFrames = mark.fadeFrames
        fadeLeft = mark.fadeLeft
        framesOut = mark.framesOut
    }

    /// Output thread: up to `count` samples into `into`, taken-back ones first, then the ring's;
    /// each one remembered for a later take-back. Returns how many.
    func read(into: UnsafeMutablePointer<Float>, count: Int) -> Int {
        guard let history else { return ring.read(into: into, count: count) }
        var got = 0
        var position = (framesOut * channels) % historySamples
        func copy(_ n: Int, toHistory: Bool) {
            var done = 0
            while done < n {
                let run = min(n - done, historySamples - position)
                if toHistory {
                    (history + position).update(from: into + got + done, count: run)
                } else {
                    (into + got + done).update(from: history + position, count: run)
                }
                done += run
                position = (position + run) % historySamples
            }
        }
        if replay > 0 {
            let n = min(replay, count)
            copy(n, toHistory: false)
            replay -= n
            got = n
        }
        if got < count {
            let n = ring.read(into: into + got, count: count - got)
            copy(n, toHistory: true)
            got += n
        }
        return got
    }

    /// Whether every sample the voice will give has been read: its source ended, nothing left.
    /// The end flag before the ring: once it is seen, every sample written before it is visible too.
    var drained: Bool { replay == 0 && sourceEnded.load(ordering: .acquiring) && ring.available == 0 }

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
