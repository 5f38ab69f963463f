public import CarillonCity
public import CarillonControl
public import CarillonProtocol
import Foundation
public import Logging
public import ServiceLifecycle
import Synchronization

/// The school's side of the city link: dials out to the bureau's broker, hears alerts on the city's
/// and its district's topics, hands each to the daemon's command table as `city.alert` (the same
/// table, roles and audit log as the control socket), and answers on `school/ID/ack`. It keeps a
/// retained `online` status while connected; the broker publishes the `offline` last will when the
/// connection is lost, and the link publishes `offline` itself on a clean stop.
public struct CityLink: Service {
    /// Who the school is and where its broker is.
    public struct Settings: Sendable {
        public var broker: CityBroker
        public var school: String
        public var district: String?
        /// carillond's version, for the status.
        public var version: String
        public var backoff: Backoff
        /// The longest random wait before fetching a bundle over HTTPS, so that 2,000 schools do
        /// not ask the bureau's server in one second.
        public var fetchDelay: Duration
        /// The CA of the bureau's file server; nil: the broker's CA, else the system's roots.
        public var fetchCA: String?
        /// How often the month's counts are published (also at each connection and after each alert).
        public var statsInterval: Duration

        public init(
            broker: CityBroker, school: String, district: String?, version: String, backoff: Backoff = Backoff(),
            fetchDelay: Duration = .seconds(10), fetchCA: String? = nil, statsInterval: Duration = .seconds(3600)
        ) {
            self.broker = broker
            self.school = school
            self.district = district
            self.version = version
            self.backoff = backoff
            self.fetchDelay = fetchDelay
            self.fetchCA = fetchCA
            self.statsInterval = statsInterval
        }
    }

    let settings: Settings
    let dispatcher: Dispatcher
    let monitor: CityLinkMonitor
    let logger: Logger

    /// - Parameters:
    ///   - dispatcher: the daemon's command table; alerts go in as `city.alert` under the bureau role.
    ///   - monitor: where the link's state is kept for `status`, `metrics` and events.
    public init(settings: Settings, dispatcher: Dispatcher, monitor: CityLinkMonitor, logger: Logger) {
        self.settings = settings
        self.dispatcher = dispatcher
        self.monitor = monitor
        self.logger = logger
    }

    /// The link's identity in the command table and the audit log.
    static let peer = Peer(address: "city", identity: Identity(name: "city-link", role: .bureau))

    public func run() async throws {
        let school = settings.school
        let statusTopic = CityTopics.status(school)
        let offline = SchoolStatus(school: school, district: settings.district, state: "offline")
        let client: MQTTClient
        do {
            client = try MQTTClient(
                .init(
                    broker: settings.broker, clientID: "carillon-school-\(school)", cleanSession: false,
                    will: (statusTopic, offline.encoded()),
                    subscriptions: CityTopics.alertTopics(district: settings.district)
                        + CityTopics.bundleTopics(school: school, district: settings.district),
                    backoff: settings.backoff))
        } catch {
            // The bells go on without the link: the failure shows in `status` and the journal.
            monitor.disconnected(error.description)
            logger.error("city link cannot start", metadata: ["error": "\(error)"])
            try? await gracefulShutdown()
            return
        }
        client.start()
        logger.notice("city link starting", metadata: ["broker": "\(monitor.info.broker)", "school": "\(school)"])
        let bundles = BundleInbox()
        let bundleTopics = Set(CityTopics.bundleTopics(school: school, district: settings.district))
        // Not in the group: a stop does not wait for a fetch or the hour's tick.
        let bundleWorker = Task { await applyBundles(from: bundles, client: client) }
        let statsTimer = Task { await publishStatsPeriodically(client: client) }
        await withDiscardingTaskGroup { group in
            for await event in client.events.cancelOnGracefulShutdown() {
                switch event {
                case .connected:
                    monitor.connected()
                    logger.notice("city link connected", metadata: ["broker": "\(monitor.info.broker)"])
                    let status = await onlineStatus()
                    client.publish(statusTopic, status.encoded(), retain: true)
                    group.addTask { await publishStats(client: client, previousMonth: true) }
                case .disconnected(let reason, let retry):
                    monitor.disconnected(reason)
                    logger.warning(
                        "city link down; retrying", metadata: ["reason": "\(reason)", "retry_in": "\(retry)"])
                case .message(let topic, let payload) where bundleTopics.contains(topic):
                    bundles.put(topic: topic, payload: payload)
                case .message(_, let payload):
                    group.addTask {
                        await hear(payload, client: client)
                        await publishStats(client: client, previousMonth: false)
                    }
                }
            }
        }
        bundles.close()
        bundleWorker.cancel()
        statsTimer.cancel()
        _ = await (bundleWorker.value, statsTimer.value)
        // A clean stop sends DISCONNECT, so the broker keeps the will: say `offline` ourselves.
        // With the time, so the bureau's `city status` shows when the school was last heard.
        var goodbye = offline
        goodbye.at = millisecondsSince1970(Date())
        client.publish(statusTopic, goodbye.encoded(), retain: true)
        await client.stop()
        logger.notice("city link stopped")
    }

