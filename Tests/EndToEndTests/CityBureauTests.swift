import CarillonBundle
import CarillonCity
import CarillonCore
import CarillonCrypto
import CarillonLink
import CarillonProtocol
import CarillonTesting
import Foundation
import Glibc
import Testing

/// The bureau's side of the city link against a real mosquitto: the broker's config and
/// certificates as `city broker-config` makes them, on TLS; bundles through the broker, inline and
/// fetched over HTTPS, to a school that was offline and across a broker restart; the bureau's
/// `city status` and `city stats`.
@Suite("City link: the bureau", .serialized, .ownThread)
struct CityBureauTests {
    /// A schools file of two schools in two districts (the dial-in columns are filled, unused here).
    static func schoolsFile(in directory: TemporaryDirectory) throws -> String {
        let pin = String(repeating: "ab", count: 32)
        try directory.write(
            "schools.csv",
            """
            id,address,token_file,ca,pin,district
            sz-0001,127.0.0.1:1,token,,\(pin),nanshan
            sz-0002,127.0.0.1:2,token,,\(pin),futian

            """)
        return directory.file("schools.csv")
    }

    /// Runs `city broker-config` and its make-certs.sh in `directory`, for the broker on 127.0.0.1.
    static func brokerConfig(in directory: TemporaryDirectory, schoolPort: Int, bureauPort: Int) throws {
        let made = try run(
            Binaries.client,
            [
                "city", "broker-config", "--schools", try schoolsFile(in: directory), "--out", directory.path,
                "--broker-host", "127.0.0.1",
                "--broker-host", "localhost", "--school-port", "\(schoolPort)", "--bureau-port", "\(bureauPort)",
            ])
        #expect(made.status == 0, "\(made.stderr)")
        #expect(made.stdout.contains("for 2 schools in 2 districts"), "\(made.stdout)")
        let certs = try run("/bin/sh", [directory.file("make-certs.sh")])
        #expect(certs.status == 0, "\(certs.stdout)\(certs.stderr)")
        for file in [
            "schools-ca.crt", "bureau-ca.crt", "broker.crt", "bureau.crt", "schools/sz-0001/sz-0001.crt",
            "schools/sz-0002/sz-0002.key",
        ] {
            #expect(FileManager.default.fileExists(atPath: directory.file(file)), "no \(file)")
        }
        // Run again, it keeps what it made.
        let before = try String(contentsOfFile: directory.file("broker.crt"), encoding: .utf8)
        #expect(try run("/bin/sh", [directory.file("make-certs.sh")]).status == 0)
        #expect(try String(contentsOfFile: directory.file("broker.crt"), encoding: .utf8) == before)
    }

    @Test(
        "broker-config: a school's certificate cannot publish an alert, read another school's topics or take its session; a bureau alert reaches the school over TLS"
    )
    func brokerConfigOverTLS() async throws {
        let directory = try TemporaryDirectory("carillon-mqtt-tls")
        let schoolPort = try freeLoopbackPort()
        let bureauPort = try freeLoopbackPort()
        do { try Self.brokerConfig(in: directory, schoolPort: schoolPort, bureauPort: bureauPort) } catch {
            directory.remove()
            throw error
        }
        let config = try String(contentsOfFile: directory.file("mosquitto.conf"), encoding: .utf8)
        #expect(config.contains("use_identity_as_username true") && config.contains("use_username_as_clientid true"))
        #expect(
            try String(contentsOfFile: directory.file("acl-schools"), encoding: .utf8).contains(
                "user sz-0002\ntopic read carillon/v1/district/futian/#"))
        // Denied publishes are logged at debug level only.
        let broker = try Broker(directory: directory, port: schoolPort, config: config, logTypes: ["all"])
        defer { broker.remove() }
        let key = BundleKey.generate()
        let rig = try Rig.start(
            extra: """
                [bureau]
                school = "sz-0001"
                keys = ["@DIR@/bureau.pub"]
                [city]
                broker = "127.0.0.1:\(schoolPort)"
                district = "nanshan"
                ca_file = "\(directory.file("schools/sz-0001/ca.crt"))"
                cert_file = "\(directory.file("schools/sz-0001/sz-0001.crt"))"
                key_file = "\(directory.file("schools/sz-0001/sz-0001.key"))"
                """,
            prepare: { rigDirectory in
                try rigDirectory.write("bureau.pub", BundleKey.pem(key.publicKey))
                try rigDirectory.write("bureau.key", BundleKey.pem(key))
            })
        defer { rig.stop() }
        let bureauTLS = CityBroker(
            host: "127.0.0.1", port: bureauPort, caFile: directory.file("schools-ca.crt"),
            certFile: directory.file("bureau.crt"),
            keyFile: directory.file("bureau.key"))
        let bureau = try Inbox(broker: bureauTLS)
        defer { bureau.close() }
        _ = try await bureau.status(of: "sz-0001", "online")

