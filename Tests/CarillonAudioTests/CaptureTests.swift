import CarillonAudio
import CarillonTesting
import Foundation
import Testing

/// Capture from ALSA's `file` PCM: with `infile`, a capture stream reads its samples from that file.
///
/// What the plugin needs, found by experiment with alsa-lib 1.2.8:
/// - a slave to pace and shape the stream: `null` accepts any format, rate and channels and never
///   blocks, so reads return as fast as they are made, not in real time;
/// - `file` as well as `infile`: the plugin refuses to open without an output file ("file is not
///   defined"), even for capture; `/dev/null` does;
/// - `format "raw"`: the infile is read as raw frames in whatever format the stream was configured
///   for, so it must be written in that format (S16_LE mono here, which `ALSACapture` asks for first);
/// - past the infile's end, reads still report full success but leave the buffer unfilled.
///   A missing infile fails the open with ENOENT.
@Suite("Capture from an ALSA PCM", .ownThread)
struct CaptureTests {
    private static let mono48 = AudioFormat(sampleRate: 48000, channels: 1)

    /// A capture PCM `name` reading S16_LE frames from `infile`.
    private func filePCM(_ name: String, infile: String) -> String {
        """
        pcm.\(name) {
            type file
            slave.pcm null
            file "/dev/null"
            infile "\(infile)"
            format "raw"
        }
        """
    }

    private func writeRaw(_ samples: [Int16], to path: String) throws {
        let data = samples.withUnsafeBufferPointer { Data(buffer: $0) }
        try data.write(to: URL(fileURLWithPath: path))
    }

    @Test("read returns the infile's audio sample for sample, in 20 ms reads, then silence past its end")
    func readsInfile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("in.raw")
        let tone = WAVFile.tone(frequency: 440, seconds: 1, sampleRate: 48000, channels: 1)
        try writeRaw(tone, to: path)

        let capture = try ALSACapture(device: "voicein", alsaConfig: filePCM("voicein", infile: path))
        #expect(capture.format == Self.mono48)
        var audio: [Float] = []
        for _ in 0..<50 {
            let chunk = try capture.read(frames: 960)
            #expect(chunk.count == 960)
            audio += chunk
        }
        #expect(audio == tone.map { Float($0) / 32768 })
        let at440 = Signal.amplitude(of: 440, in: audio, sampleRate: 48000)
        #expect(abs(at440 - 0.5) < 0.01, "the tone's level: \(at440)")
        #expect(capture.overruns == 0)

        let past = try capture.read(frames: 960)
        #expect(past.count == 960 && past.allSatisfy { $0 == 0 }, "nothing after the infile's end")

        capture.close()
        #expect(throws: AudioError("capture device \"voicein\" is closed")) { try capture.read(frames: 960) }
        capture.close()
    }

    @Test("a plug PCM converts a 16 kHz source to the 48 kHz mono the capture asks for")
    func plugConverts() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("in16.raw")
        try writeRaw(WAVFile.tone(frequency: 440, seconds: 1, sampleRate: 16000, channels: 1), to: path)
        let config =
            filePCM("mic16", infile: path) + """

                pcm.voicein {
                    type plug
                    slave { pcm mic16; rate 16000; format S16_LE; channels 1 }
                }
                """
        let capture = try ALSACapture(device: "voicein", alsaConfig: config)
        let audio = try capture.read(frames: 48000)
        #expect(audio.count == 48000)
        // ALSA's linear rate converter steps in fixed point, so the pitch comes out a little off
        // (about 0.1 %): count cycles rather than demand the exact frequency.
        let middle = Array(audio[12000..<36000])
        #expect(abs(Signal.risingCrossings(middle) - 220) <= 1, "440 Hz over half a second")
        #expect(abs(Signal.rms(middle) - 0.5 / 2.squareRoot()) < 0.01, "level kept: rms \(Signal.rms(middle))")
    }

    @Test("a device that cannot be opened is an error that names it")
    func missingDevice() throws {
        #expect(
            throws: AudioError(
                "cannot open ALSA capture device \"nosuch\": No such file or directory"
                    + " (no such PCM, no sound card, or a file it names is missing)")
        ) { try ALSACapture(device: "nosuch") }

        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let missing = filePCM("voicein", infile: directory.file("absent.raw"))
        let error = #expect(throws: AudioError.self) { try ALSACapture(device: "voicein", alsaConfig: missing) }
        #expect(error?.message.hasPrefix("cannot open ALSA capture device \"voicein\"") == true)

        #expect(throws: AudioError.self) { try ALSACapture(device: "voicein", alsaConfig: "pcm.voicein { type") }
    }
}