    /// One published alert: checked and sounded (or refused) by the command table, then acknowledged.
    func hear(_ payload: Data, client: MQTTClient) async {
        let received = Date()
        // An oversized envelope is cut just past the limit: the check refuses it by its size alone.
        let envelope = payload.count > CityAlert.maxEnvelopeBytes ? payload.prefix(CityAlert.maxEnvelopeBytes + 1) : payload
        let result: CityAlertResult
        switch await call("city.alert", CityAlertArgs(envelope: Data(envelope).base64EncodedString(), receivedMs: millisecondsSince1970(received)), as: CityAlertResult.self) {
        case .success(let answer): result = answer
        case .failure(let error): result = CityAlertResult(alert: nil, outcome: "failed", reason: "failed", detail: error.message)
        }
        let ack = AlertAck(
            school: settings.school, alert: result.alert, outcome: result.outcome, reason: result.reason, detail: result.detail,
            received: millisecondsSince1970(received), firstSample: result.firstSampleMs, drill: result.drill)
        client.publish(CityTopics.ack(settings.school), ack.encoded())
        monitor.heard(CityAlertNote(alert: result.alert, at: received, outcome: result.outcome, reason: result.reason))
        if result.outcome == "sounded" {
            logger.critical("city alert sounded", metadata: ["alert": "\(result.alert ?? "")", "drill": "\(result.drill ?? false)"])
        } else {
            logger.error(
                "city alert not sounded",
                metadata: ["alert": "\(result.alert ?? "?")", "outcome": "\(result.outcome)", "reason": "\(result.detail ?? "")"])
        }
        // The retained status carries the last alert heard and sounded.
        client.publish(CityTopics.status(settings.school), await onlineStatus().encoded(), retain: true)
    }

    /// The status published while connected: the versions in force and the last alerts.
    func onlineStatus() async -> SchoolStatus {
        struct ScheduleVersion: Codable, Sendable { var version: Int? }
        let schedule = try? await call("schedule.show", Empty(), as: ScheduleVersion.self).get().version
        let history = try? await call("schedule.history", Empty(), as: ScheduleHistory.self).get()
        let bundle = history?.versions.filter(\.bundle).map(\.version).max()
        let info = monitor.info
        return SchoolStatus(
            school: settings.school, district: settings.district, state: "online", version: settings.version, schedule: schedule,
            bundle: bundle, lastHeard: info.lastHeard?.alert, lastSounded: info.lastSounded?.alert, at: millisecondsSince1970(Date()))
    }

    /// Runs one command through the table as the link's bureau identity.
    func call<A: Codable & Sendable, R: Codable & Sendable>(_ command: String, _ args: A, as type: R.Type) async -> Result<R, WireError> {
        let line: Data
        do { line = try Wire.encoder().encode(Request(id: .number(1), cmd: command, args: args)) } catch {
            return .failure(WireError(.internal, "cannot encode `\(command)`: \(error)"))
        }
        let reply = await dispatcher.respond(to: line, from: Self.peer)
        guard let response = try? Wire.decoder().decode(Response<R>.self, from: reply) else {
            return .failure(WireError(.internal, "`\(command)` answered what the link cannot read"))
        }
        if let result = response.result, response.ok { return .success(result) }
        return .failure(response.error ?? WireError(.internal, "`\(command)` failed"))
    }
}

/// The link's state, for `status`, `metrics` and events: written by the link, read by the daemon.
public final class CityLinkMonitor: Sendable {
    private let state: Mutex<CityLinkInfo>
    private let publish: @Sendable (Event) -> Void

    /// - Parameter publish: receives `city.connected` and `city.disconnected` events; never waited for.
    public init(broker: CityBroker, school: String, district: String?, publish: @escaping @Sendable (Event) -> Void) {
        let address = broker.host.contains(":") ? "[\(broker.host)]:\(broker.port)" : "\(broker.host):\(broker.port)"
        state = Mutex(CityLinkInfo(state: "connecting", broker: address, school: school, district: district))
        self.publish = publish
    }

    /// A copy of the state now.
    public var info: CityLinkInfo { state.withLock { $0 } }

    func connected(at now: Date = Date()) {
        state.withLock { info in
            info.state = "connected"
            info.connectedSince = now
            info.connections += 1
        }
        publish(Event(event: "city.connected", at: now, detail: info.broker))
    }

    func disconnected(_ reason: String, at now: Date = Date()) {
        let was = state.withLock { info in
            defer {
                info.state = "connecting"
                info.connectedSince = nil
                info.lastError = reason
                info.lastErrorAt = now
            }
            return info.state
        }
        // One event a lost connection, not one a failed retry.
        if was == "connected" { publish(Event(event: "city.disconnected", at: now, detail: reason)) }
    }

    func heard(_ note: CityAlertNote) {
        state.withLock { info in
            info.lastHeard = note
            switch note.outcome {
            case "sounded":
                info.sounded += 1
                info.lastSounded = note
            case "refused": info.refused += 1
            default: info.failed += 1
            }
        }
    }
}