        // School sz-0002's credentials, asking for sz-0001's client id and topics.
        let impostor = try Inbox(
            broker: CityBroker(
                host: "127.0.0.1", port: schoolPort, caFile: directory.file("schools/sz-0002/ca.crt"),
                certFile: directory.file("schools/sz-0002/sz-0002.crt"),
                keyFile: directory.file("schools/sz-0002/sz-0002.key")),
            clientID: "carillon-school-sz-0001",
            also: [
                "carillon/v1/city/#", "carillon/v1/school/sz-0001/#", "carillon/v1/district/nanshan/#",
                CityTopics.schoolBundle("sz-0002"),
            ])
        defer { impostor.close() }
        try await impostor.connected(times: 1)
        // A school certificate on the bureau's port: refused by its CA.
        let wrongPort = try MQTTClient(
            .init(
                broker: CityBroker(
                    host: "127.0.0.1", port: bureauPort, caFile: directory.file("schools/sz-0002/ca.crt"),
                    certFile: directory.file("schools/sz-0002/sz-0002.crt"),
                    keyFile: directory.file("schools/sz-0002/sz-0002.key")),
                clientID: "wrong-port", cleanSession: true))
        wrongPort.start()
        var wrongEvents = wrongPort.events.makeAsyncIterator()
        let first = await wrongEvents.next()
        await wrongPort.stop()
        guard case .disconnected = first else {
            Issue.record("a school certificate opened the bureau's port: \(String(describing: first))")
            return
        }

        // The impostor publishes a validly signed alert: the broker denies it.
        let forgedByASchool = try CityTests.alert(key, schools: ["sz-0001"])
        impostor.publish(CityTopics.cityAlert, forgedByASchool.envelope)
        try FileWatch.wait(for: directory.file("mosquitto.log"), timeout: .seconds(20)) {
            ((try? String(contentsOfFile: directory.file("mosquitto.log"), encoding: .utf8)) ?? "").contains(
                "Denied PUBLISH from")
        }

        // The bureau's alert, from the client over TLS with the bureau's certificate.
        let published = try run(
            Binaries.client,
            [
                "city", "alert", "--key", rig.directory.file("bureau.key"), "--clip", "test.noise", "--drill",
                "--schools", "sz-0001",
                "--broker", "127.0.0.1:\(bureauPort)", "--broker-ca", directory.file("schools-ca.crt"), "--cert",
                directory.file("bureau.crt"),
                "--cert-key", directory.file("bureau.key"), "--wait", "30s",
            ])
        #expect(published.status == 0, "\(published.stdout)\(published.stderr)\n\(rig.daemon.log_)")
        #expect(published.stdout.contains("sounded at 1 school"), "\(published.stdout)")
        let acks = try await bureau.acks(count: 1)
        #expect(!acks.contains { $0.alert == forgedByASchool.id }, "the school's alert reached a school: \(acks)")

