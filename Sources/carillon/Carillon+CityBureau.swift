import ArgumentParser
import CarillonBundle
import CarillonCity
import CarillonControl
import CarillonLink
import Foundation

/// The broker and the bureau's credentials, shared by the `city` commands that talk to it.
struct BrokerOptions: ParsableArguments {
    @Option(help: Message.help("The broker, HOST:PORT.")) var broker: String
    // Not `--ca`: the root command's `--ca` is the control connection's.
    @Option(
        help: Message.help(
            "The CA of the broker's certificate (PEM); TLS is required unless the broker is on this machine."))
    var brokerCA: String?
    @Option(help: Message.help("The bureau's client certificate (PEM), with --cert-key.")) var cert: String?
    @Option(help: Message.help("The client certificate's private key (PEM).")) var certKey: String?
    @Option(help: Message.help("A username for the broker, with --password-file.")) var username: String?
    @Option(help: Message.help("A file holding the broker password.")) var passwordFile: String?

    func validate() throws {
        guard CityBroker.parseAddress(broker) != nil else {
            throw ValidationError("--broker must be HOST:PORT, such as mqtt.bureau.example:8884")
        }
        if let problem = settings.problem { throw ValidationError(problem) }
    }

    /// The broker and the bureau's credentials, as given.
    var settings: CityBroker {
        let address = CityBroker.parseAddress(broker) ?? (broker, 0)
        return CityBroker(
            host: address.host, port: address.port, caFile: brokerCA, certFile: cert, keyFile: certKey,
            username: username,
            passwordFile: passwordFile)
    }

    /// Connects with a clean session, subscribes to `topics`, publishes what `publish` gives once
    /// connected, and collects what comes on the topics until the retained messages have all come
    /// (a message to itself, sent after the subscriptions, comes back after them) and then
    /// `until` says so, or `wait` passes.
    /// - Returns: every message heard, in order.
    func collect(
        _ topics: [String], wait: Duration, publish: [(topic: String, payload: Data, retain: Bool)] = [],
        until: ([(topic: String, payload: Data)]) -> Bool = { _ in true }
    ) async throws -> [(topic: String, payload: Data)] {
        let name = "carillon-bureau-" + UUID().uuidString.lowercased().prefix(13)
        let sync = CityTopics.bureauSync(name)
        let client: MQTTClient
        do {
            client = try MQTTClient(
                .init(broker: settings, clientID: name, cleanSession: true, subscriptions: topics + [sync]))
        } catch {
            throw Failure(status: 3, message: "cannot reach the broker: \(error)")
        }
        client.start()
        let timer = Task { [client] in
            try? await Task.sleep(for: wait)
            await client.stop()
        }
        defer { timer.cancel() }
        var heard: [(topic: String, payload: Data)] = []
        var synced = false
        var connected = false
        var lastFailure: String?
        for await event in client.events {
            switch event {
            case .connected where !connected:
                connected = true
                for message in publish {
                    guard client.publish(message.topic, message.payload, retain: message.retain) else {
                        await client.stop()
                        throw Failure(status: 3, message: "the broker did not take the message for \(message.topic)")
                    }
                }
                client.publish(sync, Data("sync".utf8))
            case .connected: break
            case .disconnected(let reason, _): lastFailure = reason
            case .message(let topic, _) where topic == sync: synced = true
            case .message(let topic, let payload): heard.append((topic, payload))
            }
            if synced && until(heard) { break }
        }
        await client.stop()
        guard synced else {
            throw Failure(
                status: 3,
                message: "no answer from the broker \(broker) within \(wait)" + (lastFailure.map { ": \($0)" } ?? ""))
        }
        return heard
    }
}

/// The schools file's schools, for the bureau's city commands.
func citySchools(_ path: String) throws -> [School] {
    do { return try School.load(path) } catch { throw LocalFailure(message: error.description) }
}

