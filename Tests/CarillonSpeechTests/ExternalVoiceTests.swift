import CarillonTesting
import Foundation
import Testing

@_spi(Fuzzing) @testable import CarillonSpeech

/// A WAV of a 440 Hz tone: what a working external voice writes.
private func toneWAV(seconds: Double = 0.5, rate: Int = 16000) -> Data {
    let count = Int(seconds * Double(rate))
    var data = Data("RIFF".utf8)
    func le32(_ v: Int) { withUnsafeBytes(of: UInt32(v).littleEndian) { data.append(contentsOf: $0) } }
    func le16(_ v: Int) { withUnsafeBytes(of: UInt16(v).littleEndian) { data.append(contentsOf: $0) } }
    le32(36 + count * 2)
    data.append(contentsOf: Array("WAVEfmt ".utf8))
    le32(16); le16(1); le16(1); le32(rate); le32(rate * 2); le16(2); le16(16)
    data.append(contentsOf: Array("data".utf8))
    le32(count * 2)
    for i in 0..<count { le16(Int(Int16(sin(Double(i) * 2 * .pi * 440 / Double(rate)) * 12000)) & 0xFFFF) }
    return data
}

/// A temporary directory for one test (CarillonTesting's), with the script a test runs as its voice.
private struct Scratch {
    let directory: TemporaryDirectory
    init() throws { directory = try TemporaryDirectory("carillon-voice") }
    func file(_ name: String) -> URL { URL(fileURLWithPath: directory.file(name)) }
    func remove() { directory.remove() }

    /// A shell script here; returns its path.
    func script(_ body: String) throws -> String {
        try directory.writeExecutable("voice", "#!/bin/sh\n" + body + "\n")
        return directory.file("voice")
    }
}

@Suite("External voice")
struct ExternalVoiceTests {
    let spoken = MandarinFrontEnd().read("请注意，地震。")

    @Test func aWorkingVoiceGetsTheTextOrThePinyinAndItsWAVIsUsed() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let wav = scratch.file("tone.wav")
        try toneWAV().write(to: wav)
        let seen = wav.path + ".in"
        let voice = try scratch.script("cat > '\(seen)'; cat '\(wav.path)'")
        let audio = try ExternalVoice(command: [voice], input: .text).render(spoken)
        #expect(audio.sampleRate == 16000)
        #expect(abs(audio.duration - 0.5) < 0.01)
        #expect(try String(contentsOfFile: seen, encoding: .utf8) == "请注意，地震。")
        _ = try ExternalVoice(command: [voice], input: .pinyin).render(spoken)
        #expect(try String(contentsOfFile: seen, encoding: .utf8) == "qing3 zhu4 yi4, di4 zhen4。")
    }

    @Test func aVoiceThatHangsIsKilledAtTheTimeout() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let voice = try scratch.script("exec sleep 30")
        let clock = ContinuousClock()
        let start = clock.now
        #expect(throws: ExternalVoiceError.timedOut(seconds: 1)) {
            try ExternalVoice(command: [voice], timeout: .seconds(1)).render(spoken)
        }
        #expect(clock.now - start < .seconds(10))
    }

    @Test func garbageIsRefused() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let voice = try scratch.script("cat > /dev/null; echo 'this is not a wav'")
        #expect {
            try ExternalVoice(command: [voice]).render(spoken)
        } throws: { error in
            guard case .badOutput = error as? ExternalVoiceError else { return false }
            return true
        }
    }

    @Test func aNonZeroExitIsRefusedEvenWithAudio() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let wav = scratch.file("tone.wav")
        try toneWAV().write(to: wav)
        let voice = try scratch.script("cat '\(wav.path)'; exit 3")
        #expect(throws: ExternalVoiceError.failed(status: 3, signalled: false)) {
            try ExternalVoice(command: [voice]).render(spoken)
        }
    }

    @Test func aMissingProgramCannotStart() {
        #expect {
            try ExternalVoice(command: ["/nonexistent/tts"]).render(spoken)
        } throws: { error in
            guard case .cannotStart = error as? ExternalVoiceError else { return false }
            return true
        }
    }

    @Test func aVoiceThatNeverReadsItsInputStillFinishes() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let wav = scratch.file("tone.wav")
        try toneWAV().write(to: wav)
        let voice = try scratch.script("exec cat '\(wav.path)'")
        let long = MandarinFrontEnd().read(String(repeating: "请注意安全。", count: 2000))
        #expect(try ExternalVoice(command: [voice], timeout: .seconds(10)).render(long).duration > 0.4)
    }

    @Test func streamedWAVWithUnknownSizesIsRead() throws {
        var wav = toneWAV()
        wav.replaceSubrange(4..<8, with: [0xFF, 0xFF, 0xFF, 0xFF])
        wav.replaceSubrange(40..<44, with: [0xFF, 0xFF, 0xFF, 0xFF])
        #expect(abs(try WAVReader.read(wav).duration - 0.5) < 0.01)
    }
}

@Suite("External voice: the wrapper docs/SPEECH.md shows")
struct ExternalVoiceWrapperTests {
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/espeak-ng")))
    func espeakNGsCommandLineAsAnExternalVoice() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.directory.writeExecutable(
            "carillon-voice", "#!/bin/sh\nexec espeak-ng -v cmn-latn-pinyin -s 150 --stdout --stdin\n")
        let path = scratch.directory.file("carillon-voice")
        // espeak-ng writes to a pipe without going back to fix the RIFF sizes.
        let audio = try ExternalVoice(command: [path], input: .pinyin).render(MandarinFrontEnd().read("地震，请立即就地避险。"))
        #expect(audio.sampleRate == 22050)
        #expect(audio.duration > 1 && audio.duration < 10, "\(audio.duration) s")
    }
}
