import CarillonProtocol
import CarillonTesting
import Foundation
import Testing

/// A daemon with the phone console on plain HTTP on loopback, a test plan, and the pages of `web/`.
struct ConsoleRig {
    let rig: Rig
    let port: Int
    var url: String { "http://127.0.0.1:\(port)" }

    static let webRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("web").path

    /// - Parameter tls: serve HTTPS with a certificate made for this run (`cert.pem`), not plain HTTP.
    static func start(clipSeconds: Double = 0.5, web: String = "", tls: Bool = false) throws -> ConsoleRig {
        let port = try freeLoopbackPort()
        let rig = try Rig.start(
            clipSeconds: clipSeconds,
            extra: """
                [plans]
                dir = "@DIR@/plans"
                [web]
                listen = "127.0.0.1:\(port)"
                \(tls ? "certificate = \"@DIR@/cert.pem\"\nkey = \"@DIR@/key.pem\"" : "plain_http = true")
                root = "\(webRoot)"
                \(web)
                """,
            catalog: PlanTests.catalog,
            prepare: { directory in
                if tls { _ = try ControlAccessTests.TLSFiles(in: directory) }
                try PlanTests.writeTones(in: directory)
                try directory.write(
                    "plans/fire.toml",
                    """
                    title = "火灾疏散"
                    [[step]]
                    alarm = "alarm.test"
                    seconds = 1
                    [[step]]
                    message = "msg.test"
                    [[notify]]
                    role = "leader"
                    task = "任总指挥：确认起火位置，拨打119。"
                    [[notify]]
                    group = "class-teachers"
                    task = "按疏散路线带领本班撤离，到集合点清点人数。"
                    """)
            })
        return ConsoleRig(rig: rig, port: port)
    }

    func stop() { rig.stop() }

    /// A one-time pairing link from `carillon web pair`.
    func pair(_ name: String, role: String, group: String? = nil) throws -> WebPairing {
        let result = try rig.daemon.client(["web", "pair", "--name", name, "--role", role, "--json"] + (group.map { ["--group", $0] } ?? []))
        guard result.status == 0 else { throw HarnessError("web pair: \(result.stderr)") }
        return try Wire.decoder().decode(WebPairing.self, from: Data(result.stdout.utf8))
    }

    /// A browser paired as `name`, on the console's status page once its WebSocket is up.
    func browser(_ name: String, role: String, group: String? = nil, microphone: String? = nil) throws -> Browser {
        let pairing = try pair(name, role: role, group: group)
        let browser = try Browser(microphone: microphone, profile: rig.directory.file("profile-\(UUID().uuidString.prefix(8))"))
        try browser.open(pairing.link)
        try browser.wait(until: "document.body.dataset.role === '\(role)' && document.querySelectorAll('#zones li').length > 0")
        return browser
    }

    /// `carillon plan status --json`.
    func planStatus() throws -> PlanStatus {
        let result = try rig.daemon.client(["plan", "status", "--json"])
        return try Wire.decoder().decode(PlanStatus.self, from: Data(result.stdout.utf8))
    }

