import CarillonControl
import NIOCore
import NIOEmbedded

/// The control connection's line framing (`LineFrameDecoder`, as the server installs it), fed the
/// input in pieces whose sizes come from the input itself. Oracle: wherever the pieces break, the
/// frames are those of splitting the whole input at its newlines: a line over the limit is one
/// `.overlong`, a line within it has its `\r` removed, and a last line without a newline counts.
enum LinesCheck {
    static func run(_ input: [UInt8]) throws(FuzzFinding) {
        guard input.count >= 2 else { return }
        // A small limit, so that over-long lines are common; the first byte picks it.
        let limit = Int(input[0] % 64) + 1
        let seed = input[1]
        let stream = Array(input.dropFirst(2))

        let channel = EmbeddedChannel(handler: ByteToMessageHandler(LineFrameDecoder(maxLength: limit)))
        var frames: [LineFrame] = []
        do {
            var offset = 0
            var piece = 0
            while offset < stream.count {
                // Piece sizes 1…16, from the stream's own bytes mixed with the seed.
                let size = Int((stream[(offset + piece) % stream.count] ^ seed) % 16) + 1
                let end = min(stream.count, offset + size)
                try channel.writeInbound(channel.allocator.buffer(bytes: stream[offset..<end]))
                offset = end
                piece += 1
            }
            _ = try channel.finish()
            while let frame = try channel.readInbound(as: LineFrame.self) { frames.append(frame) }
        } catch {
            throw FuzzFinding("the line framing threw \(error)")
        }
        let expected = reference(stream, limit: limit)
        guard frames == expected else {
            throw FuzzFinding("limit \(limit): frames \(describe(frames)) but expected \(describe(expected)) for \(stream)")
        }
    }

    /// The frames of `stream`, split whole.
    private static func reference(_ stream: [UInt8], limit: Int) -> [LineFrame] {
        var frames: [LineFrame] = []
        var segments = stream.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        let last = segments.removeLast()  // after the final newline: no newline of its own
        for segment in segments {
            if segment.count > limit {
                frames.append(.overlong)
            } else {
                let line = segment.last == UInt8(ascii: "\r") ? segment.dropLast() : segment
                frames.append(.line(ByteBuffer(bytes: line)))
            }
        }
        if last.count > limit {
            frames.append(.overlong)
        } else if !last.isEmpty {
            frames.append(.line(ByteBuffer(bytes: last)))
        }
        return frames
    }

    private static func describe(_ frames: [LineFrame]) -> String {
        frames.map { frame in
            switch frame {
            case .line(let buffer): "line(\(Array(buffer.readableBytesView)))"
            case .overlong: "overlong"
            }
        }.joined(separator: ", ")
    }
}
