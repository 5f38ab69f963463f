/// Renders `SynthSound`s: pure, deterministic functions from a description and a sample rate to samples.
public enum Synth {
    /// Peak level every rendered sound is normalized to: −3 dBFS.
    public static let peakLevel: Float = 0.707_106_77

    /// Renders `sound` as mono samples at `sampleRate` Hz: deterministic, band-limited, −3 dBFS peak, starting and ending at 0.
    public static func render(_ sound: SynthSound, sampleRate: Int) -> [Float] {
        precondition(sampleRate > 0, "sample rate must be positive, got \(sampleRate)")
        return Score(sound).render(sampleRate: Double(sampleRate))
    }

    /// The number of samples `render` returns: `sound.duration` at `sampleRate`, rounded to whole samples.
    public static func sampleCount(of sound: SynthSound, sampleRate: Int) -> Int {
        precondition(sampleRate > 0, "sample rate must be positive, got \(sampleRate)")
        return Score(sound).sampleCount(rate: Double(sampleRate))
    }

    /// An upper bound on the partial frequencies (Hz) `render` puts in `sound` at `sampleRate`, 0 if none (why: bounds slew, shows band-limiting).
    public static func highestFrequency(of sound: SynthSound, sampleRate: Int) -> Double {
        precondition(sampleRate > 0, "sample rate must be positive, got \(sampleRate)")
        return Score(sound).highestFrequency(rate: Double(sampleRate))
    }
}
