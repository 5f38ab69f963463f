public import CarillonAudio
public import CarillonCore
import CarillonLoudness
import CarillonSpeech
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

    public init(cacheDirectory: String, loudnessTarget: Double) {
        self.cacheDirectory = cacheDirectory
        self.loudnessTarget = loudnessTarget
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
            let request = Self.request(text, voice)
            let path = path(for: clip)
            if !force && FileManager.default.fileExists(atPath: path) { return path }
            let audio = try speak(request)
            try write(audio.samples, rate: audio.sampleRate, to: path)
            return path
        }
    }

    /// The cached render of a synthesized or spoken clip, if it is there; the file of a recording.
    public func cachedFile(for clip: Clip) -> String? {
        let path = self.path(for: clip)
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// Where a clip's audio is, or will be once rendered.
    func path(for clip: Clip) -> String {
        switch clip.source {
        case .file(let path): path
        case .synth(let name, let parameters):
            "\(cacheDirectory)/synth/\(clip.id)-"
                + Library.cacheKey("synth|\(name)|\(parameters.sorted { $0.key < $1.key })|48000|\(loudnessTarget)|v2") + ".wav"
        case .speech(let text, let voice):
            "\(cacheDirectory)/speech/"
                + Library.cacheKey("speech|\(Self.request(text, voice).cacheKey)|\(loudnessTarget)|v1") + ".wav"
        }
    }

    private static func request(_ text: String, _ voice: String) -> SpeechRequest {
        SpeechRequest(text: text, voice: voice == "en" ? .en : .zh, settings: SpeechSettings())
    }

    /// Renders text to speech, normalized, in memory: for `say`.
    public func speak(_ text: String, voice: String) throws(AudioError) -> PCMBuffer {
        let audio = try speak(Self.request(text, voice))
        return PCMBuffer(format: AudioFormat(sampleRate: audio.sampleRate, channels: 1), samples: normalized(audio.samples, rate: audio.sampleRate))
    }

    private func speak(_ request: SpeechRequest) throws(AudioError) -> SpeechAudio {
        guard let speech else { throw AudioError("speech is unavailable: \(speechFailure ?? "unknown error")") }
        do { return try speech.render(request) } catch { throw AudioError("cannot speak: \(error)") }
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
