/// The shape of PCM audio: frames per second and interleaved channels per frame.
public struct AudioFormat: Sendable, Hashable, CustomStringConvertible {
    public var sampleRate: Int
    public var channels: Int

    public init(sampleRate: Int, channels: Int) {
        self.sampleRate = sampleRate
        self.channels = channels
    }

    /// The rates the engine converts between; others are refused at import.
    public static let supportedRates: Set<Int> = [8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000, 96000]

    public var description: String { "\(sampleRate) Hz, \(channels) ch" }
}

/// An audio failure with a message fit for `status` and the log.
public struct AudioError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
