import CarillonBundle
import CarillonCity
import CarillonCrypto
import CarillonLink
import CarillonProtocol
import CarillonTesting
import Foundation
import Glibc
import Synchronization
import Testing

/// The city link against a real mosquitto on loopback: a real daemon on a captured PCM hears the
/// bureau's alerts through the broker, sounds the good one and refuses the rest, answering each.
@Suite("City link", .serialized, .ownThread)
struct CityTests {
    static let school = "sz-0001"

    /// A daemon of school `sz-0001` in district `nanshan`, linked to `broker`, trusting `key`; its
    /// plan `quake` is one second of the 1 kHz test alarm.
    static func start(broker: Broker, key: Curve25519.Signing.PrivateKey) throws -> Rig {
        try Rig.start(
            extra: """
                [plans]
                dir = "@DIR@/plans"
                [bureau]
                school = "\(school)"
                keys = ["@DIR@/bureau.pub"]
                [city]
                broker = "127.0.0.1:\(broker.port)"
                district = "nanshan"
                """,
            catalog: """
                [[clip]]
                id = "alarm.test"
                category = "alarm"
                title = "test alarm"
                file = "alarm1k.wav"
                """,
            prepare: { directory in
                try WAVFile.write(
                    path: directory.file("library/alarm1k.wav"), sampleRate: 48000, channels: 1,
                    samples: WAVFile.tone(frequency: 1000, seconds: 1, sampleRate: 48000, channels: 1))
                try directory.write("plans/quake.toml", "title = \"地震\"\ncycles = 1\n[[step]]\nalarm = \"alarm.test\"\nseconds = 1\n")
                try directory.write("bureau.pub", BundleKey.pem(key.publicKey))
                try directory.write("bureau.key", BundleKey.pem(key))
            })
    }

    /// An alert signed by `signer`, issued now unless told otherwise.
    static func alert(
        _ key: Curve25519.Signing.PrivateKey, id: String = UUID().uuidString.lowercased(), issuedAgo: Int64 = 0, lifetime: Int64 = 30_000,
        schools: [String]? = nil, plan: String? = nil, clip: String? = "test.noise", signer: Curve25519.Signing.PrivateKey? = nil
    ) throws -> (id: String, envelope: Data) {
        let issued = millisecondsSince1970(Date()) - issuedAgo
        let alert = CityAlert(
            id: id, key: BundleKey.id(of: (signer ?? key).publicKey), issued: issued, expires: issued + lifetime, schools: schools,
            drill: true, plan: plan, clip: plan == nil ? clip : nil)
        return (id, try SignedAlert.sign(alert, with: signer ?? key))
    }

    /// A broker, the daemon linked to it, and the bureau's client, the school online; all of them
    /// stopped and removed after `body`.
    static func withLinkedSchool(
        _ body: (_ broker: Broker, _ rig: Rig, _ bureau: Inbox, _ key: Curve25519.Signing.PrivateKey) async throws -> Void
    ) async throws {
        let broker = try Broker()
        defer { broker.remove() }
        let key = BundleKey.generate()
        let rig = try Self.start(broker: broker, key: key)
        defer { rig.stop() }
        let bureau = try Inbox(port: broker.port)
        defer { bureau.close() }
        _ = try await bureau.status(of: Self.school, "online")
        try await body(broker, rig, bureau, key)
    }

