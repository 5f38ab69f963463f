import CarillonControl
import CarillonLoudness
import CarillonProtocol
import CarillonTesting
import Foundation
import Testing

@Suite("The library through the daemon", .ownThread)
struct LibraryEndToEndTests {
    @Test("a catalog edited while the daemon was down is in force at the next start, unchanged ones are read back, a broken one stops it")
    func catalogEditedWhileDown() throws {
        let rig = try Rig.start()
        defer { rig.directory.remove() }
        let catalog = rig.directory.file("library/catalog.toml")
        let config = try String(contentsOfFile: rig.daemon.configPath, encoding: .utf8)
        #expect(rig.daemon.stop() == 0)
        let original = try String(contentsOfFile: catalog, encoding: .utf8)
        let added = "\n[[clip]]\nid = \"bell.added\"\ncategory = \"bell\"\ntitle = \"added while down\"\nsynth = \"two-tone\"\n"
        try (original + added).write(toFile: catalog, atomically: true, encoding: .utf8)
        func listed() throws -> String {
            let daemon = try DaemonProcess(config: config, in: rig.directory)
            defer { daemon.stop() }
            return try daemon.client(["library", "list"]).stdout
        }
        #expect(try listed().contains("bell.added"), "the edit is noticed")
        #expect(try listed().contains("bell.added"), "unchanged files: the clips read back from the database")

        try original.replacingOccurrences(of: "category = \"recorded\"", with: "category = \"gong\"")
            .write(toFile: catalog, atomically: true, encoding: .utf8)
        let refused = try run(Binaries.daemon, ["--config", rig.daemon.configPath])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("unknown category `gong`"), "\(refused.stderr)")

