import CarillonProtocol
import CarillonTesting
import Foundation
import Testing

/// Live shouts through the real client: its microphone is ALSA's `file` PCM reading a tone.
@Suite("Live shout", .serialized, .ownThread)
struct ShoutTests {
    /// A rig, and a HOME whose `.asoundrc` defines the capture PCM `voicein`, which reads a 440 Hz tone.
    struct ShoutRig {
        let rig: Rig
        let home: String

        init() throws {
            rig = try Rig.start()
            let tone = WAVFile.tone(frequency: 440, seconds: 3, sampleRate: 48000, channels: 1)
            let raw = tone.withUnsafeBufferPointer { Data(buffer: $0) }
            try raw.write(to: URL(fileURLWithPath: rig.directory.file("voice.raw")))
            home = rig.directory.file("home")
            try rig.directory.write(
                "home/.asoundrc",
                """
                pcm.voicein {
                    type file
                    slave.pcm null
                    file "/dev/null"
                    infile "\(rig.directory.file("voice.raw"))"
                    format "raw"
                }
                """)
        }

        func shout(_ arguments: [String]) throws -> CommandResult {
            try run(Binaries.client, ["--socket", rig.daemon.socketPath, "shout", "--mic", "voicein"] + arguments, environment: ["HOME": home])
        }

        /// Starts a shout that runs until killed.
        func startShout() throws -> Process {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Binaries.client)
            process.arguments = ["--socket", rig.daemon.socketPath, "shout", "--mic", "voicein"]
            process.environment = ProcessInfo.processInfo.environment.merging(["HOME": home]) { $1 }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            return process
        }

        /// Waits, asking `status`, until `zone` is held or free.
        func waitForZone(_ zone: String = "main", held: Bool) throws {
            for _ in 0..<400 {
                let status = try rig.daemon.client(["status", "--json"])
                let info = try Wire.decoder().decode(StatusResult.self, from: Data(status.stdout.utf8))
                if info.zones.first(where: { $0.zone == zone }).map({ $0.sounding.isEmpty != held }) == true { return }
                usleep(25_000)
            }
            throw HarnessError("zone \(zone) did not become \(held ? "held" : "free")")
        }

