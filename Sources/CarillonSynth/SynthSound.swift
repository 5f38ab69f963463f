// Catalog spelling: `synth = "<name>"` plus optional numeric keys, e.g. `synth = "two-tone"` and `repeat = 3`.
// Values built directly (not through `init(name:parameters:)`) are clamped to the documented ranges when rendered.

/// A synthesized sound, described by parameters that can be written in a catalog (TOML) entry.
public enum SynthSound: Sendable, Hashable {
    /// `electric-bell`: a gong struck by a clapper; `seconds` total length 1–60 (default 4, last 0.6 s is the ring-out), `strike-rate` strikes/s 15–25 (default 20).
    case electricBell(seconds: Double = 4, strikeRate: Double = 20)
    /// `two-tone`: a ding-dong class bell (E5 then C5, a major third); `repeat` pairs 1–10 (default 2).
    case twoTone(repeats: Int = 2)
    /// `westminster`: the four-phrase Westminster hour chime in E♭ on tubular bells; `strikes` hour strikes 0–12 after it (default 0).
    case westminster(strikes: Int = 0)
    /// `pre-announce`: a rising attention chime before an announcement (about 2–2.4 s); `notes` 3 or 4 (default 4).
    case preAnnounce(notes: Int = 4)
    /// `evacuation-alarm`: ISO 8201 temporal-three on a band-limited square tone; `seconds` 1–600 (default 10), `frequency` Hz 500–1000 (default 520).
    case evacuationAlarm(seconds: Double = 10, frequency: Double = 520)
    /// `earthquake-alarm`: a rising 700→1400 Hz sweep every second (0.85 s sweep, 0.15 s gap); `seconds` 1–600 (default 10).
    case earthquakeAlarm(seconds: Double = 10)
    /// `lockdown-tone`: three soft descending tones (A5, F♯5, D5) every 3 s, deliberately calm; `seconds` 1–600 (default 9).
    case lockdownTone(seconds: Double = 9)
    /// `tone`: a plain sine for tests and calibration; `frequency` Hz 20–20000 (default 1000; silent if not below 0.45 × the sample rate), `seconds` 0.01–600 (default 1).
    case tone(frequency: Double = 1000, seconds: Double = 1)
    /// `silence`: zeros; `seconds` 0–600 (default 1).
    case silence(seconds: Double = 1)
}

extension SynthSound {
    /// Every name a catalog may write in `synth = "…"`, in documentation order.
    public static var names: [String] { SoundSpec.all.map(\.name) }

    /// Every sound with its default parameters, one per name (why: a ready list for previews and tests).
    public static var defaults: [SynthSound] {
        // The table only holds valid names and in-range defaults, so this cannot fail.
        SoundSpec.all.compactMap { try? SynthSound(name: $0.name, parameters: [:]) }
    }

    /// The catalog name of this sound, e.g. `"two-tone"`.
    public var name: String {
        switch self {
        case .electricBell: "electric-bell"
        case .twoTone: "two-tone"
        case .westminster: "westminster"
        case .preAnnounce: "pre-announce"
        case .evacuationAlarm: "evacuation-alarm"
        case .earthquakeAlarm: "earthquake-alarm"
        case .lockdownTone: "lockdown-tone"
        case .tone: "tone"
        case .silence: "silence"
        }
    }

    /// All parameters keyed as the catalog spells them; `init(name:parameters:)` with these gives back this sound.
    public var parameters: [String: Double] {
        switch self {
        case let .electricBell(seconds, strikeRate): ["seconds": seconds, "strike-rate": strikeRate]
        case let .twoTone(repeats): ["repeat": Double(repeats)]
        case let .westminster(strikes): ["strikes": Double(strikes)]
        case let .preAnnounce(notes): ["notes": Double(notes)]
        case let .evacuationAlarm(seconds, frequency): ["seconds": seconds, "frequency": frequency]
        case let .earthquakeAlarm(seconds): ["seconds": seconds]
        case let .lockdownTone(seconds): ["seconds": seconds]
        case let .tone(frequency, seconds): ["frequency": frequency, "seconds": seconds]
        case let .silence(seconds): ["seconds": seconds]
        }
    }

    /// Length of the rendered sound in seconds; `Synth.render` returns this many seconds rounded to whole samples.
    public var duration: Double { Score(self).duration }

