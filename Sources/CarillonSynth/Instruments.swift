import Foundation

/// Equal-tempered pitches used by the chimes (A4 = 440 Hz).
enum Pitch {
    static let bFlat3 = 233.082
    static let eFlat3 = 155.563
    static let eFlat4 = 311.127
    static let f4 = 349.228
    static let g4 = 391.995
    static let c5 = 523.251
    static let e5 = 659.255
    static let g5 = 783.991
    static let d5 = 587.330
    static let fSharp5 = 739.989
    static let a5 = 880.000
}

/// Timbres: partial ratios (of the note's pitch), relative amplitudes and decay rates (1/s).
enum Timbre {
    /// A small steel gong of an electric bell: inharmonic modes, each a slightly split doublet (the shimmer).
    static let gong: [(frequency: Double, amplitude: Double, decay: Double)] = [
        (660, 1.0, 5), (1490, 0.8, 8), (2555, 0.6, 12), (3620, 0.35, 18), (4710, 0.2, 26),
    ]

    /// A classroom two-tone chime bar: fundamental, octave and the free-bar modes 2.76 and 5.40.
    static let chimeBar: [(ratio: Double, amplitude: Double, decay: Double)] = [
        (1.0, 1.0, 1.6), (2.0, 0.3, 3.0), (2.76, 0.35, 6.0), (5.40, 0.12, 12.0),
    ]

    /// A tubular bell: modes of a free-free tube, (2n+1)² for n = 2…6, scaled so the strike note (half mode 4) is the pitch.
    static let tubularBell: [(ratio: Double, amplitude: Double, decay: Double)] = [
        (50.0 / 81, 0.12, 2.5), (98.0 / 81, 0.3, 1.6), (2.0, 1.0, 0.9), (242.0 / 81, 0.75, 1.3), (338.0 / 81, 0.45, 2.0),
    ]

    /// A church hour bell: hum, prime, minor-third tierce, quint, nominal and upper partials.
    static let churchBell: [(ratio: Double, amplitude: Double, decay: Double)] = [
        (0.5, 0.6, 0.35), (1.0, 0.8, 0.7), (1.2, 0.5, 1.0), (1.5, 0.25, 1.4),
        (2.0, 0.7, 1.2), (2.5, 0.25, 2.0), (3.0, 0.2, 2.5), (4.0, 0.12, 3.5),
    ]

    /// A soft vibraphone-like bar for the attention chime: tuned 1 : 4 with a faint octave.
    static let vibraphone: [(ratio: Double, amplitude: Double, decay: Double)] = [
        (1.0, 1.0, 2.0), (2.0, 0.1, 4.0), (4.0, 0.22, 7.0),
    ]

    static func partials(_ timbre: [(ratio: Double, amplitude: Double, decay: Double)], pitch: Double) -> [Partial] {
        timbre.map { Partial(frequency: $0.ratio * pitch, amplitude: $0.amplitude, decay: $0.decay) }
    }

    /// Square-ish: odd harmonics 1–9 at 1/k, Lanczos-σ smoothed to tame Gibbs ringing.
    static let square: [Double] = (1...9).map { k in
        guard k % 2 == 1 else { return 0 }
        let x = Double.pi * Double(k) / 11
        return (1 / Double(k)) * (sin(x) / x)
    }
}

extension Score {
    /// The timeline of `sound`, with parameters clamped to their documented ranges.
    init(_ sound: SynthSound) {
        let parameters = sound.clampedParameters
        func value(_ key: String) -> Double { parameters[key] ?? 0 }
        switch sound {
        case .electricBell: self = Self.electricBell(seconds: value("seconds"), strikeRate: value("strike-rate"))
        case .twoTone: self = Self.twoTone(repeats: Int(value("repeat")))
        case .westminster: self = Self.westminster(strikes: Int(value("strikes")))
        case .preAnnounce: self = Self.preAnnounce(notes: Int(value("notes")))
        case .evacuationAlarm: self = Self.evacuationAlarm(seconds: value("seconds"), frequency: value("frequency"))
        case .earthquakeAlarm: self = Self.earthquakeAlarm(seconds: value("seconds"))
        case .lockdownTone: self = Self.lockdownTone(seconds: value("seconds"))
        case .tone:
            let seconds = value("seconds")
            let frequency = value("frequency")
            let note = GatedNote(
                start: 0, end: seconds, startFrequency: frequency, endFrequency: frequency,
                attack: 0.005, release: 0.005)
            self = Score(duration: seconds, gated: [GatedVoice(harmonics: [1], notes: [note])])
        case .silence: self = Score(duration: value("seconds"))
        }
    }

    /// A clapper hitting a gong `strikeRate` times a second, stopping 0.6 s before the end to ring out.
    static func electricBell(seconds: Double, strikeRate: Double) -> Score {
        let ringOut = 0.6
        var random = FixedRandom(seed: 0xCA51_110B_E11)
        var strikes: [Strike] = []
        var index = 0
        while Double(index) / strikeRate < seconds - ringOut {
            // A real clapper is slightly irregular: up to 2 ms late and 15 % softer.
            let time = Double(index) / strikeRate + 0.002 * random.next()
            strikes.append(Strike(time: time, gain: 1 - 0.15 * random.next()))
            index += 1
        }
        var partials: [Partial] = []
        for mode in Timbre.gong {
            partials.append(Partial(frequency: mode.frequency, amplitude: mode.amplitude, decay: mode.decay))
            partials.append(Partial(frequency: mode.frequency * 1.0035, amplitude: 0.6 * mode.amplitude, decay: mode.decay))
        }
        return Score(duration: seconds, struck: [StruckVoice(partials: partials, strikes: strikes)], fadeOut: 0.15)
    }