    /// The session cookie's header value for a paired browser.
    func cookie(of browser: Browser) throws -> String {
        "carillon_session=" + (try #require(try browser.cookie("carillon_session")))
    }

    /// Where screenshots go: `CARILLON_SCREENSHOTS`, else the rig's directory (removed after).
    var screenshots: String {
        ProcessInfo.processInfo.environment["CARILLON_SCREENSHOTS"] ?? rig.directory.path
    }

    /// The page at 360×780 and 1280×800, as `NAME-360.png` and `NAME-1280.png`.
    func shoot(_ browser: Browser, _ name: String) throws {
        try browser.screenshot(to: screenshots + "/\(name)-360.png")
        try browser.resize(width: 1280, height: 800)
        try browser.screenshot(to: screenshots + "/\(name)-1280.png")
        try browser.resize(width: 360, height: 780)
    }
}

@Suite("Phone console in a real browser", .serialized, .ownThread, .enabled(if: Browser.isAvailable, "needs chromium and chromium-driver"))
struct ConsoleTests {
    @Test("a phone pairs by its link, sees a clip sounding in its zone, and plays a clip that is heard")
    func pairStatusAndPlay() throws {
        let c = try ConsoleRig.start(clipSeconds: 3)
        defer { c.stop() }
        let browser = try c.browser("初一3班班主任", role: "teacher")
        defer { browser.quit() }
        #expect(try browser.text("#who").contains("初一3班班主任"))
        let devices = try c.rig.daemon.client(["web", "devices", "--json"])
        #expect(devices.stdout.contains("初一3班班主任") && devices.stdout.contains("\"sessions\":1"), "\(devices.stdout)")

        // Status: a clip started from the command line shows in its zone.
        #expect(try c.rig.daemon.client(["play", "test.noise"]).status == 0)
        try browser.wait(until: "document.querySelector('#zones li[data-zone=main] [data-clip=\"test.noise\"]')")
        #expect(try c.rig.daemon.client(["stop"]).status == 0)
        try browser.wait(until: "!document.querySelector('#zones [data-clip]')")

        // Play: found by search, played from the page, heard in the capture, logged as the teacher's.
        try browser.click("#tabs [data-page=play]")
        try browser.type("#search", "noise")
        try browser.wait(until: "document.querySelector('#clips li[data-clip=\"test.noise\"] button.play')")
        try browser.click("#clips li[data-clip=\"test.noise\"] button.play")
        try FileWatch.wait(for: c.rig.capture.path, timeout: .seconds(20)) {
            firstIndex(of: c.rig.clip[0..<64], in: c.rig.capture.samples(), stride: 2) != nil
        }
        let log = try c.rig.daemon.client(["log", "--json", "--source", "manual"])
        #expect(log.stdout.contains("\"requested_by\":\"初一3班班主任@web 127.0.0.1:"), "\(log.stdout)")
        let audit = try c.rig.daemon.client(["log", "--audit", "--json", "--command", "play"])
        #expect(audit.stdout.contains("初一3班班主任") && audit.stdout.contains("\"role\":\"teacher\""), "\(audit.stdout)")
    }

    @Test("a pairing link works once; a revoked device is signed out at once, and refused after")
    func reusedLinkAndRevoke() throws {
        let c = try ConsoleRig.start()
        defer { c.stop() }
        let pairing = try c.pair("保安", role: "teacher")
        let browser = try Browser(profile: c.rig.directory.file("profile-a"))
        defer { browser.quit() }
        try browser.open(pairing.link)
        try browser.wait(until: "document.querySelectorAll('#zones li').length > 0")
        let cookie = try c.cookie(of: browser)

        // The same link again, from another browser: refused, and no second session.
        let again = try HTTP.get(pairing.link)
        #expect(again.status == 403 && again.text.contains("used"), "\(again)")

        let revoked = try c.rig.daemon.client(["web", "revoke", "保安"])
        #expect(revoked.status == 0 && revoked.stdout.contains("保安"), "\(revoked.stderr)")
        // The open console is closed by the daemon, not left to find out.
        try browser.wait(until: "document.body.dataset.state === 'signed-out'")
        let session = try HTTP.get(c.url + "/api/session", headers: ["Cookie": cookie])
        #expect(session.status == 401, "\(session)")
        let socket = try RawWebSocket(port: c.port, origin: c.url, cookie: cookie)
        #expect(!socket.accepted && socket.handshake.hasPrefix("HTTP/1.1 400"), "\(socket.handshake)")
        #expect(c.rig.daemon.log_.contains("console refused") && c.rig.daemon.log_.contains("status=401"))
        #expect(try c.rig.daemon.client(["web", "revoke", "保安"]).status == 1)
    }

    @Test("a tap on a plan does nothing; a 2 s hold starts its drill; two phones get their tasks, one acknowledges, and plan status shows it")
    func planHoldTasksAndRollCall() throws {
        let c = try ConsoleRig.start()
        defer { c.stop() }
        let leader = try c.browser("王校长", role: "leader")
        defer { leader.quit() }
        let teacher = try c.browser("初一3班班主任", role: "teacher", group: "class-teachers")
        defer { teacher.quit() }

        try leader.click("#tabs [data-page=plans]")
        try leader.wait(until: "document.querySelector('#plans button[data-plan=fire]')")
        try leader.press("#plans button[data-plan=fire]", milliseconds: 150)
        try leader.press("#plans button[data-plan=fire]", milliseconds: 2300)
        try leader.wait(until: "!document.getElementById('task-alert').hidden")
        try teacher.wait(until: "!document.getElementById('task-alert').hidden")
        #expect(try teacher.text("#task-text").contains("带领本班撤离"))
        #expect(try leader.text("#task-text").contains("总指挥"))
        // Exactly one start, the hold's, and a drill: the tap sent nothing.
        let starts = try c.rig.daemon.client(["log", "--audit", "--json", "--command", "plan.start"])
        let lines = starts.stdout.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].contains("drill") && lines[0].contains("王校长"), "\(starts.stdout)")
        let running = try #require(try c.planStatus().active)
        #expect(running.drill && running.plan == "fire")
        #expect(Set((running.rollCall ?? []).map(\.person)) == ["王校长", "初一3班班主任"])