    /// Builds a sound from a catalog entry (`synth = "name"` plus numeric keys, defaults for absent ones); throws `SynthSoundError`.
    public init(name: String, parameters: [String: Double]) throws {
        guard let spec = SoundSpec.named(name) else { throw SynthSoundError.unknownSound(name: name) }
        for key in parameters.keys.sorted() where spec.parameter(key) == nil {
            throw SynthSoundError.unknownParameter(sound: name, parameter: key)
        }
        var values: [String: Double] = [:]
        for parameter in spec.parameters {
            guard let value = parameters[parameter.key] else {
                values[parameter.key] = parameter.defaultValue
                continue
            }
            guard value.isFinite, parameter.range.contains(value) else {
                throw SynthSoundError.outOfRange(sound: name, parameter: parameter.key, value: value)
            }
            if parameter.isWholeNumber, value.rounded() != value {
                throw SynthSoundError.notWholeNumber(sound: name, parameter: parameter.key, value: value)
            }
            values[parameter.key] = value
        }
        func value(_ key: String) -> Double { values[key] ?? 0 }
        func count(_ key: String) -> Int { Int(value(key)) }
        switch name {
        case "electric-bell": self = .electricBell(seconds: value("seconds"), strikeRate: value("strike-rate"))
        case "two-tone": self = .twoTone(repeats: count("repeat"))
        case "westminster": self = .westminster(strikes: count("strikes"))
        case "pre-announce": self = .preAnnounce(notes: count("notes"))
        case "evacuation-alarm": self = .evacuationAlarm(seconds: value("seconds"), frequency: value("frequency"))
        case "earthquake-alarm": self = .earthquakeAlarm(seconds: value("seconds"))
        case "lockdown-tone": self = .lockdownTone(seconds: value("seconds"))
        case "tone": self = .tone(frequency: value("frequency"), seconds: value("seconds"))
        default: self = .silence(seconds: value("seconds"))
        }
    }

    /// The parameters clamped to their documented ranges (whole numbers rounded), as rendering uses them.
    var clampedParameters: [String: Double] {
        guard let spec = SoundSpec.named(name) else { return [:] }
        let given = parameters
        var result: [String: Double] = [:]
        for parameter in spec.parameters {
            var value = given[parameter.key] ?? parameter.defaultValue
            if value.isNaN { value = parameter.defaultValue }
            value = min(max(value, parameter.range.lowerBound), parameter.range.upperBound)
            if parameter.isWholeNumber { value = value.rounded() }
            result[parameter.key] = value
        }
        return result
    }
}

extension SynthSound: CustomStringConvertible {
    /// The catalog spelling, e.g. `two-tone(repeat: 2)`, for logs and test names.
    public var description: String {
        let parts = parameters.sorted { $0.key < $1.key }.map { "\($0.key): \(formatNumber($0.value))" }
        return "\(name)(\(parts.joined(separator: ", ")))"
    }
}

extension SynthSound: Codable {
    /// A coding key for the flat catalog shape: `synth` plus one key per parameter.
    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Decodes the catalog shape `{"synth": "two-tone", "repeat": 3}`, validating like `init(name:parameters:)`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        let name = try container.decode(String.self, forKey: Key("synth"))
        var parameters: [String: Double] = [:]
        for key in container.allKeys where key.stringValue != "synth" {
            parameters[key.stringValue] = try container.decode(Double.self, forKey: key)
        }
        do {
            try self.init(name: name, parameters: parameters)
        } catch {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(
                    codingPath: decoder.codingPath, debugDescription: String(describing: error), underlyingError: error))
        }
    }

    /// Encodes the catalog shape: `synth` with the name, then every parameter.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(name, forKey: Key("synth"))
        for (key, value) in parameters.sorted(by: { $0.key < $1.key }) {
            try container.encode(value, forKey: Key(key))
        }
    }
}

/// Why a catalog entry could not be turned into a `SynthSound`; the description says what is allowed.
public enum SynthSoundError: Error, Sendable, Hashable, CustomStringConvertible {
    /// `synth = "…"` names no known sound.
    case unknownSound(name: String)
    /// The sound takes no parameter with this key.
    case unknownParameter(sound: String, parameter: String)
    /// The value is outside the parameter's range (or not finite).
    case outOfRange(sound: String, parameter: String, value: Double)
    /// The parameter counts something, so the value must be a whole number.
    case notWholeNumber(sound: String, parameter: String, value: Double)

