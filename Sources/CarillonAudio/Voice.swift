import Synchronization

/// How one play ended on one output.
public enum EndReason: Sendable, Hashable {
    /// Every sample was written.
    case finished
    /// Stopped on request, after a short fade.
    case stopped
    /// The audio could not be read or the output failed.
    case failed(String)
}

/// One clip playing on one output: a ring of converted samples between the feeder and the output thread.
final class Voice: @unchecked Sendable {
    let play: UInt64
    let output: String
    let ring: SampleRing
    let channels: Int

    // Feeder side. `reader` is touched only by the feeder once the voice is handed over.
    var reader: (any FrameReader)?
    /// Set by the feeder once the reader is exhausted: an empty ring then means the end.
    let sourceEnded = Atomic<Bool>(false)
    /// Set, after `failure`, when the reader threw.
    let sourceFailed = Atomic<Bool>(false)
    var failure: AudioError?

    /// Set by any thread; the output thread fades the voice out and ends it.
    let stopRequested = Atomic<Bool>(false)

    // Output-thread state.
    var gain: Float
    var fadeFrames = 0
    var fadeLeft = 0
    var framesOut = 0
    var started = false

    init(play: UInt64, output: String, reader: any FrameReader, gain: Float, seconds: Int = 2) {
        self.play = play
        self.output = output
        self.reader = reader
        self.channels = reader.format.channels
        self.gain = gain
        self.ring = SampleRing(minimumCapacity: reader.format.sampleRate * reader.format.channels * seconds)
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