        // A marker the impostor may read comes after anything of sz-0001's it could have been sent.
        bureau.publish(CityTopics.schoolBundle("sz-0002"), Data("marker".utf8))
        _ = try await impostor.wait("the marker") { heard in
            heard.contains { $0.topic == CityTopics.schoolBundle("sz-0002") } ? true : nil
        }
        let topics = impostor.heard.map(\.topic)
        #expect(topics.contains(CityTopics.cityAlert), "the impostor reads the city's alerts: \(topics)")
        #expect(!topics.contains { $0.contains("/school/sz-0001/") || $0.contains("/district/nanshan/") }, "\(topics)")
        // Its connection, under sz-0001's client id, did not end sz-0001's session.
        #expect(rig.daemon.log_.components(separatedBy: "city link connected").count == 2, "\(rig.daemon.log_)")
    }

    /// A bureau signing bundles, a broker, and a school linked to it that trusts the bureau's key
    /// and fetches from a server whose certificate `ca` signed.
    struct Setup {
        let bureau: BundleTests.Bureau
        let broker: Broker
        let certificates: TemporaryDirectory

        var schoolConfig: String {
            bureau.config(school: "sz-0001") + """
                [city]
                broker = "127.0.0.1:\(broker.port)"
                district = "nanshan"
                bundle_delay = 0
                bundle_ca = "\(certificates.file("schools-ca.crt"))"
                """
        }
    }

    @Test(
        "bundles through the broker: applied online, caught up after being offline (fetched over HTTPS), and after a broker restart; city status and city stats"
    )
    func bundlesThroughTheBroker() async throws {
        let bureau = try BundleTests.Bureau()
        defer { bureau.scratch.remove() }
        let certificates = try TemporaryDirectory("carillon-city-certs")
        defer { certificates.remove() }
        try Self.brokerConfig(in: certificates, schoolPort: 1883, bureauPort: 1884)
        let broker = try Broker()
        defer { broker.remove() }
        let setup = Setup(bureau: bureau, broker: broker, certificates: certificates)
        let month = SchoolMonthStats.month(of: Date(), in: .current).name
        let inbox = try Inbox(port: broker.port, also: [CityTopics.allStats(month: month)])
        defer { inbox.close() }
        let address = "127.0.0.1:\(broker.port)"
        func bundleAcks(_ version: Int, count: Int = 1) async throws -> [BundleAck] {
            try await inbox.wait("\(count) answers to bundle v\(version)") { heard in
                let acks = heard.filter { $0.topic.hasSuffix("/ack") }.compactMap {
                    try? JSONDecoder().decode(BundleAck.self, from: $0.payload)
                }
                .filter { $0.bundle == version }
                return acks.count >= count ? acks : nil
            }
        }

        var rig = try Rig.start(extra: setup.schoolConfig)
        // The rig in use when the test ends: the daemon is restarted in its directory below.
        defer { rig.stop() }
        _ = try await inbox.status(of: "sz-0001", "online")

        // Online: a small bundle travels in the notice, and is applied at once.
        let small = try bureau.sign(version: 5)
        let published = try run(
            Binaries.client, ["city", "publish", small, "--district", "nanshan", "--broker", address])
        #expect(published.status == 0, "\(published.stderr)")
        #expect(published.stdout.contains("published bundle v5 ("), "\(published.stdout)")
        #expect(try await bundleAcks(5).first?.outcome == "applied", "\(rig.daemon.log_)")
        #expect(try rig.daemon.client(["schedule", "show", "--json"]).stdout.contains("\"version\":5"))

        // What the broker passes on is not trusted: a notice that is not one, and one whose bytes are
        // not what it claims, are refused and answered so; nothing changes.
        inbox.publish(CityTopics.schoolBundle("sz-0001"), Data(#"{"v":1,"version":8}"#.utf8))
        var lying = BundleNotice.make(
            bundle: try Data(contentsOf: URL(fileURLWithPath: small)), version: 9, digest: String(repeating: "0", count: 64), url: nil,
            issued: millisecondsSince1970(Date()))
        lying.sha256 = String(repeating: "1", count: 64)
        inbox.publish(CityTopics.districtBundle("nanshan"), lying.encoded())
        let malformed = try await inbox.wait("the answer to a malformed notice") { heard in
            heard.compactMap { try? JSONDecoder().decode(BundleAck.self, from: $0.payload) }.first { $0.reason == "malformed" }
        }
        #expect(malformed.outcome == "refused" && malformed.bundle == nil, "\(malformed)")
        let mismatch = try await bundleAcks(9)
        #expect(mismatch.first?.outcome == "refused" && mismatch.first?.reason == "bad-bundle", "\(mismatch)")
        #expect(try rig.daemon.client(["schedule", "show", "--json"]).stdout.contains("\"version\":5"))

        // Offline: a bundle over 256 KiB, fetched over HTTPS when the school returns.
        rig.daemon.stop()
        _ = try await inbox.status(of: "sz-0001", "offline")
        try WAVFile.write(
            path: bureau.scratch.file("tip.outdoor.long-01.wav"), sampleRate: 48000, channels: 1,
            samples: WAVFile.tone(frequency: 500, seconds: 3, sampleRate: 48000, channels: 1))
        let large = try bureau.sign(version: 6, extra: [bureau.scratch.file("tip.outdoor.long-01.wav")])
        let size = try FileManager.default.attributesOfItem(atPath: large)[.size] as? Int ?? 0
        #expect(size > BundleNotice.maxInlineBytes)
        let refused = try run(Binaries.client, ["city", "publish", large, "--broker", address])
        #expect(refused.status != 0 && refused.stderr.contains("give --url"), "\(refused.stderr)")
        let server = try HTTPSServer(
            root: bureau.scratch.path, certificate: certificates.file("broker.crt"),
            key: certificates.file("broker.key"))
        defer { server.stop() }
        let fetched = try run(
            Binaries.client,
            ["city", "publish", large, "--url", "https://127.0.0.1:\(server.port)/v6.bundle", "--broker", address])
        #expect(fetched.status == 0, "\(fetched.stderr)")
        #expect(fetched.stdout.contains("fetched from https://"), "\(fetched.stdout)")
        let again = try DaemonProcess(
            config: String(contentsOfFile: rig.daemon.configPath, encoding: .utf8), in: rig.directory)
        rig = Rig(directory: rig.directory, capture: rig.capture, daemon: again, clip: rig.clip)
        let caughtUp = try await bundleAcks(6)
        #expect(caughtUp.first?.outcome == "applied", "\(caughtUp)\n\(rig.daemon.log_)")
        #expect(try rig.daemon.client(["library", "list"]).stdout.contains("tip.outdoor.long-01"))
        _ = try await inbox.wait("the status with bundle 6") { heard in
            heard.filter { $0.topic == CityTopics.status("sz-0001") }.compactMap {
                try? JSONDecoder().decode(SchoolStatus.self, from: $0.payload)
            }
            .first { $0.state == "online" && $0.bundle == 6 }
        }

        // The broker restarts; the school returns, and the next bundle (for it alone, inline) is applied.
        try broker.restart()
        try await inbox.connected(times: 2)
        try FileWatch.wait(for: rig.directory.file("daemon.log"), timeout: .seconds(30)) {
            rig.daemon.log_.components(separatedBy: "city link connected").count >= 3
        }
        let next = try bureau.sign(version: 7)
        let waited = try run(
            Binaries.client, ["city", "publish", next, "--schools", "sz-0001", "--broker", address, "--wait", "30s"])
        #expect(waited.status == 0, "\(waited.stdout)\(waited.stderr)")
        #expect(waited.stdout.contains("applied at 1 school"), "\(waited.stdout)")
        #expect(try rig.daemon.client(["schedule", "show", "--json"]).stdout.contains("\"version\":7"))
        // Retained notices of older versions, heard again at each connection, are passed over.
        #expect(!rig.daemon.log_.contains("stale-version"), "\(rig.daemon.log_)")

        // The bureau's view: the school as the broker last heard it, and the month's counts.
        _ = try await inbox.wait("the status with schedule 7") { heard in
            heard.filter { $0.topic == CityTopics.status("sz-0001") }.compactMap {
                try? JSONDecoder().decode(SchoolStatus.self, from: $0.payload)
            }
            .first { $0.state == "online" && $0.schedule == 7 && $0.bundle == 7 }
        }
        let schools = try Self.schoolsFile(in: bureau.scratch)
        let status = try run(Binaries.client, ["city", "status", "--schools", schools, "--broker", address])
        #expect(status.status == 0, "\(status.stderr)")
        let line = status.stdout.split(separator: "\n").first { $0.hasPrefix("sz-0001") }.map(String.init) ?? ""
        #expect(line.contains("online") && line.contains(" 7 "), "\(status.stdout)")
        #expect(status.stdout.hasSuffix("2 schools: 1 online, 0 offline, 1 never heard\n"), "\(status.stdout)")
        let csv = try run(Binaries.client, ["city", "status", "--schools", schools, "--broker", address, "--csv"])
        #expect(csv.stdout.split(separator: "\n").count == 3, "\(csv.stdout)")

        // A play, so that the month has something to count; the counts published after the next
        // alert (heard once the alert's first sample is out) include it.
        #expect(try rig.daemon.client(["play", "test.noise", "--wait"]).status == 0)
        let alert = try run(
            Binaries.client,
            [
                "city", "alert", "--key", bureau.key, "--clip", "test.noise", "--drill", "--schools", "sz-0001",
                "--broker", address,
                "--wait", "30s",
            ])
        #expect(alert.status == 0, "\(alert.stdout)\(alert.stderr)")
        _ = try await inbox.wait("counts with a broadcast") { heard in
            heard.filter { $0.topic == CityTopics.stats("sz-0001", month: month) }
                .compactMap { try? JSONDecoder().decode(SchoolMonthStats.self, from: $0.payload) }
                .first { $0.total.broadcasts >= 1 && $0.total.instant >= 1 }
        }
        let png = bureau.scratch.file("districts.png")
        let stats = try run(
            Binaries.client,
            [
                "city", "stats", "--month", month, "--schools", schools, "--by", "district", "--png", png, "--broker",
                address,
            ])
        #expect(stats.status == 1, "sz-0002 did not report: \(stats.stdout)\(stats.stderr)")
        #expect(stats.stdout.contains("1 of 2 schools reported"), "\(stats.stdout)")
        #expect(stats.stdout.contains("did not report (1): sz-0002"), "\(stats.stdout)")
        let nanshan =
            stats.stdout.split(separator: "\n").first { $0.hasPrefix("nanshan") }.map {
                $0.split(separator: " ").map(String.init)
            } ?? []
        #expect(nanshan.count >= 3 && nanshan[1] == "1" && (Int(nanshan[2]) ?? 0) >= 1, "\(stats.stdout)")
        let image = try Data(contentsOf: URL(fileURLWithPath: png))
        #expect(image.prefix(4) == Data([0x89, 0x50, 0x4e, 0x47]), "not a PNG")
        let json = try run(
            Binaries.client,
            [
                "city", "stats", "--month", month, "--schools", schools, "--by", "category", "--json", "--broker",
                address,
            ])
        #expect(json.stdout.contains("\"missing\":[\"sz-0002\"]"), "\(json.stdout)")
    }
}

/// A static HTTPS file server on a free loopback port (Python's http.server behind TLS), as the
/// bureau's nginx would serve bundles.
final class HTTPSServer: @unchecked Sendable {
    let port: Int
    private let process = Process()
    private let log: TemporaryDirectory

    init(root: String, certificate: String, key: String) throws {
        port = try freeLoopbackPort()
        log = try TemporaryDirectory("carillon-https")
        let script = """
            import http.server, ssl, sys, os
            os.chdir(sys.argv[1])
            server = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2])), http.server.SimpleHTTPRequestHandler)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(sys.argv[3], sys.argv[4])
            server.socket = context.wrap_socket(server.socket, server_side=True)
            print("ready", flush=True)
            server.serve_forever()
            """
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script, root, "\(port)", certificate, key]
        _ = FileManager.default.createFile(atPath: log.file("server.log"), contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: log.file("server.log")))
        process.standardOutput = output
        process.standardError = output
        try process.run()
        try FileWatch.wait(for: log.file("server.log"), timeout: .seconds(20)) {
            ((try? String(contentsOfFile: self.log.file("server.log"), encoding: .utf8)) ?? "").contains("ready")
                || !self.process.isRunning
        }
        guard process.isRunning else {
            throw HarnessError(
                "the HTTPS server did not start: \((try? String(contentsOfFile: log.file("server.log"), encoding: .utf8)) ?? "")"
            )
        }
    }

    func stop() {
        // SIGKILL: the test process blocks SIGTERM, and a child inherits the mask.
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        log.remove()
    }
}
