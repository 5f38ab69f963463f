import CSndFile
import CarillonAudio
import Foundation
import Synchronization
import CarillonTesting
import Testing

@Suite("Every container the library accepts decodes", .ownThread)
struct FormatTests {
    enum Container: String, CaseIterable, CustomTestStringConvertible {
        case wav, flac, ogg, opus, mp3
        var format: Int32 {
            switch self {
            case .wav: Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_16)
            case .flac: Int32(SF_FORMAT_FLAC | SF_FORMAT_PCM_16)
            case .ogg: Int32(SF_FORMAT_OGG | SF_FORMAT_VORBIS)
            case .opus: Int32(SF_FORMAT_OGG | SF_FORMAT_OPUS)
            case .mp3: Int32(SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III)
            }
        }
        var testDescription: String { rawValue }
    }

    /// Encodes a 1 s, 440 Hz mono tone at 48 kHz with libsndfile itself.
    private func encode(_ container: Container, to path: String) throws {
        var info = SF_INFO()
        info.samplerate = 48000
        info.channels = 1
        info.format = container.format
        let handle = try #require(sf_open(path, Int32(SFM_WRITE), &info), "cannot write \(container)")
        let tone = (0..<48000).map { Float(0.5 * sin(2 * Double.pi * 440 * Double($0) / 48000)) }
        let written = tone.withUnsafeBufferPointer { sf_writef_float(handle, $0.baseAddress, 48000) }
        sf_close(handle)
        #expect(written == 48000)
    }

    @Test("writers of one WAV at once all succeed, and leave one whole file and no temporary")
    func concurrentWrites() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("carillon-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/bell.wav"
        let buffer = PCMBuffer(
            format: AudioFormat(sampleRate: 48000, channels: 1),
            // 20 s: each write takes long enough for two to overlap on any machine.
            samples: (0..<960_000).map { Float(0.5 * sin(2 * Double.pi * 440 * Double($0) / 48000)) })
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 16) { _ in
            do { try buffer.writeWAV(to: path) } catch { failures.withLock { $0.append("\(error)") } }
        }
        #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0 })")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["bell.wav"])
        let decoded = try PCMBuffer.decode(path: path, to: AudioFormat(sampleRate: 48000, channels: 1))
        #expect(decoded.frameCount == 960_000)
    }

    @Test("a tone keeps its length and pitch through each codec", arguments: Container.allCases)
    func decodes(container: Container) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("carillon-\(UUID()).\(container.rawValue)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try encode(container, to: path)
        let buffer = try PCMBuffer.decode(path: path, to: AudioFormat(sampleRate: 48000, channels: 2))
        // Lossy codecs add encoder delay and padding; a few tens of milliseconds at most.
        #expect(abs(buffer.frameCount - 48000) < 48000 / 20, "\(container): \(buffer.frameCount) frames")
        let left = stride(from: 0, to: buffer.samples.count, by: 2).map { buffer.samples[$0] }
        let middle = left[12000..<36000]
        var crossings = 0
        for i in middle.indices.dropFirst() where middle[i - 1] < 0 && middle[i] >= 0 { crossings += 1 }
        #expect(abs(crossings - 220) <= 1, "\(container): \(crossings) cycles in 0.5 s")
    }
}
