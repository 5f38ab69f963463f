public import Foundation

/// `web.pair`: a one-time link that pairs one phone's browser with the console as a named person.
public struct WebPairArgs: Sendable, Codable, Hashable {
    /// The person, as the roll-call shows them (`初一3班班主任`): 1 to 64 characters.
    public var name: String
    /// `viewer`, `teacher`, `leader` or `admin`.
    public var role: Role
    /// The zones the device may use; absent means every zone.
    public var zones: [String]?
    /// Staff groups (`class-teachers`) the person belongs to, for plans' `[[notify]]` tasks.
    public var groups: [String]?

    public init(name: String, role: Role, zones: [String]? = nil, groups: [String]? = nil) {
        self.name = name
        self.role = role
        self.zones = zones
        self.groups = groups
    }
}

/// The link to open on the phone: valid once, until `expiresAt`.
public struct WebPairing: Sendable, Codable, Hashable {
    public var name: String
    public var role: Role
    public var zones: [String]?
    public var groups: [String]
    /// The console's address with the one-time secret, e.g. `https://carillon.school.lan:8443/pair/…`.
    public var link: String
    public var expiresAt: Date

    public init(name: String, role: Role, zones: [String]?, groups: [String], link: String, expiresAt: Date) {
        self.name = name
        self.role = role
        self.zones = zones
        self.groups = groups
        self.link = link
        self.expiresAt = expiresAt
    }
}

/// One paired person, as `web.devices` lists them.
public struct WebDevice: Sendable, Codable, Hashable {
    public var name: String
    public var role: Role
    public var zones: [String]?
    public var groups: [String]
    public var pairedAt: Date
    /// The last request from any of the person's browsers; absent before the first.
    public var lastSeen: Date?
    /// Browsers signed in now (sessions not expired).
    public var sessions: Int

    public init(name: String, role: Role, zones: [String]?, groups: [String], pairedAt: Date, lastSeen: Date?, sessions: Int) {
        self.name = name
        self.role = role
        self.zones = zones
        self.groups = groups
        self.pairedAt = pairedAt
        self.lastSeen = lastSeen
        self.sessions = sessions
    }
}

public struct WebDeviceList: Sendable, Codable, Hashable {
    public var devices: [WebDevice]
    public init(devices: [WebDevice]) { self.devices = devices }
}

/// `web.revoke`: the person's browsers are signed out at once, open consoles included.
public struct WebRevokeArgs: Sendable, Codable, Hashable {
    public var name: String
    public init(name: String) { self.name = name }
}

public struct WebRevoked: Sendable, Codable, Hashable {
    public var name: String
    /// Sessions ended.
    public var sessions: Int
    public init(name: String, sessions: Int) {
        self.name = name
        self.sessions = sessions
    }
}

/// `web.redeem`: the console's own command, run when a phone opens a pairing link. Only hashes
/// cross it: the pairing secret's and the new session id's (SHA-256, lower-case hex).
public struct WebRedeemArgs: Sendable, Codable, Hashable {
    public var pairingHash: String
    public var sessionHash: String
    public init(pairingHash: String, sessionHash: String) {
        self.pairingHash = pairingHash
        self.sessionHash = sessionHash
    }
}

/// `web.session`: the console's own command: who a session cookie belongs to, if it is still valid.
/// Each call counts as activity, for the idle expiry.
public struct WebSessionArgs: Sendable, Codable, Hashable {
    public var sessionHash: String
    public init(sessionHash: String) { self.sessionHash = sessionHash }
}

/// A valid console session.
public struct WebSessionInfo: Sendable, Codable, Hashable {
    public var identity: Identity
    /// The absolute end of the session; it ends earlier after `idleSeconds` without a request.
    public var expiresAt: Date
    public var idleSeconds: Int
    public init(identity: Identity, expiresAt: Date, idleSeconds: Int) {
        self.identity = identity
        self.expiresAt = expiresAt
        self.idleSeconds = idleSeconds
    }
}

/// `plan.ack`: the caller has their task of the running plan.
public struct PlanAckArgs: Sendable, Codable, Hashable {
    /// The plan run; absent means the one running now.
    public var run: Int64?
    public init(run: Int64? = nil) { self.run = run }
}

/// One person's place in a plan run's roll-call.
public struct RollCallEntry: Sendable, Codable, Hashable {
    public var person: String
    /// The `[[notify]]` audiences that reached them: a role or a group.
    public var audiences: [String]
    /// Their tasks, one per audience, in the plan's order.
    public var tasks: [String]
    /// When they acknowledged; absent while they have not.
    public var acknowledgedAt: Date?

    public init(person: String, audiences: [String], tasks: [String], acknowledgedAt: Date?) {
        self.person = person
        self.audiences = audiences
        self.tasks = tasks
        self.acknowledgedAt = acknowledgedAt
    }
}

public struct PlanAcked: Sendable, Codable, Hashable {
    public var run: Int64
    public var person: String
    public var acknowledgedAt: Date
    public init(run: Int64, person: String, acknowledgedAt: Date) {
        self.run = run
        self.person = person
        self.acknowledgedAt = acknowledgedAt
    }
}

/// `say.preview`: what the voice will read for a text, without sounding it.
public struct SayPreviewArgs: Sendable, Codable, Hashable {
    public var text: String
    public init(text: String) { self.text = text }
}

public struct SayPreview: Sendable, Codable, Hashable {
    /// Numbers, dates and symbols as they will be said.
    public var normalized: String
    /// The tone-numbered syllables the voice gets.
    public var pinyin: [String]
    /// Spans read with a guess, and what is said for them.
    public var problems: [String]
    public init(normalized: String, pinyin: [String], problems: [String]) {
        self.normalized = normalized
        self.pinyin = pinyin
        self.problems = problems
    }
}
