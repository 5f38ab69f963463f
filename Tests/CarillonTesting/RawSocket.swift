import Foundation
import Glibc

/// A raw stream socket, to behave as badly as a real client can.
public final class RawSocket {
    public let fd: Int32

    public init(unix path: String) throws { fd = try UnixSocket.connect(path) }

    public init(tcpPort port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard Self.onLoopback(port, { connect(fd, $0, $1) }) == 0 else { throw HarnessError("cannot connect to port \(port): \(errno)") }
    }

    /// A socket listening on 127.0.0.1:`port`, as another program holding the port would.
    public init(listeningOn port: Int) throws {
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

    public func send(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return Glibc.send(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count
    }

    /// Waits up to `timeout` for data or the peer's close; returns what arrived, and whether the peer closed.
    public func read(timeout: Duration) -> (text: String, closed: Bool) {
        var pollfd = Glibc.pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pollfd, 1, Int32(timeout / .milliseconds(1))) > 0 else { return ("", false) }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let n = recv(fd, &buffer, buffer.count, 0)
        if n <= 0 { return ("", true) }
        return (String(decoding: buffer[..<n], as: UTF8.self), false)
    }

    /// Reads until the peer closes, `done` holds for all that arrived, or `timeout` passes.
    public func readAll(until done: (String) -> Bool = { _ in false }, timeout: Duration) -> (text: String, closed: Bool) {
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
    public func waitForClose(timeout: Duration) -> Bool { readAll(timeout: timeout).closed }
}

/// Binds `fd` to 127.0.0.1 on a port the kernel picks; returns the port, or nil.
public func bindToLoopback(_ fd: Int32) -> Int? {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
        }
    }
    return bound ? Int(UInt16(bigEndian: address.sin_port)) : nil
}

/// A port nothing listens on now.
public func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    guard let port = bindToLoopback(fd) else { throw HarnessError("cannot find a free port") }
    return port
}
