// carillon-city-bench: the city link under load. One mosquitto on loopback, N simulated schools
// (libmosquitto clients in one thread of this process, not N daemons) and K real carillond on
// capture PCMs, all subscribed to the city's alerts. The bureau signs and publishes alerts one
// after another; reported: issue → first alarm sample written at the real daemons (their acks),
// issue → delivered to every simulated school, the broker's memory with every session, and a
// broker restart → everyone reconnected. `make bench-city` runs it (and `make bench` at its end).
import CarillonBundle
import CarillonCity
import CarillonCrypto
import CarillonLink
import CarillonTesting
import Foundation
import Glibc
import Synchronization

struct Options {
    var schools = 2000
    var daemons = 5
    var alerts = 20
    var results = "benchmarks/results/city.json"

    init(_ arguments: [String]) throws {
        var rest = arguments.makeIterator()
        while let flag = rest.next() {
            guard let value = rest.next() else { throw HarnessError("\(flag) needs a value") }
            switch flag {
            case "--schools": schools = Int(value) ?? schools
            case "--daemons": daemons = Int(value) ?? daemons
            case "--alerts": alerts = Int(value) ?? alerts
            case "--results": results = value
            default:
                throw HarnessError(
                    "usage: carillon-city-bench [--schools 2000] [--daemons 5] [--alerts 20] [--results FILE]")
            }
        }
    }
}

func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

func percentile(_ values: [Int64], _ p: Double) -> Int64 {
    guard !values.isEmpty else { return -1 }
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, max(0, Int((Double(sorted.count) * p).rounded(.up)) - 1))]
}

/// Waits (polling: this is a benchmark, not a test) until `done`, or `seconds` pass.
func waitUntil(_ seconds: Double, _ done: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if done() { return true }
        usleep(5000)
    }
    return done()
}

/// The resident memory of a process, in KiB.
func residentKiB(_ pid: pid_t) -> Int {
    let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
    return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
}

/// mosquitto in a directory of its own, started with no signal blocked.
final class Mosquitto {
    let directory: TemporaryDirectory
    let port: Int
    private(set) var pid: pid_t = 0

    init(directory: TemporaryDirectory, port: Int) throws {
        self.directory = directory
        self.port = port
        try directory.write(
            "mosquitto.conf",
            """
            listener \(port) 127.0.0.1
            allow_anonymous true
            persistence true
            persistence_location \(directory.path)/
            max_queued_messages 1000
            user root
            log_dest file \(directory.file("mosquitto.log"))
            log_type error
            log_type warning
            log_type notice
            """)
    }

    func start() throws {
        pid = try spawnDetached(["/usr/sbin/mosquitto", "-c", directory.file("mosquitto.conf")])
        // Listening once a connection is taken.
        guard waitUntil(20, { Self.listening(self.port) }) else {
            throw HarnessError("mosquitto did not listen on \(port)")
        }
    }

    static func listening(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    func stop() {
        guard pid > 0 else { return }
        kill(pid, SIGTERM)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        pid = 0
    }
}

/// What the bureau hears: acks and statuses.
final class Bureau: Sendable {
    final class Heard: Sendable {
        let acks = Mutex<[AlertAck]>([])
        let bundleAcks = Mutex<[BundleAck]>([])
        let online = Mutex<Set<String>>([])
    }
    let heard = Heard()
    let client: MQTTClient
    private let reader: Task<Void, Never>

    init(port: Int) throws {
        client = try MQTTClient(
            .init(
                broker: CityBroker(host: "127.0.0.1", port: port), clientID: "bench-bureau", cleanSession: true,
                subscriptions: [CityTopics.allAcks, CityTopics.allStatuses],
                backoff: Backoff(base: .milliseconds(100), cap: .seconds(1))))
        let events = client.events
        reader = Task { [heard] in
            for await event in events {
                guard case .message(let topic, let payload) = event else { continue }
                if topic.hasSuffix("/ack"), let ack = try? JSONDecoder().decode(AlertAck.self, from: payload) {
                    heard.acks.withLock { $0.append(ack) }
                } else if topic.hasSuffix("/ack"), let ack = try? JSONDecoder().decode(BundleAck.self, from: payload) {
                    heard.bundleAcks.withLock { $0.append(ack) }
                } else if topic.hasSuffix("/status"),
                    let status = try? JSONDecoder().decode(SchoolStatus.self, from: payload)
                {
                    heard.online.withLock {
                        if status.state == "online" { $0.insert(status.school) } else { $0.remove(status.school) }
                    }
                }
            }
        }
        client.start()
    }
}

// MARK: - The run

let options: Options
do { options = try Options(Array(CommandLine.arguments.dropFirst())) } catch {
    print("\(error)")
    exit(2)
}
// Every school is a socket here and in the broker, which inherits the limit.
var limit = rlimit()
getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
limit.rlim_cur = max(limit.rlim_cur, min(limit.rlim_max, rlim_t(options.schools * 2 + 1024)))
setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)

