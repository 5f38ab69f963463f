import CarillonControl
import CarillonProtocol
import CarillonTesting
import Foundation
import Testing

/// No line takes the daemon down, on either socket, before or after `auth` (issue 18: a request id
/// too large for an integer trapped in the request scanner and killed the daemon with SIGILL).
/// Each hostile line is answered, and `status` is answered right after it on the same connection.
@Suite("Hostile lines: every one is answered, and the daemon answers status after each", .serialized, .ownThread)
struct HostileLineTests {
    /// A line, and the error code it must get once the peer may run the command (nil: it succeeds).
    static let lines: [(line: String, code: ErrorCode?)] = [
        // The three forms of the overflow that killed the daemon.
        (#"{"id":999999999999999999999999,"cmd":"status"}"#, .malformedRequest),
        (#"{"id":-999999999999999999999999,"cmd":"status"}"#, .malformedRequest),
        (#"{"id":99999999999999999999999999999999999999999999999999999999900":900}"#, .malformedRequest),
        // Around Int64's ends, and numbers no integer holds.
        (#"{"id":9223372036854775807,"cmd":"status"}"#, nil),
        (#"{"id":-9223372036854775808,"cmd":"status"}"#, nil),
        (#"{"id":9223372036854775808,"cmd":"status"}"#, .malformedRequest),
        (#"{"id":1e400,"cmd":"status"}"#, .malformedRequest),
        (#"{"id":7,"cmd":"log.plays","args":{"limit":99999999999999999999}}"#, .invalidArguments),
        (#"{"id":8,"cmd":"log.plays","args":{"limit":-9223372036854775808}}"#, .invalidArguments),
        // The count is clamped to 1…500 before anything else; this rig has no schedule in force.
        (#"{"id":9,"cmd":"schedule.next","args":{"count":9223372036854775807}}"#, .notFound),
        (#"{"id":10,"cmd":"schedule.next","args":{"count":-9223372036854775808}}"#, .notFound),
        // Dates out of range or on days that do not exist.
        (#"{"id":11,"cmd":"log.plays","args":{"from":"99999-01-01T00:00:00Z"}}"#, .invalidArguments),
        (#"{"id":12,"cmd":"stats","args":{"from":"2026-02-30T00:00:00Z"}}"#, .invalidArguments),
        (#"{"id":13,"cmd":"log.audit","args":{"to":"2026-13-01T00:00:00Z"}}"#, .invalidArguments),
        // Upload sizes and offsets at the integer's ends.
        (#"{"id":14,"cmd":"library.upload","args":{"name":"x.wav","size":9223372036854775807}}"#, .invalidArguments),
        (#"{"id":15,"cmd":"library.upload","args":{"name":"x.wav","size":-9223372036854775808}}"#, .badAudio),
        (#"{"id":16,"cmd":"library.chunk","args":{"upload":"none","offset":-9223372036854775808,"data":""}}"#, .notFound),
        (#"{"id":17,"cmd":"wait","args":{"play":-9223372036854775808}}"#, .notFound),
    ]

    private static let status = #"{"id":"after","cmd":"status"}"#

    /// Checks the replies to `lines`, each followed by `status`: `expected` gives each line's code.
    private static func check(_ replies: [String], expected: [ErrorCode?], via: String) throws {
        try #require(replies.count == 2 * expected.count, "\(via): \(replies.count) replies to \(2 * expected.count) lines: \(replies)")
        for (index, code) in expected.enumerated() {
            let line = lines[index].line
            let reply = try Wire.decoder().decode(ResponseHead.self, from: Data(replies[2 * index].utf8))
            if let code {
                #expect(!reply.ok && reply.error?.code == code, "\(via): \(line) → \(replies[2 * index])")
            } else {
                #expect(reply.ok, "\(via): \(line) → \(replies[2 * index])")
            }
            let after = try Wire.decoder().decode(ResponseHead.self, from: Data(replies[2 * index + 1].utf8))
            #expect(after.id == .string("after"), "\(via): after \(line) → \(replies[2 * index + 1])")
        }
    }

    @Test("the UNIX socket")
    func unixSocket() async throws {
        let rig = try Rig.start()
        defer { rig.stop() }
        try await ControlConnection.with(.unixDomainSocket(path: rig.daemon.socketPath)) { control in
            var replies: [String] = []
            for (line, _) in Self.lines {
                replies.append(String(decoding: try await control.send(Data(line.utf8)), as: UTF8.self))
                replies.append(String(decoding: try await control.send(Data(Self.status.utf8)), as: UTF8.self))
            }
            try Self.check(replies, expected: Self.lines.map(\.code), via: "unix")
            #expect(replies.last?.contains(#""ok":true"#) == true)
        }
        #expect(rig.daemon.process.isRunning)
    }

    @Test("TCP with TLS, before and after auth")
    func tcp() throws {
        let r = try ControlAccessTests.start(tcp: "login_timeout = 2\nidle_timeout = 2")
        defer { r.stop() }
        func converse(_ lines: [String]) throws -> [String] {
            let answered = try run(
                "/usr/bin/openssl", ["s_client", "-connect", "127.0.0.1:\(r.port)", "-quiet", "-ign_eof"],
                input: lines.joined(separator: "\n") + "\n")
            return answered.stdout.split(separator: "\n").map(String.init)
        }
        let pairs = Self.lines.flatMap { [$0.line, Self.status] }
        // Before auth: a line that is no request is told so; any request, whatever it asks, is unauthenticated.
        let before = try converse(pairs)
        try #require(before.count == pairs.count, "\(before)")
        for (index, (line, code)) in Self.lines.enumerated() {
            let expected: ErrorCode = code == .malformedRequest ? .malformedRequest : .unauthenticated
            #expect(before[2 * index].contains("\"code\":\"\(expected.rawValue)\""), "before auth: \(line) → \(before[2 * index])")
            #expect(before[2 * index + 1].contains(#""code":"unauthenticated""#))
        }
        // After auth as admin, every command may run: each line gets its own answer.
        let token = try String(contentsOfFile: try #require(r.tokens[.admin]), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let after = try converse([#"{"id":"auth","cmd":"auth","args":{"token":"\#(token)"}}"#] + pairs)
        try #require(after.first?.contains(#""ok":true"#) == true, "\(after.first ?? "no reply")")
        try Self.check(Array(after.dropFirst()), expected: Self.lines.map(\.code), via: "tcp")
        #expect(after.last?.contains(#""ok":true"#) == true)
        #expect(r.rig.daemon.process.isRunning)
    }
}
