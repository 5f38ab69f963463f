/// Something that yields interleaved float frames in its own format.
///
/// Read from one thread at a time (the feeder, or the request that prefills a voice).
protocol FrameReader: AnyObject {
    var format: AudioFormat { get }
    /// Reads up to `frames` frames; returns how many, 0 at the end.
    func read(into buffer: UnsafeMutablePointer<Float>, frames: Int) throws(AudioError) -> Int
}

extension SoundFile: FrameReader {}

/// Decoded audio held in memory: emergency clips and synthesized sounds.
public struct PCMBuffer: Sendable {
    public let format: AudioFormat
    /// Interleaved samples in [-1, 1].
    public let samples: [Float]

    public init(format: AudioFormat, samples: [Float]) {
        precondition(samples.count % format.channels == 0, "samples must hold whole frames")
        self.format = format
        self.samples = samples
    }

    public var frameCount: Int { samples.count / format.channels }

    /// Decodes a whole file into memory, converted to `target`. Throws on unreadable audio.
    public static func decode(path: String, to target: AudioFormat, maxSeconds: Int = 600) throws(AudioError) -> PCMBuffer {
        let source = try ConvertingReader(upstream: SoundFile(path: path), target: target)
        var samples: [Float] = []
        let chunk = 4096
        var scratch = [Float](repeating: 0, count: chunk * target.channels)
        let limit = maxSeconds * target.sampleRate
        while true {
            let n = try scratch.withUnsafeMutableBufferPointer { buffer throws(AudioError) in
                try source.read(into: buffer.baseAddress!, frames: chunk)
            }
            if n == 0 { break }
            samples.append(contentsOf: scratch[0..<(n * target.channels)])
            if samples.count / target.channels > limit {
                throw AudioError("\(path) is longer than \(maxSeconds) s")
            }
        }
        // Kept for as long as the daemon runs: without the slack that growing left, up to half of it.
        return PCMBuffer(format: target, samples: samples.withUnsafeBufferPointer { Array($0) })
    }
}

extension PCMBuffer {
    /// The same audio in another format: resampled and channel-mapped, in memory.
    public func converted(to target: AudioFormat) throws(AudioError) -> PCMBuffer {
        if format == target { return self }
        let reader = try ConvertingReader(upstream: BufferReader([self]), target: target)
        var out: [Float] = []
        out.reserveCapacity(Int(Double(frameCount) * Double(target.sampleRate) / Double(format.sampleRate) + 1024) * target.channels)
        var scratch = [Float](repeating: 0, count: 4096 * target.channels)
        while true {
            let n = try scratch.withUnsafeMutableBufferPointer { p throws(AudioError) in
                try reader.read(into: p.baseAddress!, frames: 4096)
            }
            if n == 0 { break }
            out.append(contentsOf: scratch[0..<(n * target.channels)])
        }
        return PCMBuffer(format: target, samples: out)
    }

    /// This buffer followed by `other` (which must share its format).
    public func appending(_ other: PCMBuffer) -> PCMBuffer {
        precondition(other.format == format, "buffers must share a format to be joined")
        return PCMBuffer(format: format, samples: samples + other.samples)
    }

    /// Silence of a length, in a format.
    public static func silence(seconds: Double, format: AudioFormat) -> PCMBuffer {
        PCMBuffer(format: format, samples: [Float](repeating: 0, count: Int(seconds * Double(format.sampleRate)) * format.channels))
    }
}

/// Reads a `PCMBuffer` from the start.
/// Reads buffers of one format in order, as if they were one.
final class BufferReader: FrameReader {
    private let buffers: [PCMBuffer]
    private var index = 0
    private var position = 0
    let format: AudioFormat

    /// - Precondition: every buffer has the format of the first; an empty list reads as silence of none.
    init(_ buffers: [PCMBuffer]) {
        let format = buffers.first?.format ?? AudioFormat(sampleRate: 48000, channels: 1)
        precondition(buffers.allSatisfy { $0.format == format }, "buffers read as one must share a format")
        self.buffers = buffers
        self.format = format
    }