        try teacher.click("#task-ack")
        try teacher.wait(until: "document.getElementById('task-alert').hidden")
        let acked = try #require(try c.planStatus().active?.rollCall)
        #expect(acked.first { $0.person == "初一3班班主任" }?.acknowledgedAt != nil)
        #expect(acked.first { $0.person == "王校长" }?.acknowledgedAt == nil)
        let text = try c.rig.daemon.client(["plan", "status"])
        #expect(text.stdout.contains("ok ") && text.stdout.contains("初一3班班主任"), "\(text.stdout)")
        // The leader sees the roll-call and stops the plan; the run keeps it.
        try leader.click("#task-alert .ack")
        try leader.click("#tabs [data-page=tasks]")
        try leader.wait(until: "document.querySelectorAll('#rollcall li').length === 2")
        try leader.click("#tabs [data-page=plans]")
        try leader.click("#plan-stop")
        try leader.wait(until: "document.getElementById('running').hidden")
        let log = try c.rig.daemon.client(["log", "--plans", "--json"])
        let run = try Wire.decoder().decode(PlanRunInfo.self, from: Data(log.stdout.split(separator: "\n")[0].utf8))
        #expect(run.outcome == "stopped" && (run.rollCall ?? []).allSatisfy { $0.acknowledgedAt != nil }, "\(log.stdout)")
    }

    @Test("a shout from the browser's fake microphone is found in the capture by cross-correlation")
    func shoutFromMicrophone() throws {
        let c = try ConsoleRig.start()
        defer { c.stop() }
        let voice = c.rig.directory.file("voice.wav")
        let spoken = try run("/usr/bin/espeak-ng", ["-v", "cmn-latn-pinyin", "-w", voice, "qing3 tong2 xue2 men5 an1 jing4 zou3 xia4 lou2"])
        try #require(spoken.status == 0, "\(spoken.stderr)")
        let browser = try c.browser("初一3班班主任", role: "teacher", microphone: voice)
        defer { browser.quit() }
        try browser.click("#tabs [data-page=shout]")
        try browser.click("#shout-latch")
        try browser.click("#talk")
        try browser.wait(until: "document.getElementById('talk').classList.contains('live')")
        // Six seconds on the air, counted on the capture, not on a clock: the fake microphone loops
        // the file, so a whole copy of it is in there.
        let start = c.rig.capture.size
        try c.rig.capture.waitForSize(start + 6 * 48000 * 4, timeout: .seconds(30))
        try browser.click("#talk")
        try browser.wait(until: "!document.getElementById('talk').classList.contains('live') && document.getElementById('shout-note').textContent.length > 0")
        let source = try WAVSamples(path: voice)
        let captured = c.rig.capture.samples()
        let left = Signal.channel(captured, 0, of: 2, frames: (start / 4)..<(captured.count / 2))
        let score = Envelope.bestCorrelation(
            of: Envelope.of(source.samples, rate: source.rate), in: Envelope.of(left.map { Double($0) }, rate: 48000))
        #expect(score > 0.6, "the voice's envelope correlates only \(score) with the capture")
        #expect(c.rig.daemon.log_.contains("mic_to_speaker_ms"), "no microphone-to-speaker latency was reported")
        let log = try c.rig.daemon.client(["log", "--json", "--source", "shout"])
        #expect(log.stdout.contains("初一3班班主任"), "\(log.stdout)")
    }

    @Test("a teacher books a clip for later from the page, sees it pending, and cancels it; the daemon keeps the same list")
    func announceLater() throws {
        let c = try ConsoleRig.start()
        defer { c.stop() }
        let browser = try c.browser("初一3班班主任", role: "teacher")
        defer { browser.quit() }
        try browser.click("#tabs [data-page=later]")
        try browser.wait(until: "document.querySelectorAll('#later-clip option').length > 1")
        // An hour ahead, as the page's own date and time fields take it.
        try browser.run(
            """
            const at = new Date(Date.now() + 3600000), pad = (n) => String(n).padStart(2, '0');
            document.getElementById('later-date').value = at.getFullYear() + '-' + pad(at.getMonth() + 1) + '-' + pad(at.getDate());
            document.getElementById('later-time').value = pad(at.getHours()) + ':' + pad(at.getMinutes());
            document.getElementById('later-clip').value = 'test.noise';
            """)
        try browser.click("#later-book")
        try browser.wait(until: "document.querySelectorAll('#later-list li').length === 1")
        let listed = try c.rig.daemon.client(["announce", "list", "--json"])
        #expect(listed.stdout.contains("\"clip\":\"test.noise\"") && listed.stdout.contains("初一3班班主任"), "\(listed.stdout)")
        try browser.click("#later-list li button.cancel")
        try browser.wait(until: "document.querySelectorAll('#later-list li').length === 0")
        #expect(try c.rig.daemon.client(["announce", "list", "--json"]).stdout.isEmpty)
    }

    @Test("a viewer's page cannot play, and the daemon refuses its play all the same")
    func viewerCannotPlay() throws {
        let c = try ConsoleRig.start()
        defer { c.stop() }
        let browser = try c.browser("访客", role: "viewer")
        defer { browser.quit() }
        try browser.click("#tabs [data-page=play]")
        try browser.wait(until: "document.querySelectorAll('#clips li').length > 0")
        #expect(try browser.elements("#clips button.play").isEmpty)
        #expect(try browser.run("return document.getElementById('say-send') && true") as? Bool == true)
        let cookie = try c.cookie(of: browser)
        let socket = try RawWebSocket(port: c.port, origin: c.url, cookie: cookie)
        try #require(socket.accepted, "\(socket.handshake)")
        let csrf = try Self.csrf(c, cookie: cookie)
        socket.send(text: #"{"id":1,"cmd":"play","args":{"clip":"test.noise"},"csrf":"\#(csrf)"}"#)
        let reply = socket.next(containing: "\"id\":1")
        #expect(reply?.contains("permission-denied") == true, "\(reply ?? "nothing")")
    }

    @Test("the WebSocket refuses another origin, no session, a missing CSRF token, malformed and oversized messages")
    func socketRefusals() throws {
        let c = try ConsoleRig.start(web: "max_message_bytes = 4096")
        defer { c.stop() }
        let browser = try c.browser("初一3班班主任", role: "teacher")
        defer { browser.quit() }
        let cookie = try c.cookie(of: browser)

        // A refused upgrade is NIO's bare 400; the daemon's log says why, and so does a plain GET.
        for (origin, cookie, status, why) in [
            ("http://evil.example", cookie, 403, "its own pages"), (nil, cookie, 403, "its own pages"),
            (c.url, nil, 401, "not paired"), (c.url, "carillon_session=" + String(repeating: "0", count: 64), 401, "not paired"),
        ] as [(String?, String?, Int, String)] {
            let socket = try RawWebSocket(port: c.port, origin: origin, cookie: cookie)
            #expect(!socket.accepted && socket.handshake.hasPrefix("HTTP/1.1 400"), "\(socket.handshake)")
            var headers: [String: String] = [:]
            if let origin { headers["Origin"] = origin }
            if let cookie { headers["Cookie"] = cookie }
            let plain = try HTTP.get(c.url + "/ws", headers: headers)
            #expect(plain.status == status && plain.text.contains(why), "\(origin ?? "no origin"): \(plain)")
        }
        #expect(c.rig.daemon.log_.contains("console refused"))

        let socket = try RawWebSocket(port: c.port, origin: c.url, cookie: cookie)
        try #require(socket.accepted, "\(socket.handshake)")
        socket.send(text: #"{"id":1,"cmd":"play","args":{"clip":"test.noise"}}"#)
        #expect(socket.next(containing: "\"id\":1")?.contains("CSRF") == true)
        socket.send(text: "{not json")
        #expect(socket.next(containing: "malformed-request") != nil)
        socket.send(opcode: 2, [1, 2, 3])
        #expect(socket.next(containing: "9-byte header") != nil)
        socket.send(text: #"{"id":2,"cmd":"status"}"#)
        #expect(socket.next(containing: "\"id\":2")?.contains("\"ok\":true") == true, "the console went on after bad messages")
        socket.send(text: String(repeating: "x", count: 10000))
        var closedWith: Int?
        while let message = socket.next(timeout: .seconds(20)) {
            if case .close(let code) = message { closedWith = code }
            if case .close = message { break }
            if case .closed = message { break }
        }
        #expect(closedWith == 1009, "an oversized message closes with 1009, not \(String(describing: closedWith))")
        #expect(try c.rig.daemon.client(["status"]).status == 0)
    }

    @Test("static paths cannot leave web/, headers forbid framing and inline script, and a slow client is closed")
    func staticFilesAndSlowClients() throws {
        let c = try ConsoleRig.start(web: "request_timeout = 1")
        defer { c.stop() }
        let index = try HTTP.get(c.url + "/")
        #expect(index.status == 200 && index.text.contains("app.js"))
        for path in ["/../carillon.toml", "/%2e%2e/carillon.toml", "/..%2Fcarillon.toml", "/.hidden", "/%00", "/a\\..\\b"] {
            let answer = try? HTTP.get(c.url + path.replacingOccurrences(of: "\\", with: "%5C"))
            #expect(answer.map { $0.status == 400 || $0.status == 404 } ?? true, "\(path): \(String(describing: answer))")
            #expect(answer?.text.contains("[control]") != true, "\(path) leaked the config")
        }
        let socket = try RawSocket(tcpPort: c.port)
        #expect(socket.send("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"))
        let head = try RawSocket(tcpPort: c.port)
        #expect(head.send("GET /app.js HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"))
        let response = head.readAll(timeout: .seconds(10)).text
        #expect(response.contains("Content-Security-Policy: default-src 'self'; script-src 'self'"), "\(response.prefix(800))")
        #expect(response.contains("X-Frame-Options: DENY") && response.contains("Referrer-Policy: no-referrer"))
        #expect(socket.waitForClose(timeout: .seconds(20)), "a client that never finishes its request is closed")
        #expect(try c.rig.daemon.client(["status"]).status == 0)
    }

    @Test("over HTTPS the console pairs a browser with a Secure cookie and serves its pages; plain HTTP gets nothing")
    func https() throws {
        let c = try ConsoleRig.start(tls: true)
        defer { c.stop() }
        let link = try c.pair("保安", role: "teacher").link
        #expect(link.hasPrefix("https://127.0.0.1:\(c.port)/pair/"), "\(link)")
        func fetch(_ path: String) throws -> String {
            let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(c.port)\r\nConnection: close\r\n\r\n"
            let result = try run(
                "/usr/bin/openssl",
                ["s_client", "-connect", "127.0.0.1:\(c.port)", "-quiet", "-verify_return_error", "-CAfile", c.rig.directory.file("cert.pem")],
                input: request)
            return result.stdout
        }
        let paired = try fetch(String(link.dropFirst("https://127.0.0.1:\(c.port)".count)))
        #expect(paired.hasPrefix("HTTP/1.1 303") && paired.contains("; HttpOnly; SameSite=Strict; Secure"), "\(paired.prefix(600))")
        #expect(paired.contains("Strict-Transport-Security"))
        let index = try fetch("/")
        #expect(index.hasPrefix("HTTP/1.1 200") && index.contains("app.js"), "\(index.prefix(300))")
        let plain = try? HTTP.get(c.url + "/")
        #expect(plain?.status != 200, "plain HTTP was served on the TLS port")
    }

    @Test("every page, at 360×780 and 1280×800", .enabled(if: ProcessInfo.processInfo.environment["CARILLON_SCREENSHOTS"] != nil))
    func screenshots() throws {
        let c = try ConsoleRig.start(clipSeconds: 30)
        defer { c.stop() }
        let browser = try c.browser("王校长", role: "leader", group: "class-teachers")
        defer { browser.quit() }
        _ = try c.pair("初一3班班主任", role: "teacher", group: "class-teachers")
        #expect(try c.rig.daemon.client(["play", "test.noise"]).status == 0)
        try browser.wait(until: "document.querySelector('#zones [data-clip]')")
        try c.shoot(browser, "status")
        for page in ["play", "say", "later", "shout", "log"] {
            try browser.click("#tabs [data-page=\(page)]")
            if page == "play" { try browser.wait(until: "document.querySelectorAll('#clips li').length > 0") }
            if page == "log" { try browser.wait(until: "document.querySelectorAll('#log li').length > 0") }
            if page == "later" {
                try browser.wait(until: "document.querySelectorAll('#later-clip option').length > 1")
                try browser.type("#later-text", "请各班班长到教务处领取试卷。")
                try browser.click("#later-book")
                try browser.wait(until: "document.querySelectorAll('#later-list li').length === 1")
            }
            if page == "say" {
                try browser.type("#say-text", "请同学们于3月5日14:30到操场集合。")
                try browser.click("#say-preview")
                try browser.wait(until: "!document.getElementById('say-shown').hidden")
            }
            try c.shoot(browser, page)
        }
        #expect(try c.rig.daemon.client(["stop"]).status == 0)
        try browser.click("#tabs [data-page=plans]")
        try c.shoot(browser, "plans")
        try browser.press("#plans button[data-plan=fire]", milliseconds: 2300)
        try browser.wait(until: "!document.getElementById('task-alert').hidden")
        try c.shoot(browser, "task-alert")
        try browser.click("#task-ack")
        try browser.click("#tabs [data-page=tasks]")
        try browser.wait(until: "document.getElementById('acked')")
        try c.shoot(browser, "tasks")
    }

    static func csrf(_ c: ConsoleRig, cookie: String) throws -> String {
        let session = try HTTP.get(c.url + "/api/session", headers: ["Cookie": cookie])
        let json = try JSONSerialization.jsonObject(with: Data(session.text.utf8)) as? [String: Any]
        return try #require(json?["csrf"] as? String)
    }
}

/// A WAV file's first channel, as espeak-ng writes it (RIFF, 16-bit PCM).
struct WAVSamples {
    var rate: Int
    var samples: [Double]

    init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path), data.count > 44 else { throw HarnessError("cannot read \(path)") }
        let bytes = [UInt8](data)
        func u32(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24 }
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        var offset = 12
        var rate = 0
        var channels = 1
        while offset + 8 <= bytes.count {
            let id = String(decoding: bytes[offset..<(offset + 4)], as: UTF8.self)
            var size = u32(offset + 4)
            if id == "fmt " {
                channels = u16(offset + 10)
                rate = u32(offset + 12)
            } else if id == "data" {
                // espeak-ng writing to a file it cannot seek leaves the size unset.
                if size == 0 || offset + 8 + size > bytes.count { size = bytes.count - offset - 8 }
                let start = offset + 8
                self.rate = rate
                self.samples = stride(from: start, to: start + size - 1, by: 2 * channels).map { Double(Int16(bitPattern: UInt16(u16($0)))) }
                return
            }
            offset += 8 + size + (size & 1)
        }
        throw HarnessError("no data chunk in \(path)")
    }
}

