import Foundation
import Testing
import CarillonSynth

/// What each particular sound must sound like.
@Suite("Individual sounds")
struct SoundTests {
    @Test("a 1.5 s tone at 48 kHz is exactly 72,000 samples")
    func toneLength() {
        #expect(Synth.render(.tone(frequency: 1000, seconds: 1.5), sampleRate: 48000).count == 72000)
    }

    @Test("default lengths follow their seconds: a 4 s bell, a 10 s alarm", arguments: rates)
    func defaultLengths(rate: Int) {
        #expect(Synth.render(.electricBell(), sampleRate: rate).count == 4 * rate)
        #expect(Synth.render(.evacuationAlarm(), sampleRate: rate).count == 10 * rate)
        #expect(Synth.render(.earthquakeAlarm(seconds: 6), sampleRate: rate).count == 6 * rate)
    }

    @Test("a tone crosses zero twice per cycle", arguments: rates)
    func toneFrequencyByZeroCrossings(rate: Int) {
        let samples = Synth.render(.tone(frequency: 440, seconds: 2), sampleRate: rate)
        // 2 s of 440 Hz: 1760 crossings, give or take the ramps at the ends.
        #expect(abs(zeroCrossings(samples[...]) - 1760) <= 2)
    }

    @Test("a tone's energy is at its frequency and nowhere near", arguments: rates)
    func toneFrequencyByGoertzel(rate: Int) {
        let samples = Synth.render(.tone(frequency: 1000, seconds: 1), sampleRate: rate)
        let middle = samples[(rate / 10)..<(rate * 9 / 10)]
        let atTone = goertzel(middle, frequency: 1000, rate: rate)
        #expect(abs(atTone - 0.7071) < 0.01)
        for other in [900.0, 1100.0, 2000.0, 3000.0] {
            #expect(goertzel(middle, frequency: other, rate: rate) < 0.01 * atTone)
        }
    }

    @Test("a tone at or above the band limit renders as silence of the right length")
    func toneAboveBandLimitIsSilent() {
        let samples = Synth.render(.tone(frequency: 5000, seconds: 0.5), sampleRate: 8000)
        #expect(samples.count == 4000)
        #expect(samples.allSatisfy { $0 == 0 })
        #expect(Synth.highestFrequency(of: .tone(frequency: 5000, seconds: 0.5), sampleRate: 8000) == 0)
    }

    @Test("silence is all zeros, of exactly its length", arguments: rates)
    func silence(rate: Int) {
        let samples = Synth.render(.silence(seconds: 0.25), sampleRate: rate)
        #expect(samples.count == Int((0.25 * Double(rate)).rounded()))
        #expect(samples.allSatisfy { $0 == 0 })
        #expect(Synth.render(.silence(seconds: 0), sampleRate: rate).isEmpty)
    }

    @Test("the evacuation alarm is ISO 8201 temporal-three in 50 ms RMS windows", arguments: rates)
    func evacuationTemporalThree(rate: Int) {
        let samples = Synth.render(.evacuationAlarm(), sampleRate: rate)
        #expect(samples.count == 10 * rate)
        var observed = ""
        var expected = ""
        for index in 0..<200 {
            let level = rms(samples[(index * rate / 20)..<((index + 1) * rate / 20)])
            observed += level > 0.1 ? "#" : (level < 1e-6 ? "." : "?")
            // In each 4 s cycle (80 windows): on in [0, 0.5), [1, 1.5), [2, 2.5) s; off otherwise.
            let inCycle = index % 80
            expected += inCycle < 50 && inCycle % 20 < 10 ? "#" : "."
        }
        #expect(observed == expected)
    }

    @Test("every burst of a gated sound fades in and out over at least 2 ms", arguments: [
        SynthSound.evacuationAlarm(seconds: 7.3, frequency: 1000), .earthquakeAlarm(seconds: 4.5),
        .lockdownTone(seconds: 4), .tone(frequency: 440, seconds: 0.5),
    ])
    func gatedBurstsAreRamped(sound: SynthSound) {
        let rate = 48000
        let samples = Synth.render(sound, sampleRate: rate)
        let level = Double(peak(samples))
        let millisecond = rate / 1000
        // Bursts are runs of sound between stretches of at least 1 ms of exact silence.
        var bursts: [Range<Int>] = []
        var start: Int?
        var silentRun = 0
        for (index, sample) in samples.enumerated() {
            if sample == 0 {
                silentRun += 1
                if silentRun == millisecond, let burstStart = start {
                    bursts.append(burstStart..<(index - millisecond + 1))
                    start = nil
                }
            } else {
                if start == nil { start = index }
                silentRun = 0
            }
        }
        if let start { bursts.append(start..<samples.count) }
        #expect(!bursts.isEmpty)
        for burst in bursts {
            #expect(burst.count > 4 * millisecond)
            let rise = samples[burst.lowerBound..<(burst.lowerBound + millisecond)]
            let fall = samples[(burst.upperBound - millisecond)..<burst.upperBound]
            #expect(Double(peak(Array(rise))) <= 0.5 * level, "hard onset at sample \(burst.lowerBound)")
            #expect(Double(peak(Array(fall))) <= 0.5 * level, "hard stop at sample \(burst.upperBound)")
        }
    }

