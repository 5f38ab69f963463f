public import NIOCore

/// One unit of the control protocol's framing.
public enum LineFrame: Sendable, Hashable {
    /// A line without its `\n` (and without a trailing `\r`).
    case line(ByteBuffer)
    /// A line longer than the limit; its bytes were discarded up to and including its `\n`.
    case overlong
}

/// Splits a byte stream into newline-delimited lines, refusing lines over a limit without
/// buffering them: a client cannot make the server hold more than `maxLength` bytes.
public struct LineFrameDecoder: ByteToMessageDecoder, Sendable {
    public typealias InboundOut = LineFrame

    public let maxLength: Int
    /// Bytes after the reader index already searched for a newline.
    private var scanned = 0
    /// Inside an over-long line: drop bytes until its newline.
    private var discarding = false

    public init(maxLength: Int) {
        self.maxLength = maxLength
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let view = buffer.readableBytesView
        if let newline = view.dropFirst(scanned).firstIndex(of: UInt8(ascii: "\n")) {
            let length = newline - view.startIndex
            scanned = 0
            if discarding {
                discarding = false
                buffer.moveReaderIndex(forwardBy: length + 1)
                return .continue
            }
            if length > maxLength {
                buffer.moveReaderIndex(forwardBy: length + 1)
                context.fireChannelRead(wrapInboundOut(.overlong))
                return .continue
            }
            // The newline was found among the readable bytes, so the slice is there.
            guard var line = buffer.readSlice(length: length) else { return .needMoreData }
            buffer.moveReaderIndex(forwardBy: 1)
            if line.readableBytesView.last == UInt8(ascii: "\r") { line.moveWriterIndex(to: line.writerIndex - 1) }
            context.fireChannelRead(wrapInboundOut(.line(line)))
            return .continue
        }
        if discarding || buffer.readableBytes > maxLength {
            if !discarding {
                discarding = true
                context.fireChannelRead(wrapInboundOut(.overlong))
            }
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
            scanned = 0
            return .needMoreData
        }
        scanned = buffer.readableBytes
        return .needMoreData
    }

    public mutating func decodeLast(
        context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool
    ) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        // A last line without a newline still counts, unless it was being discarded.
        if buffer.readableBytes > 0 && !discarding, let line = buffer.readSlice(length: buffer.readableBytes) {
            context.fireChannelRead(wrapInboundOut(.line(line)))
        }
        buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        scanned = 0
        return .needMoreData
    }
}