        func stop() { rig.stop() }
    }

    @Test("the microphone's voice is heard in the zone, recorded to the data directory, and logged")
    func shoutIsHeard() throws {
        let s = try ShoutRig()
        defer { s.stop() }
        let result = try s.shout(["--seconds", "1"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("finished"), "\(result.stdout)")
        let samples = s.rig.capture.samples()
        let frames = samples.count / 2
        let left = Signal.channel(samples, 0, of: 2, frames: 0..<frames)
        let loud = left.indices.filter { abs(left[$0]) > 0.05 }
        let first = try #require(loud.first, "the capture holds no voice")
        let voiced = Array(left[first..<min(first + 24000, left.count)])
        #expect(Signal.amplitude(of: 440, in: voiced, sampleRate: 48000) > 0.1, "no 440 Hz tone in the capture")
        #expect(Signal.amplitude(of: 1000, in: voiced, sampleRate: 48000) < 0.02)
        // About one second of voice: 50 frames of 20 ms, give or take the jitter buffer.
        let span = Double(loud.last! - first) / 48000
        #expect(span > 0.8 && span < 1.2, "voice lasted \(span) s")
        let recordings = try FileManager.default.contentsOfDirectory(atPath: s.rig.directory.file("data/shouts"))
        #expect(recordings.count == 1 && recordings[0].hasSuffix(".flac"), "\(recordings)")
        let log = try s.rig.daemon.client(["log", "--json", "--source", "shout"])
        #expect(log.stdout.contains("\"outcome\":\"finished\""), "\(log.stdout)")
    }

    @Test("a client killed mid-shout frees its zone at once")
    func killedClient() throws {
        let s = try ShoutRig()
        defer { s.stop() }
        let client = try s.startShout()
        try s.waitForZone(held: true)
        kill(client.processIdentifier, SIGKILL)
        let killed = Date()
        client.waitUntilExit()
        try s.waitForZone(held: false)
        let log = try s.rig.daemon.client(["log", "--json", "--source", "shout"])
        let play = try Wire.decoder().decode(LoggedPlay.self, from: Data(log.stdout.split(separator: "\n")[0].utf8))
        let ended = try #require(play.endedAt)
        #expect(ended.timeIntervalSince(killed) < 1.0, "the zone was held \(ended.timeIntervalSince(killed)) s after the client died")
    }

    @Test("a second shout on a held zone is busy and names the holder; an emergency cuts the first")
    func busyAndCut() throws {
        let s = try ShoutRig()
        defer { s.stop() }
        let first = Process()
        first.executableURL = URL(fileURLWithPath: Binaries.client)
        first.arguments = ["--socket", s.rig.daemon.socketPath, "shout", "--mic", "voicein"]
        first.environment = ProcessInfo.processInfo.environment.merging(["HOME": s.home]) { $1 }
        let output = Pipe()
        first.standardOutput = output
        first.standardError = FileHandle.nullDevice
        try first.run()
        try s.waitForZone(held: true)
        let second = try s.shout(["--seconds", "1"])
        #expect(second.status == 1)
        #expect(second.stderr.contains("held by play") && second.stderr.contains("shout"), "\(second.stderr)")
        let alarm = try s.rig.daemon.client(["play", "bell.start", "--level", "emergency"])
        #expect(alarm.status == 0, "\(alarm.stderr)")
        first.waitUntilExit()
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(first.terminationStatus == 1)
        #expect(printed.contains("cut"), "\(printed)")
    }

    @Test("a shout that sends nothing for a second times out, and its connection is closed")
    func timeout() throws {
        let s = try ShoutRig()
        defer { s.stop() }
        let socket = try RawSocket(unix: s.rig.daemon.socketPath)
        #expect(socket.send("{\"id\":1,\"cmd\":\"shout\",\"args\":{}}\n"))
        let (received, closed) = socket.readAll(timeout: .seconds(20))
        #expect(received.contains("\"ok\":true"), "\(received)")
        #expect(received.contains("\"event\":\"shout.ended\"") && received.contains("\"outcome\":\"timeout\""), "\(received)")
        #expect(closed)
        try s.waitForZone(held: false)
    }

    @Test("a shout ends after 15 minutes of voice, however fast it arrives")
    func lengthLimit() throws {
        let s = try ShoutRig()
        defer { s.stop() }
        let socket = try RawSocket(unix: s.rig.daemon.socketPath)
        #expect(socket.send("{\"id\":1,\"cmd\":\"shout\",\"args\":{}}\n"))
        // `GAAA` is the Opus packet 0x18 0 0: one 60 ms SILK frame. The limit counts decoded voice,
        // so 15,100 of them (906 s) pass it. They go in batches of 100, as a sender ahead of real time
        // would send them.
        let batch = String(repeating: "GAAA\n", count: 100)
        for _ in 0..<151 {
            guard socket.send(batch) else { break }
            usleep(20_000)
        }
        let (received, closed) = socket.readAll(timeout: .seconds(60))
        #expect(received.contains("\"outcome\":\"limit\"") && received.contains("at most 15 minutes"), "\(received.suffix(300))")
        #expect(closed)
        try s.waitForZone(held: false)
    }

    @Test("a burst of voice far ahead of real time (50 s of packets at once) is read to its end, not ended by the timeout")
    func burst() throws {
        let s = try ShoutRig()
        defer { s.stop() }
        let socket = try RawSocket(unix: s.rig.daemon.socketPath)
        #expect(socket.send("{\"id\":1,\"cmd\":\"shout\",\"args\":{}}\n"))
        let accepted = socket.read(timeout: .seconds(10)).text
        #expect(accepted.contains("\"ok\":true"), "\(accepted)")
        // 5,000 packets of 80 base64 characters (a 24 kb/s voice's size): 405 KB, written as fast as
        // the socket takes them, then the end. 60 zero bytes are an Opus packet of one 10 ms SILK frame.
        let line = String(repeating: "A", count: 80) + "\n"
        var sent = 0
        for _ in 0..<50 {
            guard socket.send(String(repeating: line, count: 100)) else { break }
            sent += 100
        }
        #expect(sent == 5000 && socket.send(".\n"))
        let received = socket.readAll(until: { $0.contains("shout.ended") }, timeout: .seconds(30)).text
        #expect(received.contains("\"outcome\":\"finished\""), "\(received.suffix(300))")
        try s.waitForZone(held: false)
        // Every packet was read: the recording holds their 50 s.
        let recorded = s.rig.daemon.log_.split(separator: "\n").last { $0.contains("shout recorded") }.map(String.init) ?? ""
        #expect(recorded.contains("seconds=50"), "\(recorded)")
    }

    @Test("a shout with a codec other than Opus, or to a zone that does not exist, is refused")
    func refusals() throws {
        let s = try ShoutRig()
        defer { s.stop() }
        let socket = try RawSocket(unix: s.rig.daemon.socketPath)
        #expect(socket.send("{\"id\":1,\"cmd\":\"shout\",\"args\":{\"codec\":\"pcm\"}}\n"))
        #expect(socket.read(timeout: .seconds(10)).text.contains("invalid-arguments"))
        #expect(socket.send("{\"id\":2,\"cmd\":\"shout\",\"args\":{\"zones\":[\"roof\"]}}\n"))
        #expect(socket.read(timeout: .seconds(10)).text.contains("unknown-zone"))
    }
}