var daemons: [DaemonProcess] = []
var directories: [TemporaryDirectory] = []
let work = try TemporaryDirectory("carillon-city-bench")
let port = 18800 + Int(getpid() % 1000)
let broker = try Mosquitto(directory: work, port: port)
@MainActor func cleanUp() {
    for daemon in daemons { daemon.stop() }
    broker.stop()
    for directory in directories { directory.remove() }
    work.remove()
}
do {
    try broker.start()
    let idle = residentKiB(broker.pid)
    say("broker on 127.0.0.1:\(port), \(idle) KiB resident idle")

    let key = BundleKey.generate()
    try work.write("bureau.pub", BundleKey.pem(key.publicKey))
    let bureau = try Bureau(port: port)

    let sims = SimulatedSchools(count: options.schools, host: "127.0.0.1", port: port)
    let connecting = Date()
    sims.start()
    guard waitUntil(180, { sims.record.withLock { $0.connected } == options.schools }) else {
        throw HarnessError(
            "only \(sims.record.withLock { $0.connected }) of \(options.schools) simulated schools connected")
    }
    say(
        "\(options.schools) simulated schools connected in \(String(format: "%.1f", Date().timeIntervalSince(connecting))) s"
    )

    for index in 0..<options.daemons {
        let directory = try TemporaryDirectory("carillon-city-bench-school")
        directories.append(directory)
        let capture = CapturePCM(path: directory.file("capture.raw"))
        try directory.write(
            "library/catalog.toml",
            "[[clip]]\nid = \"alarm.test\"\ncategory = \"alarm\"\ntitle = \"alarm\"\nfile = \"alarm.wav\"\n")
        try WAVFile.write(
            path: directory.file("library/alarm.wav"), sampleRate: 48000, channels: 1,
            samples: WAVFile.tone(frequency: 1000, seconds: 0.5, sampleRate: 48000, channels: 1))
        daemons.append(
            try DaemonProcess(
                config: """
                    [station]
                    data_dir = "@DIR@/data"
                    [control]
                    socket = "@DIR@/control.sock"
                    [library]
                    dir = "@DIR@/library"
                    [[output]]
                    name = "main"
                    device = "cap"
                    alsa_conf = '''
                    \(capture.alsaConfig)
                    '''
                    [bureau]
                    school = "real-\(index)"
                    keys = ["\(work.file("bureau.pub"))"]
                    [city]
                    broker = "127.0.0.1:\(port)"
                    """, in: directory))
    }
    guard waitUntil(240, { bureau.heard.online.withLock { $0.count } == options.daemons }) else {
        for daemon in daemons { say(String(daemon.log_.suffix(1500))) }
        throw HarnessError("only \(bureau.heard.online.withLock { $0.count }) of \(options.daemons) daemons online")
    }
    // The countdown's speech is rendered after start; an alert then would wait for it.
    guard waitUntil(180, { daemons.allSatisfy { $0.log_.contains("city countdown ready") } }) else {
        throw HarnessError("the daemons' countdown speech was not ready within 180 s")
    }
    let loaded = residentKiB(broker.pid)
    say(
        "\(options.daemons) daemons online; broker \(loaded) KiB resident with \(options.schools + options.daemons + 1) sessions"
    )

    var delivered: [Int64] = []
    var lastDelivered: [Int64] = []
    var firstSample: [Int64] = []
    var missing = 0
    for round in 0..<options.alerts {
        let issued = millisecondsSince1970(Date())
        let alert = CityAlert(
            id: UUID().uuidString.lowercased(), key: BundleKey.id(of: key.publicKey), issued: issued,
            expires: issued + 30_000, drill: true,
            clip: "alarm.test")
        let envelope = try SignedAlert.sign(alert, with: key)
        bureau.client.publish(CityTopics.cityAlert, envelope)
        let done = waitUntil(15) {
            sims.record.withLock { $0.received[payloadKey(envelope)]?.count ?? 0 } == options.schools
                && bureau.heard.acks.withLock { acks in acks.filter { $0.alert == alert.id }.count } == options.daemons
        }
        let received = sims.record.withLock { $0.received[payloadKey(envelope)] ?? [] }
        let acks = bureau.heard.acks.withLock { acks in acks.filter { $0.alert == alert.id } }
        if !done { missing += options.schools - received.count + options.daemons - acks.count }
        delivered += received.map { $0 - issued }
        lastDelivered.append((received.max() ?? issued) - issued)
        firstSample += acks.compactMap { $0.firstSample.map { $0 - issued } }
        say(
            "alert \(round + 1): delivered to \(received.count) in ≤ \((received.max() ?? issued) - issued) ms; "
                + "first sample at \(acks.count) daemons p50 \(percentile(acks.compactMap { $0.firstSample.map { $0 - issued } }, 0.5)) ms"
        )
        // Each sounds half a second; the next cuts it anyway, at the same level.
        usleep(700_000)
    }

    // A bundle notice to the simulated schools' district, retained, fetched from a URL: each waits
    // its random delay (up to 10 s, as the link does), applies it (simulated) and answers.
    let fake = Data("a bundle the simulated schools do not fetch".utf8)
    let notice = BundleNotice.make(
        bundle: fake, version: 2, digest: String(repeating: "c", count: 64), url: "https://127.0.0.1/v2.bundle",
        issued: millisecondsSince1970(Date()))
    let noticeSent = Date()
    bureau.client.publish(CityTopics.districtBundle(SimulatedSchools.district), notice.encoded(), retain: true)
    let allApplied = waitUntil(120) {
        bureau.heard.bundleAcks.withLock { acks in Set(acks.filter { $0.digest == notice.digest }.map(\.school)).count } == options.schools
    }
    let appliedSeconds = allApplied ? Date().timeIntervalSince(noticeSent) : -1
    say("bundle notice → applied (simulated) at \(options.schools) schools: \(allApplied ? String(format: "%.1f s", appliedSeconds) : "not all within 120 s")")

    say("broker restart: SIGTERM, start again")
    let connectionsBefore = sims.record.withLock { $0.connections }
    let restart = Date()
    broker.stop()
    try broker.start()
    let back = waitUntil(120) {
        sims.record.withLock {
            $0.connected == options.schools && $0.connections >= connectionsBefore + options.schools
        }
    }
    let simsBack = sims.record.withLock { Double($0.lastConnect) / 1000 } - restart.timeIntervalSince1970
    let daemonsBack = waitUntil(120) {
        daemons.allSatisfy { $0.log_.components(separatedBy: "city link connected").count >= 3 }
    }
    let allBack = Date().timeIntervalSince(restart)
    sims.stop()

    let summary: [String: Any] = [
        "schools_simulated": options.schools, "daemons": options.daemons, "alerts": options.alerts,
        "missing_answers": missing,
        "issue_to_first_sample_ms": [
            "p50": percentile(firstSample, 0.5), "p99": percentile(firstSample, 0.99), "count": firstSample.count,
        ],
        "issue_to_delivered_ms": [
            "p50": percentile(delivered, 0.5), "p99": percentile(delivered, 0.99), "count": delivered.count,
        ],
        "issue_to_delivered_to_all_ms": ["p50": percentile(lastDelivered, 0.5), "max": lastDelivered.max() ?? -1],
        "broker_rss_kib": ["idle": idle, "with_sessions": loaded],
        "bundle_notice_to_all_applied_simulated_s": appliedSeconds,
        "restart_simulated_reconnected_s": back ? simsBack : -1,
        "restart_all_reconnected_s": back && daemonsBack ? allBack : -1,
        "load_average": ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "").split(separator: " ")
            .prefix(3).joined(separator: " "),
        "at": ISO8601DateFormatter().string(from: Date()),
    ]
    say(
        """
        city link, \(options.schools) simulated schools + \(options.daemons) daemons, \(options.alerts) alerts:
          issue → first alarm sample written (daemons): p50 \(percentile(firstSample, 0.5)) ms, p99 \(percentile(firstSample, 0.99)) ms (target p99 ≤ 250 ms)
          issue → delivered (each school): p50 \(percentile(delivered, 0.5)) ms, p99 \(percentile(delivered, 0.99)) ms (target p99 ≤ 100 ms)
          issue → delivered to all \(options.schools): median \(percentile(lastDelivered, 0.5)) ms, worst \(lastDelivered.max() ?? -1) ms
          bundle notice → applied at all \(options.schools) (simulated apply after the link's random wait of up to 10 s): \(allApplied ? String(format: "%.1f s", appliedSeconds) : "not all within 120 s") (target ≤ 60 s)
          broker memory: \(idle) KiB idle, \(loaded) KiB with \(options.schools + options.daemons + 1) sessions
          broker restart → simulated schools reconnected: \(back ? String(format: "%.1f s", simsBack) : "not all within 120 s"); everyone: \(back && daemonsBack ? String(format: "%.1f s", allBack) : "not all within 120 s") (target ≤ 30 s)
          answers missing: \(missing)
        """)
    let json = try JSONSerialization.data(withJSONObject: summary, options: [.prettyPrinted, .sortedKeys])
    try json.write(to: URL(fileURLWithPath: options.results))
    say("wrote \(options.results)")
    cleanUp()
} catch {
    say("city bench failed: \(error)")
    cleanUp()
    exit(1)
}
