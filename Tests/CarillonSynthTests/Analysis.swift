import CarillonSynth
import Foundation

/// The sample rates Carillon renders at, from telephone-band PA to studio rate.
let rates = [8000, 16000, 22050, 44100, 48000]

/// Every sound name with defaults, plus variants that stress odd lengths, other parameters and truncated patterns.
let sounds: [SynthSound] = SynthSound.defaults + [
    .electricBell(seconds: 2.37, strikeRate: 15),
    .electricBell(seconds: 1, strikeRate: 25),
    .twoTone(repeats: 3),
    .westminster(strikes: 3),
    .preAnnounce(notes: 3),
    .evacuationAlarm(seconds: 7.3, frequency: 1000),
    .earthquakeAlarm(seconds: 3.5),
    .lockdownTone(seconds: 4.2),
    .tone(frequency: 440, seconds: 1.5),
]

/// The sounds that make sound: everything but silence.
let audibleSounds = sounds.filter { $0.name != "silence" }

/// The largest magnitude of any sample.
func peak(_ samples: [Float]) -> Float {
    samples.reduce(0) { max($0, abs($1)) }
}

/// Root-mean-square level of a slice.
func rms(_ samples: ArraySlice<Float>) -> Double {
    guard !samples.isEmpty else { return 0 }
    let sum = samples.reduce(0.0) { $0 + Double($1) * Double($1) }
    return (sum / Double(samples.count)).squareRoot()
}

/// Magnitude of the DFT component at `frequency` over `samples`, scaled to the sine amplitude (Goertzel).
func goertzel(_ samples: ArraySlice<Float>, frequency: Double, rate: Int) -> Double {
    let omega = 2 * Double.pi * frequency / Double(rate)
    let coefficient = 2 * cos(omega)
    var previous = 0.0
    var beforePrevious = 0.0
    for sample in samples {
        let current = Double(sample) + coefficient * previous - beforePrevious
        beforePrevious = previous
        previous = current
    }
    let power = previous * previous + beforePrevious * beforePrevious - coefficient * previous * beforePrevious
    return 2 * power.squareRoot() / Double(samples.count)
}

/// Sign changes across a slice; a sine of f Hz over T s crosses about 2·f·T times.
func zeroCrossings(_ samples: ArraySlice<Float>) -> Int {
    var crossings = 0
    var previous: Float?
    for sample in samples where sample != 0 {
        if let previous, (previous < 0) != (sample < 0) { crossings += 1 }
        previous = sample
    }
    return crossings
}
