import CarillonAudio
import CarillonCore
import CarillonSpeech
import CarillonStation
import CarillonTesting
import CarillonTOML
import Foundation
import Synchronization
import Testing

@Suite("[speech]: the school lexicon and an external voice")
struct SpeechConfigTests {
    private func parse(_ text: String, in directory: TemporaryDirectory) throws -> StationConfig {
        try StationConfig.parse(Array(text.utf8), file: directory.file("carillon.toml"))
    }

    @Test func lexiconAndCommandAreRead() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("lexicon.txt", "# 学校的名字\n明德楼 ming2 de2 lou2\n")
        let config = try parse(
            "[speech]\nlexicon = \"lexicon.txt\"\ncommand = [\"bin/tts\", \"--zh\"]\ninput = \"pinyin\"\ntimeout = 5\n",
            in: directory)
        #expect(config.speech.lexiconFile == directory.file("lexicon.txt"))
        #expect(config.speech.school.entries.map(\.word) == ["明德楼"])
        #expect(config.speech.externalVoice?.command == [directory.file("bin/tts"), "--zh"])
        #expect(config.speech.externalVoice?.input == .pinyin)
        #expect(config.speech.externalVoice?.timeout == .seconds(5))
        #expect(try parse("", in: directory).speech.externalVoice == nil, "espeak-ng by default")
    }

    @Test func badLexiconLinesAreConfigErrorsAtTheirOwnLine() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("lexicon.txt", "明德楼 ming2 de2 lou2\n向阳 xiang4 yang7\n乐园 le4\n")
        #expect {
            try parse("[speech]\nlexicon = \"lexicon.txt\"\n", in: directory)
        } throws: { error in
            guard let error = error as? ConfigError else { return false }
            let lines = error.errors.map(\.description)
            return lines.count == 2 && lines[0].hasPrefix(directory.file("lexicon.txt") + ":2:")
                && lines[1].hasPrefix(directory.file("lexicon.txt") + ":3:")
        }
    }

    @Test func badValuesAreRefused() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        for bad in ["input = \"ipa\"", "timeout = 0", "command = []", "lexicon = \"missing.txt\"", "voice = \"x\""] {
            #expect(throws: ConfigError.self, "\(bad)") { try parse("[speech]\n\(bad)\n", in: directory) }
        }
    }
}

@Suite("Renderer with an external voice")
struct ExternalVoiceRendererTests {
    /// What a renderer reported, from whichever thread rendered.
    final class Reports: Sendable {
        private let list = Mutex<[String]>([])
        func append(_ report: String) { list.withLock { $0.append(report) } }
        var count: Int { list.withLock { $0.count } }
    }

    /// A renderer whose external voice runs `body` as a shell script, and what it reported.
    private func renderer(_ body: String, in directory: TemporaryDirectory) throws -> (Renderer, Reports) {
        try directory.writeExecutable("tts", "#!/bin/sh\n" + body + "\n")
        var speech = SpeechConfig()
        speech.externalVoice = ExternalVoice(command: [directory.file("tts")], timeout: .seconds(1))
        let reports = Reports()
        let renderer = Renderer(
            cacheDirectory: directory.file("cache"), loudnessTarget: -18, speech: speech,
            report: { problem in reports.append(problem) })
        return (renderer, reports)
    }

    @Test func aHangingGarbledOrFailingVoiceFallsBackToEspeakAndIsReported() throws {
        for body in ["exec sleep 30", "cat >/dev/null; echo garbage", "exit 2"] {
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let (renderer, reports) = try renderer(body, in: directory)
            let audio = try renderer.speak("请同学们有序离开教室。", voice: "zh")
            #expect(audio.frameCount > audio.format.sampleRate, "espeak-ng spoke instead (\(body))")
            #expect(reports.count == 1, "\(body)")
        }
    }

    @Test func aFallbackRenderIsCachedApartFromTheVoicesOwn() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (renderer, reports) = try renderer("exit 1", in: directory)
        let clip = Clip(id: "msg.test", category: .message, title: "t", source: .speech(text: "请注意安全。", voice: "zh"))
        let path = try renderer.file(for: clip)
        #expect(FileManager.default.fileExists(atPath: path))
        #expect(renderer.cachedFile(for: clip) == path)
        #expect(reports.count == 1)
        let plain = Renderer(cacheDirectory: directory.file("cache"), loudnessTarget: -18)
        #expect(plain.cachedFile(for: clip) == path, "the fallback is espeak-ng's own render")
        #expect(try renderer.file(for: clip) == path)
        #expect(reports.count == 1, "a cached fallback does not run the voice again")
    }
}
