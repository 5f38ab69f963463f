/// A play's number: unique for the life of the database.
public typealias PlayID = Int64

/// What happens to a play of a level when a higher level takes its zone.
public enum Yield: Sendable, Hashable {
    /// It fades out (at most 50 ms) and ends, cut by the newcomer.
    case cut
    /// It keeps playing, lowered by this many dB, and is restored when the zone is free again.
    case duck(dB: Double)
}

/// What happens when a play arrives in a zone already held at the same level.
public enum SameLevel: Sendable, Hashable {
    /// The newcomer waits for the zone, within its grace window.
    case queue
    /// The newcomer cuts the one playing: among emergencies, the newest wins.
    case replace
    /// The newcomer is refused: one live voice per zone.
    case refuse
}

/// How one level behaves in a zone.
public struct LevelPolicy: Sendable, Hashable {
    public var yield: Yield
    public var sameLevel: SameLevel

    public init(yield: Yield, sameLevel: SameLevel) {
        self.yield = yield
        self.sameLevel = sameLevel
    }

    /// The defaults of DESIGN.md: background ducks by 12 dB, shouts are one per zone, the newest
    /// emergency wins, everything else cuts and queues.
    public static func standard(_ level: Level) -> LevelPolicy {
        switch level {
        case .background: LevelPolicy(yield: .duck(dB: -12), sameLevel: .replace)
        case .announcement: LevelPolicy(yield: .cut, sameLevel: .queue)
        case .bell: LevelPolicy(yield: .cut, sameLevel: .queue)
        case .shout: LevelPolicy(yield: .cut, sameLevel: .refuse)
        case .emergency: LevelPolicy(yield: .cut, sameLevel: .replace)
        }
    }
}

/// One request to sound something in some zones.
public struct PlayRequest<Instant: InstantProtocol & Sendable>: Sendable, Hashable where Instant.Duration == Duration {
    public var id: PlayID
    public var level: Level
    public var zones: [ZoneName]
    /// How long it may wait for a busy zone before it counts as missed.
    public var grace: Duration

    public init(id: PlayID, level: Level, zones: [ZoneName], grace: Duration) {
        self.id = id
        self.level = level
        self.zones = zones
        self.grace = grace
    }
}

/// A decision of the Arbiter, for one play in one zone. The Station carries it out on the engine.
public enum ArbiterAction: Sendable, Hashable {
    /// Start sounding, at this gain (0 dB, or ducked when something higher holds the zone).
    case start(PlayID, zone: ZoneName, gainDB: Double)
    /// Lower a sounding play.
    case duck(PlayID, zone: ZoneName, gainDB: Double)
    /// Bring a ducked play back to full level.
    case restore(PlayID, zone: ZoneName)
    /// Fade out and end a sounding play, for `by`.
    case cut(PlayID, zone: ZoneName, by: PlayID)
    /// Wait for the zone; it will start or be missed later.
    case queue(PlayID, zone: ZoneName)
    /// It waited past its grace window and will not play in this zone.
    case missed(PlayID, zone: ZoneName)
    /// Refused: the zone is held by `by` at the same level.
    case refuse(PlayID, zone: ZoneName, by: PlayID)
    /// Withdrawn from the queue on request, before it started.
    case withdraw(PlayID, zone: ZoneName)
}

/// Who owns each zone now: a pure state machine. It takes requests, ends and the time, and returns
/// actions per zone. It performs no I/O and reads no clock.
public struct Arbiter<Instant: InstantProtocol & Sendable>: Sendable where Instant.Duration == Duration {
    struct Entry: Sendable, Hashable {
        var id: PlayID
        var level: Level
        var arrival: Int
        var deadline: Instant
        var ducked: Bool = false
    }

    struct ZoneState: Sendable {
        /// Sounding plays, the highest level last among equals.
        var sounding: [Entry] = []
        /// Waiting plays, in arrival order.
        var queue: [Entry] = []
    }

    private var zones: [ZoneName: ZoneState] = [:]
    private var policies: [Level: LevelPolicy]
    private var arrivals = 0

    public init(policies: [Level: LevelPolicy] = [:]) {
        var all: [Level: LevelPolicy] = [:]
        for level in Level.allCases { all[level] = policies[level] ?? .standard(level) }
        self.policies = all
    }

    /// Changes the policies for requests from now on; plays already placed keep their places.
    public mutating func update(policies: [Level: LevelPolicy]) {
        for level in Level.allCases { self.policies[level] = policies[level] ?? .standard(level) }
    }

    private func policy(_ level: Level) -> LevelPolicy { policies[level] ?? .standard(level) }

    /// Decides where and how a new play sounds, zone by zone.
    public mutating func request(_ request: PlayRequest<Instant>, now: Instant) -> [ArbiterAction] {
        arrivals += 1
        let entry = Entry(id: request.id, level: request.level, arrival: arrivals, deadline: now.advanced(by: request.grace))
        var actions: [ArbiterAction] = []
        for zone in request.zones {
            actions += admit(entry, in: zone)
        }
        return actions
    }

    /// A play ended in a zone (finished, stopped or failed): restores what it ducked and starts what waited.
    public mutating func ended(_ id: PlayID, zone: ZoneName, now: Instant) -> [ArbiterAction] {
        guard var state = zones[zone] else { return [] }
        var actions: [ArbiterAction] = []
        if let index = state.queue.firstIndex(where: { $0.id == id }) {
            state.queue.remove(at: index)
            actions.append(.withdraw(id, zone: zone))
        }
        state.sounding.removeAll { $0.id == id }
        zones[zone] = state
        return actions + settle(zone, now: now)
    }

