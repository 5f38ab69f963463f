import CarillonProtocol
import Foundation
import Testing

@Suite("Wire messages")
struct WireTests {
    @Test("a request's id may be a number or a string, or absent")
    func requestIDs() throws {
        let decoder = Wire.decoder()
        #expect(try decoder.decode(RequestHead.self, from: Data(#"{"id":7,"cmd":"status"}"#.utf8)).id == .number(7))
        #expect(try decoder.decode(RequestHead.self, from: Data(#"{"id":"a1","cmd":"status"}"#.utf8)).id == .string("a1"))
        #expect(try decoder.decode(RequestHead.self, from: Data(#"{"cmd":"status"}"#.utf8)).id == nil)
    }

    @Test("a command whose arguments are optional may omit `args`")
    func omittedArguments() throws {
        let stop = try Wire.decoder().decode(Request<StopArgs>.self, from: Data(#"{"id":1,"cmd":"stop"}"#.utf8))
        #expect(stop.args == StopArgs(play: nil))
        let status = try Wire.decoder().decode(Request<Empty>.self, from: Data(#"{"cmd":"status"}"#.utf8))
        #expect(status.args == Empty())
    }

    @Test("a command with a required argument refuses to decode without it")
    func requiredArgument() {
        #expect(throws: DecodingError.self) {
            try Wire.decoder().decode(Request<PlayArgs>.self, from: Data(#"{"id":1,"cmd":"play"}"#.utf8))
        }
    }

    @Test("keys are snake_case on the wire, and a response is one line")
    func snakeCase() throws {
        let info = ZoneOutcome(zone: "main", output: "main", outcome: "finished", firstFrame: 480, frames: 24000, latencyMs: 1.5)
        let data = try Wire.encoder().encode(Response.success(.number(3), info))
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains(#""first_frame":480"#))
        #expect(text.contains(#""latency_ms":1.5"#))
        #expect(!text.contains("\n"))
        let back = try Wire.decoder().decode(Response<ZoneOutcome>.self, from: data)
        #expect(back.result == info && back.id == .number(3) && back.ok)
    }

    @Test("an error reply carries a stable code and a message")
    func errorReply() throws {
        let data = try Wire.encoder().encode(Response.failure(.number(1), WireError(.unknownClip, "no clip `x`")))
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        #expect(object?["ok"] as? Bool == false)
        let error = object?["error"] as? [String: Any]
        #expect(error?["code"] as? String == "unknown-clip")
        #expect(error?["message"] as? String == "no clip `x`")
    }

    @Test("error codes are stable strings", arguments: ErrorCode.allCases)
    func errorCodesAreKebabCase(code: ErrorCode) {
        #expect(code.rawValue.allSatisfy { $0.isLowercase || $0 == "-" })
    }
}
