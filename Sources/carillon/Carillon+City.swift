import ArgumentParser
import CarillonBundle
import CarillonCity
import CarillonCrypto
import CarillonLink
import Foundation

extension Carillon {
    struct City: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "city", abstract: Message.about("The city link: alerts, bundles, status and statistics through the bureau's MQTT broker."),
            subcommands: [Alert.self, Publish.self, Status.self, Stats.self, BrokerConfig.self])
    }
}

extension Carillon.City {
    struct Alert: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: Message.about("Sign and publish a city-wide alert, and report which schools sounded it."),
            discussion: Message.about(
                """
                The alert is signed with the bureau's private key (as bundles are) and sounds at the emergency level \
                only at schools whose [bureau] keys hold the public key, before it expires, once, and only where it \
                is addressed. It waits for the schools' acknowledgements and prints how many sounded it, the delay \
                from issue to the first alarm sample (p50, p99), and the schools that refused it or, of those whose \
                status the broker holds, did not answer. Exits 1 unless every school that answered sounded it and \
                every school addressed answered.
                """))

        @Option(help: Message.help("The bureau's private key (PEM).")) var key: String
        @Option(help: Message.help("Start this plan at each school.")) var plan: String?
        @Option(help: Message.help("Read this text aloud after the alarm.")) var message: String?
        @Option(help: Message.help("Play this library clip at the emergency level.")) var clip: String?
        @Option(help: Message.help("Seconds until the event (an earthquake's shaking), counted down aloud before the plan.")) var countdown: Int?
        @Option(help: Message.help("Only this district's schools.")) var district: String?
        @Option(help: Message.help("Only these schools: comma-separated ids.")) var schools: String?
        @Flag(help: Message.help("A drill: announced and logged as one.")) var drill = false
        @Option(help: Message.help("How long schools may sound it: a span such as 30s, 5m or 1h (at most 24h).")) var expires = "30s"
        @OptionGroup var connection: BrokerOptions
        @Option(help: Message.help("How long to wait for the schools' answers: a span such as 10s.")) var wait = "10s"

        func validate() throws {
            guard [plan, message, clip].compactMap({ $0 }).count == 1 else {
                throw ValidationError("name exactly one of --plan, --message and --clip")
            }
            if countdown != nil && plan == nil { throw ValidationError("--countdown goes with --plan: the plan follows the countdown") }
            if let countdown, !(1...CityAlert.maxCountdown).contains(countdown) {
                throw ValidationError("--countdown must be 1 to \(CityAlert.maxCountdown) seconds")
            }
            if district != nil && schools != nil { throw ValidationError("name --district or --schools, not both") }
            if let district, !CityAlert.isName(district) {
                throw ValidationError("--district must be 1 to 64 of A-Z, a-z, 0-9, `.`, `_`, `-`")
            }
            if let schools {
                let ids = schools.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
                if let bad = ids.first(where: { !CityAlert.isName($0) }) {
                    throw ValidationError("--schools takes comma-separated school ids; `\(bad)` is not one")
                }
                guard ids.count <= CityAlert.maxSchools else { throw ValidationError("--schools names more than \(CityAlert.maxSchools) schools") }
            }
            for (option, name) in [("--plan", plan), ("--clip", clip)] {
                if let name, !CityAlert.isName(name) { throw ValidationError("\(option) `\(name)` is not a name of 1 to 64 of A-Z, a-z, 0-9, `.`, `_`, `-`") }
            }
            if let message, message.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty || message.count > CityAlert.maxMessageCharacters {
                throw ValidationError("--message must be 1 to \(CityAlert.maxMessageCharacters) characters")
            }
            guard let lifetime = Self.span(expires), lifetime > .zero, lifetime <= .seconds(86400) else {
                throw ValidationError("--expires must be a span of up to 24h, such as 30s, 5m or 1h")
            }
            guard let waiting = Self.span(wait), waiting <= .seconds(3600) else {
                throw ValidationError("--wait must be a span of up to 1h, such as 10s")
            }
        }

        func run() async throws {
            guard let pem = try? String(contentsOfFile: key, encoding: .utf8) else { throw LocalFailure(message: "cannot read \(key)") }
            let signer: Curve25519.Signing.PrivateKey
            do { signer = try BundleKey.privateKey(pem: pem) } catch { throw LocalFailure(message: "\(key): \(error.message)") }
            let targets = schools?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            let issued = millisecondsSince1970(Date())
            let lifetime = Self.span(expires) ?? .seconds(30)
            let alert = CityAlert(
                id: UUID().uuidString.lowercased(), key: BundleKey.id(of: signer.publicKey), issued: issued,
                expires: issued + Self.milliseconds(lifetime), district: district, schools: targets, drill: drill, plan: plan,
                message: message, clip: clip, countdown: countdown)
            let envelope: Data
            do { envelope = try SignedAlert.sign(alert, with: signer) } catch { throw LocalFailure(message: error.message) }

            let client: MQTTClient
            do {
                client = try MQTTClient(
                    .init(
                        broker: connection.settings, clientID: "carillon-bureau-" + alert.id.prefix(13), cleanSession: true,
                        subscriptions: [CityTopics.allAcks, CityTopics.allStatuses]))
            } catch {
                throw Failure(status: 3, message: "cannot reach the broker: \(error)")
            }
            client.start()
            let deadline = ContinuousClock.now + (Self.span(wait) ?? .seconds(10))
            var events = client.events.makeAsyncIterator()
            var answers: [String: AlertAck] = [:]
            var known: [String: SchoolStatus] = [:]
            var published = false
            var lastFailure: String?
            // Wakes the loop at the deadline even when the broker says nothing.
            let timer = Task { [client] in
                try? await Task.sleep(until: deadline)
                await client.stop()
            }
            defer { timer.cancel() }
            while let event = await events.next() {
                switch event {
                case .connected where !published:
                    // Subscriptions were sent first on this connection: no answer comes before them.
                    let topic = district.map(CityTopics.districtAlert) ?? CityTopics.cityAlert
                    guard client.publish(topic, envelope) else { throw Failure(status: 3, message: "the broker did not take the alert") }
                    published = true
                    print("alert \(alert.id)\(drill ? " (drill)" : ""): \(what) to \(audience), expires in \(expires)")
                case .disconnected(let reason, _):
                    lastFailure = reason
                case .connected:
                    break
                case .message(let topic, let payload):
                    if topic.hasSuffix("/ack"), let ack = try? JSONDecoder().decode(AlertAck.self, from: payload), ack.alert == alert.id {
                        // A redelivered alert is refused as replayed: the school's first answer stands.
                        if answers[ack.school] == nil || ack.outcome == "sounded" { answers[ack.school] = ack }
                    } else if topic.hasSuffix("/status"), let status = try? JSONDecoder().decode(SchoolStatus.self, from: payload) {
                        known[status.school] = status
                    }
                }
                if let targets, published, targets.allSatisfy({ answers[$0] != nil }) { break }
            }
            await client.stop()
            guard published else {
                throw Failure(status: 3, message: "cannot reach the broker \(connection.broker) within \(wait)" + (lastFailure.map { ": \($0)" } ?? ""))
            }
            try report(alert: alert, answers: answers, known: known, targets: targets)
        }

        /// What the alert sounds, for people.
        var what: String {
            if let plan { return "plan \(plan)" + (countdown.map { " after a \($0) s countdown" } ?? "") }
            if let clip { return "clip \(clip)" }
            return "message “\(message ?? "")”"
        }

        var audience: String {
            if let district { return "district \(district)" }
            if let schools { return "schools \(schools)" }
            return "the city"
        }

        /// Prints the outcome; throws exit 1 unless every school addressed sounded it.
        func report(alert: CityAlert, answers: [String: AlertAck], known: [String: SchoolStatus], targets: [String]?) throws {
            let sounded = answers.values.filter { $0.outcome == "sounded" }
            let delays = sounded.compactMap { $0.firstSample.map { $0 - alert.issued } }.sorted()
            var line = "sounded at \(sounded.count) school\(sounded.count == 1 ? "" : "s")"
            if !delays.isEmpty {
                line += "; issue to first alarm sample p50 \(Self.percentile(delays, 50)) ms, p99 \(Self.percentile(delays, 99)) ms"
            }
            print(line)
            let refused = answers.values.filter { $0.outcome != "sounded" }.sorted { $0.school < $1.school }
            for ack in refused {
                print("\(ack.outcome) at \(ack.school): \(ack.reason ?? "?")\(ack.detail.map { " (\($0))" } ?? "")")
            }
            // The schools expected: those named, else those the broker knows of in the alert's target.
            let expected = targets ?? known.values.filter { alert.targets(school: $0.school, district: $0.district) }.map(\.school)
            let silent = Set(expected).subtracting(answers.keys).sorted()
            if !silent.isEmpty {
                print("did not answer (\(silent.count)): " + silent.map { "\($0)\(known[$0]?.state == "offline" ? " (offline)" : "")" }.joined(separator: ", "))
            }
            if !refused.isEmpty || !silent.isEmpty || sounded.isEmpty {
                throw Failure(status: 1, message: "the alert did not sound everywhere it was addressed")
            }
        }

        /// The nearest-rank percentile of sorted values.
        static func percentile(_ sorted: [Int64], _ p: Int) -> Int64 {
            let rank = max(1, (sorted.count * p + 99) / 100)
            return sorted[min(rank, sorted.count) - 1]
        }

        static func milliseconds(_ span: Duration) -> Int64 {
            span.components.seconds * 1000 + span.components.attoseconds / 1_000_000_000_000_000
        }

        /// `500ms`, `30s`, `5m`, `1h`; nil otherwise.
        static func span(_ text: String) -> Duration? {
            let units: [(String, Int64)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)]
            for (unit, scale) in units where text.hasSuffix(unit) {
                guard let count = Int64(text.dropLast(unit.count)), (0...1_000_000).contains(count) else { return nil }
                return .milliseconds(count * scale)
            }
            return nil
        }
    }
}
