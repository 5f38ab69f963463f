public import Foundation

/// The commands of protocol version 1, by wire name.
public enum CommandName: String, Sendable, CaseIterable {
    case hello, status, play, stop, wait
}

/// `hello`: negotiates the protocol version. Optional on the UNIX socket.
public struct HelloArgs: Sendable, Codable, Hashable {
    /// The versions the client speaks; the server picks the highest it shares.
    public var protocols: [Int]
    /// The client's name and version, for the log.
    public var client: String?

    public init(protocols: [Int] = [protocolVersion], client: String? = nil) {
        self.protocols = protocols
        self.client = client
    }
}

public struct HelloResult: Sendable, Codable, Hashable {
    public var protocolVersion: Int
    public var server: String
    public var version: String

    public init(protocolVersion: Int, server: String, version: String) {
        self.protocolVersion = protocolVersion
        self.server = server
        self.version = version
    }
}

/// `status`: what the daemon is doing now.
public struct StatusResult: Sendable, Codable, Hashable {
    public var server: String
    public var version: String
    public var startedAt: Date
    public var uptimeSeconds: Double
    public var outputs: [OutputInfo]
    public var playing: [PlayInfo]
    /// Clips in the library.
    public var clips: Int

    public init(
        server: String, version: String, startedAt: Date, uptimeSeconds: Double, outputs: [OutputInfo],
        playing: [PlayInfo], clips: Int
    ) {
        self.server = server
        self.version = version
        self.startedAt = startedAt
        self.uptimeSeconds = uptimeSeconds
        self.outputs = outputs
        self.playing = playing
        self.clips = clips
    }
}

/// One output in `status`.
public struct OutputInfo: Sendable, Codable, Hashable {
    public var name: String
    public var device: String
    /// `opening`, `running` or `fault`.
    public var state: String
    /// Why the output is down, when `state` is `fault`.
    public var fault: String?
    public var sampleRate: Int
    public var channels: Int
    public var xruns: Int

    public init(
        name: String, device: String, state: String, fault: String?, sampleRate: Int, channels: Int, xruns: Int
    ) {
        self.name = name
        self.device = device
        self.state = state
        self.fault = fault
        self.sampleRate = sampleRate
        self.channels = channels
        self.xruns = xruns
    }
}

/// One play still sounding, in `status` and in `play`'s result.
public struct PlayInfo: Sendable, Codable, Hashable {
    public var play: Int64
    public var clip: String
    public var zones: [String]
    public var level: String
    public var requestedAt: Date

    public init(play: Int64, clip: String, zones: [String], level: String, requestedAt: Date) {
        self.play = play
        self.clip = clip
        self.zones = zones
        self.level = level
        self.requestedAt = requestedAt
    }
}

/// `play`: starts a clip from the library.
public struct PlayArgs: Sendable, Codable, Hashable {
    public var clip: String
    /// Zone names; absent or `["all"]` means every zone.
    public var zones: [String]?

    public init(clip: String, zones: [String]? = nil) {
        self.clip = clip
        self.zones = zones
    }
}

/// `stop`: stops one play, or everything playing.
public struct StopArgs: Sendable, Codable, Hashable {
    /// The play to stop; absent stops every play.
    public var play: Int64?

    public init(play: Int64? = nil) { self.play = play }
}

public struct StopResult: Sendable, Codable, Hashable {
    /// The plays that were told to stop.
    public var stopped: [Int64]
    public init(stopped: [Int64]) { self.stopped = stopped }
}

/// `wait`: answers when a play has ended on every zone.
public struct WaitArgs: Sendable, Codable, Hashable {
    public var play: Int64
    public init(play: Int64) { self.play = play }
}

/// How a play went, per output: its place in the output's stream, and how it ended.
public struct PlayOutcome: Sendable, Codable, Hashable {
    public var play: Int64
    public var clip: String
    /// `finished`, `stopped` or `failed`.
    public var outcome: String
    public var detail: String?
    public var outputs: [OutputOutcome]

    public init(play: Int64, clip: String, outcome: String, detail: String?, outputs: [OutputOutcome]) {
        self.play = play
        self.clip = clip
        self.outcome = outcome
        self.detail = detail
        self.outputs = outputs
    }
}

public struct OutputOutcome: Sendable, Codable, Hashable {
    public var output: String
    /// Index of the first frame in the output's stream since the device opened; absent if nothing was written.
    public var firstFrame: Int64?
    public var frames: Int
    /// Milliseconds from the request to the first sample written to ALSA.
    public var latencyMs: Double?

    public init(output: String, firstFrame: Int64?, frames: Int, latencyMs: Double?) {
        self.output = output
        self.firstFrame = firstFrame
        self.frames = frames
        self.latencyMs = latencyMs
    }
}