    /// A one-line explanation naming what is allowed, for catalog error reports.
    public var description: String {
        switch self {
        case let .unknownSound(name):
            return "unknown synth \"\(name)\"; known synths: \(SynthSound.names.joined(separator: ", "))"
        case let .unknownParameter(sound, parameter):
            let allowed = SoundSpec.named(sound)?.parameters.map { $0.summary }.joined(separator: "; ") ?? "none"
            return "synth \"\(sound)\" has no parameter \"\(parameter)\"; it takes: \(allowed)"
        case let .outOfRange(sound, parameter, value):
            let allowed = SoundSpec.named(sound)?.parameter(parameter)?.summary ?? parameter
            return "synth \"\(sound)\": \(parameter) = \(formatNumber(value)) is out of range; allowed: \(allowed)"
        case let .notWholeNumber(sound, parameter, value):
            let allowed = SoundSpec.named(sound)?.parameter(parameter)?.summary ?? parameter
            return "synth \"\(sound)\": \(parameter) = \(formatNumber(value)) must be a whole number; allowed: \(allowed)"
        }
    }
}

/// One numeric catalog key of a sound: its range, default and meaning.
struct ParameterSpec: Sendable {
    let key: String
    let range: ClosedRange<Double>
    let defaultValue: Double
    let isWholeNumber: Bool
    let meaning: String

    /// E.g. `repeat (number of ding-dong pairs), whole number 1...10, default 2`.
    var summary: String {
        let kind = isWholeNumber ? "whole number " : ""
        return "\(key) (\(meaning)), \(kind)\(formatNumber(range.lowerBound))...\(formatNumber(range.upperBound)), default \(formatNumber(defaultValue))"
    }
}

/// The catalog table: every sound name and the keys it accepts.
struct SoundSpec: Sendable {
    let name: String
    let parameters: [ParameterSpec]

    func parameter(_ key: String) -> ParameterSpec? { parameters.first { $0.key == key } }

    static func named(_ name: String) -> SoundSpec? { all.first { $0.name == name } }

    static let all: [SoundSpec] = [
        SoundSpec(name: "electric-bell", parameters: [
            ParameterSpec(key: "seconds", range: 1...60, defaultValue: 4, isWholeNumber: false, meaning: "total length in seconds, including a 0.6 s ring-out"),
            ParameterSpec(key: "strike-rate", range: 15...25, defaultValue: 20, isWholeNumber: false, meaning: "clapper strikes per second"),
        ]),
        SoundSpec(name: "two-tone", parameters: [
            ParameterSpec(key: "repeat", range: 1...10, defaultValue: 2, isWholeNumber: true, meaning: "number of ding-dong pairs"),
        ]),
        SoundSpec(name: "westminster", parameters: [
            ParameterSpec(key: "strikes", range: 0...12, defaultValue: 0, isWholeNumber: true, meaning: "hour strikes after the chime"),
        ]),
        SoundSpec(name: "pre-announce", parameters: [
            ParameterSpec(key: "notes", range: 3...4, defaultValue: 4, isWholeNumber: true, meaning: "rising notes"),
        ]),
        SoundSpec(name: "evacuation-alarm", parameters: [
            ParameterSpec(key: "seconds", range: 1...600, defaultValue: 10, isWholeNumber: false, meaning: "total length in seconds"),
            ParameterSpec(key: "frequency", range: 500...1000, defaultValue: 520, isWholeNumber: false, meaning: "tone fundamental in Hz"),
        ]),
        SoundSpec(name: "earthquake-alarm", parameters: [
            ParameterSpec(key: "seconds", range: 1...600, defaultValue: 10, isWholeNumber: false, meaning: "total length in seconds"),
        ]),
        SoundSpec(name: "lockdown-tone", parameters: [
            ParameterSpec(key: "seconds", range: 1...600, defaultValue: 9, isWholeNumber: false, meaning: "total length in seconds"),
        ]),
        SoundSpec(name: "tone", parameters: [
            ParameterSpec(key: "frequency", range: 20...20000, defaultValue: 1000, isWholeNumber: false, meaning: "sine frequency in Hz"),
            ParameterSpec(key: "seconds", range: 0.01...600, defaultValue: 1, isWholeNumber: false, meaning: "length in seconds"),
        ]),
        SoundSpec(name: "silence", parameters: [
            ParameterSpec(key: "seconds", range: 0...600, defaultValue: 1, isWholeNumber: false, meaning: "length in seconds"),
        ]),
    ]
}

/// Writes whole numbers without a fraction (`4`, not `4.0`) so messages read like the catalog.
func formatNumber(_ value: Double) -> String {
    if value.isFinite, value.rounded() == value, abs(value) < 1e15 { return String(Int(value)) }
    return String(value)
}
