import Foundation
import Testing

@testable import CarillonSpeech

/// Root mean square of `samples`.
private func rms(_ samples: some Collection<Float>) -> Double {
    guard !samples.isEmpty else { return 0 }
    return (samples.reduce(0) { $0 + Double($1) * Double($1) } / Double(samples.count)).squareRoot()
}

/// The share of 20 ms frames whose RMS exceeds `threshold`.
private func voicedShare(_ audio: SpeechAudio, threshold: Double = 0.02) -> Double {
    let frame = audio.sampleRate / 50
    let frames = stride(from: 0, to: audio.samples.count - frame + 1, by: frame).map {
        rms(audio.samples[$0..<$0 + frame])
    }
    return Double(frames.filter { $0 > threshold }.count) / Double(max(frames.count, 1))
}

private let fireTip = "发现火情，要立即拨打119报警。"

@Suite("Speech rendering with espeak-ng")
struct SpeechRenderingTests {
    let synthesizer: SpeechSynthesizer

    init() throws {
        synthesizer = try SpeechSynthesizer()
    }

    @Test func chineseTipRendersAsSpeechOfPlausibleLength() throws {
        let audio = try synthesizer.render(fireTip, voice: .zh, settings: SpeechSettings())
        #expect(audio.sampleRate == 22050)
        #expect(audio.duration > 1.5 && audio.duration < 15, "duration \(audio.duration) s")
        #expect(rms(audio.samples) > 0.03, "RMS \(rms(audio.samples))")
        #expect(voicedShare(audio) > 0.5, "voiced share \(voicedShare(audio))")
        #expect(audio.samples.allSatisfy { $0 >= -1 && $0 <= 1 })
    }

    @Test func englishRendersAsSpeech() throws {
        let audio = try synthesizer.render(
            "In case of fire, call one one nine and leave the building.", voice: .en, settings: SpeechSettings())
        #expect(audio.duration > 1.5 && audio.duration < 15, "duration \(audio.duration) s")
        #expect(rms(audio.samples) > 0.03)
        #expect(voicedShare(audio) > 0.5)
    }

    @Test func slowerRateGivesLongerSpeech() throws {
        let slow = try synthesizer.render(fireTip, voice: .zh, settings: SpeechSettings(rate: 100))
        let fast = try synthesizer.render(fireTip, voice: .zh, settings: SpeechSettings(rate: 300))
        #expect(slow.duration > fast.duration * 1.5)
    }

    @Test func sentencePauseAddsSilenceAtEachSentenceBoundary() throws {
        let text = "请注意。马上离开教室。到操场集合。"  // Three sentences, two boundaries.
        let tight = try synthesizer.render(text, voice: .zh, settings: SpeechSettings(sentencePauseMilliseconds: 0))
        let spaced = try synthesizer.render(text, voice: .zh, settings: SpeechSettings(sentencePauseMilliseconds: 500))
        // espeak's pitch flutter shifts timing by a few milliseconds between renders (see the determinism tests).
        #expect(abs(spaced.duration - tight.duration - 1.0) < 0.05, "added \(spaced.duration - tight.duration) s")
    }

    @Test func unknownVoiceThrowsNamingIt() {
        #expect(throws: SpeechError.voiceNotFound("xx-no-such-voice")) {
            try synthesizer.render(fireTip, voice: Voice(espeakName: "xx-no-such-voice"), settings: SpeechSettings())
        }
        #expect(throws: SpeechError.voiceNotFound("")) {
            try synthesizer.render(fireTip, voice: Voice(espeakName: ""), settings: SpeechSettings())
        }
    }

    @Test func unknownVoiceVariantThrowsInsteadOfBeingIgnored() throws {
        // espeak-ng accepts "en+nosuch" with EE_OK and quietly uses plain "en".
        #expect(throws: SpeechError.voiceNotFound("en+nosuch")) {
            try synthesizer.render("Fire drill.", voice: Voice(espeakName: "en+nosuch"))
        }
        #expect(try synthesizer.render("Fire drill.", voice: Voice(espeakName: "en+michel")).duration > 0.3)
        #expect(try synthesizer.render("Fire drill.", voice: Voice(espeakName: "en+3")).duration > 0.3)
    }

    @Test func failedVoiceSwitchDoesNotLeakIntoTheNextRender() throws {
        let before = try synthesizer.render("Fire drill.", voice: .en)
        _ = try? synthesizer.render("Fire drill.", voice: Voice(espeakName: "xx-no-such-voice"))
        let after = try synthesizer.render("Fire drill.", voice: .en)
        #expect(abs(after.duration - before.duration) < 0.05)
    }

    @Test func emptyTextThrows() {
        #expect(throws: SpeechError.emptyText) { try synthesizer.render("", voice: .zh) }
        #expect(throws: SpeechError.emptyText) { try synthesizer.render(" \n\t　", voice: .zh) }
    }

    @Test func overLongTextThrows() {
        let text = String(repeating: "火", count: SpeechSynthesizer.maxTextLength + 1)
        #expect(throws: SpeechError.textTooLong(length: 2001, limit: 2000)) {
            try synthesizer.render(text, voice: .zh)
        }
    }

    @Test func punctuationOnlyTextThrowsInsteadOfRenderingNothing() {
        for text in ["。！？", "……", "?!.", "——*#", "🔥🔥"] {
            #expect(throws: SpeechError.nothingToSpeak, "\(text)") { try synthesizer.render(text, voice: .zh) }
        }
    }

    @Test func outOfRangeSettingsThrowNamingTheSetting() {
        let cases: [(SpeechSettings, String, Int)] = [
            (SpeechSettings(rate: 79), "rate", 79),
            (SpeechSettings(rate: 451), "rate", 451),
            (SpeechSettings(pitch: -1), "pitch", -1),
            (SpeechSettings(pitch: 101), "pitch", 101),
            (SpeechSettings(volume: 0), "volume", 0),
            (SpeechSettings(volume: 201), "volume", 201),
            (SpeechSettings(sentencePauseMilliseconds: -5), "sentencePauseMilliseconds", -5),
        ]
        for (settings, name, value) in cases {
            #expect {
                try synthesizer.render(fireTip, voice: .zh, settings: settings)
            } throws: { error in
                guard case .settingOutOfRange(let thrownName, let thrownValue, _) = error as? SpeechError else {
                    return false
                }
                return thrownName == name && thrownValue == value
            }
        }
    }

    @Test func controlCharactersAreSpokenAsSpaces() throws {
        // U+0001 starts an embedded command in espeak-ng; it must not reach the engine.
        let audio = try synthesizer.render("Fire\u{1}drill.", voice: .en)
        #expect(audio.duration > 0.3)
    }
}