    @Test("a signed drill sounds through the broker; forged, expired, replayed and mistargeted alerts are refused and acknowledged so")
    func alertsThroughTheBroker() async throws {
        try await Self.withLinkedSchool { broker, rig, bureau, key in
            // The client signs and publishes the drill, and waits for the school's answer.
            let frame = rig.capture.samples().count / 2
            let published = try run(
                Binaries.client,
                [
                    "city", "alert", "--key", rig.directory.file("bureau.key"), "--plan", "quake", "--drill", "--schools", Self.school,
                    "--broker", "127.0.0.1:\(broker.port)", "--wait", "30s",
                ])
            #expect(published.status == 0, "\(published.stdout)\(published.stderr)\n\(rig.daemon.log_)")
            #expect(published.stdout.contains("sounded at 1 school; issue to first alarm sample p50"), "\(published.stdout)")
            let order = try PlanTests.waitForTones(rig, from: frame, count: 1)
            #expect(order.first == "1k", "the plan's alarm is not in the capture: \(order)")

            // Each bad alert is answered as refused, with its reason.
            let stranger = BundleKey.generate()
            let forged = try Self.alert(key, signer: stranger)
            let expired = try Self.alert(key, issuedAgo: 60_000, lifetime: 30_000)
            let elsewhere = try Self.alert(key, schools: ["sz-0002"])
            let good = try Self.alert(key)
            let unknownPlan = try Self.alert(key, plan: "nope")
            // Signed by the bureau, then altered on the way: a real alarm instead of a drill.
            let original = try Self.alert(key)
            var tampered = try JSONDecoder().decode(SignedAlert.self, from: original.envelope)
            var altered = try JSONDecoder().decode(CityAlert.self, from: try #require(Data(base64Encoded: tampered.alert)))
            altered.drill = false
            tampered.alert = try JSONEncoder().encode(altered).base64EncodedString()
            for envelope in [
                forged.envelope, expired.envelope, elsewhere.envelope, good.envelope, good.envelope, try JSONEncoder().encode(tampered),
                unknownPlan.envelope,
            ] {
                bureau.publish(CityTopics.cityAlert, envelope)
            }
            bureau.publish(CityTopics.districtAlert("futian"), try Self.alert(key).envelope)  // not subscribed: never heard
            bureau.publish(CityTopics.cityAlert, Data("{\"alert\": 1}".utf8))
            // The drill's answer came first; then these eight.
            let acks = try await bureau.acks(count: 9)
            func reasons(_ id: String) -> Set<String> { Set(acks.filter { $0.alert == id }.map { $0.reason ?? $0.outcome }) }
            #expect(reasons(forged.id) == ["unknown-key"])
            #expect(reasons(expired.id) == ["expired"])
            #expect(reasons(elsewhere.id) == ["not-for-us"])
            #expect(reasons(original.id) == ["bad-signature"])
            #expect(reasons(good.id) == ["sounded", "replayed"], "\(acks)")
            #expect(acks.first { $0.alert == unknownPlan.id }?.outcome == "failed", "valid, but this school has no such plan")
            #expect(acks.contains { $0.alert == nil && $0.reason == "malformed" })
            #expect(acks.allSatisfy { $0.school == Self.school && ($0.outcome == "sounded") == ($0.reason == nil) })
            let sounded = try #require(acks.first { $0.alert == good.id && $0.outcome == "sounded" })
            let first = try #require(sounded.firstSample)
            #expect(first >= sounded.received)

            // `status` shows the link and what it heard.
            let status = try Wire.decoder().decode(StatusResult.self, from: Data(try rig.daemon.client(["status", "--json"]).stdout.utf8))
            let city = try #require(status.city)
            #expect(city.state == "connected")
            #expect(city.sounded == 2 && city.refused == 6 && city.failed == 1, "\(city)")
            let metrics = try rig.daemon.client(["request", "metrics"]).stdout
            #expect(metrics.contains(#"carillon_city_alerts_total{outcome=\"sounded\"} 2"#), "\(metrics)")
        }
    }

    @Test("a countdown: the alarm, the spoken cues on their seconds, then the plan at the event")
    func countdown() async throws {
        try await Self.withLinkedSchool { broker, rig, bureau, key in
            // The cues are rendered after start; an alert before that waits for them, and its countdown is shorter.
            try FileWatch.wait(for: rig.directory.file("daemon.log"), timeout: .seconds(60)) {
                rig.daemon.log_.contains("city countdown ready")
            }
            let frame = rig.capture.samples().count / 2
            // Four seconds from issue: the alarm, 地震预警，还有2秒 at 2 s, 一 at 3 s, the plan's alarm at 4 s;
            // all of it earlier by the delay from issue to the first sample.
            let published = try run(
                Binaries.client,
                [
                    "city", "alert", "--key", rig.directory.file("bureau.key"), "--plan", "quake", "--countdown", "4", "--schools",
                    Self.school, "--broker", "127.0.0.1:\(broker.port)", "--wait", "30s",
                ])
            #expect(published.status == 0, "\(published.stdout)\(published.stderr)")
            _ = try PlanTests.waitForTones(rig, from: frame, count: 1)
            try PlanTests.waitFor(rig, seconds: 5.5)
            let samples = rig.capture.samples()
            // The 0.1 s windows from the alarm's first: 1k, then speech (sound, but not the tone), then 1k again.
            var start = frame
            while start + 4800 <= samples.count / 2, PlanTests.label(samples, at: start) != "1k" { start += 4800 }
            func window(_ second: Double) -> (label: String?, rms: Double) {
                let at = start + Int(second * 48000)
                return (PlanTests.label(samples, at: at), Signal.rms(Signal.channel(samples, 0, of: 2, frames: at..<(at + 4800))))
            }
            for second in [0.2, 1.0, 1.6] { #expect(window(second).label == "1k", "alarm at \(second) s") }
            let spoken = [2.3, 2.6, 3.1, 3.3].map { window($0).rms }
            #expect(spoken.contains { $0 > 0.01 }, "no speech between 2 s and 4 s: \(spoken)")
            let timeline = stride(from: 0.0, to: 5.5, by: 0.1).map { "\(window($0).label ?? (window($0).rms > 0.01 ? "~" : "-"))" }
            let delay = try #require(
                published.stdout.split(separator: "p50 ").last.flatMap { Double($0.prefix { $0.isNumber }) }, "\(published.stdout)")
            // The plan's 1 s alarm: where the countdown ends, the event's instant.
            let event = 4 - delay / 1000
            for second in [event + 0.2, event + 0.7] {
                #expect(window(second).label == "1k", "the plan's alarm at \(second) s (delay \(delay) ms): \(timeline)")
            }
            _ = bureau
        }
    }

    @Test("the daemon survives a broker restart and sounds the next alert; killed, it is marked offline by its last will; restarted, it does not replay")
    func brokerRestartAndLastWill() async throws {
        try await Self.withLinkedSchool { broker, rig, bureau, key in
            try broker.restart()
            try FileWatch.wait(for: rig.directory.file("daemon.log"), timeout: .seconds(30)) {
                rig.daemon.log_.components(separatedBy: "city link connected").count >= 3
            }
            try await bureau.connected(times: 2)
            let alert = try Self.alert(key)
            bureau.publish(CityTopics.cityAlert, alert.envelope)
            let acks = try await bureau.acks(count: 1)
            #expect(acks.first?.alert == alert.id && acks.first?.outcome == "sounded", "\(acks)\n\(rig.daemon.log_)")

            // Killed without a word: the broker publishes the will.
            kill(rig.daemon.process.processIdentifier, SIGKILL)
            rig.daemon.process.waitUntilExit()
            _ = try await bureau.status(of: Self.school, "offline")

            // Restarted, it hears the same alert again (a broker's redelivery, or an attacker's replay): refused.
            let again = try DaemonProcess(
                config: String(contentsOfFile: rig.daemon.configPath, encoding: .utf8), in: rig.directory)
            defer { again.stop() }
            _ = try await bureau.status(of: Self.school, "online")
            bureau.publish(CityTopics.cityAlert, alert.envelope)
            let replay = try await bureau.acks(count: 2)
            #expect(replay.last?.reason == "replayed", "\(replay)")
        }
    }
}

/// A real mosquitto on a loopback port, in a temporary directory of its own; persistent, so a
/// restart keeps sessions and retained messages as a production broker would.
final class Broker: @unchecked Sendable {
    // Used by one test at a time.
    let directory: TemporaryDirectory
    let port: Int
    private var pid: pid_t = 0
    private var starts = 0