    /// Ding (E5) then dong (C5), a major third down, `repeats` times.
    static func twoTone(repeats: Int) -> Score {
        let period = 1.6
        let gap = 0.55
        let ding = (0..<repeats).map { Strike(time: Double($0) * period, gain: 1) }
        let dong = (0..<repeats).map { Strike(time: Double($0) * period + gap, gain: 1) }
        return Score(
            duration: Double(repeats - 1) * period + gap + 1.6,
            struck: [
                StruckVoice(partials: Timbre.partials(Timbre.chimeBar, pitch: Pitch.e5), strikes: ding),
                StruckVoice(partials: Timbre.partials(Timbre.chimeBar, pitch: Pitch.c5), strikes: dong),
            ],
            fadeOut: 0.3)
    }

    /// The hour: changes 2–5 of the Westminster Quarters in E♭, then `strikes` on a low E♭ hour bell.
    static func westminster(strikes: Int) -> Score {
        let g = Pitch.g4, f = Pitch.f4, eFlat = Pitch.eFlat4, bFlat = Pitch.bFlat3
        let phrases: [[Double]] = [
            [eFlat, g, f, bFlat],
            [eFlat, f, g, eFlat],
            [g, eFlat, f, bFlat],
            [bFlat, f, g, eFlat],
        ]
        let beat = 0.7
        let phrasePeriod = 5 * beat  // three beats, then the last note held two
        var strikesByPitch: [Double: [Strike]] = [:]
        for (phraseIndex, phrase) in phrases.enumerated() {
            for (noteIndex, pitch) in phrase.enumerated() {
                let time = Double(phraseIndex) * phrasePeriod + Double(noteIndex) * beat
                strikesByPitch[pitch, default: []].append(Strike(time: time, gain: noteIndex == 3 ? 1.1 : 1))
            }
        }
        let lastChime = 3 * phrasePeriod + 3 * beat
        var voices = [bFlat, eFlat, f, g].map { pitch in
            StruckVoice(partials: Timbre.partials(Timbre.tubularBell, pitch: pitch), strikes: strikesByPitch[pitch] ?? [])
        }
        guard strikes > 0 else { return Score(duration: lastChime + 3.4, struck: voices, fadeOut: 1.0) }
        let firstStrike = lastChime + 2.8
        let hour = (0..<strikes).map { Strike(time: firstStrike + 2 * Double($0), gain: 1.6) }
        voices.append(StruckVoice(partials: Timbre.partials(Timbre.churchBell, pitch: Pitch.eFlat3), strikes: hour))
        return Score(duration: firstStrike + 2 * Double(strikes - 1) + 4, struck: voices, fadeOut: 1.0)
    }

    /// C5–E5–G5 (with a G4 lead-in for four notes), 0.32 s apart, the last ringing 1.4 s.
    static func preAnnounce(notes: Int) -> Score {
        let pitches = notes >= 4 ? [Pitch.g4, Pitch.c5, Pitch.e5, Pitch.g5] : [Pitch.c5, Pitch.e5, Pitch.g5]
        let spacing = 0.32
        let voices = pitches.enumerated().map { index, pitch in
            StruckVoice(
                partials: Timbre.partials(Timbre.vibraphone, pitch: pitch),
                strikes: [Strike(time: Double(index) * spacing, gain: 1)])
        }
        return Score(duration: Double(pitches.count - 1) * spacing + 1.4, struck: voices, fadeOut: 0.25)
    }

    /// ISO 8201 temporal-three: 0.5 s on, 0.5 s off, three times, then 1.5 s more off; a 4 s cycle.
    static func evacuationAlarm(seconds: Double, frequency: Double) -> Score {
        var notes: [GatedNote] = []
        var cycle = 0.0
        while cycle < seconds {
            for burst in 0..<3 {
                let start = cycle + Double(burst)
                if start < seconds {
                    notes.append(GatedNote(start: start, end: start + 0.5, startFrequency: frequency, endFrequency: frequency))
                }
            }
            cycle += 4
        }
        return Score(duration: seconds, gated: [GatedVoice(harmonics: Timbre.square, notes: notes)])
    }

    /// A linear 700→1400 Hz sweep lasting 0.85 s, once a second: urgent, and unlike the fire pattern.
    static func earthquakeAlarm(seconds: Double) -> Score {
        var notes: [GatedNote] = []
        var start = 0.0
        while start < seconds {
            notes.append(GatedNote(
                start: start, end: start + 0.85, startFrequency: 700, endFrequency: 1400, attack: 0.01, release: 0.02))
            start += 1
        }
        return Score(duration: seconds, gated: [GatedVoice(harmonics: [1, 0.3, 0.15], notes: notes)])
    }

    /// A5, F♯5, D5 (a descending D-major triad), soft-edged, every 3 s: noticeable but not alarming.
    static func lockdownTone(seconds: Double) -> Score {
        let pitches = [Pitch.a5, Pitch.fSharp5, Pitch.d5]
        var notes: [GatedNote] = []
        var cycle = 0.0
        while cycle < seconds {
            for (index, pitch) in pitches.enumerated() {
                let start = cycle + 0.5 * Double(index)
                notes.append(GatedNote(
                    start: start, end: start + 0.42, startFrequency: pitch, endFrequency: pitch,
                    attack: 0.04, release: 0.12))
            }
            cycle += 3
        }
        return Score(duration: seconds, gated: [GatedVoice(harmonics: [1, 0.12], notes: notes)])
    }
}
