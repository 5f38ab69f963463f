import CarillonLoudness
import Foundation
import Testing

/// A sine of `frequency` Hz and peak `amplitude`, interleaved into `channels` with `amplitude` 0 where `active` is false.
private func sine(
    frequency: Double, amplitude: Double, seconds: Double, sampleRate: Int, channels: Int = 1,
    active: Set<Int>? = nil
) -> [Float] {
    let frames = Int(seconds * Double(sampleRate))
    var out = [Float](repeating: 0, count: frames * channels)
    for frame in 0..<frames {
        let value = Float(amplitude * sin(2 * Double.pi * frequency * Double(frame) / Double(sampleRate)))
        for channel in 0..<channels where active?.contains(channel) ?? true {
            out[frame * channels + channel] = value
        }
    }
    return out
}

/// Deterministic white noise, uniform in [-amplitude, amplitude] (xorshift; no system randomness).
private func noise(amplitude: Double, seconds: Double, sampleRate: Int, channels: Int = 1, seed: UInt64 = 0x9E37_79B9)
    -> [Float]
{
    var state = seed
    let count = Int(seconds * Double(sampleRate)) * channels
    return (0..<count).map { _ in
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return Float(amplitude * (Double(state >> 11) / Double(1 << 53) * 2 - 1))
    }
}

/// |H(f)|² of the BS.1770 K-weighting filter (pre-filter shelf, then RLB high-pass) with its 48 kHz coefficients.
private func kWeightingPowerGain(frequency: Double, sampleRate: Double = 48000) -> Double {
    func biquadPower(_ b: [Double], _ a: [Double]) -> Double {
        let w = 2 * Double.pi * frequency / sampleRate
        func magnitudeSquared(_ c: [Double]) -> Double {
            let re = c[0] + c[1] * cos(-w) + c[2] * cos(-2 * w)
            let im = c[1] * sin(-w) + c[2] * sin(-2 * w)
            return re * re + im * im
        }
        return magnitudeSquared(b) / magnitudeSquared(a)
    }
    let shelf = biquadPower(
        [1.53512485958697, -2.69169618940638, 1.19839281085285], [1.0, -1.69065929318241, 0.73248077421585])
    let highPass = biquadPower([1.0, -2.0, 1.0], [1.0, -1.99004745483398, 0.99007225036621])
    return shelf * highPass
}

/// BS.1770 loudness of a steady sine: −0.691 + 10·log10(Σ Gᵢ · A²/2 · |H(f)|²) over channels carrying it.
private func expectedSineLoudness(amplitude: Double, frequency: Double, weights: [Double]) -> Double {
    let meanSquare = amplitude * amplitude / 2 * kWeightingPowerGain(frequency: frequency)
    return -0.691 + 10 * log10(weights.reduce(0, +) * meanSquare)
}

@Suite("EBU R128 loudness measurement")
struct LoudnessMeasurementTests {
    @Test func fullScale997HzSineInOneChannelReadsMinus3_01LUFS() throws {
        let report = try Loudness.measure(
            samples: sine(frequency: 997, amplitude: 1, seconds: 5, sampleRate: 48000), channels: 1, sampleRate: 48000)
        #expect(abs(report.integratedLoudness - -3.01) < 0.02, "\(report.integratedLoudness) LUFS")
        #expect(abs(expectedSineLoudness(amplitude: 1, frequency: 997, weights: [1]) - -3.01) < 0.01)
    }

    @Test func sineAtMinus20dBFSInBothStereoChannelsReadsMinus20LUFS() throws {
        // Each channel alone would read −23.01 LUFS; two channels add their energy (+3.01 dB), so about −20 LUFS.
        let expected = expectedSineLoudness(amplitude: 0.1, frequency: 1000, weights: [1, 1])
        let report = try Loudness.measure(
            samples: sine(frequency: 1000, amplitude: 0.1, seconds: 10, sampleRate: 48000, channels: 2),
            channels: 2, sampleRate: 48000)
        #expect(abs(report.integratedLoudness - expected) < 0.02, "\(report.integratedLoudness) vs \(expected)")
        #expect(abs(expected - -20.0) < 0.05)
        #expect(abs(report.truePeak - -20) < 0.1, "\(report.truePeak) dBTP")
        #expect(report.loudnessRange < 0.1)
    }

