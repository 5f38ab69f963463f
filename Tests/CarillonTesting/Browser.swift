public import Foundation
import Glibc
#if canImport(FoundationNetworking)
public import FoundationNetworking  // URLRequest
#endif

/// Debian's headless Chromium, driven by `/usr/bin/chromedriver` over the W3C WebDriver protocol:
/// JSON over HTTP, spoken here directly, so nothing is downloaded at test time.
public final class Browser: @unchecked Sendable {
    public static let driverPath = "/usr/bin/chromedriver"
    public static let chromiumPath = "/usr/bin/chromium"
    /// The WebDriver id of an element in JSON.
    public static let elementKey = "element-6066-11e4-a52e-4f735466cecf"

    public static var isAvailable: Bool {
        FileManager.default.isExecutableFile(atPath: driverPath) && FileManager.default.isExecutableFile(atPath: chromiumPath)
    }

    public let driver: Process
    /// Chromium's TMPDIR, removed at `quit`.
    public let scratch: String
    public let base: String
    public let session: String

    /// - Parameter microphone: a WAV file the fake microphone plays, looped.
    public init(width: Int = 360, height: Int = 780, microphone: String? = nil, profile: String) throws {
        let port = try freeLoopbackPort()
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
    public func quit() {
        guard !quitted else { return }
        quitted = true
        _ = try? call("DELETE", "", nil)
        // SIGKILL: the test process ignores SIGTERM, and its children inherit that.
        kill(driver.processIdentifier, SIGKILL)
        driver.waitUntilExit()
        try? FileManager.default.removeItem(atPath: scratch)
    }

    // MARK: - Commands

    public func open(_ url: String) throws { _ = try call("POST", "/url", ["url": url]) }

    /// Sizes the viewport (not the window) to `width`×`height`, as a phone's screen.
    public func resize(width: Int, height: Int) throws {
        _ = try call("POST", "/window/rect", ["width": width, "height": height])
        let inner = try run("return [window.innerWidth, window.innerHeight]") as? [Int] ?? [width, height]
        if inner.count == 2, inner != [width, height] {
            _ = try call("POST", "/window/rect", ["width": 2 * width - inner[0], "height": 2 * height - inner[1]])
        }
    }

    /// The first element matching `css`.
    public func element(_ css: String) throws -> String {
        let found = try call("POST", "/element", ["using": "css selector", "value": css])
        guard let value = found["value"] as? [String: Any], let id = value[Self.elementKey] as? String else {
            throw HarnessError("no element \(css): \(found)")
        }
        return id
    }

    public func elements(_ css: String) throws -> [String] {
        let found = try call("POST", "/elements", ["using": "css selector", "value": css])
        return (found["value"] as? [[String: Any]] ?? []).compactMap { $0[Self.elementKey] as? String }
    }

    /// Clicks the element; found again if the page redrew it between finding and clicking
    /// ("stale element reference": the console redraws a list when an event comes in).
    public func click(_ css: String) throws {
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

    public func type(_ css: String, _ text: String) throws {
        _ = try call("POST", "/element/\(try element(css))/value", ["text": text])
    }

    public func text(_ css: String) throws -> String {
        (try call("GET", "/element/\(try element(css))/text", nil)["value"] as? String) ?? ""
    }

    /// Presses the pointer on the element, holds it `milliseconds`, and releases it.
    public func press(_ css: String, milliseconds: Int) throws {
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
    public func run(_ script: String, _ args: [Any] = []) throws -> Any? {
        try call("POST", "/execute/sync", ["script": script, "args": args])["value"]
    }

    /// Waits until the JavaScript expression `condition` holds in the page: it is checked at once
    /// and at each change of the page (a MutationObserver), not on a timer.
    public func wait(until condition: String, timeout: Int = 30000) throws {
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
    public func cookie(_ name: String) throws -> String? {
        let all = try call("GET", "/cookie", nil)["value"] as? [[String: Any]] ?? []
        return all.first { $0["name"] as? String == name }?["value"] as? String
    }

    /// A PNG of the viewport, written to `path`.
    public func screenshot(to path: String) throws {
        guard let base64 = try call("GET", "/screenshot", nil)["value"] as? String, let png = Data(base64Encoded: base64) else {
            throw HarnessError("no screenshot")
        }
        try png.write(to: URL(fileURLWithPath: path))
    }

    // MARK: - HTTP

    private func call(_ method: String, _ path: String, _ body: [String: Any]?) throws -> [String: Any] {
        try Self.request(method, base + "/session/\(session)" + path, body)
    }

    public static func request(_ method: String, _ url: String, _ body: [String: Any]?) throws -> [String: Any] {
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
public enum HTTP {
    /// The body and status of one request to 127.0.0.1; throws when nothing answered.
    public static func send(_ request: URLRequest) throws -> (Data, Int) {
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
    public static func get(_ url: String, headers: [String: String] = [:]) throws -> (text: String, status: Int) {
        var request = URLRequest(url: URL(string: url)!)
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, status) = try send(request)
        return (String(decoding: data, as: UTF8.self), status)
    }
}
