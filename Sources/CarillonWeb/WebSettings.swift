import Foundation

/// `[web]`: where the phone console listens, how it encrypts, and its limits.
public struct WebSettings: Sendable, Hashable {
    /// PEM files of the console's certificate and key.
    public struct TLS: Sendable, Hashable {
        public var certificate: String
        public var key: String
        public init(certificate: String, key: String) {
            self.certificate = certificate
            self.key = key
        }
    }

    public var host: String
    public var port: Int
    /// Nil: plain HTTP, which the config allows on a loopback address only.
    public var tls: TLS?
    /// The static pages: `web/` of the checkout or `/usr/share/carillon/web`.
    public var root: String
    /// The address phones open, for pairing links (`https://carillon.school.lan:8443`).
    public var publicURL: String
    /// A session ends after this long without a request.
    public var sessionIdle: Duration
    /// And after this long in any case.
    public var sessionLifetime: Duration
    /// The largest WebSocket message accepted; a larger one closes the console with 1009.
    public var maxMessageBytes: Int
    /// Consoles open at once; more are refused.
    public var maxConsoles: Int
    /// An HTTP connection with no complete request for this long is closed (slow clients).
    public var requestTimeout: Duration

    public init(
        host: String, port: Int, tls: TLS?, root: String, publicURL: String? = nil, sessionIdle: Duration = .seconds(7 * 86400),
        sessionLifetime: Duration = .seconds(90 * 86400), maxMessageBytes: Int = 64 * 1024, maxConsoles: Int = 512,
        requestTimeout: Duration = .seconds(30)
    ) {
        self.host = host
        self.port = port
        self.tls = tls
        self.root = root
        self.publicURL = publicURL ?? Self.defaultURL(host: host, port: port, tls: tls != nil)
        self.sessionIdle = sessionIdle
        self.sessionLifetime = sessionLifetime
        self.maxMessageBytes = maxMessageBytes
        self.maxConsoles = maxConsoles
        self.requestTimeout = requestTimeout
    }

    /// `http://127.0.0.1:8080`, or the machine's name where the console listens on every address.
    static func defaultURL(host: String, port: Int, tls: Bool) -> String {
        var name = host
        if host == "0.0.0.0" || host == "::" {
            var buffer = [CChar](repeating: 0, count: 256)
            name = gethostname(&buffer, buffer.count) == 0
                ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "localhost"
        }
        if name.contains(":") { name = "[\(name)]" }
        return "\(tls ? "https" : "http")://\(name):\(port)"
    }

    /// Whether `host` is a loopback address, where a browser counts plain HTTP as secure.
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}
