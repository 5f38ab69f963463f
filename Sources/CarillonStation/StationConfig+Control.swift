public import CarillonControl
import CarillonCore
import CarillonProtocol
import CarillonTOML
import Foundation

/// The control section: `[control]`, `[control.tcp]`, `[[access]]` and `[[token]]`.
public struct ControlSettings: Sendable {
    public var unix: ControlServer.UnixListener
    /// Off unless `[control.tcp]` names `listen`.
    public var tcp: ControlServer.TCPListener?
    public var access: AccessPolicy
    /// Failed logins allowed per address within `failedLoginWindow`.
    public var maxFailedLogins = 5
    public var failedLoginWindow: Duration = .seconds(60)

    static func standard() -> ControlSettings {
        ControlSettings(
            unix: ControlServer.UnixListener(path: "/run/carillon/control.sock"), tcp: nil, access: AccessPolicy())
    }
}

extension StationConfig {
    /// Reads `[control]` and `[control.tcp]`.
    static func parseControl(_ control: inout TOMLReader, into settings: inout ControlSettings, base: String, errors: inout Errors) {
        errors.run { () throws(TOMLError) in
            if let socket = try control.string("socket") { settings.unix.path = resolve(socket, base) }
        }
        errors.run { () throws(TOMLError) in
            if let mode = try control.string("socket_mode") {
                guard mode.count == 4, let value = mode_t(mode, radix: 8), value & 0o7000 == 0 else {
                    throw control.error("`control.socket_mode` must be four octal digits such as \"0660\"", at: "socket_mode")
                }
                settings.unix.mode = value
            }
        }
        errors.run { () throws(TOMLError) in
            guard let node = control.node("socket_group") else { return }
            switch node.value {
            case .integer(let gid) where gid >= 0 && gid < Int64(UInt32.max): settings.unix.group = gid_t(gid)
            case .string(let name):
                guard let gid = Self.groupID(name) else {
                    throw control.error("`control.socket_group`: no group `\(name)` on this system", at: "socket_group")
                }
                settings.unix.group = gid
            default: throw control.error("`control.socket_group` must be a group name or number", at: "socket_group")
            }
        }
        errors.run { () throws(TOMLError) in
            if let role = try control.string("default_role") {
                if role == "none" {
                    settings.access.defaultRole = nil
                } else {
                    guard let parsed = Role(rawValue: role) else {
                        throw control.error("`control.default_role` must be none, \(Self.roleNames)", at: "default_role")
                    }
                    settings.access.defaultRole = parsed
                }
            }
        }
        parseLimits(&control, into: &settings.unix.limits, prefix: "control", errors: &errors)
        guard var tcp = errors.run({ () throws(TOMLError) in try control.table("tcp") }) ?? nil else { return }
        var limits = ControlServer.Limits(maxConnections: 64, idleTimeout: .seconds(300))
        parseLimits(&tcp, into: &limits, prefix: "control.tcp", errors: &errors)
        let listen = errors.run { () throws(TOMLError) -> ControlAddress? in
            guard let text = try tcp.string("listen") else { return nil }
            guard let address = ControlAddress.parseTCP(text) else {
                throw tcp.error("`control.tcp.listen` must be HOST:PORT, such as \"0.0.0.0:7443\" or \"[::]:7443\"", at: "listen")
            }
            return address
        } ?? nil
        let certificate = errors.run { () throws(TOMLError) in try tcp.string("certificate").map { resolve($0, base) } } ?? nil
        let key = errors.run { () throws(TOMLError) in try tcp.string("key").map { resolve($0, base) } } ?? nil
        errors.run { () throws(TOMLError) in
            if let count = try tcp.integer("max_failed_logins") {
                guard (1...1000).contains(count) else {
                    throw tcp.error("`control.tcp.max_failed_logins` must be 1 to 1000", at: "max_failed_logins")
                }
                settings.maxFailedLogins = count
            }
        }
        errors.run { () throws(TOMLError) in
            if let seconds = try tcp.integer("failed_login_window") {
                guard (1...86400).contains(seconds) else {
                    throw tcp.error("`control.tcp.failed_login_window` must be 1 to 86400 seconds", at: "failed_login_window")
                }
                settings.failedLoginWindow = .seconds(seconds)
            }
        }
        errors.run { () throws(TOMLError) in try tcp.finish() }
        guard case .tcp(let host, let port)? = listen else { return }
        // TCP without TLS is never served: a listen address needs a certificate and a key.
        guard let certificate, let key else {
            errors.append(tcp.error("`control.tcp` needs `certificate` and `key` (PEM files): TCP is served with TLS only"))
            return
        }
        settings.tcp = ControlServer.TCPListener(host: host, port: port, certificate: certificate, key: key, limits: limits)
    }

    private static func parseLimits(_ table: inout TOMLReader, into limits: inout ControlServer.Limits, prefix: String, errors: inout Errors) {
        errors.run { () throws(TOMLError) in
            if let limit = try table.integer("max_line_bytes") {
                guard (1024...16 * 1024 * 1024).contains(limit) else {
                    throw table.error("`\(prefix).max_line_bytes` must be between 1024 and 16777216", at: "max_line_bytes")
                }
                limits.maxLineBytes = limit
            }
        }
        errors.run { () throws(TOMLError) in
            if let count = try table.integer("max_connections") {
                guard (1...65536).contains(count) else {
                    throw table.error("`\(prefix).max_connections` must be 1 to 65536", at: "max_connections")
                }
                limits.maxConnections = count
            }
        }
        errors.run { () throws(TOMLError) in
            if let seconds = try table.double("idle_timeout") {
                guard (0.1...86400).contains(seconds) else {
                    throw table.error("`\(prefix).idle_timeout` must be 0.1 to 86400 seconds", at: "idle_timeout")
                }
                limits.idleTimeout = .milliseconds(Int64(seconds * 1000))
            }
        }
        errors.run { () throws(TOMLError) in
            if let seconds = try table.double("login_timeout") {
                guard (0.1...600).contains(seconds) else {
                    throw table.error("`\(prefix).login_timeout` must be 0.1 to 600 seconds", at: "login_timeout")
                }
                limits.loginTimeout = .milliseconds(Int64(seconds * 1000))
            }
        }
    }