/// Loudness envelopes, 10 ms a step: what survives a voice's trip through echo cancellation,
/// noise suppression, gain control and Opus, where the waveform does not.
enum Envelope {
    static func of(_ samples: [Double], rate: Int) -> [Double] {
        let step = rate / 100
        return stride(from: 0, to: samples.count - step, by: step).map { start in
            (samples[start..<(start + step)].reduce(0) { $0 + $1 * $1 } / Double(step)).squareRoot()
        }
    }

    /// The best normalized correlation of `needle` at any offset in `haystack`.
    static func bestCorrelation(of needle: [Double], in haystack: [Double]) -> Double {
        guard needle.count > 10, haystack.count >= needle.count else { return 0 }
        let n = Double(needle.count)
        let meanN = needle.reduce(0, +) / n
        let a = needle.map { $0 - meanN }
        let normA = a.reduce(0) { $0 + $1 * $1 }.squareRoot()
        var best = 0.0
        for offset in 0...(haystack.count - needle.count) {
            let window = haystack[offset..<(offset + needle.count)]
            let meanH = window.reduce(0, +) / n
            var dot = 0.0
            var normB = 0.0
            for (i, value) in window.enumerated() {
                let b = value - meanH
                dot += a[i] * b
                normB += b * b
            }
            if normA > 0, normB > 0 { best = max(best, dot / (normA * normB.squareRoot())) }
        }
        return best
    }
}

