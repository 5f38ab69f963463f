public import Foundation

/// The voice of one shout as the control connection carries it, after the `shout` request: one
/// line per Opus packet in base64 (mono, 48 kHz), or per 20 ms of 16-bit PCM for the console's
/// browsers without an Opus encoder, and a line `.` to end. A line may end with ` t=MS`, when the
/// packet was captured (ms since 1970), for the microphone-to-speaker latency. Everything on these
/// lines comes from the client, so each line is checked and counted here, apart from the socket,
/// where fuzz-shout reaches it.
public final class ShoutStream {
    /// How the voice is encoded.
    public enum Codec: String, Sendable, CaseIterable {
        case opus
        /// 16-bit signed little-endian samples, 48 kHz mono.
        case pcm16
    }

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
    /// The capture time of the last line that carried one, in ms since 1970.
    public private(set) var capturedAt: Double?
    public let codec: Codec
    private let decoder: OpusVoiceDecoder

    /// - Parameter maxFrames: the longest shout, in frames at `opusSampleRate`; at least 0.
    public init(maxFrames: Int, codec: Codec = .opus) throws(AudioError) {
        self.maxFrames = max(0, maxFrames)
        self.codec = codec
        decoder = try OpusVoiceDecoder()
    }

    /// Whether `line` ends the stream.
    public static func isEnd(_ line: Data) -> Bool { line.count == 1 && line.first == UInt8(ascii: ".") }

    /// The voice of one line that is not the end.
    public func take(_ line: Data) -> Step {
        var body = line
        if let space = line.firstIndex(of: UInt8(ascii: " ")) {
            body = line[line.startIndex..<space]
            let tail = String(decoding: line[line.index(after: space)...], as: UTF8.self)
            // A time that does not parse, or is not a time, is ignored: it only feeds a report.
            if tail.hasPrefix("t="), let ms = Double(tail.dropFirst(2)), ms.isFinite, ms > 0 { capturedAt = ms }
        }
        guard let packet = Data(base64Encoded: body) else { return .notBase64 }
        let voice: [Float]
        switch codec {
        case .opus:
            voice = (try? decoder.decode(Array(packet))) ?? decoder.conceal()
        case .pcm16:
            // An odd last byte is dropped; at most 120 ms a line, as an Opus packet.
            let count = min(packet.count / 2, opusSampleRate * 120 / 1000)
            voice = packet.withUnsafeBytes { raw in
                (0..<count).map { i in Float(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self))) / 32768 }
            }
        }
        // Compared as what is left, so the count can never pass the limit or overflow.
        guard voice.count <= maxFrames - frames else { return .limit }
        frames += voice.count
        return .voice(voice)
    }
}