    /// A broker for anonymous clients on a free loopback port.
    convenience init() throws {
        let directory = try TemporaryDirectory("carillon-mqtt")
        let port: Int
        do { port = try freeLoopbackPort() } catch {
            directory.remove()
            throw error
        }
        try self.init(
            directory: directory, port: port,
            config: """
                listener \(port) 127.0.0.1
                allow_anonymous true
                persistence true
                persistence_location \(directory.path)/
                """)
    }

    /// A broker with `config` (written to `mosquitto.conf` in `directory`, which it then owns),
    /// run as root with its log in `mosquitto.log`; `port` is the one clients use by default.
    init(directory: TemporaryDirectory, port: Int, config: String, logTypes: [String] = ["error", "warning", "notice", "information"]) throws {
        self.directory = directory
        self.port = port
        do {
            try directory.write(
                "mosquitto.conf",
                config + "\nuser root\nlog_dest file \(directory.file("mosquitto.log"))\n" + logTypes.map { "log_type \($0)\n" }.joined())
            try start()
        } catch {
            remove()
            throw error
        }
    }

    /// Starts mosquitto and returns once it says it runs (its listener is open by then). Its log is
    /// a file of its own: written to stdout, it stays in stdio's buffer.
    func start() throws {
        starts += 1
        pid = try spawnDetached(["/usr/sbin/mosquitto", "-c", directory.file("mosquitto.conf")])
        let log = directory.file("mosquitto.log")
        func text() -> String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
        let starts = starts
        try FileWatch.wait(for: log, timeout: .seconds(20)) {
            text().components(separatedBy: " running").count > starts || !isRunning
        }
        guard isRunning else { throw HarnessError("mosquitto did not start:\n\(text())") }
    }

