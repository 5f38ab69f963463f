import CarillonProtocol
import CarillonTesting
import Foundation
import Testing

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
