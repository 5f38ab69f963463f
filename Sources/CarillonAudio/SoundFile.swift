import CSndFile
import Foundation
import Glibc

/// A file opened for reading with libsndfile: WAV, FLAC, Ogg Vorbis, Opus and MP3.
///
/// Not thread-safe: one reader at a time.
final class SoundFile {
    let format: AudioFormat
    /// Frames in the file as libsndfile reports them; for some MP3s only an estimate.
    let frameCount: Int64
    /// libsndfile's container type (`SF_FORMAT_WAV`, `SF_FORMAT_FLAC`, …).
    let container: Int32
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
        self.container = info.format & Int32(SF_FORMAT_TYPEMASK)
    }

    /// Whether the container states its length exactly, so a shorter stream means a truncated file.
    var statesExactLength: Bool {
        [SF_FORMAT_WAV, SF_FORMAT_WAVEX, SF_FORMAT_AIFF, SF_FORMAT_FLAC, SF_FORMAT_W64, SF_FORMAT_RF64].map { Int32($0) }
            .contains(container)
    }

    /// A short name of the container, for messages.
    var containerName: String {
        switch Int(container) {
        case SF_FORMAT_WAV, SF_FORMAT_WAVEX, SF_FORMAT_RF64, SF_FORMAT_W64: "WAV"
        case SF_FORMAT_FLAC: "FLAC"
        case SF_FORMAT_OGG: "Ogg"
        case SF_FORMAT_MPEG: "MP3"
        case SF_FORMAT_AIFF: "AIFF"
        default: "audio"
        }
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
    /// Writers of the same path at once (the start-up render and a play that needs the clip) each
    /// write a temporary of their own, and the last rename wins; with one shared temporary, the
    /// second rename found it gone and its play failed. A kill mid-write leaves `*.partial`, which
    /// the daemon sweeps at start.
    public func writeWAV(to path: String) throws(AudioError) {
        let temporary = "\(path).\(UUID().uuidString).partial"
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

/// What a full decode of a file found.
public struct AudioFileReport: Sendable, Hashable {
    public var format: AudioFormat
    public var frames: Int
    public var seconds: Double { Double(frames) / Double(format.sampleRate) }
    /// `WAV`, `FLAC`, `Ogg`, `MP3`, …
    public var container: String
}

/// Checks a file by decoding all of it: the import path's guard against corrupt audio.
public enum AudioFileCheck {
    /// Decodes `path` to its end, handing each chunk of interleaved samples to `body`.
    /// - Throws: `AudioError` for an unsupported, corrupt, truncated, empty or over-long file.
    public static func scan(
        path: String, maxSeconds: Int, _ body: (UnsafeBufferPointer<Float>, AudioFormat) throws(AudioError) -> Void
    ) throws(AudioError) -> AudioFileReport {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw AudioError("\(path) does not exist")
        }
        guard !isDirectory.boolValue else { throw AudioError("\(path) is a directory, not an audio file") }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        guard size > 0 else { throw AudioError("\(path) is empty") }
        // libsndfile quietly shortens a WAV whose data chunk runs past the end of the file, so the
        // RIFF header is checked here.
        if let declared = riffDataBytes(path: path), declared.declared > declared.present {
            throw AudioError(
                "\(path) is truncated: its WAV header promises \(declared.declared) bytes of audio, the file holds \(declared.present)")
        }
        let file: SoundFile
        do { file = try SoundFile(path: path) } catch {
            throw AudioError("\(path) is not audio that Carillon can read (WAV, FLAC, Ogg Vorbis or Opus, MP3)")
        }
        let chunk = 4096
        let channels = file.format.channels
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: chunk * channels)
        defer { scratch.deallocate() }
        var frames = 0
        let limit = maxSeconds * file.format.sampleRate
        while true {
            let n: Int
            do { n = try file.read(into: scratch, frames: chunk) } catch {
                throw AudioError("\(path) is corrupt after \(frames) frames: \(error.message)")
            }
            if n == 0 { break }
            frames += n
            guard frames <= limit else { throw AudioError("\(path) is longer than the limit of \(maxSeconds) s") }
            for sample in UnsafeBufferPointer(start: scratch, count: n * channels) where !sample.isFinite {
                throw AudioError("\(path) is corrupt: it holds samples that are not numbers")
            }
            try body(UnsafeBufferPointer(start: scratch, count: n * channels), file.format)
        }
        guard frames > 0 else { throw AudioError("\(path) holds no audio") }
        if file.statesExactLength && Int64(frames) < file.frameCount {
            throw AudioError(
                "\(path) is truncated: its \(file.containerName) header promises \(file.frameCount) frames, the file holds \(frames)")
        }
        return AudioFileReport(format: file.format, frames: frames, container: file.containerName)
    }
}

/// For a RIFF/WAVE file: the size its `data` chunk declares, and the bytes actually after its header.
func riffDataBytes(path: String) -> (declared: Int, present: Int)? {
    guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
    defer { try? handle.close() }
    guard let header = try? handle.read(upToCount: 12), header.count == 12,
        header.prefix(4) == Data("RIFF".utf8), header.suffix(4) == Data("WAVE".utf8)
    else { return nil }
    let size = (try? handle.seekToEnd()).map(Int.init) ?? 0
    var offset = 12
    while offset + 8 <= size {
        try? handle.seek(toOffset: UInt64(offset))
        guard let chunk = try? handle.read(upToCount: 8), chunk.count == 8 else { return nil }
        let length = Int(chunk[4]) | Int(chunk[5]) << 8 | Int(chunk[6]) << 16 | Int(chunk[7]) << 24
        if chunk.prefix(4) == Data("data".utf8) {
            // 0xFFFFFFFF and 0 are used by streaming writers that never came back to fill the size in.
            if length == 0 || length == 0xFFFF_FFFF { return nil }
            return (length, size - offset - 8)
        }
        offset += 8 + length + (length & 1)
    }
    return nil
}
