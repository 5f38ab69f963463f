import CarillonCrypto
public import CarillonProtocol
public import Foundation
import Synchronization

/// Who may do what: UNIX peers by uid and group, TCP clients by token. Built from the config;
/// swapped whole on reload, so a connection sees one policy or the other, never a mix.
public struct AccessPolicy: Sendable {
    /// A rule for UNIX socket peers: these uids, or members of these groups, get `role`.
    public struct UnixRule: Sendable, Hashable {
        public var uids: Set<UInt32>
        public var gids: Set<UInt32>
        public var role: Role
        public var zones: Set<String>?

        public init(uids: Set<UInt32>, gids: Set<UInt32>, role: Role, zones: Set<String>?) {
            self.uids = uids
            self.gids = gids
            self.role = role
            self.zones = zones
        }
    }

    /// A TCP client's token: only its SHA-256 is kept.
    public struct Token: Sendable, Hashable {
        public var name: String
        public var sha256: [UInt8]
        public var role: Role
        public var zones: Set<String>?

        public init(name: String, sha256: [UInt8], role: Role, zones: Set<String>?) {
            self.name = name
            self.sha256 = sha256
            self.role = role
            self.zones = zones
        }
    }

    public var unixRules: [UnixRule]
    /// The role of a UNIX peer no rule names; nil refuses such peers.
    public var defaultRole: Role?
    public var tokens: [Token]
    /// The daemon's own uid: its service account is admin, as root is.
    public var serviceUID: UInt32

    public init(unixRules: [UnixRule] = [], defaultRole: Role? = .viewer, tokens: [Token] = [], serviceUID: UInt32 = getuid()) {
        self.unixRules = unixRules
        self.defaultRole = defaultRole
        self.tokens = tokens
        self.serviceUID = serviceUID
    }

    /// The identity of a UNIX peer. Root and the service account are admin; otherwise the highest
    /// role of the rules that match wins, with the union of those rules' zones.
    public func identify(uid: UInt32, gids: Set<UInt32>, userName: String?) -> Identity? {
        let name = "uid \(uid)" + (userName.map { " (\($0))" } ?? "")
        if uid == 0 || uid == serviceUID { return Identity(name: name, role: .admin) }
        let matching = unixRules.filter { $0.uids.contains(uid) || !$0.gids.isDisjoint(with: gids) }
        guard let best = matching.map(\.role).max() else {
            return defaultRole.map { Identity(name: name, role: $0) }
        }
        return Identity(name: name, role: best, zones: Self.union(matching.filter { $0.role == best }.map(\.zones)))
    }

    /// The identity a token proves, or nil. Every token is compared, in constant time, so the time
    /// taken says nothing about which token came close.
    public func authenticate(token: String) -> Identity? {
        let digest = Array(SHA256.hash(data: Data(token.utf8)))
        var found: Token?
        for candidate in tokens where Self.constantTimeEqual(candidate.sha256, digest) {
            found = candidate
        }
        return found.map { Identity(name: $0.name, role: $0.role, zones: $0.zones?.sorted()) }
    }

    /// SHA-256 of a token, as the config stores it (lower-case hex).
    public static func hash(token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Whether two byte strings are equal, in a time that says nothing of where they differ.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }

    private static func union(_ zoneSets: [Set<String>?]) -> [String]? {
        var all: Set<String> = []
        for zones in zoneSets {
            guard let zones else { return nil }
            all.formUnion(zones)
        }
        return all.sorted()
    }
}

/// The policy in force, replaced on reload.
public final class AccessControl: Sendable {
    private let current: Mutex<AccessPolicy>
    public init(_ policy: AccessPolicy) { current = Mutex(policy) }
    public var policy: AccessPolicy { current.withLock { $0 } }
    public func update(_ policy: AccessPolicy) { current.withLock { $0 = policy } }
}

/// Counts failed logins per source address, and refuses an address that failed too often lately.
///
/// A sliding window: at most `maxFailures` in `window`; then the address waits until the oldest
/// of them leaves the window. Bounded memory: the stalest addresses are forgotten first.
public final class LoginLimiter: Sendable {
    public let maxFailures: Int
    public let window: Duration
    private let maxAddresses: Int
    private let now: @Sendable () -> ContinuousClock.Instant
    private let failures = Mutex<[String: [ContinuousClock.Instant]]>([:])

    public init(
        maxFailures: Int = 5, window: Duration = .seconds(60), maxAddresses: Int = 10_000,
        now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }
    ) {
        self.maxFailures = maxFailures
        self.window = window
        self.maxAddresses = maxAddresses
        self.now = now
    }

    /// How long `address` must wait before it may try again; nil if it may try now.
    public func wait(for address: String) -> Duration? {
        let now = now()
        return failures.withLock { table -> Duration? in
            let recent = (table[address] ?? []).filter { now - $0 < window }
            table[address] = recent.isEmpty ? nil : recent
            guard recent.count >= maxFailures, let oldest = recent.first else { return nil }
            return window - (now - oldest)
        }
    }

    /// Records a failed login from `address`.
    public func failed(_ address: String) {
        let now = now()
        failures.withLock { table in
            if table[address] == nil, table.count >= maxAddresses {
                // Forget the address whose last failure is oldest.
                if let stalest = table.min(by: { ($0.value.last ?? now) < ($1.value.last ?? now) })?.key {
                    table[stalest] = nil
                }
            }
            var list = (table[address] ?? []).filter { now - $0 < window }
            list.append(now)
            table[address] = Array(list.suffix(maxFailures))
        }
    }

    /// A success clears the address's failures.
    public func succeeded(_ address: String) {
        _ = failures.withLock { $0.removeValue(forKey: address) }
    }
}
