import Foundation

/// Measurements on captured audio, for asserting what played and when.
public enum Signal {
    /// One channel of interleaved samples, as floats in [-1, 1].
    public static func channel(_ samples: [Int16], _ channel: Int, of channels: Int, frames range: Range<Int>) -> [Float] {
        range.map { Float(samples[$0 * channels + channel]) / 32768 }
    }

    /// The amplitude of a sine at `frequency` in `x` (Goertzel), 0...1 for a full-scale sine.
    public static func amplitude(of frequency: Double, in x: [Float], sampleRate: Int) -> Double {
        guard !x.isEmpty else { return 0 }
        let w = 2 * Double.pi * frequency / Double(sampleRate)
        let coefficient = 2 * cos(w)
        var s1 = 0.0
        var s2 = 0.0
        for sample in x {
            let s0 = Double(sample) + coefficient * s1 - s2
            s2 = s1
            s1 = s0
        }
        let power = s1 * s1 + s2 * s2 - coefficient * s1 * s2
        return 2 * sqrt(max(0, power)) / Double(x.count)
    }

    /// Root mean square of `x`.
    public static func rms(_ x: [Float]) -> Double {
        guard !x.isEmpty else { return 0 }
        return sqrt(x.reduce(0) { $0 + Double($1) * Double($1) } / Double(x.count))
    }

    /// Rising zero crossings of `x`: cycles of a clean tone.
    public static func risingCrossings(_ x: [Float]) -> Int {
        var count = 0
        for i in x.indices.dropFirst() where x[i - 1] < 0 && x[i] >= 0 { count += 1 }
        return count
    }

    /// Decibels of a ratio of amplitudes.
    public static func dB(_ ratio: Double) -> Double { 20 * log10(ratio) }
}
