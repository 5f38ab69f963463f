import CarillonControl
import CarillonProtocol
import CarillonTesting
import Foundation
import Testing

/// A school with two devices: `east` drives two zones on its two channels, `west` is one zone.
struct School {
    let directory: TemporaryDirectory
    let east: CapturePCM
    let west: CapturePCM
    let daemon: DaemonProcess
    static let rate = 48000

    static func start(extraConfig: String = "") throws -> School {
        let directory = try TemporaryDirectory("carillon-zones")
        let east = CapturePCM(name: "east_cap", path: directory.file("east.raw"))
        let west = CapturePCM(name: "west_cap", path: directory.file("west.raw"))
        try FileManager.default.createDirectory(atPath: directory.file("library"), withIntermediateDirectories: true)
        func tone(_ name: String, _ frequency: Double, _ seconds: Double, rate: Int = 48000, channels: Int = 1) throws {
            try WAVFile.write(
                path: directory.file("library/\(name).wav"), sampleRate: rate, channels: channels,
                samples: WAVFile.tone(frequency: frequency, seconds: seconds, sampleRate: rate, channels: channels, amplitude: 0.4))
        }
        // Long clips are cut or stopped by the tests: however slowly a loaded machine runs them,
        // they are still sounding when the next request arrives.
        try tone("speech", 440, 30)
        try tone("bell", 1000, 1)
        try tone("music", 300, 30)
        try tone("low", 1000, 1, rate: 22050)
        try tone("voice", 660, 30)
        try directory.write("library/broken.wav", "RIFF....WAVEnot audio at all")
        try directory.write(
            "library/catalog.toml",
            """
            [[clip]]
            id = "test.speech"
            category = "recorded"
            title = "440 Hz"
            file = "speech.wav"
            [[clip]]
            id = "test.bell"
            category = "bell"
            title = "1 kHz"
            file = "bell.wav"
            [[clip]]
            id = "test.music"
            category = "culture"
            title = "300 Hz"
            file = "music.wav"
            [[clip]]
            id = "test.low"
            category = "recorded"
            title = "1 kHz at 22.05 kHz mono"
            file = "low.wav"
            [[clip]]
            id = "test.voice"
            category = "recorded"
            title = "660 Hz"
            file = "voice.wav"
            [[clip]]
            id = "alarm.broken"
            category = "alarm"
            title = "an alarm whose file is unreadable"
            file = "broken.wav"
            """)
        let daemon = try DaemonProcess(
            config: """
                [station]
                data_dir = "@DIR@/data"
                [control]
                socket = "@DIR@/control.sock"
                [library]
                dir = "@DIR@/library"
                [[output]]
                name = "east"
                device = "east_cap"
                alsa_conf = '''
                \(east.alsaConfig)
                '''
                [[output]]
                name = "west"
                device = "west_cap"
                alsa_conf = '''
                \(west.alsaConfig)
                '''
                [[zone]]
                name = "teaching"
                output = "east"
                channels = [0]
                [[zone]]
                name = "dormitory"
                output = "east"
                channels = [1]
                \(extraConfig)
                """, in: directory)
        return School(directory: directory, east: east, west: west, daemon: daemon)
    }

    func stop() {
        daemon.stop()
        directory.remove()
    }

    func control<T>(_ body: (ControlConnection) async throws -> T) async throws -> T {
        try await ControlConnection.with(.unixDomainSocket(path: daemon.socketPath), body)
    }
}

extension ControlConnection {
    func play(_ clip: String, _ zones: [String], level: String? = nil) async throws -> PlayInfo {
        try await call(.play, PlayArgs(clip: clip, zones: zones, level: level), returning: PlayInfo.self)
    }

    func outcome(_ play: PlayInfo) async throws -> PlayOutcome {
        try await call(.wait, WaitArgs(play: play.play), returning: PlayOutcome.self)
    }
}