    @Test func sineAtMinus20dBFSInOneStereoChannelReadsMinus23LUFS() throws {
        let expected = expectedSineLoudness(amplitude: 0.1, frequency: 1000, weights: [1])
        let report = try Loudness.measure(
            samples: sine(frequency: 1000, amplitude: 0.1, seconds: 10, sampleRate: 48000, channels: 2, active: [0]),
            channels: 2, sampleRate: 48000)
        #expect(abs(report.integratedLoudness - expected) < 0.02, "\(report.integratedLoudness) vs \(expected)")
        #expect(abs(expected - -23.01) < 0.05)
    }

    @Test(arguments: [22050, 44100, 96000])
    func sineReadsTheSameAtOtherSampleRates(sampleRate: Int) throws {
        let expected = expectedSineLoudness(amplitude: 0.1, frequency: 1000, weights: [1])
        let report = try Loudness.measure(
            samples: sine(frequency: 1000, amplitude: 0.1, seconds: 6, sampleRate: sampleRate),
            channels: 1, sampleRate: sampleRate)
        #expect(abs(report.integratedLoudness - expected) < 0.05, "\(report.integratedLoudness) vs \(expected)")
    }

    @Test func signals12dBApartMeasure12LUApart() throws {
        let loud = noise(amplitude: 0.4, seconds: 8, sampleRate: 48000, channels: 2)
        let quiet = loud.map { $0 * Float(pow(10, -12.0 / 20)) }
        let a = try Loudness.measure(samples: loud, channels: 2, sampleRate: 48000)
        let b = try Loudness.measure(samples: quiet, channels: 2, sampleRate: 48000)
        #expect(abs(a.integratedLoudness - b.integratedLoudness - 12) < 0.1)
    }

    @Test func loudnessRangeReflectsLevelChanges() throws {
        // 10 s at one level, 10 s at 10 dB lower: EBU 3342 reports about 10 LU.
        let part = noise(amplitude: 0.3, seconds: 10, sampleRate: 48000)
        let report = try Loudness.measure(
            samples: part + part.map { $0 * Float(pow(10, -10.0 / 20)) }, channels: 1, sampleRate: 48000)
        #expect(abs(report.loudnessRange - 10) < 1, "\(report.loudnessRange) LU")
    }

    @Test func chunkedFeedingEqualsOneShot() throws {
        let samples = zip(
            noise(amplitude: 0.2, seconds: 7, sampleRate: 44100, channels: 2),
            sine(frequency: 440, amplitude: 0.3, seconds: 7, sampleRate: 44100, channels: 2)
        ).map { $0 + $1 }
        let oneShot = try Loudness.measure(samples: samples, channels: 2, sampleRate: 44100)

        let meter = try LoudnessMeter(channels: 2, sampleRate: 44100)
        let chunkFrames = [1, 7, 480, 4801, 1023, 0, 64]
        var position = 0
        var index = 0
        while position < samples.count {
            let end = min(samples.count, position + 2 * chunkFrames[index % chunkFrames.count])
            try meter.add(Array(samples[position..<end]))
            position = end
            index += 1
        }
        #expect(meter.frameCount == samples.count / 2)
        #expect(try meter.report() == oneShot)
    }

    @Test func silenceIsSilentNotInfinitelyQuiet() throws {
        let zeros = try Loudness.measure(
            samples: [Float](repeating: 0, count: 48000 * 4), channels: 2, sampleRate: 48000)
        #expect(zeros.isSilent)
        #expect(zeros.truePeak == -.infinity)
        // A −80 dBFS hum is below the −70 LUFS absolute gate: silent for R128, though not digital silence.
        let hum = try Loudness.measure(
            samples: sine(frequency: 1000, amplitude: 0.0001, seconds: 4, sampleRate: 48000), channels: 1,
            sampleRate: 48000)
        #expect(hum.isSilent)
        #expect(hum.truePeak > -81 && hum.truePeak < -79)
    }

    @Test func lfeChannelDoesNotCountAndDualMonoCountsTwice() throws {
        let tone = sine(frequency: 1000, amplitude: 0.1, seconds: 4, sampleRate: 48000)
        let onlyLFE = try Loudness.measure(
            samples: sine(frequency: 60, amplitude: 0.5, seconds: 4, sampleRate: 48000, channels: 6, active: [3]),
            channels: 6, sampleRate: 48000)
        #expect(onlyLFE.isSilent)

        let single = try Loudness.measure(samples: tone, channels: 1, sampleRate: 48000)
        let meter = try LoudnessMeter(channels: 1, sampleRate: 48000, roles: [.dualMono])
        try meter.add(tone)
        let dual = try meter.report()
        #expect(abs(dual.integratedLoudness - single.integratedLoudness - 10 * log10(2.0)) < 0.01)
    }