    func read(into out: UnsafeMutablePointer<Float>, frames: Int) -> Int {
        let channels = format.channels
        var done = 0
        while done < frames, index < buffers.count {
            let buffer = buffers[index]
            let n = min(frames - done, buffer.frameCount - position)
            if n > 0 {
                buffer.samples.withUnsafeBufferPointer { samples in
                    (out + done * channels).update(from: samples.baseAddress! + position * channels, count: n * channels)
                }
                position += n
                done += n
            }
            if position == buffer.frameCount {
                index += 1
                position = 0
            }
        }
        return done
    }
}

/// Converts an upstream reader to a target format: channel mapping, then libsoxr resampling.
final class ConvertingReader: FrameReader {
    let format: AudioFormat
    private let upstream: any FrameReader
    private let resampler: Resampler?
    private let chunk = 1024
    /// Upstream frames as read.
    private var raw: [Float]
    /// Channel-mapped frames waiting for the resampler.
    private var pending: [Float]
    private var pendingOffset = 0
    private var pendingCount = 0
    private var upstreamEnded = false
    private var drained = false

    init(upstream: any FrameReader, target: AudioFormat) throws(AudioError) {
        self.upstream = upstream
        self.format = target
        self.resampler =
            upstream.format.sampleRate == target.sampleRate
            ? nil : try Resampler(from: upstream.format.sampleRate, to: target.sampleRate, channels: target.channels)
        raw = [Float](repeating: 0, count: chunk * upstream.format.channels)
        pending = [Float](repeating: 0, count: chunk * target.channels)
    }

    func read(into out: UnsafeMutablePointer<Float>, frames: Int) throws(AudioError) -> Int {
        let channels = format.channels
        var produced = 0
        while produced < frames {
            guard let resampler else {
                let n = try readMapped(into: out + produced * channels, frames: min(chunk, frames - produced))
                if n == 0 { break }
                produced += n
                continue
            }
            if pendingCount == 0 && !upstreamEnded {
                let n = try pending.withUnsafeMutableBufferPointer { p throws(AudioError) in
                    try readMapped(into: p.baseAddress!, frames: chunk)
                }
                if n == 0 { upstreamEnded = true } else { pendingCount = n; pendingOffset = 0 }
            }
            if drained { break }
            let (consumed, made) = try pending.withUnsafeBufferPointer { p throws(AudioError) in
                try resampler.process(
                    input: upstreamEnded ? nil : p.baseAddress! + pendingOffset * channels,
                    inputFrames: upstreamEnded ? 0 : pendingCount,
                    output: out + produced * channels, outputCapacity: frames - produced)
            }
            pendingOffset += consumed
            pendingCount -= consumed
            produced += made
            if upstreamEnded && made == 0 { drained = true }
        }
        return produced
    }

    /// Reads upstream frames and maps their channels to the target's: duplicate up, average down.
    private func readMapped(into out: UnsafeMutablePointer<Float>, frames: Int) throws(AudioError) -> Int {
        let inChannels = upstream.format.channels
        let outChannels = format.channels
        if inChannels == outChannels { return try upstream.read(into: out, frames: frames) }
        let n = try raw.withUnsafeMutableBufferPointer { r throws(AudioError) in
            try upstream.read(into: r.baseAddress!, frames: min(frames, chunk))
        }
        raw.withUnsafeBufferPointer { r in
            for f in 0..<n {
                let frame = r.baseAddress! + f * inChannels
                if inChannels == 1 {
                    for c in 0..<outChannels { out[f * outChannels + c] = frame[0] }
                } else if outChannels == 1 {
                    var sum: Float = 0
                    for c in 0..<inChannels { sum += frame[c] }
                    out[f] = sum / Float(inChannels)
                } else {
                    // Stereo and wider: keep the channels both sides share, repeat the last for extra outputs.
                    for c in 0..<outChannels { out[f * outChannels + c] = frame[min(c, inChannels - 1)] }
                }
            }
        }
        return n
    }
}
