import CarillonProtocol
import CarillonTesting
import Foundation
import Testing

/// A raw stream socket, to behave as badly as a real client can.
final class RawSocket {
    let fd: Int32

    init(unix path: String) throws { fd = try UnixSocket.connect(path) }

    init(tcpPort port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard Self.onLoopback(port, { connect(fd, $0, $1) }) == 0 else { throw HarnessError("cannot connect to port \(port): \(errno)") }
    }

    /// A socket listening on 127.0.0.1:`port`, as another program holding the port would.
    init(listeningOn port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard Self.onLoopback(port, { bind(fd, $0, $1) }) == 0, listen(fd, 1) == 0 else {
            throw HarnessError("cannot listen on port \(port): \(errno)")
        }
    }

    /// Calls `call` (connect or bind) with 127.0.0.1:`port`.
    private static func onLoopback(_ port: Int, _ call: (UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { call($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }

    deinit { close(fd) }

    func send(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return Glibc.send(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count
    }

    /// Waits up to `timeout` for data or the peer's close; returns what arrived, and whether the peer closed.
    func read(timeout: Duration) -> (text: String, closed: Bool) {
        var pollfd = Glibc.pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pollfd, 1, Int32(timeout / .milliseconds(1))) > 0 else { return ("", false) }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let n = recv(fd, &buffer, buffer.count, 0)
        if n <= 0 { return ("", true) }
        return (String(decoding: buffer[..<n], as: UTF8.self), false)
    }

    /// Reads until the peer closes, `done` holds for all that arrived, or `timeout` passes.
    func readAll(until done: (String) -> Bool = { _ in false }, timeout: Duration) -> (text: String, closed: Bool) {
        let deadline = ContinuousClock.now + timeout
        var received = ""
        while ContinuousClock.now < deadline, !done(received) {
            let (text, closed) = read(timeout: .milliseconds(100))
            received += text
            if closed { return (received, true) }
        }
        return (received, false)
    }

    /// Reads until the peer closes or `timeout` passes; returns whether it closed.
    func waitForClose(timeout: Duration) -> Bool { readAll(timeout: timeout).closed }
}

@Suite("Connection limits: idle, slow senders, too many connections, the login timeout", .serialized, .ownThread)
struct ConnectionLimitTests {
    @Test("a quiet connection is closed after the idle timeout; one that answers requests stays")
    func idle() throws {
        let rig = try Rig.start(control: "idle_timeout = 0.5")
        defer { rig.stop() }
        let quiet = try RawSocket(unix: rig.daemon.socketPath)
        #expect(quiet.waitForClose(timeout: .seconds(20)), "the idle connection was not closed")
        // A busy client is not idle: each request resets the timer.
        let busy = try RawSocket(unix: rig.daemon.socketPath)
        for _ in 0..<3 {
            #expect(busy.send("{\"id\":1,\"cmd\":\"status\"}\n"))
            #expect(busy.read(timeout: .seconds(10)).text.contains("\"ok\":true"))
        }
    }

    @Test("a client that trickles a line byte by byte is closed all the same: only whole requests count")
    func slowSender() throws {
        let rig = try Rig.start(control: "idle_timeout = 0.5")
        defer { rig.stop() }
        let slow = try RawSocket(unix: rig.daemon.socketPath)
        var closed = false
        let line = String(repeating: " ", count: 400) + "{\"cmd\":\"status\"}\n"
        for character in line {
            guard slow.send(String(character)) else {
                closed = true
                break
            }
            if slow.read(timeout: .milliseconds(50)).closed {
                closed = true
                break
            }
        }
        #expect(closed, "a trickling client held its connection for the whole line")
    }

    @Test("over max_connections, a new connection gets `too-many-connections`, and a freed slot is reused")
    func maxConnections() throws {
        let rig = try Rig.start(control: "max_connections = 3")
        defer { rig.stop() }
        var held = try (0..<3).map { _ in try RawSocket(unix: rig.daemon.socketPath) }
        for socket in held {
            #expect(socket.send("{\"id\":1,\"cmd\":\"status\"}\n"))
            #expect(socket.read(timeout: .seconds(10)).text.contains("\"ok\":true"))
        }
        let extra = try RawSocket(unix: rig.daemon.socketPath)
        #expect(extra.read(timeout: .seconds(10)).text.contains(ErrorCode.tooManyConnections.rawValue))
        #expect(extra.waitForClose(timeout: .seconds(10)))
        held.removeFirst()
        // The slot frees when the daemon sees the close; ask until it does.
        var answered = false
        for _ in 0..<50 where !answered {
            let again = try RawSocket(unix: rig.daemon.socketPath)
            guard again.send("{\"id\":1,\"cmd\":\"status\"}\n") else { continue }
            answered = again.read(timeout: .seconds(10)).text.contains("\"ok\":true")
        }
        #expect(answered)
    }

    @Test("a TCP client that never completes TLS and `auth` is closed after the login timeout")
    func loginTimeout() throws {
        let r = try ControlAccessTests.start(tcp: "login_timeout = 0.5")
        defer { r.stop() }
        let silent = try RawSocket(tcpPort: r.port)
        #expect(silent.waitForClose(timeout: .seconds(20)))
        // Plain text instead of TLS is not answered in plain text.
        let plain = try RawSocket(tcpPort: r.port)
        #expect(plain.send("{\"id\":1,\"cmd\":\"status\"}\n"))
        #expect(!plain.read(timeout: .seconds(5)).text.contains("\"ok\""))
    }
}
