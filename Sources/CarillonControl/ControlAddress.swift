/// Where the control protocol is served or reached.
public enum ControlAddress: Sendable, Hashable, CustomStringConvertible {
    case unixDomainSocket(path: String)

    public var description: String {
        switch self {
        case .unixDomainSocket(let path): "unix:\(path)"
        }
    }
}

/// Who is on the other end of a control connection.
public struct Peer: Sendable, Hashable, CustomStringConvertible {
    /// How the peer reached us, e.g. `unix` or `127.0.0.1:51234`.
    public var address: String

    public init(address: String) { self.address = address }
    public var description: String { address }
}
