import Foundation

/// A sound as voices on a timeline; times in seconds, turned into samples only when rendered.
struct Score {
    /// Total length in seconds.
    var duration: Double
    /// Struck (bell, gong, chime) voices.
    var struck: [StruckVoice] = []
    /// Gated (alarm, test tone) voices.
    var gated: [GatedVoice] = []
    /// Length of the final raised-cosine fade to exactly zero.
    var fadeOut: Double = 0.005

    /// Partials at or above this frequency are left out: 0.45 × rate keeps everything clear of Nyquist.
    static func bandLimit(rate: Double) -> Double { 0.45 * rate }

    func sampleCount(rate: Double) -> Int { samples(duration, rate) }

    func highestFrequency(rate: Double) -> Double {
        let limit = Self.bandLimit(rate: rate)
        var highest = 0.0
        for voice in struck where !voice.strikes.isEmpty {
            for partial in voice.partials where partial.frequency < limit && partial.amplitude > 0 {
                highest = max(highest, partial.frequency)
            }
        }
        for voice in gated {
            for note in voice.notes {
                let top = max(note.startFrequency, note.endFrequency)
                for (index, amplitude) in voice.harmonics.enumerated() where amplitude > 0 {
                    let frequency = top * Double(index + 1)
                    if frequency < limit { highest = max(highest, frequency) }
                }
            }
        }
        return highest
    }

    func render(sampleRate rate: Double) -> [Float] {
        let count = sampleCount(rate: rate)
        var output = [Float](repeating: 0, count: count)
        guard count > 0 else { return output }
        let limit = Self.bandLimit(rate: rate)
        output.withUnsafeMutableBufferPointer { buffer in
            renderStruck(into: buffer, rate: rate, limit: limit)
            for voice in gated { voice.render(into: buffer, rate: rate, limit: limit) }
            Self.fadeEdges(buffer, fadeIn: samples(0.002, rate), fadeOut: samples(fadeOut, rate))
            Self.normalize(buffer)
        }
        return output
    }

    /// Renders every struck partial of every voice, four at a time as independent lanes (their chains overlap in the CPU).
    private func renderStruck(into buffer: UnsafeMutableBufferPointer<Float>, rate: Double, limit: Double) {
        let drives = struck.map { $0.driveEvents(rate: rate, count: buffer.count) }
        var lanes: [(partial: Partial, voice: Int)] = []
        for (voice, struckVoice) in struck.enumerated() where !drives[voice].isEmpty {
            for partial in struckVoice.partials where partial.frequency < limit && partial.amplitude > 0 {
                lanes.append((partial, voice))
            }
        }
        for group in stride(from: 0, to: lanes.count, by: PartialBank.width) {
            PartialBank(lanes[group..<min(group + PartialBank.width, lanes.count)], drives: drives, rate: rate)
                .render(into: buffer)
        }
    }

    /// Raised-cosine fades so the first and last samples are exactly 0.
    static func fadeEdges(_ buffer: UnsafeMutableBufferPointer<Float>, fadeIn: Int, fadeOut: Int) {
        let count = buffer.count
        let fadeIn = min(max(fadeIn, 1), count)
        let fadeOut = min(max(fadeOut, 1), count)
        for index in 0..<fadeIn {
            buffer[index] *= Float(raisedCosine(index, fadeIn))
        }
        for back in 0..<fadeOut {
            buffer[count - 1 - back] *= Float(raisedCosine(back, fadeOut))
        }
    }

    /// Scales so the largest magnitude is `Synth.peakLevel`; silence stays silent.
    static func normalize(_ buffer: UnsafeMutableBufferPointer<Float>) {
        var peak: Float = 0
        for sample in buffer { peak = max(peak, abs(sample)) }
        guard peak > 0 else { return }
        let scale = Synth.peakLevel / peak
        for index in buffer.indices { buffer[index] = min(max(buffer[index] * scale, -1), 1) }
    }
}

/// Seconds to the nearest whole sample.
func samples(_ seconds: Double, _ rate: Double) -> Int {
    guard seconds.isFinite, seconds > 0 else { return 0 }
    return Int((seconds * rate).rounded())
}

