import CarillonControl
import CarillonProtocol
import Foundation
import Testing

@Suite("The command table")
struct DispatcherTests {
    let dispatcher = Dispatcher([
        .command(.stop, role: .teacher, arguments: StopArgs.self) { args, _ throws(WireError) in
            guard let play = args.play else { return StopResult(stopped: []) }
            guard play > 0 else { throw WireError(.notFound, "play \(play) is not sounding") }
            return StopResult(stopped: [play])
        }
    ])

    private func ask(_ line: String) async throws -> (ResponseHead, Data) {
        let reply = await dispatcher.respond(to: Data(line.utf8), from: Peer(address: "unix", identity: Identity(name: "test", role: .teacher)))
        return (try Wire.decoder().decode(ResponseHead.self, from: reply), reply)
    }

    @Test("a good request gets its result with its id")
    func success() async throws {
        let (head, data) = try await ask(#"{"id":9,"cmd":"stop","args":{"play":4}}"#)
        #expect(head.ok && head.id == .number(9))
        #expect(try Wire.decoder().decode(Response<StopResult>.self, from: data).result == StopResult(stopped: [4]))
    }

    @Test("refusals carry the handler's code", arguments: [
        (#"{"id":1,"cmd":"stop","args":{"play":-1}}"#, ErrorCode.notFound),
        (#"{"id":1,"cmd":"stop","args":{"play":"x"}}"#, .invalidArguments),
        (#"{"id":1,"cmd":"stop","args":[]}"#, .invalidArguments),
        (#"{"id":1,"cmd":"nope"}"#, .unknownCommand),
        (#"{"id":1,"cmd":5}"#, .malformedRequest),
        (#"{"id":1,"#, .malformedRequest),
        ("", .malformedRequest),
    ])
    func refusals(line: String, code: ErrorCode) async throws {
        let (head, _) = try await ask(line)
        #expect(!head.ok)
        #expect(head.error?.code == code)
    }

    @Test("an invalid argument is explained by its path")
    func explainsArguments() async throws {
        let (head, _) = try await ask(#"{"id":1,"cmd":"stop","args":{"play":"x"}}"#)
        #expect(head.error?.message == "expected an integer at `args.play`")
    }
}
