import CarillonAudio
import CarillonTesting
import Foundation
import Testing

@Suite("Opus voice encoding and decoding", .ownThread)
struct OpusTests {
    /// A sine at `amplitude`, starting off zero so that its first sample is audible.
    private func sine(_ frequency: Double, samples: Int, amplitude: Double = 0.5) -> [Float] {
        (0..<samples).map { Float(amplitude * sin(2 * Double.pi * frequency * (Double($0) + 0.5) / 48000)) }
    }

    @Test("a second of 440 Hz comes back a second long, with its energy at 440 Hz, in about 32 kbps")
    func roundTrip() throws {
        let encoder = try OpusVoiceEncoder()
        let decoder = try OpusVoiceDecoder()
        let tone = sine(440, samples: opusSampleRate)
        var decoded: [Float] = []
        var bytes = 0
        for start in stride(from: 0, to: tone.count, by: opusFrameSamples) {
            let packet = try encoder.encode(Array(tone[start..<(start + opusFrameSamples)]))
            #expect((1...1275).contains(packet.count))
            bytes += packet.count
            let frame = try decoder.decode(packet)
            #expect(frame.count == opusFrameSamples)
            decoded += frame
        }
        #expect(decoded.count == opusSampleRate)
        // Past the codec's start-up (its look-ahead delays the audio by a few milliseconds).
        let steady = Array(decoded[9600...])
        let at440 = Signal.amplitude(of: 440, in: steady, sampleRate: opusSampleRate)
        #expect(abs(at440 - 0.5) < 0.1, "440 Hz kept at its level: \(at440)")
        for other in [220.0, 880, 1320, 3000] {
            let stray = Signal.amplitude(of: other, in: steady, sampleRate: opusSampleRate)
            #expect(stray < at440 / 30, "little energy at \(other) Hz: \(stray)")
        }
        // 32 kbps is 4000 bytes a second; variable bitrate may spend less on a steady tone, not much more.
        #expect(bytes < 5000, "\(bytes) bytes for a second")
    }

    @Test("a frame of any size but 960 samples is refused")
    func frameSize() throws {
        let encoder = try OpusVoiceEncoder()
        for size in [0, 480, 959, 961, 1920] {
            #expect(throws: AudioError("an Opus frame holds 960 samples, not \(size)")) {
                try encoder.encode([Float](repeating: 0, count: size))
            }
        }
        #expect(try !encoder.encode([Float](repeating: 0, count: 960)).isEmpty)
    }

    @Test("a bitrate libopus refuses is an AudioError")
    func badBitrate() {
        #expect(throws: AudioError.self) { try OpusVoiceEncoder(bitrate: 0) }
    }

    @Test("corrupt, empty and oversized packets are AudioErrors, and random bytes never crash the decoder")
    func badPackets() throws {
        let decoder = try OpusVoiceDecoder()
        // Code-3 packets (several frames) that are cut short or claim no frames: RFC 6716 3.2.5.
        for packet: [UInt8] in [[0xFF], [0x03, 0x00], [0x03, 0xFF, 0x01]] {
            #expect(throws: AudioError("corrupt Opus packet: corrupted stream")) { try decoder.decode(packet) }
        }
        #expect(throws: AudioError("empty Opus packet")) { try decoder.decode([]) }
        #expect(throws: AudioError("Opus packet of 1276 bytes is over the 1275-byte limit")) {
            try decoder.decode([UInt8](repeating: 0x08, count: 1276))
        }

        // Whatever arrives from the network: either audio or an error, never a crash or garbage values.
        var random = SeededGenerator(seed: 42)
        var refused = 0
        for _ in 0..<3000 {
            let packet = (0..<Int(1 + random.next() % 400)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            do {
                let samples = try decoder.decode(packet)
                #expect(samples.count <= 5760 && samples.allSatisfy { $0.isFinite })
            } catch {
                refused += 1
            }
        }
        #expect(refused > 0, "some random packets are invalid, and are refused")

        // The decoder is still good for real packets afterwards.
        let encoder = try OpusVoiceEncoder()
        #expect(try decoder.decode(encoder.encode(sine(440, samples: 960))).count == 960)
    }

    @Test("concealment stands in for a lost packet with 20 ms that carries the voice on")
    func conceal() throws {
        let fresh = try OpusVoiceDecoder()
        let nothing = fresh.conceal()
        #expect(nothing.count == opusFrameSamples)
        #expect(Signal.rms(nothing) < 0.001, "nothing heard yet, so nothing to carry on")

        let encoder = try OpusVoiceEncoder()
        let decoder = try OpusVoiceDecoder()
        let tone = sine(440, samples: 9600)
        for start in stride(from: 0, to: tone.count, by: opusFrameSamples) {
            _ = try decoder.decode(encoder.encode(Array(tone[start..<(start + opusFrameSamples)])))
        }
        let filled = decoder.conceal()
        #expect(filled.count == opusFrameSamples)
        #expect(filled.allSatisfy { $0.isFinite })
        #expect(Signal.rms(filled) > 0.05, "the tone goes on through the gap: rms \(Signal.rms(filled))")
    }
}