/// Rising raised cosine: 0 at `index` 0, approaching 1 at `length`.
@inline(__always)
func raisedCosine(_ index: Int, _ length: Int) -> Double {
    0.5 - 0.5 * cos(Double.pi * Double(index) / Double(length))
}

/// One mode of a struck body: frequency (Hz), relative amplitude, and amplitude decay rate (1/s).
struct Partial {
    var frequency: Double
    var amplitude: Double
    var decay: Double
}

/// One hit of a struck voice: when (s) and how hard (relative).
struct Strike {
    var time: Double
    var gain: Double
}

/// A struck body (bell, gong, chime bar): a bank of decaying partials excited by strikes.
///
/// Each partial is a real envelope (a one-pole decay driven by a raised-cosine ramp per strike)
/// times a steady sine, so repeated strikes build on the ringing like a real resonator.
struct StruckVoice {
    var partials: [Partial]
    var strikes: [Strike]
    /// Rise time of each strike (≥ 2 ms keeps onsets click-free).
    var attack: Double = 0.003

    /// Per-sample increments of the excitation: each strike spreads its gain over a raised-cosine rise.
    func driveEvents(rate: Double, count: Int) -> [(index: Int, value: Double)] {
        let length = max(samples(attack, rate), 1)
        var steps = [Double](repeating: 0, count: length)
        for step in 0..<length {
            steps[step] = raisedCosine(step + 1, length) - raisedCosine(step, length)
        }
        var events: [(index: Int, value: Double)] = []
        events.reserveCapacity(strikes.count * length)
        for strike in strikes {
            let start = samples(strike.time, rate)
            for step in 0..<length where start + step < count {
                events.append((start + step, strike.gain * steps[step]))
            }
        }
        events.sort { $0.index < $1.index }
        var merged: [(index: Int, value: Double)] = []
        merged.reserveCapacity(events.count)
        for event in events {
            if let last = merged.last, last.index == event.index {
                merged[merged.count - 1].value += event.value
            } else {
                merged.append(event)
            }
        }
        return merged
    }
}

/// One decaying partial: a real envelope times a unit phasor that rotates once per sample.
struct PartialLane {
    var cosine = 1.0
    var sine = 0.0
    var envelope = 0.0
    var stepCosine = 1.0
    var stepSine = 0.0
    var retain = 0.0
    var cyclesPerSample = 0.0

    /// This sample's value; then decay the envelope and rotate to the next sample.
    @inline(__always)
    mutating func step() -> Double {
        let value = envelope * sine
        envelope *= retain
        (cosine, sine) = (cosine * stepCosine - sine * stepSine, cosine * stepSine + sine * stepCosine)
        return value
    }

    /// Sets the phasor to the exact phase at `index`, so rounding never accumulates.
    mutating func anchor(at index: Int) {
        let cycles = cyclesPerSample * Double(index)
        let angle = 2 * Double.pi * (cycles - cycles.rounded(.down))
        cosine = cos(angle)
        sine = sin(angle)
    }
}

/// Four envelope increments, one per lane of a `PartialBank`.
struct LaneDrive {
    var values: (Double, Double, Double, Double) = (0, 0, 0, 0)

    subscript(lane: Int) -> Double {
        get {
            switch lane {
            case 0: values.0
            case 1: values.1
            case 2: values.2
            default: values.3
            }
        }
        set {
            switch lane {
            case 0: values.0 = newValue
            case 1: values.1 = newValue
            case 2: values.2 = newValue
            default: values.3 = newValue
            }
        }
    }
}

/// Up to four struck partials rendered together (unused lanes are silent): four independent chains per sample.
///
/// Per sample: output += Σ envelope·sine; each envelope decays by its `retain` and takes its voice's strike drive;
/// the sines rotate by complex multiplication and are re-anchored to the exact phase every 1024 samples.
struct PartialBank {
    static let width = 4

