import CEspeakNG
import Synchronization

/// Text to speech with in-process libespeak-ng; thread-safe, as all instances share one lock over espeak's global state.
public final class SpeechSynthesizer: Sendable {
    /// The most characters one `render` call accepts.
    public static let maxTextLength = SpeechText.maxLength

    /// espeak-ng's version, such as `espeak-ng 1.51`; part of every cache key. Thread-safe, does not block.
    public static let engineVersion: String = "espeak-ng " + String(cString: espeak_Info(nil))

    /// Samples per second of all rendered audio (22050 for espeak-ng).
    public let sampleRate: Int

    /// Initializes espeak-ng on first use in the process; blocks briefly (milliseconds) and is thread-safe.
    public init() throws(SpeechError) {
        sampleRate = try engine.withLock { state throws(SpeechError) in try state.start() }
    }

    /// Renders `text` to mono samples; blocks (~20 ms for a 30-character tip; keep it off the concurrency pool); thread-safe.
    ///
    /// For a pinyin voice (`Voice.zh`), the text goes through `frontEnd` first and the voice gets its pinyin.
    public func render(
        _ text: String, voice: Voice, settings: SpeechSettings = SpeechSettings(),
        frontEnd: MandarinFrontEnd = MandarinFrontEnd()
    ) throws(SpeechError) -> SpeechAudio {
        try settings.validate()
        var prepared = try SpeechText.prepare(text)
        if voice.readsPinyin {
            let spoken = frontEnd.read(prepared)
            guard !spoken.pinyin.isEmpty else { throw .nothingToSpeak }
            prepared = spoken.voiceInput
        }
        let voiceName = voice.espeakName
        guard !voiceName.isEmpty, voiceName.utf8.count < 40, !voiceName.utf8.contains(0) else {
            throw .voiceNotFound(voiceName)
        }
        return try engine.withLock { state throws(SpeechError) -> SpeechAudio in
            let rate = try state.start()
            return try EspeakEngine.synthesize(prepared, voice: voiceName, settings: settings, sampleRate: rate)
        }
    }

    /// Renders a request; the same as `render(_:voice:settings:)`, blocking and thread-safe likewise.
    public func render(_ request: SpeechRequest) throws(SpeechError) -> SpeechAudio {
        try render(
            request.text, voice: request.voice, settings: request.settings,
            frontEnd: MandarinFrontEnd(school: request.school))
    }
}

/// The process-wide espeak-ng state; only touched with `engine` locked.
private let engine = Mutex(EspeakEngine())

/// Whether espeak-ng has been initialized, and the synthesis itself.
struct EspeakEngine: ~Copyable {
    private var sampleRate: Int?

    init() {}

    /// Initializes espeak-ng once (synchronous mode, audio through the callback) and returns its sample rate.
    mutating func start() throws(SpeechError) -> Int {
        if let sampleRate { return sampleRate }
        // DONT_EXIT: without it espeak-ng calls exit() when its data files are missing.
        let rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, nil, espeakINITIALIZE_DONT_EXIT)
        guard rate > 0 else {
            throw .engineUnavailable("espeak_Initialize returned \(rate); are the espeak-ng-data files installed?")
        }
        espeak_SetSynthCallback(synthCallback)
        sampleRate = Int(rate)
        return Int(rate)
    }

    /// Synthesizes prepared text; the caller holds the lock and has started the engine.
    static func synthesize(_ text: String, voice: String, settings: SpeechSettings, sampleRate: Int) throws(SpeechError)
        -> SpeechAudio
    {
        // A missing voice would silently keep the previous one, so the return code matters.
        let voiceStatus = espeak_SetVoiceByName(voice)
        guard voiceStatus == EE_OK else { throw .voiceNotFound(voice) }
        // An unknown `+variant` is ignored with EE_OK; the current voice's identifier shows whether it loaded.
        if let plus = voice.firstIndex(of: "+") {
            let loaded = espeak_GetCurrentVoice()?.pointee.identifier.map { String(cString: $0) } ?? ""
            guard loaded.lowercased().hasSuffix("+" + variantFileName(voice[voice.index(after: plus)...])) else {
                throw .voiceNotFound(voice)
            }
        }

        // espeak-ng keeps parameters between calls, so set each one every time. Punctuation and capitals are
        // left at their defaults (none announced): espeak-ng 1.51 reports an error when they are set at all.
        let parameters: [(String, espeak_PARAMETER, Int)] = [
            ("rate", espeakRATE, settings.rate),
            ("volume", espeakVOLUME, settings.volume),
            ("pitch", espeakPITCH, settings.pitch),
            ("range", espeakRANGE, 50),
            ("wordgap", espeakWORDGAP, 0),
        ]
        for (name, parameter, value) in parameters {
            let status = espeak_SetParameter(parameter, Int32(value), 0)
            guard status == EE_OK else {
                throw .engineFailed(call: "espeak_SetParameter(\(name))", code: Int(status.rawValue))
            }
        }

        // Pinyin takes about four letters a syllable, so the limit stays generous for it too.
        let limitSeconds = 60 + 2 * text.count
        let collector = SynthCollector(maxSamples: limitSeconds * sampleRate)
        let context = Unmanaged.passUnretained(collector).toOpaque()
        let status = withExtendedLifetime(collector) {
            text.withCString { bytes in
                espeak_Synth(
                    bytes, text.utf8.count + 1, 0, POS_CHARACTER, 0, UInt32(espeakCHARS_UTF8), nil, context)
            }
        }
        if collector.overflowed { throw .outputTooLong(seconds: limitSeconds) }
        guard status == EE_OK else { throw .engineFailed(call: "espeak_Synth", code: Int(status.rawValue)) }

        let pause = settings.sentencePauseMilliseconds * sampleRate / 1000
        let samples = collector.floatSamples(pausing: pause)
        // About -60 dBFS: anything quieter is not speech (espeak says nothing for some symbol-only input).
        guard samples.contains(where: { abs($0) > 0.001 }) else { throw .producedSilence }
        return SpeechAudio(samples: samples, sampleRate: sampleRate)
    }
}

