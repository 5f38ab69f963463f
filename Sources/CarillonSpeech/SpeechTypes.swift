import CarillonCrypto
import Foundation

/// An espeak-ng voice, named as `espeak_SetVoiceByName` expects (a language such as `en`, optionally `+variant`).
public struct Voice: Hashable, Sendable, CustomStringConvertible {
    /// The name handed to espeak-ng; at most 39 bytes, which is espeak-ng's own limit.
    public let espeakName: String

    /// A voice by its espeak-ng name; whether it exists is only checked when rendering.
    public init(espeakName: String) {
        self.espeakName = espeakName
    }

    /// Mandarin read from Hanzi; `cmn-latn-pinyin`, because plain `cmn` misreads Chinese in espeak-ng 1.51.
    public static let zh = Voice(espeakName: "cmn-latn-pinyin")

    /// English.
    public static let en = Voice(espeakName: "en")

    /// The espeak-ng name.
    public var description: String { espeakName }

    /// Whether the voice reads tone-numbered pinyin, so that text reaches it through the Mandarin front-end.
    public var readsPinyin: Bool { espeakName.lowercased().hasPrefix("cmn-latn-pinyin") }
}

/// How a text is spoken; every value is range-checked by `validate()` before rendering.
public struct SpeechSettings: Hashable, Sendable {
    /// Allowed speaking rates in words per minute (espeak-ng's `espeakRATE_MINIMUM`…`espeakRATE_MAXIMUM`).
    public static let rateRange: ClosedRange<Int> = 80...450
    /// Allowed base pitches (espeak-ng's scale; 50 is the voice's normal pitch).
    public static let pitchRange: ClosedRange<Int> = 0...100
    /// Allowed volumes in percent of espeak-ng's normal level; above 100 espeak starts to compress and distort.
    public static let volumeRange: ClosedRange<Int> = 10...200
    /// Allowed extra pauses between sentences, in milliseconds.
    public static let sentencePauseRange: ClosedRange<Int> = 0...3000

    /// Speaking rate in words per minute; the default 150 is a little slower than espeak's 175, for PA clarity.
    public var rate: Int
    /// Base pitch, 0–100; 50 is the voice's normal pitch.
    public var pitch: Int
    /// Amplitude in percent of espeak-ng's normal level (100).
    public var volume: Int
    /// Silence added at each sentence boundary on top of espeak's own pause, in milliseconds.
    public var sentencePauseMilliseconds: Int

    /// Settings for announcements over a PA system unless overridden.
    public init(rate: Int = 150, pitch: Int = 50, volume: Int = 100, sentencePauseMilliseconds: Int = 200) {
        self.rate = rate
        self.pitch = pitch
        self.volume = volume
        self.sentencePauseMilliseconds = sentencePauseMilliseconds
    }

    /// Throws `SpeechError.settingOutOfRange` naming the first value outside its allowed range.
    public func validate() throws(SpeechError) {
        let checks: [(String, Int, ClosedRange<Int>)] = [
            ("rate", rate, Self.rateRange),
            ("pitch", pitch, Self.pitchRange),
            ("volume", volume, Self.volumeRange),
            ("sentencePauseMilliseconds", sentencePauseMilliseconds, Self.sentencePauseRange),
        ]
        for (name, value, allowed) in checks where !allowed.contains(value) {
            throw .settingOutOfRange(name: name, value: value, allowed: allowed)
        }
    }
}

/// Rendered speech: mono samples in [-1, 1] at espeak-ng's output rate.
public struct SpeechAudio: Hashable, Sendable {
    /// Mono samples in [-1, 1).
    public var samples: [Float]
    /// Samples per second (22050 for espeak-ng).
    public var sampleRate: Int

    /// Audio from mono samples at `sampleRate`.
    public init(samples: [Float], sampleRate: Int) {
        self.samples = samples
        self.sampleRate = sampleRate
    }

    /// Length in seconds.
    public var duration: Double { Double(samples.count) / Double(sampleRate) }
}

