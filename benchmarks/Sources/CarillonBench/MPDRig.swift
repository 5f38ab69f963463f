import CarillonTesting
import Foundation
import Glibc

/// Debian's Music Player Daemon on the same kind of capture PCM, with the same probe under it,
/// bound to loopback and to a socket in its own directory.
final class MPDRig {
    let directory: TemporaryDirectory
    let probe: ProbeLog
    let capture: CaptureWatch
    let socket: String
    private(set) var process = Process()
    private let probeLibrary: String

    /// - Parameter music: its music directory; the bench's clips are linked into it.
    init(probeLibrary: String, music: String, port: Int) throws {
        self.probeLibrary = probeLibrary
        directory = try TemporaryDirectory("mpd-bench")
        Leftovers.made(directory)
        socket = directory.file("mpd.sock")
        let pcm = CapturePCM(path: directory.file("capture.raw"))
        // MPD reads ALSA's configuration from $HOME/.asoundrc; it gets a home of its own.
        try directory.write(".asoundrc", pcm.alsaConfig)
        try directory.write(
            "mpd.conf",
            """
            music_directory "\(music)"
            db_file "\(directory.file("mpd.db"))"
            log_file "\(directory.file("mpd.log"))"
            bind_to_address "\(socket)"
            bind_to_address "127.0.0.1"
            port "\(port)"
            zeroconf_enabled "no"
            max_connections "300"
            audio_output {
                type "alsa"
                name "capture"
                device "\(pcm.name)"
                mixer_type "none"
            }
            audio_output {
                type "null"
                name "clock"
                sync "yes"
                enabled "no"
            }
            """)
        probe = ProbeLog(path: directory.file("probe.log"))
        capture = CaptureWatch(path: pcm.path)
    }

    var pid: Int32 { process.processIdentifier }

    /// Starts MPD; returns milliseconds from the spawn to its greeting on the socket.
    @discardableResult
    func start() throws -> Double {
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/mpd")
        process.arguments = ["--no-daemon", directory.file("mpd.conf")]
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = directory.path
        environment.merge(probeEnvironment(library: probeLibrary, log: probe.path, pace: true)) { $1 }
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        unlink(socket)
        let t0 = monotonic()
        try process.run()
        Leftovers.started(process.processIdentifier)
        let connection = try LineSocket.waitFor(path: socket)
        guard let greeting = try connection.readLine(), greeting.hasPrefix("OK MPD") else {
            throw HarnessError("mpd did not greet")
        }
        return milliseconds(from: t0, to: monotonic())
    }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
        }
        Leftovers.stopped(process.processIdentifier)
    }

    func remove() {
        stop()
        capture.stop()
        directory.remove()
        Leftovers.removed(directory)
    }

    /// A connection, past the greeting.
    func connect() throws -> LineSocket {
        let connection = try LineSocket(path: socket)
        _ = try connection.readLine()
        return connection
    }

    /// Which output plays: the capture PCM under the probe's emulated card (output 0, for every
    /// latency series), or the `null` output with `sync "yes"` alone (output 1): paced by MPD's own
    /// timer, as a user without a card would run it, and with no probe waking it.
    func use(clock: Bool) throws {
        try connect().mpd("command_list_begin\n\(clock ? "enableoutput 1\ndisableoutput 0" : "enableoutput 0\ndisableoutput 1")\ncommand_list_end")
    }

    /// Rescans the music directory and waits for the end; returns the seconds it took.
    func update() throws -> Double {
        let control = try connect()
        let t0 = monotonic()
        try control.mpd("update")
        while try control.mpd("status").contains(where: { $0.hasPrefix("updating_db:") }) { usleep(10_000) }
        return Double(monotonic() - t0) / 1e9
    }

    /// MPD's nearest operations to a carillond trigger: `play` of a queued song when stopped, and
    /// `clear`, `add`, `play` in one command list over a song that plays (`condition == .clip`).
    func triggers(condition: Condition, runs: Int, warmups: Int = 3) throws -> Series {
        let control = try connect()
        let flood = condition == .flood ? Flood(socket: socket, clients: 50) : nil
        defer { _ = flood?.stop() }
        if flood != nil { usleep(500_000) }
        var series = Series()
        for run in 0..<(runs + warmups) {
            try control.mpd("clear")
            if condition == .clip {
                try control.mpd("command_list_begin\nadd quiet.wav\nrepeat 1\nsingle 1\nplay\ncommand_list_end")
                usleep(300_000)
            } else {
                try control.mpd("add loud.wav")
                usleep(20_000)
            }
            probe.drain()
            let command = condition == .clip ? "command_list_begin\nclear\nadd loud.wav\nplay\ncommand_list_end" : "play"
            let t0 = monotonic()
            try control.mpd(command)
            guard let onset = probe.next(after: t0) else { throw HarnessError("mpd run \(run): no onset written to ALSA") }
            if run >= warmups {
                series.probe.append(milliseconds(from: t0, to: onset.mono))
                // The paced probe is MPD's device: the onset is heard behind what it held.
                if let ahead = onset.queuedAhead { series.heard.append(series.probe.last! + Double(ahead) / 1000) }
            }
            try control.mpd("command_list_begin\nstop\nrepeat 0\nsingle 0\ncommand_list_end")
            usleep(60_000)
        }
        series.floodRate = flood?.stop()
        return series
    }
}
