import Foundation
import Testing
import CarillonSynth

/// Building sounds from catalog entries, and refusing bad ones with a useful message.
@Suite("Catalog parameters")
struct CatalogTests {
    @Test("every name builds with defaults and round-trips through name and parameters")
    func namesRoundTrip() throws {
        #expect(SynthSound.names == [
            "electric-bell", "two-tone", "westminster", "pre-announce", "evacuation-alarm",
            "earthquake-alarm", "lockdown-tone", "tone", "silence",
        ])
        #expect(SynthSound.defaults.map(\.name) == SynthSound.names)
        for sound in sounds + [.silence(seconds: 2)] {
            #expect(try SynthSound(name: sound.name, parameters: sound.parameters) == sound)
        }
    }

    @Test("absent keys take the documented defaults; given keys are used")
    func defaultsAndValues() throws {
        #expect(try SynthSound(name: "two-tone", parameters: [:]) == .twoTone(repeats: 2))
        #expect(try SynthSound(name: "two-tone", parameters: ["repeat": 3]) == .twoTone(repeats: 3))
        #expect(try SynthSound(name: "electric-bell", parameters: ["seconds": 6]) == .electricBell(seconds: 6, strikeRate: 20))
        #expect(try SynthSound(name: "tone", parameters: ["frequency": 1000, "seconds": 1.5]) == .tone(frequency: 1000, seconds: 1.5))
        #expect(try SynthSound(name: "westminster", parameters: ["strikes": 12]) == .westminster(strikes: 12))
        #expect(try SynthSound(name: "evacuation-alarm", parameters: [:]) == .evacuationAlarm(seconds: 10, frequency: 520))
    }

    @Test("an unknown name is refused, listing the known ones")
    func unknownName() {
        #expect(throws: SynthSoundError.unknownSound(name: "gong")) {
            try SynthSound(name: "gong", parameters: [:])
        }
        let message = String(describing: SynthSoundError.unknownSound(name: "gong"))
        #expect(message.contains("unknown synth \"gong\""))
        for name in SynthSound.names { #expect(message.contains(name)) }
    }

    @Test("an unknown parameter is refused, listing what the sound takes")
    func unknownParameter() {
        #expect(throws: SynthSoundError.unknownParameter(sound: "two-tone", parameter: "seconds")) {
            try SynthSound(name: "two-tone", parameters: ["seconds": 4])
        }
        let message = String(describing: SynthSoundError.unknownParameter(sound: "two-tone", parameter: "seconds"))
        #expect(message.contains("no parameter \"seconds\""))
        #expect(message.contains("repeat"))
        #expect(message.contains("1...10"))
    }

    @Test("an out-of-range value is refused, stating the range", arguments: [
        ("two-tone", "repeat", 11.0), ("tone", "frequency", 5.0), ("evacuation-alarm", "frequency", 2000),
        ("electric-bell", "strike-rate", 40), ("tone", "seconds", .infinity), ("silence", "seconds", -1),
        ("tone", "frequency", .nan),
    ])
    func outOfRange(name: String, key: String, value: Double) {
        do {
            _ = try SynthSound(name: name, parameters: [key: value])
            Issue.record("accepted \(key) = \(value)")
        } catch let error as SynthSoundError {
            guard case let .outOfRange(sound, parameter, _) = error else {
                Issue.record("wrong error \(error)")
                return
            }
            #expect(sound == name && parameter == key)
            #expect(String(describing: error).contains("out of range; allowed: \(key)"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
        let message = String(describing: SynthSoundError.outOfRange(sound: "two-tone", parameter: "repeat", value: 11))
        #expect(message == "synth \"two-tone\": repeat = 11 is out of range; allowed: repeat (number of ding-dong pairs), whole number 1...10, default 2")
    }

    @Test("a fractional count is refused")
    func fractionalCount() {
        #expect(throws: SynthSoundError.notWholeNumber(sound: "two-tone", parameter: "repeat", value: 2.5)) {
            try SynthSound(name: "two-tone", parameters: ["repeat": 2.5])
        }
        #expect(String(describing: SynthSoundError.notWholeNumber(sound: "two-tone", parameter: "repeat", value: 2.5))
            .contains("must be a whole number"))
    }

    @Test("Codable uses the catalog shape and validates")
    func codable() throws {
        let decoded = try JSONDecoder().decode(SynthSound.self, from: Data(#"{"synth": "two-tone", "repeat": 3}"#.utf8))
        #expect(decoded == .twoTone(repeats: 3))
        for sound in sounds {
            let data = try JSONEncoder().encode(sound)
            #expect(try JSONDecoder().decode(SynthSound.self, from: data) == sound)
        }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(SynthSound.self, from: Data(#"{"synth": "two-tone", "repeat": 30}"#.utf8))
        }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(SynthSound.self, from: Data(#"{"synth": "klaxon"}"#.utf8))
        }
    }

    @Test("values built directly outside the ranges are clamped when rendered")
    func directValuesAreClamped() {
        #expect(Synth.render(.tone(frequency: 1000, seconds: -3), sampleRate: 8000).count == 80)
        #expect(Synth.render(.twoTone(repeats: 99), sampleRate: 8000) == Synth.render(.twoTone(repeats: 10), sampleRate: 8000))
    }

    @Test("descriptions read like the catalog")
    func descriptions() {
        #expect(SynthSound.twoTone(repeats: 2).description == "two-tone(repeat: 2)")
        #expect(SynthSound.tone(frequency: 440, seconds: 1.5).description == "tone(frequency: 440, seconds: 1.5)")
    }
}