        try original.write(toFile: catalog, atomically: true, encoding: .utf8)
        let list = try listed()
        #expect(!list.contains("bell.added") && list.contains("test.noise"), "the clip removed while down is gone")
    }

    @Test("imports refuse random bytes named .flac, a truncated WAV, an empty file and a directory, and leave nothing behind")
    func badImports() throws {
        let rig = try Rig.start()
        defer { rig.stop() }
        let dir = rig.directory
        try Data((0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) }).write(to: URL(fileURLWithPath: dir.file("random.flac")))
        try WAVFile.write(
            path: dir.file("whole.wav"), sampleRate: 48000, channels: 2, samples: WAVFile.noise(frames: 48000, channels: 2))
        let whole = try Data(contentsOf: URL(fileURLWithPath: dir.file("whole.wav")))
        try whole.prefix(whole.count / 3).write(to: URL(fileURLWithPath: dir.file("truncated.wav")))
        try Data().write(to: URL(fileURLWithPath: dir.file("empty.wav")))
        try FileManager.default.createDirectory(atPath: dir.file("recorded.anthem.wav"), withIntermediateDirectories: true)

        // Rendered first: the list shows a synthesized clip's length once its render is cached.
        _ = try rig.daemon.client(["library", "render"])
        let before = try rig.daemon.client(["library", "list"]).stdout
        let result = try rig.daemon.client([
            "library", "import", dir.file("random.flac"), dir.file("truncated.wav"), dir.file("empty.wav"),
            dir.file("recorded.anthem.wav"),
        ])
        #expect(result.status == 1)
        #expect(result.stderr.contains("random.flac: the file is not audio that Carillon can read"), "\(result.stderr)")
        #expect(result.stderr.contains("truncated.wav: the file is truncated: its WAV header promises 192000 bytes"))
        #expect(result.stderr.contains("empty.wav is empty"))
        #expect(result.stderr.contains("recorded.anthem.wav is a directory, not an audio file"))
        #expect(result.stdout.isEmpty, "nothing was imported")
        let after = try rig.daemon.client(["library", "list"])
        #expect(after.status == 0 && after.stdout == before, "the catalog is unchanged")
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: dir.file("data/uploads"))) ?? []
        #expect(leftovers.isEmpty, "no upload left behind: \(leftovers)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("data/recordings")))
    }

    @Test("two recordings 12 dB apart play back within 1 LU of each other, and a second import of one is refused")
    func loudnessNormalization() async throws {
        let rig = try Rig.start()
        defer { rig.stop() }
        let dir = rig.directory
        for (name, amplitude) in [("loud", 0.5), ("quiet", 0.5 / 3.981)] {
            try WAVFile.write(
                path: dir.file("\(name).wav"), sampleRate: 48000, channels: 2,
                samples: WAVFile.tone(frequency: 500, seconds: 3, sampleRate: 48000, channels: 2, amplitude: amplitude))
        }
        let imported = try rig.daemon.client([
            "library", "import", dir.file("loud.wav"), dir.file("quiet.wav"), "--json",
        ])
        #expect(imported.status == 0, "\(imported.stderr)")
        let results = try imported.stdout.split(separator: "\n").map {
            try Wire.decoder().decode(ImportResult.self, from: Data($0.utf8))
        }
        try #require(results.count == 2)
        #expect(abs((results[0].loudness - results[1].loudness) - 12) < 0.1, "measured 12 LU apart")

        // Play each and measure what reached ALSA.
        var captured: [Double] = []
        for result in results {
            let outcome = try await ControlConnection.with(.unixDomainSocket(path: rig.daemon.socketPath)) { control in
                let play = try await control.call(.play, PlayArgs(clip: result.clip.id), returning: PlayInfo.self)
                return try await control.call(.wait, WaitArgs(play: play.play), returning: PlayOutcome.self)
            }
            let zone = try #require(outcome.zones.first)
            let start = Int(try #require(zone.firstFrame))
            try rig.capture.waitForSize((start + zone.frames) * 4)
            let samples = rig.capture.samples()[(start * 2)..<((start + zone.frames) * 2)].map { Float($0) / 32768 }
            captured.append(try Loudness.measure(samples: samples, channels: 2, sampleRate: 48000).integratedLoudness)
        }
        #expect(abs(captured[0] - captured[1]) < 1, "captured \(captured) LUFS")
        #expect(abs(captured[0] - (-18)) < 1, "at the library's target of -18 LUFS: \(captured[0])")

        let again = try rig.daemon.client(["library", "import", dir.file("quiet.wav")])
        #expect(again.status == 1)
        #expect(again.stderr.contains("quiet.wav is already in the library as `\(results[1].clip.id)`"), "\(again.stderr)")
    }

    @Test("at most eight uploads are open at once, and a restart removes what they and cut-off renders left")
    func uploadLimit() throws {
        let rig = try Rig.start()
        defer { rig.stop() }
        for index in 0..<8 {
            let opened = try rig.daemon.client(["request", "library.upload", #"{"name": "../../x\#(index).fl/ac", "size": 1000}"#])
            #expect(opened.status == 0 && opened.stdout.contains("\"upload\""), "\(opened.stdout)\(opened.stderr)")
        }
        let ninth = try rig.daemon.client(["request", "library.upload", #"{"name": "x.flac", "size": 1000}"#])
        #expect(ninth.status == 1 && ninth.stdout.contains("\"busy\""), "\(ninth.stdout)")
        let uploads = rig.directory.file("data/uploads")
        #expect(try FileManager.default.contentsOfDirectory(atPath: uploads).count == 8)
        // Every file stays inside the uploads directory, whatever name the client gave.
        #expect(try FileManager.default.contentsOfDirectory(atPath: uploads).allSatisfy { $0.hasSuffix(".part") && !$0.contains("/") })
        kill(rig.daemon.process.processIdentifier, SIGKILL)
        rig.daemon.process.waitUntilExit()
        // A render cut off by the kill, as it would be left.
        let cutOff = rig.directory.file("data/cache/synth/bell.start-0123456789abcdef.wav.1B4E28BA-2FA1-11D2-883F-0016D3CCA427.partial")
        try rig.directory.write("data/cache/synth/bell.start-0123456789abcdef.wav.1B4E28BA-2FA1-11D2-883F-0016D3CCA427.partial", "RIFF")
        let again = try DaemonProcess(config: String(contentsOfFile: rig.daemon.configPath, encoding: .utf8), in: rig.directory)
        defer { again.stop() }
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: uploads)) ?? []).isEmpty, "the uploads are swept at start")
        #expect(!FileManager.default.fileExists(atPath: cutOff), "a render's temporary is swept at start")
        #expect(try again.client(["request", "library.upload", #"{"name": "x.flac", "size": 1000}"#]).status == 0)
    }

    @Test("say reads text after the chime; over-long text is refused")
    func say() throws {
        let rig = try Rig.start()
        defer { rig.stop() }
        let said = try rig.daemon.client(["say", "发现火情，要立即拨打119报警。", "--wait", "--json"])
        #expect(said.status == 0, "\(said.stderr)")
        let lines = said.stdout.split(separator: "\n")
        let outcome = try Wire.decoder().decode(PlayOutcome.self, from: Data(lines.last!.utf8))
        #expect(outcome.outcome == "finished")
        let zone = try #require(outcome.zones.first)
        // The chime (about 2 s), a pause, then a few seconds of speech.
        #expect(zone.frames > 48000 * 3 && zone.frames < 48000 * 20, "\(zone.frames) frames")
        let start = Int(try #require(zone.firstFrame))
        try rig.capture.waitForSize((start + zone.frames) * 4)
        let speech = Signal.channel(rig.capture.samples(), 0, of: 2, frames: (start + zone.frames - 48000)..<(start + zone.frames))
        #expect(Signal.rms(speech) > 0.01, "the last second is speech, not silence")

        let long = try rig.daemon.client(["say", String(repeating: "请注意安全。", count: 60)])
        // An argument out of range is a usage mistake (PROTOCOL.md, "The command-line client").
        #expect(long.status == 2)
        #expect(long.stderr.contains("`say` reads at most 300"))
    }
}