    /// Withdraws a play from every queue and reports the zones where it was sounding, for a stop.
    public mutating func withdraw(_ id: PlayID, now: Instant) -> [ArbiterAction] {
        var actions: [ArbiterAction] = []
        for zone in zones.keys.sorted() {
            guard var state = zones[zone], let index = state.queue.firstIndex(where: { $0.id == id }) else { continue }
            state.queue.remove(at: index)
            zones[zone] = state
            actions.append(.withdraw(id, zone: zone))
        }
        return actions
    }

    /// Expires queued plays whose grace has passed.
    public mutating func tick(now: Instant) -> [ArbiterAction] {
        var actions: [ArbiterAction] = []
        for zone in zones.keys.sorted() {
            guard var state = zones[zone] else { continue }
            let expired = state.queue.filter { $0.deadline < now }
            guard !expired.isEmpty else { continue }
            state.queue.removeAll { $0.deadline < now }
            zones[zone] = state
            actions += expired.map { .missed($0.id, zone: zone) }
        }
        return actions
    }

    /// The earliest grace deadline of anything queued: when `tick` next has work.
    public var nextDeadline: Instant? {
        zones.values.flatMap { $0.queue.map { $0.deadline } }.min()
    }

    // Closures here, not key paths: a key path into this generic type is built at run time on
    // every call (7 % of the daemon's time under 100 clients asking `status`, which asks these).

    /// The plays sounding in a zone, lowest level first.
    public func sounding(in zone: ZoneName) -> [PlayID] { zones[zone]?.sounding.map { $0.id } ?? [] }

    /// The plays waiting for a zone, in the order they would start.
    public func queued(in zone: ZoneName) -> [PlayID] { zones[zone]?.queue.map { $0.id } ?? [] }

    // MARK: - Rules

    private mutating func admit(_ entry: Entry, in zone: ZoneName) -> [ArbiterAction] {
        var state = zones[zone] ?? ZoneState()
        defer { zones[zone] = state }
        let top = state.sounding.map { $0.level }.max()
        guard let top else {
            state.sounding.append(entry)
            return [.start(entry.id, zone: zone, gainDB: 0)]
        }
        if entry.level > top {
            var actions: [ArbiterAction] = []
            var kept: [Entry] = []
            for var other in state.sounding {
                switch policy(other.level).yield {
                case .cut:
                    actions.append(.cut(other.id, zone: zone, by: entry.id))
                case .duck(let dB):
                    if !other.ducked { actions.append(.duck(other.id, zone: zone, gainDB: dB)) }
                    other.ducked = true
                    kept.append(other)
                }
            }
            state.sounding = kept + [entry]
            return actions + [.start(entry.id, zone: zone, gainDB: 0)]
        }
        if entry.level == top {
            switch policy(entry.level).sameLevel {
            case .queue:
                state.queue.append(entry)
                return [.queue(entry.id, zone: zone)]
            case .refuse:
                let holder = state.sounding.last { $0.level == top }!
                return [.refuse(entry.id, zone: zone, by: holder.id)]
            case .replace:
                var actions: [ArbiterAction] = []
                for other in state.sounding where other.level == top {
                    actions.append(.cut(other.id, zone: zone, by: entry.id))
                }
                state.sounding.removeAll { $0.level == top }
                state.sounding.append(entry)
                return actions + [.start(entry.id, zone: zone, gainDB: 0)]
            }
        }
        // Lower than what holds the zone: a level that ducks plays underneath; the others wait.
        if case .duck(let dB) = policy(entry.level).yield {
            var ducked = entry
            ducked.ducked = true
            if let sameIndex = state.sounding.firstIndex(where: { $0.level == entry.level }),
                policy(entry.level).sameLevel == .replace
            {
                let old = state.sounding.remove(at: sameIndex)
                state.sounding.insert(ducked, at: 0)
                return [.cut(old.id, zone: zone, by: entry.id), .start(entry.id, zone: zone, gainDB: dB)]
            }
            state.sounding.insert(ducked, at: 0)
            return [.start(entry.id, zone: zone, gainDB: dB)]
        }
        state.queue.append(entry)
        return [.queue(entry.id, zone: zone)]
    }

    /// After something left a zone: restore ducked plays if nothing above them remains, then start
    /// waiting plays, the highest level first and, within a level, the first to arrive.
    private mutating func settle(_ zone: ZoneName, now: Instant) -> [ArbiterAction] {
        guard var state = zones[zone] else { return [] }
        var actions: [ArbiterAction] = []
        let expired = state.queue.filter { $0.deadline < now }
        state.queue.removeAll { $0.deadline < now }
        actions += expired.map { .missed($0.id, zone: zone) }
        zones[zone] = state

        while let next = bestQueued(in: zone) {
            let top = zones[zone]?.sounding.map { $0.level }.max()
            guard top == nil || next.level > top! else { break }
            zones[zone]?.queue.removeAll { $0.id == next.id }
            actions += admit(next, in: zone)
        }
        state = zones[zone] ?? ZoneState()
        let top = state.sounding.map { $0.level }.max()
        for index in state.sounding.indices where state.sounding[index].ducked && state.sounding[index].level == top {
            state.sounding[index].ducked = false
            actions.append(.restore(state.sounding[index].id, zone: zone))
        }
        zones[zone] = state
        if state.sounding.isEmpty && state.queue.isEmpty { zones[zone] = nil }
        return actions
    }

    private func bestQueued(in zone: ZoneName) -> Entry? {
        zones[zone]?.queue.max { a, b in a.level != b.level ? a.level < b.level : a.arrival > b.arrival }
    }
}