/// The variant file a `+variant` suffix loads: a name as given, or a number as espeak maps it (1–9 `m`n, 11+ `f`n−10).
private func variantFileName(_ variant: Substring) -> String {
    guard let number = Int(variant), number > 0 else { return variant.lowercased() }
    return number < 10 ? "m\(number)" : "f\(number - 10)"
}

/// espeak-ng's synth callback; a C function cannot capture, so its collector arrives as the events' `user_data`.
private func synthCallback(
    _ wave: UnsafeMutablePointer<Int16>?, _ count: Int32, _ events: UnsafeMutablePointer<espeak_EVENT>?
) -> Int32 {
    guard let events, let context = events.pointee.user_data else { return 1 }  // 1 aborts synthesis.
    let collector = Unmanaged<SynthCollector>.fromOpaque(context).takeUnretainedValue()
    return collector.receive(wave, Int(count), events) ? 0 : 1
}

/// Gathers one synthesis' samples and sentence starts; used only under the lock, on the synthesizing thread.
private final class SynthCollector {
    private var samples: [Int16] = []
    private var sentenceStarts: [Int] = []
    private let maxSamples: Int
    private(set) var overflowed = false

    init(maxSamples: Int) {
        self.maxSamples = maxSamples
    }

    /// Takes one block of audio and its events; false stops synthesis.
    func receive(_ wave: UnsafeMutablePointer<Int16>?, _ count: Int, _ events: UnsafeMutablePointer<espeak_EVENT>)
        -> Bool
    {
        var event = events
        while event.pointee.type != espeakEVENT_LIST_TERMINATED {
            // `sample` counts from the start of this message in synchronous mode.
            if event.pointee.type == espeakEVENT_SENTENCE { sentenceStarts.append(Int(event.pointee.sample)) }
            event += 1
        }
        if let wave, count > 0 {
            samples.append(contentsOf: UnsafeBufferPointer(start: wave, count: count))
        }
        if samples.count > maxSamples {
            overflowed = true
            return false
        }
        return true
    }

    /// The samples as floats, with `pause` zero samples inserted at every sentence start but the first.
    func floatSamples(pausing pause: Int) -> [Float] {
        var cuts: [Int] = []
        if pause > 0 {
            // Several empty sentences can start at one sample; pause there once.
            for start in Set(sentenceStarts) where start > 0 && start < samples.count {
                cuts.append(quietPoint(before: start))
            }
            cuts.sort()
        }
        var out = [Float]()
        out.reserveCapacity(samples.count + cuts.count * pause)
        var from = 0
        for cut in cuts + [samples.count] {
            for sample in samples[from..<cut] { out.append(Float(sample) / 32768) }
            if cut < samples.count { out.append(contentsOf: repeatElement(0, count: pause)) }
            from = cut
        }
        return out
    }

    /// `index` if the signal is silent there (espeak ends its sentence pause exactly at the sentence event),
    /// else the nearest silent point up to 50 ms earlier, so inserted silence cannot click.
    private func quietPoint(before index: Int) -> Int {
        let earliest = max(1, index - 1100)
        var candidate = index
        while candidate >= earliest {
            if abs(Int(samples[candidate - 1])) <= 1 && abs(Int(samples[candidate])) <= 1 { return candidate }
            candidate -= 1
        }
        return index
    }
}
