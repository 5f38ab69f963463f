public import Foundation

/// The voice of one shout as the control connection carries it, after the `shout` request: one
/// line per Opus packet in base64 (mono, 48 kHz), and a line `.` to end. Everything on these lines
/// comes from the client, so each line is checked and counted here, apart from the socket, where
/// fuzz-shout reaches it.
public final class ShoutStream {
    /// What one line gave.
    public enum Step: Equatable, Sendable {
        /// Decoded voice. A packet that does not decode is concealed, as a lost one would be.
        case voice([Float])
        /// The line is not base64: the stream is broken.
        case notBase64
        /// This packet would take the shout past `maxFrames`; it is dropped and the shout must end.
        case limit
    }

    /// The most decoded frames one shout may have.
    public let maxFrames: Int
    /// Frames decoded so far; never more than `maxFrames`.
    public private(set) var frames = 0
    private let decoder: OpusVoiceDecoder

    /// - Parameter maxFrames: the longest shout, in frames at `opusSampleRate`; at least 0.
    public init(maxFrames: Int) throws(AudioError) {
        self.maxFrames = max(0, maxFrames)
        decoder = try OpusVoiceDecoder()
    }

    /// Whether `line` ends the stream.
    public static func isEnd(_ line: Data) -> Bool { line.count == 1 && line.first == UInt8(ascii: ".") }

    /// The voice of one line that is not the end.
    public func take(_ line: Data) -> Step {
        guard let packet = Data(base64Encoded: line) else { return .notBase64 }
        let voice = (try? decoder.decode(Array(packet))) ?? decoder.conceal()
        // Compared as what is left, so the count can never pass the limit or overflow.
        guard voice.count <= maxFrames - frames else { return .limit }
        frames += voice.count
        return .voice(voice)
    }
}
