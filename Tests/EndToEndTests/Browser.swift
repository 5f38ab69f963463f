import CarillonTesting
import Foundation
import Glibc
#if canImport(FoundationNetworking)
import FoundationNetworking  // URLRequest
#endif

/// Debian's headless Chromium, driven by `/usr/bin/chromedriver` over the W3C WebDriver protocol:
/// JSON over HTTP, spoken here directly, so nothing is downloaded at test time.
final class Browser: @unchecked Sendable {
    static let driverPath = "/usr/bin/chromedriver"
    static let chromiumPath = "/usr/bin/chromium"
    /// The WebDriver id of an element in JSON.
    static let elementKey = "element-6066-11e4-a52e-4f735466cecf"

    static var isAvailable: Bool {
        FileManager.default.isExecutableFile(atPath: driverPath) && FileManager.default.isExecutableFile(atPath: chromiumPath)
    }

    let driver: Process
    /// Chromium's TMPDIR, removed at `quit`.
    let scratch: String
    let base: String
    let session: String

    /// - Parameter microphone: a WAV file the fake microphone plays, looped.
    init(width: Int = 360, height: Int = 780, microphone: String? = nil, profile: String) throws {
        let port = try ControlAccessTests.freePort()
        driver = Process()
        driver.executableURL = URL(fileURLWithPath: Self.driverPath)
        driver.arguments = ["--port=\(port)", "--log-level=OFF"]
        // Chromium keeps scratch directories (org.chromium.Chromium.scoped_dir.*, with its
        // SingletonSocket) in TMPDIR and leaves some behind: they go in a directory of this
        // browser's, removed at `quit` (make test fails on anything left in its TMPDIR). Short, and
        // not in the profile: a UNIX socket's path must fit in 108 bytes.
        var template = Array((NSTemporaryDirectory() + "/cr.XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw HarnessError("cannot make chromium's TMPDIR") }
        scratch = String(cString: made)
        driver.environment = ProcessInfo.processInfo.environment.merging(["TMPDIR": scratch]) { $1 }
        driver.standardOutput = FileHandle.nullDevice
        driver.standardError = FileHandle.nullDevice
        try driver.run()
        base = "http://127.0.0.1:\(port)"
        // The driver answers /status once it listens: wait for that, not for a time.
        var up = false
        var last = ""
        for _ in 0..<200 {
            do {
                _ = try Self.request("GET", base + "/status", nil)
                up = true
                break
            } catch {
                last = "\(error)"
            }
            usleep(50_000)
        }
        guard up else {
            kill(driver.processIdentifier, SIGKILL)
            driver.waitUntilExit()
            try? FileManager.default.removeItem(atPath: scratch)
            throw HarnessError("chromedriver did not start: \(last)")
        }
        var args = [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=\(width),\(height)",
            "--user-data-dir=\(profile)", "--use-fake-ui-for-media-stream", "--autoplay-policy=no-user-gesture-required",
            "--hide-scrollbars", "--lang=zh-CN",
        ]
        if let microphone {
            args += ["--use-fake-device-for-media-stream", "--use-file-for-fake-audio-capture=\(microphone)"]
        }
        let capabilities: [String: Any] = [
            "capabilities": [
                "alwaysMatch": [
                    "browserName": "chrome", "goog:chromeOptions": ["binary": Self.chromiumPath, "args": args],
                ] as [String: Any]
            ]
        ]
        do {
            let created = try Self.request("POST", base + "/session", capabilities)
            guard let value = created["value"] as? [String: Any], let id = value["sessionId"] as? String else {
                throw HarnessError("no WebDriver session: \(created)")
            }
            session = id
        } catch {
            kill(driver.processIdentifier, SIGKILL)
            driver.waitUntilExit()
            try? FileManager.default.removeItem(atPath: scratch)
            throw error
        }
        _ = try call("POST", "/timeouts", ["script": 30000, "implicit": 0])
        // Headless Chromium opens wider than --window-size asks for a phone's width.
        try resize(width: width, height: height)
    }

    deinit { quit() }

    private var quitted = false
    func quit() {
        guard !quitted else { return }
        quitted = true
        _ = try? call("DELETE", "", nil)
        // SIGKILL: the test process ignores SIGTERM, and its children inherit that.
        kill(driver.processIdentifier, SIGKILL)
        driver.waitUntilExit()
        try? FileManager.default.removeItem(atPath: scratch)
    }

    // MARK: - Commands

    func open(_ url: String) throws { _ = try call("POST", "/url", ["url": url]) }

    /// Sizes the viewport (not the window) to `width`×`height`, as a phone's screen.
    func resize(width: Int, height: Int) throws {
        _ = try call("POST", "/window/rect", ["width": width, "height": height])
        let inner = try run("return [window.innerWidth, window.innerHeight]") as? [Int] ?? [width, height]
        if inner.count == 2, inner != [width, height] {
            _ = try call("POST", "/window/rect", ["width": 2 * width - inner[0], "height": 2 * height - inner[1]])
        }
    }

    /// The first element matching `css`.
    func element(_ css: String) throws -> String {
        let found = try call("POST", "/element", ["using": "css selector", "value": css])
        guard let value = found["value"] as? [String: Any], let id = value[Self.elementKey] as? String else {
            throw HarnessError("no element \(css): \(found)")
        }
        return id
    }

    func elements(_ css: String) throws -> [String] {
        let found = try call("POST", "/elements", ["using": "css selector", "value": css])
        return (found["value"] as? [[String: Any]] ?? []).compactMap { $0[Self.elementKey] as? String }
    }

    /// Clicks the element; found again if the page redrew it between finding and clicking
    /// ("stale element reference": the console redraws a list when an event comes in).
    func click(_ css: String) throws {
        var attempt = 0
        while true {
            do {
                _ = try call("POST", "/element/\(try element(css))/click", [:])
                return
            } catch let error as HarnessError where "\(error)".contains("stale element") && attempt < 5 {
                attempt += 1
            }
        }
    }

    func type(_ css: String, _ text: String) throws {
        _ = try call("POST", "/element/\(try element(css))/value", ["text": text])
    }

    func text(_ css: String) throws -> String {
        (try call("GET", "/element/\(try element(css))/text", nil)["value"] as? String) ?? ""
    }

    /// Presses the pointer on the element, holds it `milliseconds`, and releases it.
    func press(_ css: String, milliseconds: Int) throws {
        var attempt = 0
        while true {
            do {
                return try pressOnce(css, milliseconds: milliseconds)
            } catch let error as HarnessError where "\(error)".contains("stale element") && attempt < 5 {
                attempt += 1
            }
        }
    }

    private func pressOnce(_ css: String, milliseconds: Int) throws {
        let id = try element(css)
        let actions: [String: Any] = [
            "actions": [
                [
                    "type": "pointer", "id": "finger", "parameters": ["pointerType": "touch"],
                    "actions": [
                        ["type": "pointerMove", "duration": 0, "origin": [Self.elementKey: id], "x": 0, "y": 0],
                        ["type": "pointerDown", "button": 0],
                        ["type": "pause", "duration": milliseconds],
                        ["type": "pointerUp", "button": 0],
                    ],
                ] as [String: Any]
            ]
        ]
        _ = try call("POST", "/actions", actions)
    }

    /// Runs `script` in the page and returns its value.
    @discardableResult
    func run(_ script: String, _ args: [Any] = []) throws -> Any? {
        try call("POST", "/execute/sync", ["script": script, "args": args])["value"]
    }

    /// Waits until the JavaScript expression `condition` holds in the page: it is checked at once
    /// and at each change of the page (a MutationObserver), not on a timer.
    func wait(until condition: String, timeout: Int = 30000) throws {
        let script = """
            const done = arguments[arguments.length - 1];
            const check = () => { try { return !!(\(condition)); } catch (e) { return false; } };
            if (check()) { done(true); return; }
            const watch = new MutationObserver(() => { if (check()) { watch.disconnect(); done(true); } });
            watch.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
            """
        do { _ = try call("POST", "/execute/async", ["script": script, "args": []]) } catch {
            let body = (try? run("return document.body.innerText")) as? String ?? ""
            throw HarnessError("the page never satisfied `\(condition)`: \(error)\n--- page ---\n\(body.prefix(2000))")
        }
    }

    /// The value of a cookie, HttpOnly ones included.
    func cookie(_ name: String) throws -> String? {
        let all = try call("GET", "/cookie", nil)["value"] as? [[String: Any]] ?? []
        return all.first { $0["name"] as? String == name }?["value"] as? String
    }

    /// A PNG of the viewport, written to `path`.
    func screenshot(to path: String) throws {
        guard let base64 = try call("GET", "/screenshot", nil)["value"] as? String, let png = Data(base64Encoded: base64) else {
            throw HarnessError("no screenshot")
        }
        try png.write(to: URL(fileURLWithPath: path))
    }

    // MARK: - HTTP

    private func call(_ method: String, _ path: String, _ body: [String: Any]?) throws -> [String: Any] {
        try Self.request(method, base + "/session/\(session)" + path, body)
    }

    static func request(_ method: String, _ url: String, _ body: [String: Any]?) throws -> [String: Any] {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        request.timeoutInterval = 120
        if let body {
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, status) = try HTTP.send(request)
        let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        guard status < 300 else { throw HarnessError("WebDriver \(method) \(url): \(status) \(String(decoding: data, as: UTF8.self).prefix(600))") }
        return json
    }
}

/// Blocking HTTP/1.1 for the tests over a plain socket, one request a connection: URLSession on
/// Linux failed here with "Failed writing header" on loopback.
enum HTTP {
    /// The body and status of one request to 127.0.0.1; throws when nothing answered.
    static func send(_ request: URLRequest) throws -> (Data, Int) {
        guard let url = request.url, let port = url.port else { throw HarnessError("no port in \(String(describing: request.url))") }
        let socket = try RawSocket(tcpPort: port)
        var path = url.path.isEmpty ? "/" : url.path
        if let query = url.query { path += "?" + query }
        // `URL.path` decodes; the test's paths with escapes must go as written.
        if let raw = URLComponents(url: url, resolvingAgainstBaseURL: false)?.percentEncodedPath, !raw.isEmpty { path = raw }
        let body = request.httpBody ?? Data()
        var head = "\(request.httpMethod ?? "GET") \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (name, value) in request.allHTTPHeaderFields ?? [:] { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(body.count)\r\n\r\n"
        let bytes = Array(head.utf8) + Array(body)
        guard bytes.withUnsafeBufferPointer({ Glibc.send(socket.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == bytes.count else {
            throw HarnessError("cannot send to port \(port)")
        }
        var received: [UInt8] = []
        let deadline = ContinuousClock.now + .seconds(request.timeoutInterval > 0 ? Int64(request.timeoutInterval) : 60)
        var chunk = [UInt8](repeating: 0, count: 65536)
        while ContinuousClock.now < deadline {
            var pollfd = Glibc.pollfd(fd: socket.fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pollfd, 1, 200) > 0 else { continue }
            let n = recv(socket.fd, &chunk, chunk.count, 0)
            if n <= 0 { break }
            received += chunk[..<n]
            if let (status, body) = complete(received) { return (body, status) }
        }
        if let (status, body) = complete(received, closed: true) { return (body, status) }
        throw HarnessError("no answer from port \(port)")
    }

    /// The status and body once the response is whole: by Content-Length, else at the close.
    private static func complete(_ bytes: [UInt8], closed: Bool = false) -> (Int, Data)? {
        guard bytes.count >= 4, let end = (0...(bytes.count - 4)).first(where: { bytes[$0] == 13 && bytes[$0 + 1] == 10 && bytes[$0 + 2] == 13 && bytes[$0 + 3] == 10 }) else {
            return nil
        }
        let head = String(decoding: bytes[..<end], as: UTF8.self)
        let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
        let body = Array(bytes[(end + 4)...])
        let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
            .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) }
        if let length, body.count >= length { return (status, Data(body[..<length])) }
        return closed ? (status, Data(body)) : nil
    }

    /// GET `url` with these headers; the body as text and the status.
    static func get(_ url: String, headers: [String: String] = [:]) throws -> (text: String, status: Int) {
        var request = URLRequest(url: URL(string: url)!)
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, status) = try send(request)
        return (String(decoding: data, as: UTF8.self), status)
    }
}

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