@Suite("Zones and priority levels, heard on the capture", .ownThread)
struct ZoneTests {
    @Test("a bell cuts an announcement: the announcement fades out within 50 ms of the bell's first sample")
    func bellCutsAnnouncement() async throws {
        let school = try School.start()
        defer { school.stop() }
        let (speech, bell) = try await school.control { control in
            let speech = try await control.play("test.speech", ["teaching"])
            let bell = try await control.play("test.bell", ["teaching"])
            return (try await control.outcome(speech), try await control.outcome(bell))
        }
        #expect(speech.outcome == "cut")
        #expect(speech.detail?.contains("play \(bell.play) (test.bell, bell)") == true, "\(speech.detail ?? "")")
        #expect(bell.outcome == "finished")
        let bellZone = try #require(bell.zones.first)
        let speechZone = try #require(speech.zones.first)
        let bellStart = Int(try #require(bellZone.firstFrame))
        let speechStart = Int(try #require(speechZone.firstFrame))
        // The announcement's last sample is within 50 ms of the bell's first.
        let speechEnd = speechStart + speechZone.frames
        #expect(speechEnd - bellStart <= School.rate / 20, "cut took \(speechEnd - bellStart) frames")
        try school.east.waitForSize((bellStart + 48000) * 4)
        let captured = school.east.samples()
        let before = Signal.channel(captured, 0, of: 2, frames: max(speechStart, bellStart - 2400)..<bellStart)
        let after = Signal.channel(captured, 0, of: 2, frames: (bellStart + 2400)..<(bellStart + 24000))
        if bellStart - speechStart >= 2400 {
            #expect(Signal.amplitude(of: 440, in: before, sampleRate: School.rate) > 0.3, "the announcement was heard")
        }
        #expect(Signal.amplitude(of: 440, in: after, sampleRate: School.rate) < 0.001, "and then it was gone")
        #expect(Signal.amplitude(of: 1000, in: after, sampleRate: School.rate) > 0.35, "the bell rang in its place")
        // The dormitory, on the other channel of the same device, heard nothing.
        #expect(Signal.rms(Signal.channel(captured, 1, of: 2, frames: speechStart..<(bellStart + 24000))) == 0)
    }

    @Test("an emergency cuts a shout within one buffer")
    func emergencyCutsShout() async throws {
        let school = try School.start()
        defer { school.stop() }
        let (shout, alarm) = try await school.control { control in
            let shout = try await control.play("test.voice", ["west"], level: "shout")
            let alarm = try await control.play("test.bell", ["west"], level: "emergency")
            return (try await control.outcome(shout), try await control.outcome(alarm))
        }
        #expect(shout.outcome == "cut")
        let alarmStart = Int(try #require(alarm.zones.first?.firstFrame))
        let shoutEnd = Int(try #require(shout.zones.first?.firstFrame)) + (shout.zones.first?.frames ?? 0)
        // One buffer is 30 ms: the shout's fade ends inside it.
        #expect(shoutEnd - alarmStart <= 48000 * 30 / 1000, "shout ended \(shoutEnd - alarmStart) frames after the alarm began")
        try school.west.waitForSize((alarmStart + 24000) * 4)
        let after = Signal.channel(school.west.samples(), 0, of: 2, frames: (alarmStart + 1440)..<(alarmStart + 24000))
        #expect(Signal.amplitude(of: 660, in: after, sampleRate: School.rate) < 0.001)
        #expect(Signal.amplitude(of: 1000, in: after, sampleRate: School.rate) > 0.35)
    }

    @Test("a second shout in a zone is refused as busy, naming who holds it")
    func shoutBusy() async throws {
        let school = try School.start()
        defer { school.stop() }
        try await school.control { control in
            let first = try await control.play("test.voice", ["west"], level: "shout")
            let reply = try await control.send(
                Data(#"{"id":9,"cmd":"play","args":{"clip":"test.voice","zones":["west"],"level":"shout"}}"#.utf8))
            let head = try Wire.decoder().decode(ResponseHead.self, from: reply)
            #expect(head.error?.code == .busy)
            #expect(head.error?.message == "west held by play \(first.play) (test.voice, shout)")
            _ = try await control.call(.stop, StopArgs(play: first.play), returning: StopResult.self)
        }
    }

    @Test("background is ducked by 12 dB under an announcement and restored after")
    func duckAndRestore() async throws {
        let school = try School.start()
        defer { school.stop() }
        let (music, speech) = try await school.control { control in
            let music = try await control.play("test.music", ["west"], level: "background")
            // 0.2 s of music at full level first, to measure it against.
            try FileWatch.wait(for: school.west.path, timeout: .seconds(20)) {
                let samples = school.west.samples()
                guard let first = samples.firstIndex(where: { $0 != 0 }) else { return false }
                return samples.count >= first + 9600 * 2
            }
            let speech = try await control.play("test.bell", ["west"], level: "announcement")
            let spoken = try await control.outcome(speech)
            // Let the music play on, restored, for 0.4 s after the announcement before stopping it.
            let end = Int(spoken.zones.first?.firstFrame ?? 0) + (spoken.zones.first?.frames ?? 0)
            try school.west.waitForSize((end + 19200) * 4)
            _ = try await control.call(.stop, StopArgs(play: music.play), returning: StopResult.self)
            return (try await control.outcome(music), spoken)
        }
        #expect(speech.outcome == "finished")
        #expect(music.outcome == "stopped")
        let speechStart = Int(try #require(speech.zones.first?.firstFrame))
        let musicStart = Int(try #require(music.zones.first?.firstFrame))
        let speechEnd = speechStart + (speech.zones.first?.frames ?? 0)
        try school.west.waitForSize((speechEnd + 19200) * 4)
        let captured = school.west.samples()
        func level(_ range: Range<Int>) -> Double {
            Signal.amplitude(of: 300, in: Signal.channel(captured, 0, of: 2, frames: range), sampleRate: School.rate)
        }
        // Before: as recorded. Under the announcement, after the 80 ms ramp: 12 dB down. After: back.
        #expect(musicStart + 9600 <= speechStart)
        let full = level((musicStart + 2400)..<(musicStart + 9600))
        let ducked = level((speechStart + 9600)..<(speechEnd - 2400))
        let restored = level((speechEnd + 9600)..<(speechEnd + 19200))
        #expect(abs(full - 0.4) < 0.01, "full level \(full)")
        #expect(abs(Signal.dB(ducked / full) + 12) < 0.5, "ducked by \(Signal.dB(ducked / full)) dB")
        #expect(abs(Signal.dB(restored / full)) < 0.2, "restored to \(Signal.dB(restored / full)) dB")
    }

    @Test("two zones on two devices play different clips at the same time")
    func twoDevices() async throws {
        let school = try School.start()
        defer { school.stop() }
        let (east, west) = try await school.control { control in
            let east = try await control.play("test.speech", ["teaching"])
            let west = try await control.play("test.voice", ["west"])
            let status = try await control.call(.status, Empty(), returning: StatusResult.self)
            #expect(status.zones.first { $0.zone == "teaching" }?.sounding == [east.play])
            #expect(status.zones.first { $0.zone == "west" }?.sounding == [west.play])
            #expect(status.zones.first { $0.zone == "dormitory" }?.sounding == [])
            // A second of both, then stop them.
            for capture in [school.east, school.west] {
                try FileWatch.wait(for: capture.path, timeout: .seconds(20)) {
                    let samples = capture.samples()
                    guard let first = samples.firstIndex(where: { $0 != 0 }) else { return false }
                    return samples.count >= first + 2 * 48000
                }
            }
            _ = try await control.call(.stop, StopArgs(), returning: StopResult.self)
            return (try await control.outcome(east), try await control.outcome(west))
        }
        #expect(east.outcome == "stopped" && west.outcome == "stopped")
        let eastStart = Int(try #require(east.zones.first?.firstFrame))
        let westStart = Int(try #require(west.zones.first?.firstFrame))
        let eastAudio = Signal.channel(school.east.samples(), 0, of: 2, frames: (eastStart + 4800)..<(eastStart + 43200))
        let westAudio = Signal.channel(school.west.samples(), 0, of: 2, frames: (westStart + 4800)..<(westStart + 43200))
        #expect(Signal.amplitude(of: 440, in: eastAudio, sampleRate: School.rate) > 0.35)
        #expect(Signal.amplitude(of: 660, in: eastAudio, sampleRate: School.rate) < 0.001)
        #expect(Signal.amplitude(of: 660, in: westAudio, sampleRate: School.rate) > 0.35)
        #expect(Signal.amplitude(of: 440, in: westAudio, sampleRate: School.rate) < 0.001)
    }

    @Test("a 22.05 kHz mono clip comes out at 48 kHz stereo with the right duration and pitch")
    func conversion() async throws {
        let school = try School.start()
        defer { school.stop() }
        let outcome = try await school.control { control in
            try await control.outcome(try await control.play("test.low", ["west"]))
        }
        let zone = try #require(outcome.zones.first)
        #expect(abs(zone.frames - 48000) <= 2, "1 s at 22.05 kHz is 1 s at 48 kHz: \(zone.frames) frames")
        let start = Int(try #require(zone.firstFrame))
        try school.west.waitForSize((start + 48000) * 4)
        let captured = school.west.samples()
        let left = Signal.channel(captured, 0, of: 2, frames: (start + 12000)..<(start + 36000))
        let right = Signal.channel(captured, 1, of: 2, frames: (start + 12000)..<(start + 36000))
        #expect(left == right)
        #expect(abs(Signal.risingCrossings(left) - 500) <= 1, "1 kHz: \(Signal.risingCrossings(left)) cycles in 0.5 s")
    }

    @Test("an alarm clip that cannot be read still sounds: a synthesized alarm stands in")
    func alarmStandsIn() async throws {
        let school = try School.start()
        defer { school.stop() }
        let outcome = try await school.control { control in
            let alarm = try await control.play("alarm.broken", ["west"], level: "emergency")
            // Let a second of it sound, then stop it.
            try FileWatch.wait(for: school.west.path, timeout: .seconds(20)) {
                let samples = school.west.samples()
                guard let first = samples.firstIndex(where: { $0 != 0 }) else { return false }
                return samples.count >= first + 2 * 48000
            }
            _ = try await control.call(.stop, StopArgs(play: alarm.play), returning: StopResult.self)
            return try await control.outcome(alarm)
        }
        #expect(outcome.outcome == "stopped")
        let start = Int(try #require(outcome.zones.first?.firstFrame))
        let first = Signal.channel(school.west.samples(), 0, of: 2, frames: start..<(start + 24000))
        // ISO 8201: the first 0.5 s of the evacuation alarm is a 520 Hz tone, brought to the library's
        // loudness: the raw synthesized tone was louder than 0.3 (about 11 dB above the library).
        let amplitude = Signal.amplitude(of: 520, in: first, sampleRate: School.rate)
        #expect(amplitude > 0.1 && amplitude < 0.3, "\(amplitude)")
        #expect(school.daemon.log_.contains("synthesized alarm stands in"))
    }
}
