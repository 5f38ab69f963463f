import CSndFile
import Glibc

/// A file opened for reading with libsndfile: WAV, FLAC, Ogg Vorbis, Opus and MP3.
///
/// Not thread-safe: one reader at a time.
final class SoundFile {
    let format: AudioFormat
    /// Frames in the file as libsndfile reports them; for some MP3s only an estimate.
    let frameCount: Int64
    private let handle: OpaquePointer

    init(path: String) throws(AudioError) {
        var info = SF_INFO()
        guard let handle = sf_open(path, Int32(SFM_READ), &info) else {
            throw AudioError("cannot decode \(path): \(String(cString: sf_strerror(nil)))")
        }
        guard info.channels >= 1, info.channels <= 8, info.samplerate >= 4000, info.samplerate <= 192_000 else {
            sf_close(handle)
            throw AudioError("cannot decode \(path): unsupported shape (\(info.channels) channels at \(info.samplerate) Hz)")
        }
        // Integer sources are scaled to [-1, 1) exactly (x / 32768 for 16-bit), so that a 16-bit clip
        // played at unit gain comes out sample for sample.
        sf_command(handle, Int32(SFC_SET_NORM_FLOAT), nil, Int32(SF_TRUE))
        self.handle = handle
        self.format = AudioFormat(sampleRate: Int(info.samplerate), channels: Int(info.channels))
        self.frameCount = info.frames
    }

    deinit { sf_close(handle) }

    /// Reads up to `frames` interleaved frames; returns how many were read, 0 at the end.
    func read(into buffer: UnsafeMutablePointer<Float>, frames: Int) throws(AudioError) -> Int {
        let n = sf_readf_float(handle, buffer, sf_count_t(frames))
        if n < 0 || (n == 0 && sf_error(handle) != 0) {
            throw AudioError("decode error: \(String(cString: sf_strerror(handle)))")
        }
        return Int(n)
    }
}

extension PCMBuffer {
    /// Writes the buffer as a 16-bit WAV, atomically: a reader never sees a half-written file.
    public func writeWAV(to path: String) throws(AudioError) {
        let temporary = path + ".partial"
        var info = SF_INFO()
        info.samplerate = Int32(format.sampleRate)
        info.channels = Int32(format.channels)
        info.format = Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_16)
        guard let handle = sf_open(temporary, Int32(SFM_WRITE), &info) else {
            throw AudioError("cannot write \(temporary): \(String(cString: sf_strerror(nil)))")
        }
        let written = samples.withUnsafeBufferPointer { sf_writef_float(handle, $0.baseAddress, sf_count_t(frameCount)) }
        let closed = sf_close(handle)
        guard written == frameCount, closed == 0, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw AudioError("cannot write \(path)")
        }
    }
}
