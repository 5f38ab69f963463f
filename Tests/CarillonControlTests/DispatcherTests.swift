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

@Suite("Zone groups in the command table")
struct ZoneGroupDispatchTests {
    /// `say` echoes the zones its handler received, as the clip of a `LibraryShowArgs`.
    let dispatcher = Dispatcher([
        CommandSpec.command(.say, role: .teacher, arguments: SayArgs.self) { args, _ in
            LibraryShowArgs(clip: (args.zones ?? ["<none>"]).joined(separator: ","))
        }.expandingZones { names in names.flatMap { $0 == "初一年级" ? ["room-101", "room-102"] : [$0] } }
    ])

    private func say(_ zones: String, as identity: Identity) async throws -> Response<LibraryShowArgs> {
        let line = #"{"id":1,"cmd":"say","args":{"text":"hi","zones":\#(zones)}}"#
        let reply = await dispatcher.respond(to: Data(line.utf8), from: Peer(address: "unix", identity: identity))
        return try Wire.decoder().decode(Response<LibraryShowArgs>.self, from: reply)
    }

    @Test("the handler sees the group's zones, never the group")
    func expanded() async throws {
        let free = Identity(name: "t", role: .teacher)
        #expect(try await say(#"["初一年级","yard"]"#, as: free).result?.clip == "room-101,room-102,yard")
    }

    @Test("a limited caller may name a group whose zones are all theirs, and no other")
    func limits() async throws {
        let grade = Identity(name: "t", role: .teacher, zones: ["room-101", "room-102"])
        #expect(try await say(#"["初一年级"]"#, as: grade).result?.clip == "room-101,room-102")
        let one = Identity(name: "t", role: .teacher, zones: ["room-101"])
        let refused = try await say(#"["初一年级"]"#, as: one)
        #expect(refused.error?.code == .permissionDenied)
        #expect(refused.error?.message == "t may use zones room-101 only, not `room-102`")
    }
}
