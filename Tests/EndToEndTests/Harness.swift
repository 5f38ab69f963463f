import CarillonTesting
import Foundation

/// A daemon on a capture PCM, with one test clip in its library.
struct Rig {
    let directory: TemporaryDirectory
    let capture: CapturePCM
    let daemon: DaemonProcess
    /// The test clip's interleaved samples, as written to `library/noise.wav`.
    let clip: [Int16]

    static let rate = 48000

    /// Starts carillond with one output `main` captured to `capture.raw`; `station` and `control`
    /// are more keys for those tables.
    static func start(
        extraOutputs: String = "", clipSeconds: Double = 0.5, environment: [String: String] = [:], station: String = "", control: String = "",
        extra: String = "", catalog: String = "", prepare: (TemporaryDirectory) throws -> Void = { _ in }
    ) throws -> Rig {
        let directory = try TemporaryDirectory("carillon-e2e")
        // A rig that does not start leaves nothing behind (`make test` checks its TMPDIR is empty).
        var started = false
        defer { if !started && !Rig.keep { directory.remove() } }
        let capture = CapturePCM(path: directory.file("capture.raw"))
        let clip = WAVFile.noise(frames: Int(clipSeconds * Double(rate)), channels: 2)
        try directory.write(
            "library/catalog.toml",
            """
            [[clip]]
            id = "test.noise"
            category = "recorded"
            title = "noise"
            file = "noise.wav"

            [[clip]]
            id = "test.corrupt"
            category = "recorded"
            title = "corrupt"
            file = "corrupt.wav"

            [[clip]]
            id = "bell.start"
            category = "bell"
            title = "上课铃"
            synth = "two-tone"

            [[clip]]
            id = "chime.pre-announce"
            category = "bell"
            title = "广播提示音"
            synth = "pre-announce"

            \(catalog)
            """)
        try WAVFile.write(path: directory.file("library/noise.wav"), sampleRate: rate, channels: 2, samples: clip)
        try directory.write("library/corrupt.wav", "RIFF\u{0}\u{0}\u{0}\u{0}WAVEnot really audio")
        let config = capture.daemonConfig(station: (keep ? "log_level = \"debug\"\n" : "") + station, control: control)
            + "\n\(extraOutputs)\n\(extra)\n"
        try prepare(directory)
        let daemon = try DaemonProcess(config: config, in: directory, environment: environment)
        started = true
        return Rig(directory: directory, capture: capture, daemon: daemon, clip: clip)
    }

    /// An `[[output]]` table named `name` whose device captures to `path` (`@DIR@` allowed), for `extraOutputs`.
    static func output(_ name: String, capturingTo path: String) -> String {
        """
        [[output]]
        name = "\(name)"
        device = "\(name)cap"
        alsa_conf = '''
        \(CapturePCM(name: name + "cap", path: path).alsaConfig)
        '''
        """
    }

    /// `CARILLON_KEEP=1`: the daemon logs at debug level, and its directory (config, database,
    /// captures, `daemon.log`) is kept for a look after the test.
    static var keep: Bool { ProcessInfo.processInfo.environment["CARILLON_KEEP"] == "1" }

    func stop() {
        daemon.stop()
        if Rig.keep {
            print("kept \(directory.path)")
        } else {
            directory.remove()
        }
    }
}
