/// Where the bureau's broker is and how to prove who we are to it: TLS with a CA, and a client
/// certificate or a username and password. TLS may be left out only to a broker on this machine.
public struct CityBroker: Sendable, Hashable {
    public var host: String
    public var port: Int
    /// The CA that signed the broker's certificate; required unless the broker is on loopback.
    public var caFile: String?
    /// The client's certificate and key, PEM; together or not at all.
    public var certFile: String?
    public var keyFile: String?
    /// Or a username, with its password read from `passwordFile` (never written in the config).
    public var username: String?
    public var passwordFile: String?
    /// MQTT keepalive, in seconds: how soon a dead connection is noticed, and the last will sent.
    public var keepalive: Int

    public init(
        host: String, port: Int, caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil, username: String? = nil,
        passwordFile: String? = nil, keepalive: Int = 30
    ) {
        self.host = host
        self.port = port
        self.caFile = caFile
        self.certFile = certFile
        self.keyFile = keyFile
        self.username = username
        self.passwordFile = passwordFile
        self.keepalive = keepalive
    }

    /// Whether `host` is this machine: `localhost`, 127.0.0.0/8 or ::1.
    public static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "127" else { return false }
        return parts.allSatisfy { part in part.count <= 3 && UInt8(part) != nil }
    }

    /// Whether TLS is used: whenever a CA is given.
    public var usesTLS: Bool { caFile != nil }

    /// The rules of TLS and credentials; nil when they hold, else what is wrong, for a config
    /// error or the client's usage error.
    public var problem: String? {
        if (certFile == nil) != (keyFile == nil) { return "a client certificate needs its key, and a key its certificate" }
        if (username == nil) != (passwordFile == nil) { return "a username needs its password file, and a password file its username" }
        if certFile != nil && username != nil { return "use a client certificate or a username and password, not both" }
        if certFile != nil && caFile == nil { return "a client certificate is used over TLS only: name the broker's CA too" }
        if !Self.isLoopback(host) {
            guard caFile != nil else {
                return "the broker \(host) is not on this machine, so TLS is required: name the CA that signed its certificate"
            }
            guard certFile != nil || username != nil else {
                return "the broker \(host) is not on this machine: name a client certificate and key, or a username and password file"
            }
        }
        return nil
    }

    /// Reads `HOST:PORT` (`[::1]:1883` for IPv6); nil when it is not that, or the port is not 1 to 65535.
    public static func parseAddress(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, host.count <= 253, !host.contains(where: { $0.isWhitespace || $0 == "/" }),
            let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port)
        else { return nil }
        return (host, port)
    }
}