    @Test func invalidInputThrows() throws {
        #expect(throws: LoudnessError.unsupportedChannelCount(0)) {
            try LoudnessMeter(channels: 0, sampleRate: 48000)
        }
        #expect(throws: LoudnessError.unsupportedChannelCount(9)) {
            try LoudnessMeter(channels: 9, sampleRate: 48000)
        }
        #expect(throws: LoudnessError.unsupportedSampleRate(4000)) {
            try LoudnessMeter(channels: 1, sampleRate: 4000)
        }
        #expect(throws: LoudnessError.channelRolesMismatch(roles: 1, channels: 2)) {
            try LoudnessMeter(channels: 2, sampleRate: 48000, roles: [.front])
        }
        let meter = try LoudnessMeter(channels: 2, sampleRate: 48000)
        #expect(throws: LoudnessError.partialFrame(samples: 3, channels: 2)) { try meter.add([0, 0, 0]) }
        #expect(throws: LoudnessError.nonFiniteSample) { try meter.add([0, .nan]) }
        #expect(meter.frameCount == 0)
    }
}

@Suite("Loudness normalization gain")
struct LoudnessGainTests {
    @Test func gainBringsARemeasuredSignalToTheTarget() throws {
        for amplitude in [0.02, 0.1, 0.5] {
            let samples = noise(amplitude: amplitude, seconds: 6, sampleRate: 48000)
            let report = try Loudness.measure(samples: samples, channels: 1, sampleRate: 48000)
            let gain = try Loudness.gain(toReach: -18, from: report)
            let scale = Float(pow(10, gain / 20))
            let after = try Loudness.measure(samples: samples.map { $0 * scale }, channels: 1, sampleRate: 48000)
            #expect(abs(after.integratedLoudness - -18) < 0.5, "\(after.integratedLoudness) LUFS")
            #expect(after.truePeak <= -1 + 0.05)
        }
    }

    @Test func gainDefaultsToTheSpeechTarget() throws {
        let report = LoudnessReport(
            integratedLoudness: -30, loudnessRange: 5, truePeak: -20, samplePeak: -20, duration: 3)
        #expect(try Loudness.gain(from: report) == Loudness.speechTarget + 30)
        #expect(Loudness.speechTarget == -18)
    }

    @Test func gainIsLoweredToKeepTheTruePeakUnderTheCeiling() throws {
        // A quiet tone with a loud click every second: reaching −18 LUFS would push the clicks far over −1 dBTP.
        var samples = sine(frequency: 500, amplitude: 0.05, seconds: 6, sampleRate: 48000)
        for second in 0..<6 { samples[second * 48000 + 100] = 0.9 }
        let report = try Loudness.measure(samples: samples, channels: 1, sampleRate: 48000)
        let gain = try Loudness.gain(toReach: -18, from: report, truePeakCeiling: -1)
        #expect(gain < -18 - report.integratedLoudness)
        let scale = Float(pow(10, gain / 20))
        let after = try Loudness.measure(samples: samples.map { $0 * scale }, channels: 1, sampleRate: 48000)
        #expect(abs(after.truePeak - -1) < 0.05, "\(after.truePeak) dBTP")
        #expect(after.integratedLoudness < -18)
    }

    @Test func silenceThrowsInsteadOfAnInfiniteGain() throws {
        let silent = try Loudness.measure(samples: [Float](repeating: 0, count: 48000), channels: 1, sampleRate: 48000)
        #expect(throws: LoudnessError.silence) { try Loudness.gain(toReach: -18, from: silent) }
    }

    @Test func nonFiniteTargetsThrow() {
        let report = LoudnessReport(
            integratedLoudness: -30, loudnessRange: 5, truePeak: -20, samplePeak: -20, duration: 3)
        #expect(throws: LoudnessError.self) { try Loudness.gain(toReach: .nan, from: report) }
        #expect(throws: LoudnessError.self) { try Loudness.gain(toReach: -18, from: report, truePeakCeiling: .infinity) }
    }
}