extension Carillon.City {
    /// `carillon city broker-config`.
    struct BrokerConfig: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "broker-config",
            abstract: Message.about(
                "Write the broker's mosquitto.conf, its ACLs and the script that makes every certificate."),
            discussion: Message.about(
                """
                Reads the schools file (its district column gives each school's district) and writes, in --out: \
                mosquitto.conf, acl-schools, acl-bureau and make-certs.sh. Run make-certs.sh there to make the \
                schools' CA, the bureau's CA, the broker's certificate and one certificate per school (in \
                schools/ID/); run again after adding schools, it makes only what is missing. A school's \
                certificate names it: it reads only the city's, its district's and its own topics, writes only its \
                own status, statistics and answers, and cannot take another school's client id; only the bureau's \
                certificates, on their own port, publish alerts and bundle notices.
                """))

        @Option(help: Message.help("The schools file (id,address,token_file,ca,pin,district).")) var schools: String
        @Option(help: Message.help("The directory to write to.")) var out: String
        // Not `--host`: the root command's `--host` is the control connection's.
        @Option(help: Message.help("A name or IP address the broker is reached by; repeat for more.")) var brokerHost:
            [String] = []
        @Option(help: Message.help("The schools' TLS port.")) var schoolPort = 8883
        @Option(help: Message.help("The bureau's TLS port.")) var bureauPort = 8884
        @Option(help: Message.help("How many days the certificates last.")) var days = 825

        func run() async throws {
            let list = try citySchools(schools)
            let directory = URL(fileURLWithPath: out).standardizedFileURL.path
            let config = CarillonCity.BrokerConfig(
                schools: list.map { .init(id: $0.id, district: $0.district) }, hosts: brokerHost,
                schoolPort: schoolPort, bureauPort: bureauPort,
                directory: directory, days: days)
            if let problem = config.problem { throw ValidationError(problem) }
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                for file in config.files {
                    let path = directory + "/" + file.name
                    try Data(file.text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
                    try FileManager.default.setAttributes(
                        [.posixPermissions: file.executable ? 0o755 : 0o644], ofItemAtPath: path)
                }
            } catch {
                throw LocalFailure(message: "cannot write in \(directory): \(error.localizedDescription)")
            }
            let districts = Set(list.compactMap(\.district)).count
            print(
                "wrote mosquitto.conf, acl-schools, acl-bureau and make-certs.sh in \(directory) for \(list.count) schools in \(districts) districts"
            )
            print("next: sh \(directory)/make-certs.sh, then mosquitto -c \(directory)/mosquitto.conf")
        }
    }

    /// `carillon city publish`.
    struct Publish: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: Message.about("Announce a signed bundle to the schools through the broker."),
            discussion: Message.about(
                """
                Publishes a retained notice with the bundle's version, digest and size: the schools online apply it \
                at once, the others when they next connect. A bundle of up to 256 KiB travels in the notice; a \
                larger one, or one for a list of schools, is fetched by each school from --url (the bureau's HTTPS \
                file server: copy the file there first) after a random delay. Each school verifies it exactly as \
                `bundle apply` does. With --wait, prints each school's answer.
                """))

        @Argument(help: Message.help("The bundle file (carillon bundle sign).")) var file: String
        @Option(help: Message.help("Only this district's schools.")) var district: String?
        @Option(help: Message.help("Only these schools: comma-separated ids.")) var schools: String?
        @Option(help: Message.help("Where schools fetch the bundle: an https:// URL on the bureau's file server."))
        var url: String?
        @Option(help: Message.help("How long to wait for the schools' answers: a span such as 30s (0s: do not wait)."))
        var wait = "0s"
        @OptionGroup var connection: BrokerOptions

        func validate() throws {
            if district != nil && schools != nil { throw ValidationError("name --district or --schools, not both") }
            if let district, !CityAlert.isName(district) {
                throw ValidationError("--district must be 1 to 64 of A-Z, a-z, 0-9, `.`, `_`, `-`")
            }
            if let bad = targets?.first(where: { !CityAlert.isName($0) }) {
                throw ValidationError("--schools takes comma-separated school ids; `\(bad)` is not one")
            }
            if let url, let problem = BundleNotice.urlProblem(url) { throw ValidationError(problem) }
            guard let span = Alert.span(wait), span <= .seconds(3600) else {
                throw ValidationError("--wait must be a span of up to 1h, such as 30s")
            }
        }

        var targets: [String]? {
            schools?.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
        }

        func run() async throws {
            guard let bundle = FileManager.default.contents(atPath: file) else {
                throw LocalFailure(message: "cannot read \(file)")
            }
            guard bundle.count <= BundleNotice.maxBundleBytes else {
                throw LocalFailure(
                    message: "\(file) is \(bundle.count) bytes; a bundle is at most \(BundleNotice.maxBundleBytes)")
            }
            let archive: BundleArchive
            do { archive = try BundleArchive.parse(bundle) } catch { throw LocalFailure(message: "\(file): \(error)") }
            let topics: [String] =
                if let targets { targets.map(CityTopics.schoolBundle) } else if let district {
                    [CityTopics.districtBundle(district)]
                } else {
                    [CityTopics.cityBundle]
                }
            // One copy for the city or a district; never one per school of the same bundle.
            if url == nil && (bundle.count > BundleNotice.maxInlineBytes || topics.count > 1) {
                throw ValidationError(
                    bundle.count > BundleNotice.maxInlineBytes
                        ? "\(file) is \(bundle.count) bytes: over \(BundleNotice.maxInlineBytes) the schools fetch it; put it on the bureau's file server and give --url"
                        : "a bundle for several schools is fetched, not carried once per school: put it on the bureau's file server and give --url"
                )
            }
            let notice = BundleNotice.make(
                bundle: bundle, version: archive.manifest.version, digest: archive.digest, url: url,
                issued: millisecondsSince1970(Date()))
            let waiting = Alert.span(wait) ?? .zero
            let expected = targets.map(Set.init)
            let heard = try await connection.collect(
                waiting > .zero ? [CityTopics.allAcks] : [], wait: waiting > .zero ? waiting : .seconds(30),
                publish: topics.map { ($0, notice.encoded(), true) }
            ) { heard in
                // Without --wait: once the broker has it (its answer to us comes after our publish).
                guard waiting > .zero, let expected else { return waiting == .zero }
                return expected.isSubset(of: Set(Self.answers(heard, digest: notice.digest).keys))
            }
            print(
                "published bundle v\(notice.version) (\(notice.size) bytes, \(notice.inline != nil ? "in the notice" : "fetched from \(url ?? "")")) to \(targets.map { "schools \($0.joined(separator: ","))" } ?? district.map { "district \($0)" } ?? "the city")"
            )
            guard waiting > .zero else { return }
            let answers = Self.answers(heard, digest: notice.digest)
            let applied = answers.values.filter { $0.outcome == "applied" || $0.outcome == "already" }
            print("applied at \(applied.count) school\(applied.count == 1 ? "" : "s")")
            for ack in answers.values.filter({ $0.outcome != "applied" && $0.outcome != "already" }).sorted(by: {
                $0.school < $1.school
            }) {
                print("\(ack.outcome) at \(ack.school): \(ack.reason ?? "?")\(ack.detail.map { " (\($0))" } ?? "")")
            }
            if let expected {
                let silent = expected.subtracting(answers.keys).sorted()
                if !silent.isEmpty { print("did not answer (\(silent.count)): \(silent.joined(separator: ", "))") }
                if !silent.isEmpty || applied.count < expected.count {
                    throw Failure(status: 1, message: "the bundle is not in force everywhere it was sent")
                }
            }
        }

        /// The schools' answers to the bundle of `digest`: the last one of each school.
        static func answers(_ heard: [(topic: String, payload: Data)], digest: String) -> [String: BundleAck] {
            var answers: [String: BundleAck] = [:]
            for message in heard {
                if let ack = try? JSONDecoder().decode(BundleAck.self, from: message.payload), ack.digest == digest {
                    answers[ack.school] = ack
                }
            }
            return answers
        }
    }
}