    private var lane0 = PartialLane()
    private var lane1 = PartialLane()
    private var lane2 = PartialLane()
    private var lane3 = PartialLane()
    /// Envelope increments by sample index, already scaled by each lane's amplitude; sorted, one entry per index.
    private let drive: [(index: Int, value: LaneDrive)]

    init(_ lanes: ArraySlice<(partial: Partial, voice: Int)>, drives: [[(index: Int, value: Double)]], rate: Double) {
        var states = [PartialLane](repeating: PartialLane(), count: Self.width)
        var voices: [Int] = []
        for (lane, entry) in lanes.enumerated() {
            states[lane].cyclesPerSample = entry.partial.frequency / rate
            states[lane].stepCosine = cos(2 * Double.pi * states[lane].cyclesPerSample)
            states[lane].stepSine = sin(2 * Double.pi * states[lane].cyclesPerSample)
            states[lane].retain = exp(-entry.partial.decay / rate)
            if !voices.contains(entry.voice) { voices.append(entry.voice) }
        }
        // Each voice's drive is sorted with one entry per index: merge them in lane order, summing shared indices.
        var drive: [(index: Int, value: LaneDrive)] = []
        for voice in voices {
            var amplitudes = LaneDrive()
            for (lane, entry) in lanes.enumerated() where entry.voice == voice {
                amplitudes[lane] = entry.partial.amplitude
            }
            var merged: [(index: Int, value: LaneDrive)] = []
            merged.reserveCapacity(drive.count + drives[voice].count)
            var old = 0
            for event in drives[voice] {
                while old < drive.count, drive[old].index < event.index {
                    merged.append(drive[old])
                    old += 1
                }
                var value = LaneDrive()
                if old < drive.count, drive[old].index == event.index {
                    value = drive[old].value
                    old += 1
                }
                for lane in 0..<Self.width where amplitudes[lane] != 0 {
                    value[lane] += amplitudes[lane] * event.value
                }
                merged.append((event.index, value))
            }
            merged.append(contentsOf: drive[old...])
            drive = merged
        }
        lane0 = states[0]
        lane1 = states[1]
        lane2 = states[2]
        lane3 = states[3]
        self.drive = drive
    }

    /// Adds the bank into `buffer` from its first strike until the end, or until it has died away.
    consuming func render(into buffer: UnsafeMutableBufferPointer<Float>) {
        let drive = self.drive
        guard let first = drive.first?.index else { return }
        let count = buffer.count
        var next = 0
        var index = first
        while index < count {
            if index == first || index & 1023 == 0 {
                lane0.anchor(at: index)
                lane1.anchor(at: index)
                lane2.anchor(at: index)
                lane3.anchor(at: index)
            }
            if next < drive.count, drive[next].index == index {
                buffer[index] += Float(lane0.step() + lane1.step() + lane2.step() + lane3.step())
                let value = drive[next].value.values
                lane0.envelope += value.0
                lane1.envelope += value.1
                lane2.envelope += value.2
                lane3.envelope += value.3
                next += 1
                index += 1
                continue
            }
            if next == drive.count,
                max(abs(lane0.envelope), abs(lane1.envelope), abs(lane2.envelope), abs(lane3.envelope)) < 1e-9
            {
                return
            }
            let end = min(next < drive.count ? drive[next].index : count, (index | 1023) + 1, count)
            while index < end {
                buffer[index] += Float(lane0.step() + lane1.step() + lane2.step() + lane3.step())
                index += 1
            }
        }
    }
}

/// One gated note: on from `start` to `end` (s), its pitch gliding linearly from `startFrequency` to `endFrequency`.
struct GatedNote {
    var start: Double
    var end: Double
    var startFrequency: Double
    var endFrequency: Double
    var gain: Double = 1
    /// Raised-cosine rise, ≥ 2 ms.
    var attack: Double = 0.01
    /// Raised-cosine fall to exactly 0, ≥ 2 ms.
    var release: Double = 0.01
}

/// A switched tone source (alarm, test tone): a waveform of harmonics, gated on and off by notes.
struct GatedVoice {
    /// Amplitude of harmonic 1, 2, 3, … of the note's frequency; harmonics reaching the band limit are left out.
    var harmonics: [Double]
    var notes: [GatedNote]

