import CarillonControl
import NIOCore
import NIOEmbedded
import NIOTestUtils
import Testing

@Suite("The line framing")
struct LineFrameDecoderTests {
    private func line(_ text: String) -> LineFrame { .line(ByteBuffer(string: text)) }

    @Test("splits lines however the bytes arrive: one at a time, all at once, or in random chunks")
    func verifier() throws {
        let input = ByteBuffer(string: "{\"cmd\":\"status\"}\nsecond\r\n\nthird\n")
        try ByteToMessageDecoderVerifier.verifyDecoder(
            inputOutputPairs: [
                (input, [line(#"{"cmd":"status"}"#), line("second"), line(""), line("third")])
            ],
            decoderFactory: { LineFrameDecoder(maxLength: 64) })
    }

    @Test("a line over the limit becomes one `overlong` frame, and the next line is read normally")
    func overlong() throws {
        let long = String(repeating: "x", count: 100)
        let input = ByteBuffer(string: "ok\n\(long)\nafter\n")
        try ByteToMessageDecoderVerifier.verifyDecoder(
            inputOutputPairs: [(input, [line("ok"), .overlong, line("after")])],
            decoderFactory: { LineFrameDecoder(maxLength: 16) })
    }

    @Test("an over-long line is dropped as it arrives, without buffering it")
    func discardsWhileReading() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(LineFrameDecoder(maxLength: 16)))
        for _ in 0..<1000 {
            try channel.writeInbound(ByteBuffer(string: String(repeating: "y", count: 1000)))
        }
        // One frame as soon as the limit is passed; the megabyte after it is not kept.
        #expect(try channel.readInbound(as: LineFrame.self) == .overlong)
        #expect(try channel.readInbound(as: LineFrame.self) == nil)
        try channel.writeInbound(ByteBuffer(string: "tail\nnext\n"))
        #expect(try channel.readInbound(as: LineFrame.self) == line("next"))
        #expect(try channel.finish().isClean)
    }

    @Test("a last line without a newline still counts at end of stream")
    func lastLine() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(LineFrameDecoder(maxLength: 16)))
        try channel.writeInbound(ByteBuffer(string: "a\nb"))
        #expect(try channel.readInbound(as: LineFrame.self) == line("a"))
        #expect(try channel.readInbound(as: LineFrame.self) == nil)
        _ = try channel.finish()
    }
}
