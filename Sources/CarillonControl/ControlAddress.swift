public import CarillonProtocol

/// Where the control protocol is served or reached.
public enum ControlAddress: Sendable, Hashable, CustomStringConvertible {
    case unixDomainSocket(path: String)
    /// TCP, always with TLS.
    case tcp(host: String, port: Int)

    public var description: String {
        switch self {
        case .unixDomainSocket(let path): "unix:\(path)"
        case .tcp(let host, let port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        }
    }

    /// Parses `HOST:PORT`, `[V6]:PORT` or `:PORT` (every address).
    public static func parseTCP(_ text: String) -> ControlAddress? {
        let host: Substring
        let port: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            port = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else { return nil }
            host = text[..<colon]
            port = text[text.index(after: colon)...]
        }
        guard let number = Int(port), (1...65535).contains(number) else { return nil }
        return .tcp(host: host.isEmpty ? "0.0.0.0" : String(host), port: number)
    }
}

/// Who is on the other end of a control connection.
public struct Peer: Sendable, Hashable, CustomStringConvertible {
    /// How the peer reached us: `unix`, or the TCP client's `address:port`.
    public var address: String
    /// Who it is; nil on TCP until `auth` succeeds.
    public var identity: Identity?

    public init(address: String, identity: Identity? = nil) {
        self.address = address
        self.identity = identity
    }

    /// The name the logs record: the identity, or `anonymous`.
    public var name: String { identity?.name ?? "anonymous" }
    public var isTCP: Bool { address != "unix" }
    public var description: String { "\(name)@\(address)" }

    /// Whether the peer may act at `level`'s rights: `permits` with no identity is false.
    public func may(_ required: Role) -> Bool { identity?.role.permits(required) ?? false }
}
