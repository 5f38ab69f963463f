import Foundation
import Testing
import CarillonSynth

/// Properties every sound must have at every supported rate.
@Suite("Every sound at every rate")
struct RenderingTests {
    @Test("is exactly its duration long", arguments: sounds, rates)
    func lengthIsExact(sound: SynthSound, rate: Int) {
        let samples = Synth.render(sound, sampleRate: rate)
        #expect(samples.count == Int((sound.duration * Double(rate)).rounded()))
        #expect(samples.count == Synth.sampleCount(of: sound, sampleRate: rate))
    }

    @Test("starts and ends at zero", arguments: sounds, rates)
    func startsAndEndsAtZero(sound: SynthSound, rate: Int) throws {
        let samples = Synth.render(sound, sampleRate: rate)
        let first = try #require(samples.first)
        let last = try #require(samples.last)
        #expect(abs(first) <= 1e-4)
        #expect(abs(last) <= 1e-4)
    }

    @Test("peaks at about −3 dBFS and never above full scale", arguments: audibleSounds, rates)
    func peakIsNormalized(sound: SynthSound, rate: Int) {
        let samples = Synth.render(sound, sampleRate: rate)
        let level = peak(samples)
        #expect((0.5...1.0).contains(level))
        #expect(abs(level - 0.7071) < 0.001)
        #expect(samples.allSatisfy { $0.isFinite })
    }

    /// A band-limited signal of peak P and top frequency f moves at most 2π·f·P/rate per sample (Bernstein);
    /// the ≥ 2 ms raised-cosine ramps add at most π·P/(2·0.002·rate). A click (a step) exceeds that.
    @Test("has no clicks: no step larger than its band limit allows", arguments: audibleSounds, rates)
    func hasNoClicks(sound: SynthSound, rate: Int) {
        let samples = Synth.render(sound, sampleRate: rate)
        let level = Double(peak(samples))
        let topFrequency = Synth.highestFrequency(of: sound, sampleRate: rate)
        let perSample = 2 * Double.pi * topFrequency / Double(rate) + Double.pi / (2 * 0.002 * Double(rate))
        let bound = 1.1 * level * perSample
        var largest = 0.0
        for index in samples.indices.dropFirst() {
            largest = max(largest, Double(abs(samples[index] - samples[index - 1])))
        }
        #expect(largest < bound, "largest step \(largest) vs bound \(bound)")
    }

    @Test("rises from silence over at least 2 ms", arguments: audibleSounds, rates)
    func onsetIsRamped(sound: SynthSound, rate: Int) {
        let samples = Synth.render(sound, sampleRate: rate)
        // A raised-cosine rise of 2 ms or more is at most halfway up after 1 ms; a hard onset is not.
        let firstMillisecond = samples.prefix(rate / 1000)
        #expect(Double(peak(Array(firstMillisecond))) <= 0.5 * Double(peak(samples)))
    }

    @Test("keeps every partial below Nyquist", arguments: audibleSounds, rates)
    func isBandLimited(sound: SynthSound, rate: Int) {
        let topFrequency = Synth.highestFrequency(of: sound, sampleRate: rate)
        #expect(topFrequency > 0)
        #expect(topFrequency < Double(rate) / 2)
    }

    @Test("silence is exactly zero throughout", arguments: rates)
    func silenceIsZero(rate: Int) {
        #expect(Synth.render(.silence(seconds: 1), sampleRate: rate).allSatisfy { $0 == 0 })
        #expect(Synth.highestFrequency(of: .silence(seconds: 1), sampleRate: rate) == 0)
    }

    @Test("is bit-identical when rendered twice", arguments: sounds, rates)
    func isDeterministic(sound: SynthSound, rate: Int) {
        #expect(Synth.render(sound, sampleRate: rate) == Synth.render(sound, sampleRate: rate))
    }
}