    /// Whether the broker process is alive (a dead one is reaped here).
    var isRunning: Bool {
        guard pid > 0 else { return false }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid {
            pid = 0
            return false
        }
        return true
    }

    /// Stops it (SIGTERM: it saves its sessions) and starts it again on the same port.
    func restart() throws {
        stop()
        try start()
    }

    func stop() {
        guard pid > 0 else { return }
        kill(pid, SIGTERM)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        pid = 0
    }

    func remove() {
        stop()
        directory.remove()
    }
}

/// The bureau's side for the tests: an MQTT client that publishes and keeps every ack and status
/// it hears, and waits on them (never on a sleep).
final class Inbox: Sendable {
    private let client: MQTTClient
    /// What the reader task records, shared with it.
    private final class Record: Sendable {
        let heard = Mutex<[(topic: String, payload: Data)]>([])
        let connections = Mutex(0)
    }
    private let record = Record()
    private let changes: AsyncStream<Void>
    private let changed: AsyncStream<Void>.Continuation
    private let reader: Task<Void, Never>

    convenience init(port: Int, also: [String] = []) throws {
        try self.init(broker: CityBroker(host: "127.0.0.1", port: port), also: also)
    }

    /// A client of `broker` that hears acks, statuses and `also`.
    init(broker: CityBroker, clientID: String = "test-bureau-\(UUID().uuidString.prefix(8))", also: [String] = []) throws {
        client = try MQTTClient(
            .init(
                broker: broker, clientID: clientID, cleanSession: true, subscriptions: [CityTopics.allAcks, CityTopics.allStatuses] + also,
                backoff: Backoff(base: .milliseconds(100), cap: .seconds(1))))
        let (changes, changed) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        self.changes = changes
        self.changed = changed
        let events = client.events
        reader = Task { [record] in
            for await event in events {
                switch event {
                case .message(let topic, let payload): record.heard.withLock { $0.append((topic, payload)) }
                case .connected: record.connections.withLock { $0 += 1 }
                case .disconnected: break
                }
                changed.yield()
            }
        }
        client.start()
    }

    func publish(_ topic: String, _ payload: Data, retain: Bool = false) {
        client.publish(topic, payload, retain: retain)
    }

    /// Everything heard so far.
    var heard: [(topic: String, payload: Data)] { record.heard.withLock { $0 } }

    /// Waits until `find` finds something in what was heard.
    func wait<T>(timeout: Duration = .seconds(30), _ what: String, _ find: ([(topic: String, payload: Data)]) -> T?) async throws -> T {
        let deadline = ContinuousClock.now + timeout
        // Woken by each message and connection, and once at the deadline.
        let alarm = Task { [changed] in
            try? await Task.sleep(until: deadline)
            changed.yield()
        }
        defer { alarm.cancel() }
        var wakes = changes.makeAsyncIterator()
        while true {
            if let found = record.heard.withLock({ find($0) }) { return found }
            guard ContinuousClock.now < deadline else { throw HarnessError("no \(what) within \(timeout)") }
            _ = await wakes.next()
        }
    }

    /// Waits until the client has connected `times` times (a broker restart makes a second).
    func connected(times: Int) async throws {
        let record = record
        _ = try await wait("connection \(times)") { _ in record.connections.withLock { $0 >= times } ? true : nil }
    }

    /// The latest retained status of `school`, once it is `state`.
    func status(of school: String, _ state: String) async throws -> SchoolStatus {
        try await wait("status \(state) of \(school)") { heard in
            heard.last { $0.topic == CityTopics.status(school) }
                .flatMap { try? JSONDecoder().decode(SchoolStatus.self, from: $0.payload) }
                .flatMap { $0.state == state ? $0 : nil }
        }
    }

    /// The first `count` acks heard, in order.
    func acks(count: Int) async throws -> [AlertAck] {
        try await wait("\(count) acks") { heard in
            let acks = heard.filter { $0.topic.hasSuffix("/ack") }.compactMap { try? JSONDecoder().decode(AlertAck.self, from: $0.payload) }
            return acks.count >= count ? acks : nil
        }
    }

    func close() {
        reader.cancel()
        changed.finish()
        let client = client
        let done = DispatchSemaphore(value: 0)
        Task {
            await client.stop()
            done.signal()
        }
        done.wait()
    }
}
