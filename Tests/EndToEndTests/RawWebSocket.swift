import CarillonTesting
import Foundation
import Glibc
/// A WebSocket client over a raw socket, to send what a browser would never send.
final class RawWebSocket {
    let socket: RawSocket
    /// The server's answer to the upgrade: its status line and headers, and the body of a refusal.
    let handshake: String
    private var buffer: [UInt8] = []

    var accepted: Bool { handshake.hasPrefix("HTTP/1.1 101") }

    init(port: Int, origin: String?, cookie: String?, path: String = "/ws") throws {
        socket = try RawSocket(tcpPort: port)
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        request += "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        if let origin { request += "Origin: \(origin)\r\n" }
        if let cookie { request += "Cookie: \(cookie)\r\n" }
        request += "\r\n"
        guard socket.send(request) else { throw HarnessError("cannot send the upgrade") }
        var received: [UInt8] = []
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if let end = Self.headerEnd(received) {
                let head = String(decoding: received[..<end], as: UTF8.self)
                buffer = Array(received[(end + 4)...])
                if head.hasPrefix("HTTP/1.1 101") {
                    handshake = head
                    return
                }
                // A refusal: read its body too (it is small and the server closes or keeps alive).
                let more = socket.readAll(until: { !$0.isEmpty }, timeout: .seconds(2)).text
                handshake = head + "\r\n\r\n" + String(decoding: buffer, as: UTF8.self) + more
                return
            }
            let bytes = Self.readBytes(socket.fd, timeout: .milliseconds(200))
            if bytes == nil { break }
            received += bytes ?? []
        }
        handshake = String(decoding: received, as: UTF8.self)
    }

    private static func headerEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 0...(bytes.count - 4) where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            return i
        }
        return nil
    }

    /// Bytes that arrived within `timeout`: empty when none, nil once the peer closed.
    private static func readBytes(_ fd: Int32, timeout: Duration) -> [UInt8]? {
        var pollfd = Glibc.pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pollfd, 1, Int32(timeout / .milliseconds(1))) > 0 else { return [] }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = recv(fd, &chunk, chunk.count, 0)
        return n <= 0 ? nil : Array(chunk[..<n])
    }

    /// Sends one masked frame, as a client must.
    @discardableResult
    func send(opcode: UInt8, _ payload: [UInt8]) -> Bool {
        var frame: [UInt8] = [0x80 | opcode]
        let mask: [UInt8] = [0x12, 0x34, 0x56, 0x78]
        if payload.count < 126 {
            frame.append(0x80 | UInt8(payload.count))
        } else if payload.count < 65536 {
            frame += [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xff)]
        } else {
            frame.append(0x80 | 127)
            for shift in stride(from: 56, through: 0, by: -8) { frame.append(UInt8((payload.count >> shift) & 0xff)) }
        }
        frame += mask
        frame += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        return frame.withUnsafeBufferPointer { Glibc.send(socket.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == frame.count
    }

    @discardableResult
    func send(text: String) -> Bool { send(opcode: 1, Array(text.utf8)) }

    /// A message from the server.
    enum Message: Equatable {
        case text(String)
        case binary([UInt8])
        case close(code: Int)
        /// The connection ended without a close frame.
        case closed
    }

    /// The next text or close from the server (pings are skipped); nil when nothing came in time.
    func next(timeout: Duration = .seconds(20)) -> Message? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let (message, used) = Self.parse(buffer) {
                buffer.removeFirst(used)
                if case .binary = message { continue }
                if case .text("") = message { continue }
                return message
            }
            guard ContinuousClock.now < deadline else { return nil }
            guard let bytes = Self.readBytes(socket.fd, timeout: .milliseconds(200)) else { return .closed }
            buffer += bytes
        }
    }

    /// The next text message that contains `needle`.
    func next(containing needle: String, timeout: Duration = .seconds(20)) -> String? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            switch next(timeout: deadline - ContinuousClock.now) {
            case .text(let text) where text.contains(needle): return text
            case .text: continue
            default: return nil
            }
        }
        return nil
    }

    /// One unmasked server frame off the front of `bytes`, and how many bytes it took.
    private static func parse(_ bytes: [UInt8]) -> (Message, Int)? {
        guard bytes.count >= 2 else { return nil }
        let opcode = bytes[0] & 0x0f
        var length = Int(bytes[1] & 0x7f)
        var offset = 2
        if length == 126 {
            guard bytes.count >= 4 else { return nil }
            length = Int(bytes[2]) << 8 | Int(bytes[3])
            offset = 4
        } else if length == 127 {
            guard bytes.count >= 10 else { return nil }
            length = (2..<10).reduce(0) { $0 << 8 | Int(bytes[$1]) }
            offset = 10
        }
        guard bytes.count >= offset + length else { return nil }
        let payload = Array(bytes[offset..<(offset + length)])
        switch opcode {
        case 1: return (.text(String(decoding: payload, as: UTF8.self)), offset + length)
        case 2: return (.binary(payload), offset + length)
        case 8: return (.close(code: payload.count >= 2 ? Int(payload[0]) << 8 | Int(payload[1]) : 1005), offset + length)
        default: return (.text(""), offset + length)  // ping, pong: skipped by `next`
        }
    }
}
