@_spi(Fuzzing) import CarillonSpeech
import Foundation

/// Any bytes as the WAV an external voice writes (`WAVReader`, ExternalVoice's parser). What it
/// accepts has a supported rate and only finite samples in [-1, 1].
enum WAVCheck {
    static func run(_ input: [UInt8]) throws(FuzzFinding) {
        let audio: SpeechAudio
        do { audio = try WAVReader.read(Data(input)) } catch {
            _ = error.description
            return
        }
        guard (8000...192_000).contains(audio.sampleRate) else { throw FuzzFinding("accepted a rate of \(audio.sampleRate) Hz") }
        guard audio.samples.allSatisfy({ $0.isFinite && $0 >= -1 && $0 <= 1 }) else {
            throw FuzzFinding("a sample is not a number in [-1, 1]")
        }
    }
}

/// Any UTF-8 text through the Mandarin front-end (`MandarinFrontEnd.read`), as a `say` request, a
/// plan's `say` step and every shipped text go. Every syllable the voice gets is valid pinyin with
/// a tone, and what is not read is reported, never a trap.
enum SpeechCheck {
    static let frontEnd = MandarinFrontEnd()

    static func run(_ input: [UInt8]) throws(FuzzFinding) {
        // The daemon refuses a `say` past its limit before the front-end; the front-end itself must
        // hold any length, but the fuzzer's time is better spent on shapes than on length.
        let text = String(decoding: input.prefix(4096), as: UTF8.self)
        let spoken = frontEnd.read(text)
        if let bad = spoken.pinyin.first(where: { !Pinyin.isValid($0) }) {
            throw FuzzFinding("\(text.debugDescription) gave the syllable \(bad.debugDescription)")
        }
    }
}
