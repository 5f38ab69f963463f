import CarillonControl
import CarillonProtocol
import CarillonTesting
import Foundation
import Testing

@Suite("Bad requests get clear errors and change nothing", .ownThread)
struct BadInputTests {
    private func reply(_ data: Data) throws -> ResponseHead {
        try Wire.decoder().decode(ResponseHead.self, from: data)
    }

    @Test("malformed JSON, unknown commands, unknown clips and zones, bad arguments, and a line of several MB")
    func errorReplies() async throws {
        let rig = try Rig.start()
        defer { rig.stop() }
        try await ControlConnection.with(.unixDomainSocket(path: rig.daemon.socketPath)) { control in
            let cases: [(String, ErrorCode)] = [
                (#"{"id":1,"cmd":"status""#, .malformedRequest),
                ("not json at all", .malformedRequest),
                (#"[1,2,3]"#, .malformedRequest),
                (#"{"id":2}"#, .malformedRequest),
                (#"{"id":3,"cmd":"dance"}"#, .unknownCommand),
                (#"{"id":4,"cmd":"play","args":{"clip":"bell.nope"}}"#, .unknownClip),
                (#"{"id":5,"cmd":"play","args":{"clip":"test.noise","zones":["roof"]}}"#, .unknownZone),
                (#"{"id":6,"cmd":"play","args":{"clip":42}}"#, .invalidArguments),
                (#"{"id":7,"cmd":"play"}"#, .invalidArguments),
                (#"{"id":8,"cmd":"play","args":{"clip":"test.corrupt"}}"#, .badAudio),
                (#"{"id":9,"cmd":"wait","args":{"play":999999}}"#, .notFound),
                (#"{"id":10,"cmd":"hello","args":{"protocols":[99]}}"#, .unsupportedProtocol),
            ]
            for (line, code) in cases {
                let head = try reply(try await control.send(Data(line.utf8)))
                #expect(!head.ok, "\(line)")
                #expect(head.error?.code == code, "\(line) → \(String(describing: head.error))")
                #expect(head.error?.message.isEmpty == false)
            }
            // The id is echoed even when the arguments are wrong.
            let echoed = try reply(try await control.send(Data(#"{"id":"abc","cmd":"play","args":{}}"#.utf8)))
            #expect(echoed.id == .string("abc"))

            // Several MB on one line: refused unread, and the connection still works afterwards.
            let huge = Data(#"{"id":11,"cmd":"play","args":{"clip":""#.utf8) + Data(repeating: UInt8(ascii: "x"), count: 5_000_000)
                + Data(#""}}"#.utf8)
            let tooLong = try reply(try await control.send(huge))
            #expect(tooLong.error?.code == .lineTooLong)
            let status = try await control.call(.status, Empty(), returning: StatusResult.self)
            #expect(status.playing.isEmpty, "no bad request started anything")
            #expect(status.clips == 4)
        }
    }

    @Test("the client's exit codes: 1 refused, 2 usage, 3 cannot connect")
    func exitCodes() throws {
        let rig = try Rig.start()
        defer { rig.stop() }
        let unknown = try rig.daemon.client(["play", "bell.nope"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("no clip `bell.nope`"))
        let usage = try rig.daemon.client(["play"])
        #expect(usage.status == 2)
        let badZones = try rig.daemon.client(["play", "test.noise", "--zones", "main,,x"])
        #expect(badZones.status == 2)
        let byEnvironment = try run(Binaries.client, ["status"], environment: ["CARILLON_SOCKET": rig.daemon.socketPath])
        #expect(byEnvironment.status == 0, "CARILLON_SOCKET names the socket")
        let nobody = try run(Binaries.client, ["--socket", rig.directory.file("nobody.sock"), "status"])
        #expect(nobody.status == 3)
        #expect(nobody.stderr.contains("cannot connect"))
    }
}
