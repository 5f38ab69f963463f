import CarillonAudio
import CarillonTesting
import Foundation
import Testing

/// The shout recorder (`AudioRecorder`): libsndfile refused every FLAC write after one sample above
/// full scale, so a shout's recording ended at its first loud syllable (issue 22).
@Suite("The shout recorder", .ownThread)
struct RecorderTests {
    @Test("a recording with peaks above full scale keeps its whole length, clipped, in a FLAC")
    func peaksAboveFullScale() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("shout.flac")
        let rate = 48000
        // Two seconds of 440 Hz at twice full scale, in 20 ms packets as a shout arrives, and a NaN.
        let loud = (0..<(2 * rate)).map { Float(2 * sin(2 * Double.pi * 440 * Double($0) / Double(rate))) }
        let recorder = try AudioRecorder(path: path, format: AudioFormat(sampleRate: rate, channels: 1))
        for start in stride(from: 0, to: loud.count, by: 960) {
            try recorder.write(Array(loud[start..<(start + 960)]))
        }
        try recorder.write([.nan] + [Float](repeating: 0.25, count: 959))
        recorder.close()
        #expect(recorder.frames == 2 * rate + 960)

        let decoded = try PCMBuffer.decode(path: path, to: AudioFormat(sampleRate: rate, channels: 1))
        #expect(decoded.frameCount == 2 * rate + 960)
        let expected = loud.map { min(max($0, -1), 32767 / 32768) }
        let worst = zip(decoded.samples, expected).map { abs($0 - $1) }.max() ?? 1
        // libsndfile scales floats to 16 bits by 32767 and rounds: within two steps of the input.
        #expect(worst <= 2 / 32768, "a decoded sample is \(worst) from the clipped input")
        #expect(decoded.samples[2 * rate] == 0, "NaN is recorded as silence")
        #expect(abs(decoded.samples[2 * rate + 1] - 0.25) <= 2 / 32768)
    }
}