    @Test("the evacuation alarm's square wave has no aliased harmonics at 8 kHz")
    func evacuationHasNoAliases() {
        let rate = 8000
        let samples = Synth.render(.evacuationAlarm(seconds: 1, frequency: 520), sampleRate: rate)
        let burst = samples[(rate / 20)..<(rate * 9 / 20)]
        let fundamental = goertzel(burst, frequency: 520, rate: rate)
        #expect(goertzel(burst, frequency: 1560, rate: rate) > 0.2 * fundamental)  // 3rd harmonic is there
        // A naive square would fold its 9th (4680 Hz) to 3320 Hz and 11th (5720 Hz) to 2280 Hz.
        #expect(goertzel(burst, frequency: 3320, rate: rate) < 0.001 * fundamental)
        #expect(goertzel(burst, frequency: 2280, rate: rate) < 0.001 * fundamental)
    }

    @Test("the earthquake alarm sweeps upward from about 700 to 1400 Hz every second")
    func earthquakeSweepsUp() {
        let rate = 48000
        let samples = Synth.render(.earthquakeAlarm(seconds: 3), sampleRate: rate)
        for second in 0..<3 {
            let start = second * rate
            // The fundamental dominates crossings: about 2·f per second over each 0.1 s slice.
            let early = Double(zeroCrossings(samples[(start + rate / 20)..<(start + rate * 3 / 20)])) * 5
            let late = Double(zeroCrossings(samples[(start + rate * 7 / 10)..<(start + rate * 8 / 10)])) * 5
            #expect(abs(early - 782) < 40, "early pitch \(early) Hz")
            #expect(abs(late - 1329) < 40, "late pitch \(late) Hz")
            #expect(rms(samples[(start + rate * 88 / 100)..<(start + rate * 99 / 100)]) < 1e-6)
        }
    }

    @Test("the lockdown tone steps down A5, F♯5, D5 and then pauses")
    func lockdownDescends() {
        let rate = 16000
        let samples = Synth.render(.lockdownTone(seconds: 3), sampleRate: rate)
        let pitches = [880.0, 739.989, 587.330]
        for (index, pitch) in pitches.enumerated() {
            let start = index * rate / 2 + rate / 10
            let note = samples[start..<(start + rate / 5)]
            let here = goertzel(note, frequency: pitch, rate: rate)
            for other in pitches where other != pitch {
                #expect(goertzel(note, frequency: other, rate: rate) < 0.05 * here)
            }
        }
        #expect(rms(samples[(rate * 3 / 2)..<(rate * 3)]) < 1e-6)
    }

    @Test("the two-tone bell dings a major third above its dong")
    func twoToneIsAMajorThird() {
        let rate = 22050
        let samples = Synth.render(.twoTone(repeats: 1), sampleRate: rate)
        let ding = samples[(rate / 20)..<(rate / 2)]
        let dong = samples[(rate * 6 / 10)..<(rate * 11 / 10)]
        let e5 = 659.255, c5 = 523.251
        #expect(goertzel(ding, frequency: e5, rate: rate) > 5 * goertzel(ding, frequency: c5, rate: rate))
        #expect(goertzel(dong, frequency: c5, rate: rate) > goertzel(dong, frequency: e5, rate: rate))
        #expect(abs(c5 * pow(2, 4.0 / 12) - e5) < 0.01)
    }

    @Test("the electric bell rings at the clapper rate, then releases")
    func electricBellRingsAndReleases() {
        let rate = 48000
        let samples = Synth.render(.electricBell(seconds: 4, strikeRate: 20), sampleRate: rate)
        // The envelope, in 5 ms windows over the ringing second 1–3 s, swells 20 times a second.
        let window = rate / 200
        let envelope = (200..<600).map { rms(samples[($0 * window)..<(($0 + 1) * window)]) }
        let strength = goertzel(envelope[...].map { Float($0) }[...], frequency: 20, rate: 200)
        let neighbour = goertzel(envelope[...].map { Float($0) }[...], frequency: 13, rate: 200)
        #expect(strength > 3 * neighbour)
        // Ringing loudly at 3 s, and decaying by the last 0.1 s.
        let ringing = rms(samples[(rate * 3)..<(rate * 3 + rate / 10)])
        let tail = rms(samples[(rate * 39 / 10)..<(rate * 4)])
        #expect(tail < 0.1 * ringing)
    }

    @Test("the Westminster chime lengthens by 2 s per hour strike")
    func westminsterStrikes() {
        let chime = SynthSound.westminster(strikes: 0).duration
        let three = SynthSound.westminster(strikes: 3).duration
        let twelve = SynthSound.westminster(strikes: 12).duration
        #expect(abs(twelve - three - 18) < 1e-9)
        #expect(chime > 14 && chime < 20)
    }

    @Test("the pre-announce chime lasts 1.5–2.5 s and rises", arguments: [3, 4])
    func preAnnounceRises(notes: Int) {
        let sound = SynthSound.preAnnounce(notes: notes)
        #expect((1.5...2.5).contains(sound.duration))
        let rate = 44100
        let samples = Synth.render(sound, sampleRate: rate)
        let c5 = 523.251, g5 = 783.991
        let offset = notes == 4 ? 0.32 : 0
        let first = Int((offset + 0.05) * Double(rate))
        let last = Int((offset + 0.69) * Double(rate))
        let early = samples[first..<(first + rate / 4)]
        let late = samples[last..<(last + rate / 4)]
        #expect(goertzel(early, frequency: c5, rate: rate) > goertzel(early, frequency: g5, rate: rate))
        #expect(goertzel(late, frequency: g5, rate: rate) > goertzel(late, frequency: c5, rate: rate))
    }
}
