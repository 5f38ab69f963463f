@testable import CarillonControl
import CarillonProtocol
import CarillonTesting
import Foundation
import Glibc
import Logging
import Testing

/// The server's side of a connection, over a real UNIX socket: answers in order, flow control
/// both ways, streams written from other tasks, and a shutdown that a stuck client cannot hold up.
@Suite("Server connections: order, flow control, streams, shutdown", .serialized)
struct ServerConnectionTests {
    private struct Numbered: Codable, Sendable { var n: Int }

    /// `hello`, and `events` standing for any streaming command: it accepts, then writes 300
    /// numbered lines, half from its own task and half from an unstructured one off the loop.
    private static let commands: [CommandSpec] = [
        .command(.hello, role: nil, arguments: HelloArgs.self) { _, _ in
            HelloResult(protocolVersion: protocolVersion, server: "test", version: "0")
        },
        .stream(.events, role: .viewer, arguments: EventsArgs.self) { _, session throws(WireError) in
            try await session.accept(EventsSubscribed(kinds: [], queueLimit: 1))
            let writer = session.writer
            do {
                for n in 0..<150 { try await writer.send(Numbered(n: n)) }
                try await Task { for n in 150..<300 { try await writer.send(Numbered(n: n)) } }.value
            } catch {
                return
            }
            // Then waits for the client to close, as `events` does.
            _ = try? await session.nextLine()
        },
    ]

    /// Runs a server on a fresh socket for `body`; checks that it stops promptly when cancelled.
    private func withServer(_ body: (String) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("carillon-connection-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.path + "/control.sock"
        let server = ControlServer(
            unix: .init(path: path), tcp: nil, commands: Self.commands, audit: { _, _, _, _ in },
            access: AccessControl(AccessPolicy()), logger: Logger(label: "test"))
        let (listening, listeningContinuation) = AsyncStream.makeStream(of: Void.self)
        let task = Task { try await server.run { listeningContinuation.yield() } }
        for await _ in listening { break }
        do {
            try await body(path)
        } catch {
            task.cancel()
            throw error
        }
        let start = ContinuousClock.now
        task.cancel()
        _ = await task.result
        #expect(ContinuousClock.now - start < .seconds(5), "the server took \(ContinuousClock.now - start) to stop")
    }

    private static func hello(_ id: Int) -> [UInt8] {
        Array(#"{"id":\#(id),"cmd":"hello","args":{"protocols":[1]}}"#.utf8) + [UInt8(ascii: "\n")]
    }

    @Test("a thousand pipelined requests are all answered, in order")
    func pipelined() async throws {
        try await withServer { path in
            let client = try TestSocket(path: path)
            try client.sendAll((0..<1000).flatMap(Self.hello))
            for id in 0..<1000 {
                let line = try #require(try client.readLine(), "closed after \(id) answers")
                #expect(line.hasPrefix(#"{"id":\#(id),"ok":true"#), "answer \(id): \(line)")
            }
        }
    }

    /// Sends `hello` requests without reading until the server has taken nothing for half a
    /// second, or `limit` bytes went. Returns how many requests went whole, and the rest of the
    /// last batch, which can only go once the client reads again.
    private static func fill(_ client: TestSocket, limit: Int) -> (whole: Int, rest: [UInt8]) {
        client.setNonBlocking(true)
        defer { client.setNonBlocking(false) }
        var batches = 0
        var bytes = 0
        var pending: [UInt8] = []
        var whole = 0
        var stalled: ContinuousClock.Instant?
        while bytes < limit {
            if pending.isEmpty {
                // A hundred at a time: each send of a small line costs a whole buffer of the socket.
                pending = (batches * 100..<batches * 100 + 100).flatMap(hello)
                batches += 1
            }
            let n = client.trySend(pending)
            guard n > 0 else {
                if let since = stalled, ContinuousClock.now - since > .milliseconds(500) { break }
                if stalled == nil { stalled = .now }
                usleep(1000)
                continue
            }
            stalled = nil
            bytes += n
            whole += pending[..<n].count { $0 == UInt8(ascii: "\n") }
            pending.removeFirst(n)
        }
        return (whole, pending)
    }

    @Test("a client that sends without reading is held back: the server stops reading, loses nothing, keeps order")
    func flowControl() async throws {
        try await withServer { path in
            let client = try TestSocket(path: path)
            let limit = 64 << 20
            let (whole, rest) = Self.fill(client, limit: limit)
            // The server took some, then stopped: its answers wait for the client to read them.
            #expect(!rest.isEmpty, "the server read \(limit) bytes from a client that never read its answers")
            #expect(whole > 1000)
            // Reading lets the server go on: every answer comes, in order, the last batch's too.
            let total = whole + rest.count { $0 == UInt8(ascii: "\n") }
            for id in 0..<total {
                if id == whole { try client.sendAll(rest) }
                let line = try #require(try client.readLine(), "closed after \(id) of \(total) answers")
                #expect(line.hasPrefix(#"{"id":\#(id),"ok":true"#), "answer \(id): \(line)")
                if !line.hasPrefix(#"{"id":\#(id),"#) { break }
            }
        }
    }

    @Test("a stream written from its task and from another task arrives whole and in order, then the connection goes on")
    func stream() async throws {
        try await withServer { path in
            let client = try TestSocket(path: path)
            try client.sendAll(Array(#"{"id":1,"cmd":"events"}"#.utf8) + [10])
            let accepted = try #require(try client.readLine())
            #expect(accepted.hasPrefix(#"{"id":1,"ok":true"#))
            for n in 0..<300 {
                let line = try #require(try client.readLine(), "closed after \(n) lines")
                #expect(line == #"{"n":\#(n)}"#)
            }
            // A line ends the stream; the connection answers requests again.
            try client.sendAll(Array("x\n".utf8) + Self.hello(2))
            let after = try #require(try client.readLine())
            #expect(after.hasPrefix(#"{"id":2,"ok":true"#), "\(after)")
        }
    }

    @Test("a shutdown is not held up by a client whose answers wait to be written")
    func shutdownWithStuckClient() async throws {
        var client: TestSocket?
        // `withServer` checks that the server stops within seconds.
        try await withServer { path in
            let stuck = try TestSocket(path: path)
            _ = Self.fill(stuck, limit: 64 << 20)
            client = stuck
        }
        // The connection was closed: the client comes to its end (a reset counts) instead of waiting.
        while try client?.readLine() != nil {}
    }
}

/// A blocking client socket that reads lines.
final class TestSocket {
    let fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0

    init(path: String) throws {
        fd = try UnixSocket.connect(path)
        // Answers must not wait long: a test that hangs fails instead.
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func setNonBlocking(_ on: Bool) {
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK)
    }

    /// Bytes written, or -1 if the socket would block.
    func trySend(_ bytes: [UInt8]) -> Int {
        let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        return n > 0 ? n : -1
    }

    func sendAll(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw ControlError("send failed: errno \(errno)") }
            offset += n
        }
    }

    /// The next line; nil at the end of the stream.
    func readLine() throws -> String? {
        while true {
            if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[start..<newline], as: UTF8.self)
                start = newline + 1
                return line
            }
            buffer.removeFirst(start)
            start = 0
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = recv(fd, &chunk, chunk.count, 0)
            if n == 0 { return nil }
            guard n > 0 else {
                if errno == EINTR { continue }
                if errno == ECONNRESET { return nil }
                throw ControlError("recv failed: errno \(errno)")
            }
            buffer += chunk[0..<n]
        }
    }
}