    func render(into buffer: UnsafeMutableBufferPointer<Float>, rate: Double, limit: Double) {
        let count = buffer.count
        var amplitudes = [Double](repeating: 0, count: harmonics.count)
        for note in notes {
            let first = samples(note.start, rate)
            let nominalLength = samples(note.end, rate) - first
            let last = min(samples(note.end, rate), count)
            let length = last - first
            let attack = max(samples(note.attack, rate), 1)
            let release = max(samples(note.release, rate), 1)
            // A note cut so short its ramps no longer fit is dropped rather than clicked.
            guard first >= 0, nominalLength > 1, length >= attack + release else { continue }
            let top = max(note.startFrequency, note.endFrequency)
            var highest = 0
            for (index, amplitude) in harmonics.enumerated() {
                let included = amplitude != 0 && top * Double(index + 1) < limit
                amplitudes[index] = included ? amplitude * note.gain : 0
                if included { highest = index + 1 }
            }
            guard highest > 0 else { continue }
            var chirp = Chirp(
                startFrequency: note.startFrequency, endFrequency: note.endFrequency,
                length: nominalLength, rate: rate)
            amplitudes.withUnsafeBufferPointer { amplitudes in
                for step in 0..<length {
                    var value = 0.0
                    var real = chirp.real
                    var imaginary = chirp.imaginary
                    for harmonic in 0..<highest {
                        value += amplitudes[harmonic] * imaginary
                        (real, imaginary) = (real * chirp.real - imaginary * chirp.imaginary,
                                             real * chirp.imaginary + imaginary * chirp.real)
                    }
                    if step < attack {
                        value *= raisedCosine(step, attack)
                    } else if step >= length - release {
                        value *= raisedCosine(length - 1 - step, release)
                    }
                    buffer[first + step] += Float(value)
                    chirp.advance()
                }
            }
        }
    }
}

/// A unit phasor whose frequency glides linearly over `length` samples (constant when the ends agree).
///
/// Phase after `n` samples is 2π(f₀n + Δ·n(n−1)/2)/rate with Δ = (f₁ − f₀)/length;
/// the phasor and its per-sample rotation are both updated by multiplication and re-anchored every 1024 samples.
struct Chirp {
    private(set) var real: Double = 1
    private(set) var imaginary: Double = 0
    private var stepReal: Double = 1
    private var stepImaginary: Double = 0
    private let glideReal: Double
    private let glideImaginary: Double
    private let startCycles: Double
    private let glideCycles: Double
    private var index = 0

    init(startFrequency: Double, endFrequency: Double, length: Int, rate: Double) {
        startCycles = startFrequency / rate
        glideCycles = (endFrequency - startFrequency) / rate / Double(max(length, 1))
        glideReal = cos(2 * Double.pi * glideCycles)
        glideImaginary = sin(2 * Double.pi * glideCycles)
        anchor()
    }

    mutating func advance() {
        index += 1
        if index & 1023 == 0 {
            anchor()
        } else {
            (real, imaginary) = (real * stepReal - imaginary * stepImaginary,
                                 real * stepImaginary + imaginary * stepReal)
            (stepReal, stepImaginary) = (stepReal * glideReal - stepImaginary * glideImaginary,
                                         stepReal * glideImaginary + stepImaginary * glideReal)
        }
    }

    private mutating func anchor() {
        let n = Double(index)
        let cycles = startCycles * n + glideCycles * n * (n - 1) / 2
        let angle = 2 * Double.pi * (cycles - cycles.rounded(.down))
        real = cos(angle)
        imaginary = sin(angle)
        let stepCycles = startCycles + glideCycles * n
        let stepAngle = 2 * Double.pi * (stepCycles - stepCycles.rounded(.down))
        stepReal = cos(stepAngle)
        stepImaginary = sin(stepAngle)
    }
}

/// SplitMix64 with a fixed seed: humanizing variation that is identical on every render.
struct FixedRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    /// A value in [0, 1).
    mutating func next() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) / Double(1 << 53)
    }
}
