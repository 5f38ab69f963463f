public import CarillonAudio
public import CarillonCore
import CarillonLoudness
public import CarillonSpeech
import CarillonSynth
import Foundation

/// Renders synthesized and spoken clips into the cache, normalized to one loudness, so that a
/// tip sounds as loud as a bell or a recording.
///
/// Blocking; safe from any thread (speech is serialized inside the synthesizer).
public final class Renderer: Sendable {
    public let cacheDirectory: String
    /// Integrated loudness every rendered clip is brought to, in LUFS.
    public let loudnessTarget: Double
    private let speech: SpeechSynthesizer?
    private let speechFailure: String?
    /// The Mandarin front-end, with the school's lexicon: every Chinese text is read through it.
    public let frontEnd: MandarinFrontEnd
    /// A school's licensed voice for Chinese, tried before espeak-ng.
    private let externalVoice: ExternalVoice?
    /// Where a failed external voice is reported (the daemon logs it); called on the rendering thread.
    private let report: @Sendable (String) -> Void

    /// A renderer caching under `cacheDirectory`; `speech` brings the school lexicon and an external voice.
    public init(
        cacheDirectory: String, loudnessTarget: Double, speech config: SpeechConfig = SpeechConfig(),
        report: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.cacheDirectory = cacheDirectory
        self.loudnessTarget = loudnessTarget
        self.frontEnd = MandarinFrontEnd(school: config.school)
        self.externalVoice = config.externalVoice
        self.report = report
        do {
            speech = try SpeechSynthesizer()
            speechFailure = nil
        } catch {
            speech = nil
            speechFailure = "\(error)"
        }
    }

    /// The cached file of a synthesized or spoken clip, rendered first when missing or when `force`.
    public func file(for clip: Clip, force: Bool = false) throws(AudioError) -> String {
        switch clip.source {
        case .file(let path):
            return path
        case .synth(let name, let parameters):
            let path = path(for: clip)
            if !force && FileManager.default.fileExists(atPath: path) { return path }
            let sound: SynthSound
            do { sound = try SynthSound(name: name, parameters: parameters) } catch {
                throw AudioError("clip \(clip.id): \(error)")
            }
            try write(Synth.render(sound, sampleRate: 48000), rate: 48000, to: path)
            return path
        case .speech(let text, let voice):
            let request = request(text, voice)
            if !force, let cached = cachedFile(for: clip) { return cached }
            if let external = external(for: voice) {
                // The school's voice first; on any failure espeak-ng speaks, and its render is cached apart.
                do {
                    let audio = try external.render(frontEnd.read(text))
                    try write(audio.samples, rate: audio.sampleRate, to: speechPath(request, external: external))
                    return speechPath(request, external: external)
                } catch {
                    report("clip \(clip.id): \(error); espeak-ng speaks it instead")
                }
            }
            let audio = try speak(request)
            try write(audio.samples, rate: audio.sampleRate, to: speechPath(request, external: nil))
            return speechPath(request, external: nil)
        }
    }

    /// The cached render of a synthesized or spoken clip, if it is there (for speech: the external voice's, else
    /// espeak-ng's fallback); the file of a recording.
    public func cachedFile(for clip: Clip) -> String? {
        let path = self.path(for: clip)
        if FileManager.default.fileExists(atPath: path) { return path }
        if case .speech(let text, let voice) = clip.source, external(for: voice) != nil {
            let fallback = speechPath(request(text, voice), external: nil)
            if FileManager.default.fileExists(atPath: fallback) { return fallback }
        }
        return nil
    }

    /// Where a clip's audio is, or will be once rendered.
    func path(for clip: Clip) -> String {
        switch clip.source {
        case .file(let path): path
        case .synth(let name, let parameters):
            "\(cacheDirectory)/synth/\(clip.id)-"
                + Library.cacheKey("synth|\(name)|\(parameters.sorted { $0.key < $1.key })|48000|\(loudnessTarget)|v2") + ".wav"
        case .speech(let text, let voice):
            speechPath(request(text, voice), external: external(for: voice))
        }
    }

    /// The cache file of a spoken text; its key holds the front-end's version and the school lexicon (in the
    /// request's key) and the external voice's command, so a render made another way is never reused.
    private func speechPath(_ request: SpeechRequest, external: ExternalVoice?) -> String {
        let voiceKey = external.map { "|external=\($0.command.joined(separator: "\u{1}"))|\($0.input.rawValue)" } ?? ""
        return "\(cacheDirectory)/speech/"
            + Library.cacheKey("speech|\(request.cacheKey)|\(loudnessTarget)|v1" + voiceKey) + ".wav"
    }

    private func request(_ text: String, _ voice: String) -> SpeechRequest {
        SpeechRequest(text: text, voice: voice == "en" ? .en : .zh, settings: SpeechSettings(), school: frontEnd.school)
    }

    /// The external voice, for Chinese only: English stays with espeak-ng.
    private func external(for voice: String) -> ExternalVoice? { voice == "en" ? nil : externalVoice }

    /// Renders text to speech, normalized, in memory: for `say` and plan messages. The external voice is tried
    /// first when there is one; its failure is reported and espeak-ng speaks.
    public func speak(_ text: String, voice: String) throws(AudioError) -> PCMBuffer {
        let request = request(text, voice)
        var audio: SpeechAudio?
        if let external = external(for: voice) {
            do { audio = try external.render(frontEnd.read(text)) } catch {
                report("say: \(error); espeak-ng speaks it instead")
            }
        }
        let spoken: SpeechAudio
        if let audio { spoken = audio } else { spoken = try speak(request) }
        return PCMBuffer(format: AudioFormat(sampleRate: spoken.sampleRate, channels: 1), samples: normalized(spoken.samples, rate: spoken.sampleRate))
    }

    private func speak(_ request: SpeechRequest) throws(AudioError) -> SpeechAudio {
        guard let speech else { throw AudioError("speech is unavailable: \(speechFailure ?? "unknown error")") }
        do {
            return try speech.render(request.text, voice: request.voice, settings: request.settings, frontEnd: frontEnd)
        } catch { throw AudioError("cannot speak: \(error)") }
    }

    /// Brings mono samples to the loudness target, never past −1 dBTP.
    func normalized(_ samples: [Float], rate: Int) -> [Float] {
        guard let report = try? Loudness.measure(samples: samples, channels: 1, sampleRate: rate),
            let gain = try? Loudness.gain(toReach: loudnessTarget, from: report)
        else { return samples }
        let linear = Float(pow(10, gain / 20))
        return samples.map { $0 * linear }
    }

    private func write(_ samples: [Float], rate: Int, to path: String) throws(AudioError) {
        let directory = (path as NSString).deletingLastPathComponent
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw AudioError("cannot create \(directory): \(error.localizedDescription)")
        }
        let buffer = PCMBuffer(format: AudioFormat(sampleRate: rate, channels: 1), samples: normalized(samples, rate: rate))
        try buffer.writeWAV(to: path)
    }
}