/// Why speech could not be rendered.
public enum SpeechError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The text is empty or only whitespace.
    case emptyText
    /// The text has more characters than the limit.
    case textTooLong(length: Int, limit: Int)
    /// The text has no letter or digit (only punctuation, symbols or spaces), so there is nothing to say.
    case nothingToSpeak
    /// A setting lies outside its allowed range.
    case settingOutOfRange(name: String, value: Int, allowed: ClosedRange<Int>)
    /// espeak-ng has no voice of this name (it would otherwise silently keep the previous voice).
    case voiceNotFound(String)
    /// espeak-ng could not be initialized (for example, its data files are missing).
    case engineUnavailable(String)
    /// An espeak-ng call returned an error code.
    case engineFailed(call: String, code: Int)
    /// espeak-ng produced more audio than the text can plausibly need, so synthesis was stopped.
    case outputTooLong(seconds: Int)
    /// espeak-ng produced no audible sound for the text.
    case producedSilence

    /// A sentence saying what went wrong.
    public var description: String {
        switch self {
        case .emptyText:
            "the text to speak is empty"
        case .textTooLong(let length, let limit):
            "the text has \(length) characters; at most \(limit) can be spoken at once"
        case .nothingToSpeak:
            "the text has no letters or digits, only punctuation, symbols or spaces"
        case .settingOutOfRange(let name, let value, let allowed):
            "speech setting \(name) = \(value) is outside \(allowed.lowerBound)…\(allowed.upperBound)"
        case .voiceNotFound(let name):
            "espeak-ng has no voice named \"\(name)\""
        case .engineUnavailable(let reason):
            "espeak-ng is unavailable: \(reason)"
        case .engineFailed(let call, let code):
            "espeak-ng call \(call) failed with code \(code)"
        case .outputTooLong(let seconds):
            "espeak-ng produced over \(seconds) s of audio for this text; synthesis was stopped"
        case .producedSilence:
            "espeak-ng produced no audible speech for this text"
        }
    }
}

/// A text with its voice and settings: what is rendered, and what a cache of rendered audio is keyed by.
public struct SpeechRequest: Hashable, Sendable {
    /// The text to speak, as given.
    public var text: String
    /// The voice to speak it with.
    public var voice: Voice
    /// Rate, pitch, volume and pauses.
    public var settings: SpeechSettings

    /// The school's own words, which change what the front-end reads for a pinyin voice.
    public var school: SchoolLexicon

    /// A request to speak `text` with `voice` and `settings`, read with the school's lexicon.
    public init(
        text: String, voice: Voice, settings: SpeechSettings = SpeechSettings(), school: SchoolLexicon = SchoolLexicon()
    ) {
        self.text = text
        self.voice = voice
        self.settings = settings
        self.school = school
    }

    /// Version of this module's own processing (pause insertion, sample format, the pinyin input); bump it when the
    /// output changes. 2: Chinese reaches the voice as the front-end's pinyin, so renders of version 1 are not reused.
    static let renderFormatVersion = 2

    /// Hex SHA-256 of normalized text, voice, settings and engine version; stable across runs, pure, thread-safe.
    public var cacheKey: String {
        let text = SpeechText.normalize(text)
        let canonical: [String] = [
            "carillon-speech-cache-key",
            "format=\(Self.renderFormatVersion)",
            "engine=\(SpeechSynthesizer.engineVersion)",
            "voice=\(voice.espeakName.utf8.count):\(voice.espeakName)",
            "rate=\(settings.rate)",
            "pitch=\(settings.pitch)",
            "volume=\(settings.volume)",
            "sentencePause=\(settings.sentencePauseMilliseconds)",
            "text=\(text.utf8.count):\(text)",
        ]
        let data = Array((canonical + frontEndKey).joined(separator: "\n").utf8)
        return SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    /// For a pinyin voice, what decides the front-end's reading: its version, the shipped data and the school's words.
    private var frontEndKey: [String] {
        guard voice.readsPinyin else { return [] }
        let school = self.school.entries.map { $0.word + " " + $0.syllables.joined(separator: " ") }
            .joined(separator: "\n")
        return [
            "frontend=\(MandarinFrontEnd.version)",
            "lexicon=\(MandarinLexicon.shippedDigest)",
            "school=\(school.utf8.count):\(school)",
        ]
    }
}

/// Preparation of text for espeak-ng.
enum SpeechText {
    /// The most characters rendered in one call.
    static let maxLength = 2000

    /// Trimmed, NFC-normalized text with control characters (including espeak's embedded-command marker) as spaces.
    static func normalize(_ text: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines).precomposedStringWithCanonicalMapping
        var scalars = String.UnicodeScalarView()
        for scalar in trimmed.unicodeScalars {
            let isControl = scalar.properties.generalCategory == .control
            scalars.append(isControl && scalar != "\n" ? " " : scalar)
        }
        return String(scalars)
    }

    /// The normalized text, or an error if it is empty, too long or has nothing to say.
    static func prepare(_ text: String) throws(SpeechError) -> String {
        let normalized = normalize(text)
        if normalized.isEmpty { throw .emptyText }
        let length = normalized.count
        if length > maxLength { throw .textTooLong(length: length, limit: maxLength) }
        let speakable = normalized.unicodeScalars.contains {
            $0.properties.isAlphabetic || $0.properties.numericType != nil
        }
        if !speakable { throw .nothingToSpeak }
        return normalized
    }
}