/// Determinism: espeak-ng 1.51 carries wavegen state from one utterance to the next — the pitch-flutter table
/// index (a function-local static in `AdvanceParameters`) and the cycle counter behind "roughness". Renders of
/// one text within a process therefore differ by a few milliseconds and are not bit-identical; a fresh process
/// repeats the same sequence. Voices without flutter and roughness render bit-identically.
@Suite("Speech determinism")
struct SpeechDeterminismTests {
    let synthesizer: SpeechSynthesizer

    init() throws {
        synthesizer = try SpeechSynthesizer()
    }

    @Test func rendersOfOneTextAgreeInLengthAndLevel() throws {
        let first = try synthesizer.render(fireTip, voice: .zh)
        let second = try synthesizer.render(fireTip, voice: .zh)
        #expect(abs(first.duration - second.duration) < 0.03, "\(first.duration) s vs \(second.duration) s")
        let levelDifference = 20 * log10(rms(first.samples) / rms(second.samples))
        #expect(abs(levelDifference) < 0.5, "\(levelDifference) dB")
    }

    @Test func voiceWithoutFlutterOrRoughnessRendersBitIdentically() throws {
        // The `michel` variant sets `flutter 0` and `roughness 0`, removing the state carried between utterances.
        let steady = Voice(espeakName: "cmn-latn-pinyin+michel")
        let first = try synthesizer.render(fireTip, voice: steady)
        _ = try synthesizer.render("下课了，请同学们有序离开教室。", voice: .zh)  // Advances espeak's carried state.
        let second = try synthesizer.render(fireTip, voice: steady)
        #expect(first == second)
    }
}

@Suite("Speech cache keys")
struct SpeechCacheKeyTests {
    @Test func keyIsStableAndHex() {
        let request = SpeechRequest(text: fireTip, voice: .zh)
        #expect(request.cacheKey == SpeechRequest(text: fireTip, voice: .zh).cacheKey)
        #expect(request.cacheKey.count == 64)
        #expect(request.cacheKey.allSatisfy { $0.isHexDigit && !$0.isUppercase })
    }

    @Test func keyChangesWithTextVoiceAndEverySetting() {
        let base = SpeechRequest(text: fireTip, voice: .zh)
        var variants = [base]
        variants.append(SpeechRequest(text: "发现火情，要立即拨打119报警！", voice: .zh))
        variants.append(SpeechRequest(text: fireTip, voice: .en))
        variants.append(SpeechRequest(text: fireTip, voice: .zh, settings: SpeechSettings(rate: 151)))
        variants.append(SpeechRequest(text: fireTip, voice: .zh, settings: SpeechSettings(pitch: 51)))
        variants.append(SpeechRequest(text: fireTip, voice: .zh, settings: SpeechSettings(volume: 101)))
        variants.append(
            SpeechRequest(text: fireTip, voice: .zh, settings: SpeechSettings(sentencePauseMilliseconds: 201)))
        #expect(Set(variants.map(\.cacheKey)).count == variants.count)
    }

    @Test func keyIgnoresWhatRenderingIgnores() {
        let key = SpeechRequest(text: "Fire drill.", voice: .en).cacheKey
        #expect(SpeechRequest(text: "  Fire drill.\n", voice: .en).cacheKey == key)
        // "é" precomposed and decomposed are the same text.
        #expect(
            SpeechRequest(text: "caf\u{E9}", voice: .en).cacheKey
                == SpeechRequest(text: "cafe\u{301}", voice: .en).cacheKey)
    }

    @Test func keyIncludesTheEngineVersion() {
        #expect(SpeechSynthesizer.engineVersion.hasPrefix("espeak-ng "))
        #expect(SpeechSynthesizer.engineVersion.count > "espeak-ng ".count)
    }
}
