import CarillonControl
import CarillonCore
import CarillonCrypto
import CarillonProtocol
import CarillonStore
import Foundation
import Synchronization

/// The console's people: pairing links, paired persons and their sessions, and the roll-call of
/// each plan run. State of its own, kept in the database; it touches zones never, so it lives
/// beside the Station, not in it.
final class ConsoleRoster: Sendable {
    /// What the `[web]` section says of pairing and sessions; nil while the console is off.
    struct Settings: Sendable {
        var publicURL: String
        var sessionIdle: Duration
        var sessionLifetime: Duration
    }

    /// How long a pairing link stays valid.
    static let pairingValidity: Duration = .seconds(600)

    private let store: Store
    private let events: EventHub
    private let now: @Sendable () -> Date
    private let settings = Mutex<Settings?>(nil)

    init(store: Store, events: EventHub, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.events = events
        self.now = now
    }

    func configure(_ new: Settings?) { settings.withLock { $0 = new } }

    private func current() throws(WireError) -> Settings {
        guard let settings = settings.withLock({ $0 }) else {
            throw WireError(.notFound, "the phone console is off: set `[web] listen` in the config")
        }
        return settings
    }

    // MARK: - Pairing and sessions

    /// `web.pair`.
    func pair(_ args: WebPairArgs, zones known: [String], groupIsValid: (String) -> Bool) async throws(WireError) -> WebPairing {
        let settings = try current()
        let name = args.name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...64).contains(name.count), !name.contains(where: { $0.isNewline || $0 == "," }) else {
            throw WireError(.invalidArguments, "`name` must be 1 to 64 characters, on one line, without commas")
        }
        guard args.role != .bureau else { throw WireError(.invalidArguments, "a console is for school staff; `bureau` cannot pair") }
        if let zones = args.zones {
            guard !zones.isEmpty else { throw WireError(.invalidArguments, "`zones` must name at least one zone, or be left out") }
            if let unknown = zones.first(where: { !known.contains($0) }) {
                throw WireError(.unknownZone, "no zone `\(unknown)`; the zones are \(known.joined(separator: ", "))")
            }
        }
        let groups = args.groups ?? []
        if let bad = groups.first(where: { !groupIsValid($0) }) {
            throw WireError(
                .invalidArguments, "group `\(bad)` must be lower-case letters a-z, digits and -, and not a role's name")
        }
        var generator = SystemRandomNumberGenerator()
        let secret = (0..<24).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let token = Data(secret).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        let at = now()
        let expires = at.addingTimeInterval(Double(Self.pairingValidity / .seconds(1)))
        let device = WebDeviceRecord(name: name, role: args.role.rawValue, zones: args.zones, groups: groups, pairedAt: at)
        do { try await store.addPairing(hash: Self.hash(token), device: device, expiresAt: expires, now: at) } catch {
            throw WireError(.internal, "cannot keep the pairing link: \(error.description)")
        }
        return WebPairing(
            name: name, role: args.role, zones: args.zones, groups: groups, link: settings.publicURL + "/pair/" + token, expiresAt: expires)
    }

    /// `web.redeem`.
    func redeem(_ args: WebRedeemArgs) async throws(WireError) -> WebSessionInfo {
        let settings = try current()
        try Self.checkHash(args.pairingHash)
        try Self.checkHash(args.sessionHash)
        let at = now()
        let outcome: Result<WebDeviceRecord, PairingRefusal>
        do { outcome = try await store.redeemPairing(hash: args.pairingHash, session: args.sessionHash, now: at) } catch {
            throw WireError(.internal, "cannot pair: \(error.description)")
        }
        switch outcome {
        case .success(let device):
            return info(device, createdAt: at, settings: settings)
        case .failure(.used): throw WireError(.unauthenticated, "the pairing link was used already; ask for a new one")
        case .failure(.expired): throw WireError(.unauthenticated, "the pairing link has expired; ask for a new one")
        case .failure(.unknown): throw WireError(.unauthenticated, "no such pairing link")
        }
    }

    /// `web.session`: the session's person while it is valid; an expired one is deleted.
    func session(_ args: WebSessionArgs) async throws(WireError) -> WebSessionInfo {
        let settings = try current()
        try Self.checkHash(args.sessionHash)
        let at = now()
        let record: WebSessionRecord?
        do { record = try await store.webSession(hash: args.sessionHash) } catch {
            throw WireError(.internal, "cannot read the session: \(error.description)")
        }
        guard let record else { throw WireError(.unauthenticated, "signed out: this browser is not paired (or was revoked)") }
        let idle = at.timeIntervalSince(record.lastSeen) > Double(settings.sessionIdle / .seconds(1))
        let old = at.timeIntervalSince(record.createdAt) >= Double(settings.sessionLifetime / .seconds(1))
        if idle || old {
            try? await store.deleteWebSession(hash: args.sessionHash)
            throw WireError(.unauthenticated, "the session has expired; pair this browser again")
        }
        try? await store.touchWebSession(hash: args.sessionHash, device: record.device.name, now: at)
        return info(record.device, createdAt: record.createdAt, settings: settings)
    }

    /// `web.devices`.
    func devices() async throws(WireError) -> WebDeviceList {
        let settings = try current()
        let since = now().addingTimeInterval(-Double(settings.sessionLifetime / .seconds(1)))
        do {
            return WebDeviceList(
                devices: try await store.webDevices(sessionsSince: since).map { device in
                    WebDevice(
                        name: device.name, role: Role(rawValue: device.role) ?? .viewer, zones: device.zones, groups: device.groups,
                        pairedAt: device.pairedAt, lastSeen: device.lastSeen, sessions: device.sessions)
                })
        } catch {
            throw WireError(.internal, "cannot list the devices: \(error.description)")
        }
    }

    /// `web.revoke`: the person is unpaired, and their open consoles are told to close.
    func revoke(_ args: WebRevokeArgs) async throws(WireError) -> WebRevoked {
        let sessions: Int?
        do { sessions = try await store.revokeWebDevice(name: args.name) } catch {
            throw WireError(.internal, "cannot revoke: \(error.description)")
        }
        guard let sessions else { throw WireError(.notFound, "no paired device `\(args.name)`; see `carillon web devices`") }
        var event = Event(event: "web.revoked")
        event.person = args.name
        events.publish(event)
        return WebRevoked(name: args.name, sessions: sessions)
    }

    private func info(_ device: WebDeviceRecord, createdAt: Date, settings: Settings) -> WebSessionInfo {
        WebSessionInfo(
            identity: Identity(
                name: device.name, role: Role(rawValue: device.role) ?? .viewer, zones: device.zones,
                groups: device.groups.isEmpty ? nil : device.groups),
            expiresAt: createdAt.addingTimeInterval(Double(settings.sessionLifetime / .seconds(1))),
            idleSeconds: Int(settings.sessionIdle / .seconds(1)))
    }

    static func hash(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    private static func checkHash(_ hash: String) throws(WireError) {
        guard hash.utf8.count == 64, hash.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
            throw WireError(.invalidArguments, "a hash must be 64 lower-case hex digits")
        }
    }

    // MARK: - Roll-call

    /// Gives each paired person their tasks of a plan run that starts: a task for a role reaches
    /// everyone paired with that role, a task for a group everyone in it. Returns the roll-call.
    func begin(run: Int64, tasks: [PlanTask]) async -> [RollCallEntry] {
        guard run > 0, !tasks.isEmpty, let people = try? await store.webDevices(sessionsSince: .distantPast) else { return [] }
        var records: [RollCallRecord] = []
        for person in people {
            for task in tasks where task.audience == person.role || person.groups.contains(task.audience) {
                records.append(RollCallRecord(person: person.name, audience: task.audience, task: task.task))
            }
        }
        guard !records.isEmpty else { return [] }
        try? await store.saveRollCall(run: run, records)
        return Self.entries(records)
    }

    /// The roll-call of a run, one entry per person.
    func rollCall(run: Int64) -> [RollCallEntry]? {
        guard let records = try? store.rollCall(run: run), !records.isEmpty else { return nil }
        return Self.entries(records)
    }

    /// `plan.ack`.
    func acknowledge(run: Int64, person: String) async throws(WireError) -> PlanAcked {
        let at = now()
        let found: Bool
        do { found = try await store.acknowledge(run: run, person: person, at: at) } catch {
            throw WireError(.internal, "cannot record the acknowledgment: \(error.description)")
        }
        guard found else { throw WireError(.notFound, "\(person) has no task in plan run \(run)") }
        let when = rollCall(run: run)?.first { $0.person == person }?.acknowledgedAt ?? at
        var event = Event(event: "plan.acked")
        event.person = person
        events.publish(event)
        return PlanAcked(run: run, person: person, acknowledgedAt: when)
    }

    static func entries(_ records: [RollCallRecord]) -> [RollCallEntry] {
        var order: [String] = []
        var byPerson: [String: RollCallEntry] = [:]
        for record in records {
            if byPerson[record.person] == nil {
                order.append(record.person)
                byPerson[record.person] = RollCallEntry(person: record.person, audiences: [], tasks: [], acknowledgedAt: record.ackedAt)
            }
            byPerson[record.person]?.audiences.append(record.audience)
            byPerson[record.person]?.tasks.append(record.task)
        }
        return order.compactMap { byPerson[$0] }
    }
}
