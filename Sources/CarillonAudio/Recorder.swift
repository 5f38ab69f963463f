import CSndFile

/// Writes audio to a FLAC file as it arrives: live broadcasts must be kept, and a shout has no
/// known length. Use from one task at a time.
public final class AudioRecorder {
    public let path: String
    public let format: AudioFormat
    private var handle: OpaquePointer?
    public private(set) var frames = 0

    /// Creates `path` (16-bit FLAC). Throws if it cannot be created.
    public init(path: String, format: AudioFormat) throws(AudioError) {
        self.path = path
        self.format = format
        var info = SF_INFO()
        info.samplerate = Int32(format.sampleRate)
        info.channels = Int32(format.channels)
        info.format = Int32(SF_FORMAT_FLAC | SF_FORMAT_PCM_16)
        guard let handle = sf_open(path, Int32(SFM_WRITE), &info) else {
            throw AudioError("cannot record to \(path): \(String(cString: sf_strerror(nil)))")
        }
        self.handle = handle
    }

    /// The largest sample 16-bit FLAC holds, as a float.
    private static let ceiling: Float = 32767 / 32768

    /// Appends interleaved samples, clipped to full scale. Decoded voice overshoots full scale now
    /// and then, and libsndfile refused every FLAC write after the first such sample, so a shout's
    /// recording stopped at its first loud syllable.
    public func write(_ samples: [Float]) throws(AudioError) {
        guard let handle else { throw AudioError("\(path) is closed") }
        let count = samples.count / format.channels
        let clipped = samples.map { $0.isNaN ? 0 : min(max($0, -1), Self.ceiling) }
        let written = clipped.withUnsafeBufferPointer { sf_writef_float(handle, $0.baseAddress, sf_count_t(count)) }
        guard written == count else { throw AudioError("cannot write \(path): \(String(cString: sf_strerror(handle)))") }
        frames += count
    }

    /// Finishes the file; later writes fail.
    public func close() {
        if let handle { sf_close(handle) }
        handle = nil
    }

    deinit { close() }
}
