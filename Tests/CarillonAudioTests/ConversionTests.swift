@testable import CarillonAudio
import CarillonTesting
import Foundation
import Testing

@Suite("Decoding and format conversion", .ownThread)
struct ConversionTests {
    @Test("buffers read as one: every sample in order, across boundaries and past empty buffers")
    func bufferSequence() {
        let format = AudioFormat(sampleRate: 48000, channels: 2)
        let parts = [
            PCMBuffer(format: format, samples: (0..<6).map(Float.init)),
            PCMBuffer(format: format, samples: []),
            PCMBuffer(format: format, samples: (6..<16).map(Float.init)),
        ]
        let reader = BufferReader(parts)
        var out = [Float](repeating: -1, count: 8)
        var read: [Float] = []
        var counts: [Int] = []
        while true {
            let n = out.withUnsafeMutableBufferPointer { reader.read(into: $0.baseAddress!, frames: 4) }
            counts.append(n)
            if n == 0 { break }
            read += out.prefix(n * 2)
        }
        #expect(read == (0..<16).map(Float.init))
        #expect(counts == [4, 4, 0])
        #expect(BufferReader([]).read(into: &out, frames: 4) == 0)
    }

    @Test("a 22.05 kHz mono tone comes out at 48 kHz stereo with the same duration and pitch")
    func resampleAndUpmix() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("tone.wav")
        try WAVFile.write(
            path: path, sampleRate: 22050, channels: 1,
            samples: WAVFile.tone(frequency: 1000, seconds: 1, sampleRate: 22050, channels: 1))
        let buffer = try PCMBuffer.decode(path: path, to: AudioFormat(sampleRate: 48000, channels: 2))
        #expect(buffer.format == AudioFormat(sampleRate: 48000, channels: 2))
        #expect(abs(buffer.frameCount - 48000) <= 2, "1 s stays 1 s: \(buffer.frameCount) frames")
        let left = stride(from: 0, to: buffer.samples.count, by: 2).map { buffer.samples[$0] }
        let right = stride(from: 1, to: buffer.samples.count, by: 2).map { buffer.samples[$0] }
        #expect(left == right, "mono is copied to both channels")
        // Count rising zero crossings in the steady middle second half: 1 kHz gives 500 in 0.5 s.
        let middle = left[12000..<36000]
        var crossings = 0
        for i in middle.indices.dropFirst() where middle[i - 1] < 0 && middle[i] >= 0 { crossings += 1 }
        #expect(abs(crossings - 500) <= 1, "pitch kept: \(crossings) cycles in 0.5 s")
        let peak = left.map(abs).max() ?? 0
        #expect(abs(peak - 0.5) < 0.02, "level kept: peak \(peak)")
    }

    @Test("stereo is averaged down to mono")
    func downmix() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("stereo.wav")
        try WAVFile.write(path: path, sampleRate: 48000, channels: 2, samples: [1000, 3000, -2000, -4000])
        let buffer = try PCMBuffer.decode(path: path, to: AudioFormat(sampleRate: 48000, channels: 1))
        #expect(buffer.samples == [2000 / 32768, -3000 / 32768])
    }

    @Test("16-bit samples decode exactly, so unit gain is bit-transparent")
    func exactDecode() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("noise.wav")
        let samples = WAVFile.noise(frames: 4800, channels: 2)
        try WAVFile.write(path: path, sampleRate: 48000, channels: 2, samples: samples)
        let buffer = try PCMBuffer.decode(path: path, to: AudioFormat(sampleRate: 48000, channels: 2))
        #expect(buffer.samples.map { Int16($0 * 32768) } == samples)
    }

    @Test("unreadable audio is refused with the file's name", arguments: ["empty", "garbage", "truncated"])
    func badFiles(kind: String) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("\(kind).wav")
        switch kind {
        case "empty": try Data().write(to: URL(fileURLWithPath: path))
        case "garbage": try Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31) }).write(to: URL(fileURLWithPath: path))
        default:
            try WAVFile.write(path: path, sampleRate: 48000, channels: 2, samples: WAVFile.noise(frames: 100, channels: 2))
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            try data.prefix(30).write(to: URL(fileURLWithPath: path))
        }
        #expect {
            try PCMBuffer.decode(path: path, to: AudioFormat(sampleRate: 48000, channels: 2))
        } throws: { error in
            (error as? AudioError)?.message.contains(path) == true
        }
    }
}