@Suite("Pairing QR code", .serialized, .ownThread, .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/zbarimg")))
struct PairingQRTests {
    @Test("the QR code `carillon web pair` draws in the terminal decodes, with zbarimg, to the link it prints")
    func qrDecodes() throws {
        let c = try ConsoleRig.start()
        defer { c.stop() }
        let result = try c.rig.daemon.client(["web", "pair", "--name", "初一3班班主任", "--role", "teacher", "--group", "class-teachers"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let link = try #require(lines.first { $0.hasPrefix("http://127.0.0.1:\(c.port)/pair/") })
        let drawn = lines.filter { $0.contains("█") || $0.contains("▀") || $0.contains("▄") }
        try #require(drawn.count > 10, "no QR code drawn: \(result.stdout)")
        // Each character is two rows of modules; drawn (light) halves are the light modules.
        let width = drawn.map(\.count).max() ?? 0
        var rows: [[Bool]] = []  // true: dark
        for line in drawn {
            let characters = Array(line) + Array(repeating: " ", count: width - line.count)
            rows.append(characters.map { $0 != "█" && $0 != "▀" })
            rows.append(characters.map { $0 != "█" && $0 != "▄" })
        }
        // A PGM, 8 pixels a module, with a white border, for zbarimg.
        let scale = 8
        let border = 4 * scale
        let w = width * scale + 2 * border
        let h = rows.count * scale + 2 * border
        var pixels = [UInt8](repeating: 255, count: w * h)
        for (y, row) in rows.enumerated() {
            for (x, dark) in row.enumerated() where dark {
                for dy in 0..<scale {
                    for dx in 0..<scale { pixels[(border + y * scale + dy) * w + border + x * scale + dx] = 0 }
                }
            }
        }
        let path = c.rig.directory.file("qr.pgm")
        try (Data("P5\n\(w) \(h)\n255\n".utf8) + Data(pixels)).write(to: URL(fileURLWithPath: path))
        let decoded = try run("/usr/bin/zbarimg", ["--quiet", "--raw", path])
        #expect(decoded.status == 0, "\(decoded.stderr)")
        #expect(decoded.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == link)
    }
}

@Suite("Console load: 200 consoles open during bells", .serialized, .ownThread)
struct ConsoleLoadTests {
    /// A paired session's cookie, got the way a phone gets it: by opening the link.
    static func cookie(_ c: ConsoleRig, name: String) throws -> String {
        let link = try c.pair(name, role: "viewer").link
        let path = String(link.dropFirst(c.url.count))
        let socket = try RawSocket(tcpPort: c.port)
        #expect(socket.send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(c.port)\r\nConnection: close\r\n\r\n"))
        let response = socket.readAll(timeout: .seconds(10)).text
        let line = try #require(response.split(separator: "\r\n").first { $0.lowercased().hasPrefix("set-cookie:") }, "\(response)")
        return String(line.dropFirst("set-cookie:".count).split(separator: ";")[0]).trimmingCharacters(in: .whitespaces)
    }

    @Test("200 consoles follow the events while five bells ring: every bell sounds, and every console hears of each")
    func manyConsolesDuringBells() throws {
        let c = try ConsoleRig.start()
        defer { c.stop() }
        let cookie = try Self.cookie(c, name: "值班室")
        var sockets: [RawWebSocket] = []
        for _ in 0..<200 {
            let socket = try RawWebSocket(port: c.port, origin: c.url, cookie: cookie)
            try #require(socket.accepted, "\(socket.handshake)")
            socket.send(text: #"{"id":1,"cmd":"events","args":{"kinds":["play."]}}"#)
            sockets.append(socket)
        }
        for socket in sockets { try #require(socket.next(containing: "\"id\":1") != nil) }
        for _ in 0..<5 {
            let played = try c.rig.daemon.client(["play", "bell.start", "--level", "bell", "--wait"])
            #expect(played.status == 0, "\(played.stderr)")
        }
        let log = try c.rig.daemon.client(["log", "--json", "--category", "bell"])
        let bells = log.stdout.split(separator: "\n")
        #expect(bells.count == 5 && bells.allSatisfy { $0.contains("\"outcome\":\"finished\"") }, "\(log.stdout)")
        for (index, socket) in sockets.enumerated() {
            var ended = 0
            while ended < 5, let text = socket.next(containing: "play.ended") {
                if text.contains("bell.start") { ended += 1 }
            }
            #expect(ended == 5, "console \(index) heard of \(ended) bells")
        }
    }
}