    /// Reads `[[access]]`: roles for UNIX socket peers by user and group.
    static func parseAccess(
        _ rules: [TOMLReader], zones: [ZoneName], groups: ZoneGroups, into access: inout AccessPolicy, errors: inout Errors
    ) {
        for var rule in rules {
            let before = errors.list.count
            let uids = errors.run { () throws(TOMLError) in try ids(&rule, "users", lookup: Self.userID) } ?? []
            let gids = errors.run { () throws(TOMLError) in try ids(&rule, "groups", lookup: Self.groupID) } ?? []
            let role = errors.run { () throws(TOMLError) in try parseRole(&rule) }
            let zones = errors.run { () throws(TOMLError) in try zoneList(&rule, zones: zones, groups: groups) } ?? nil
            if errors.list.count == before && uids.isEmpty && gids.isEmpty {
                errors.append(rule.error("an [[access]] rule needs `users` or `groups`"))
            }
            errors.run { () throws(TOMLError) in try rule.finish() }
            guard errors.list.count == before, let role else { continue }
            access.unixRules.append(AccessPolicy.UnixRule(uids: uids, gids: gids, role: role, zones: zones))
        }
    }

    /// Reads `[[token]]`: TCP clients, each by the SHA-256 of its token.
    static func parseTokens(
        _ tokens: [TOMLReader], zones: [ZoneName], groups: ZoneGroups, into access: inout AccessPolicy, errors: inout Errors
    ) {
        for var token in tokens {
            let before = errors.list.count
            let name = errors.run { () throws(TOMLError) in
                let name = try token.requiredString("name")
                guard !name.isEmpty, name.count <= 64, !name.contains(where: \.isNewline) else {
                    throw token.error("a token's `name` must be 1 to 64 characters on one line", at: "name")
                }
                if access.tokens.contains(where: { $0.name == name }) {
                    throw token.error("token `\(name)` is declared twice", at: "name")
                }
                return name
            }
            let hash = errors.run { () throws(TOMLError) in
                let text = try token.requiredString("sha256").lowercased()
                guard let bytes = ClientTLS.parsePin(text) else {
                    throw token.error(
                        "`sha256` must be the token's SHA-256 as 64 hex digits (`carillon token new` prints it)", at: "sha256")
                }
                return bytes
            }
            let role = errors.run { () throws(TOMLError) in try parseRole(&token) }
            let zones = errors.run { () throws(TOMLError) in try zoneList(&token, zones: zones, groups: groups) } ?? nil
            errors.run { () throws(TOMLError) in try token.finish() }
            guard errors.list.count == before, let name, let hash, let role else { continue }
            access.tokens.append(AccessPolicy.Token(name: name, sha256: hash, role: role, zones: zones))
        }
    }

    static var roleNames: String { Role.allCases.map(\.rawValue).joined(separator: ", ") }

    private static func parseRole(_ table: inout TOMLReader) throws(TOMLError) -> Role {
        let name = try table.requiredString("role")
        guard let role = Role(rawValue: name) else { throw table.error("`role` must be one of \(roleNames)", at: "role") }
        return role
    }

    /// A rule's zone limits, its zone groups expanded: the Dispatcher compares zones, never groups.
    private static func zoneList(_ table: inout TOMLReader, zones: [ZoneName], groups: ZoneGroups) throws(TOMLError) -> Set<String>? {
        guard let names = try table.stringArray("zones") else { return nil }
        if let unknown = names.first(where: { !zones.contains(ZoneName($0)) && groups.zones(of: $0) == nil }) {
            let groupNames = groups.groups.isEmpty ? "" : "; the zone groups are " + groups.groups.map(\.name).joined(separator: ", ")
            throw table.error(
                "unknown zone `\(unknown)`; the zones are \(zones.map(\.rawValue).joined(separator: ", "))\(groupNames)", at: "zones")
        }
        return Set(groups.expand(names))
    }

    private static func ids(_ table: inout TOMLReader, _ key: String, lookup: (String) -> UInt32?) throws(TOMLError) -> Set<UInt32> {
        var result: Set<UInt32> = []
        for node in try table.array(key) ?? [] {
            switch node.value {
            case .integer(let id) where id >= 0 && id < Int64(UInt32.max): result.insert(UInt32(id))
            case .string(let name):
                guard let id = lookup(name) else { throw table.error("`\(key)`: no \(key.dropLast()) `\(name)` on this system", at: key) }
                result.insert(id)
            default: throw table.error("`\(key)` must list names or numbers", at: key)
            }
        }
        return result
    }

    static func userID(_ name: String) -> UInt32? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getpwnam_r(name, &entry, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
        return entry.pw_uid
    }

    static func groupID(_ name: String) -> UInt32? {
        var entry = group()
        var result: UnsafeMutablePointer<group>?
        var buffer = [CChar](repeating: 0, count: 16384)
        guard getgrnam_r(name, &entry, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
        return entry.gr_gid
    }
}
