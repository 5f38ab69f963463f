import Foundation

/// Writes 16-bit PCM WAV files for test clips, independently of the code under test.
public enum WAVFile {
    public static func write(path: String, sampleRate: Int, channels: Int, samples: [Int16]) throws {
        var data = Data()
        func u32(_ v: Int) { withUnsafeBytes(of: UInt32(v).littleEndian) { data.append(contentsOf: $0) } }
        func u16(_ v: Int) { withUnsafeBytes(of: UInt16(v).littleEndian) { data.append(contentsOf: $0) } }
        let bytes = samples.count * 2
        data.append(contentsOf: Array("RIFF".utf8)); u32(36 + bytes)
        data.append(contentsOf: Array("WAVE".utf8))
        data.append(contentsOf: Array("fmt ".utf8)); u32(16); u16(1); u16(channels); u32(sampleRate)
        u32(sampleRate * channels * 2); u16(channels * 2); u16(16)
        data.append(contentsOf: Array("data".utf8)); u32(bytes)
        samples.withUnsafeBytes { data.append(contentsOf: $0) }
        try data.write(to: URL(fileURLWithPath: path))
    }

    /// Deterministic noise in [-amplitude, amplitude]: every frame distinct, so a match proves position.
    public static func noise(frames: Int, channels: Int, amplitude: Int16 = 16000, seed: UInt64 = 1) -> [Int16] {
        var state = seed
        return (0..<(frames * channels)).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int16(truncatingIfNeeded: Int(state >> 33) % (2 * Int(amplitude) + 1) - Int(amplitude))
        }
    }

    /// A sine tone.
    public static func tone(frequency: Double, seconds: Double, sampleRate: Int, channels: Int, amplitude: Double = 0.5) -> [Int16] {
        let frames = Int(seconds * Double(sampleRate))
        var out: [Int16] = []
        out.reserveCapacity(frames * channels)
        for f in 0..<frames {
            let v = Int16((sin(2 * .pi * frequency * Double(f) / Double(sampleRate)) * amplitude * 32767).rounded())
            for _ in 0..<channels { out.append(v) }
        }
        return out
    }
}
