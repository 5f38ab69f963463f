public import Foundation

/// One binary WebSocket message of a console shout: 20 ms of the phone's microphone.
///
/// Layout: one byte for the codec (1 Opus, 2 16-bit PCM little-endian, 48 kHz mono), eight bytes
/// for the capture time (float64 little-endian, milliseconds since 1970 on the phone's clock),
/// then the payload. It becomes one line of the `shout` stream: the payload in base64, a space,
/// and `t=` with the capture time, which the daemon uses to report microphone-to-speaker latency.
public struct ShoutFrame: Sendable, Equatable {
    public enum Codec: UInt8, Sendable {
        case opus = 1
        case pcm16 = 2

        /// The `codec` of `shout`'s arguments.
        public var wireName: String {
            switch self {
            case .opus: "opus"
            case .pcm16: "pcm16"
            }
        }
    }

    public var codec: Codec
    public var capturedAt: Double
    public var payload: [UInt8]

    public static let headerBytes = 9
    /// 20 ms of 16-bit PCM at 48 kHz is 1,920 bytes; an Opus packet is far less.
    public static let maxPayloadBytes = 4000

    /// Why a message is not a frame.
    public enum Problem: Error, Equatable, CustomStringConvertible {
        case tooShort, unknownCodec(UInt8), tooLong(Int), badTime, oddPCM

        public var description: String {
            switch self {
            case .tooShort: "a voice frame needs a 9-byte header"
            case .unknownCodec(let byte): "unknown voice codec \(byte); 1 is Opus, 2 is 16-bit PCM"
            case .tooLong(let count): "a voice frame's payload is \(count) bytes, more than \(ShoutFrame.maxPayloadBytes)"
            case .badTime: "a voice frame's capture time is not a time"
            case .oddPCM: "a PCM frame has an odd number of bytes"
            }
        }
    }

    public init(codec: Codec, capturedAt: Double, payload: [UInt8]) {
        self.codec = codec
        self.capturedAt = capturedAt
        self.payload = payload
    }

    /// Parses one binary message.
    public init(parsing bytes: some Collection<UInt8>) throws(Problem) {
        let bytes = Array(bytes)
        guard bytes.count >= Self.headerBytes else { throw .tooShort }
        guard let codec = Codec(rawValue: bytes[0]) else { throw .unknownCodec(bytes[0]) }
        var bits: UInt64 = 0
        for i in 0..<8 { bits |= UInt64(bytes[1 + i]) << (8 * UInt64(i)) }
        let time = Double(bitPattern: bits)
        guard time.isFinite, time >= 0 else { throw .badTime }
        let payload = Array(bytes[Self.headerBytes...])
        guard payload.count <= Self.maxPayloadBytes else { throw .tooLong(payload.count) }
        if codec == .pcm16, !payload.count.isMultiple(of: 2) { throw .oddPCM }
        self.init(codec: codec, capturedAt: time, payload: payload)
    }

    /// The message's bytes.
    public var bytes: [UInt8] {
        var out: [UInt8] = [codec.rawValue]
        let bits = capturedAt.bitPattern
        for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt64(i)))) }
        return out + payload
    }

    /// The `shout` stream's line for it, without the newline.
    public var line: Data {
        Data((Data(payload).base64EncodedString() + " t=" + String(format: "%.3f", capturedAt)).utf8)
    }
}
