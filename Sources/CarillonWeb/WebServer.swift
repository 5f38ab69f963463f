public import CarillonControl
import CarillonCrypto
import CarillonProtocol
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import HummingbirdWebSocket
public import Logging
import NIOCore
import NIOSSL
import NIOWebSocket
public import ServiceLifecycle
import Synchronization

/// The phone console: static pages from `web/`, pairing links, and one WebSocket per page in front
/// of the same command table as the control socket. It holds no state of its own that must
/// survive a restart: devices, sessions and pairing links are kept by the daemon through the
/// `web.*` commands, which it runs as the peer `console`.
public struct WebServer: Service {
    public static let cookieName = "carillon_session"

    let settings: WebSettings
    let dispatcher: Dispatcher
    let limiter: LoginLimiter
    let logger: Logger
    let files: StaticFiles
    let consoles = OpenConsoles()
    /// Mixed into each session's CSRF token; new at each start, when pages reload their token anyway.
    let csrfKey: [UInt8]
    let onListening: @Sendable (Int) async -> Void

    /// - Parameters:
    ///   - dispatcher: the command table, as the control socket has it (without `auth`).
    ///   - limiter: failed pairings and session cookies count as failed logins, as `auth` does on TCP.
    ///   - onListening: called with the port once the console listens.
    public init(
        settings: WebSettings, dispatcher: Dispatcher, limiter: LoginLimiter, logger: Logger,
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) {
        self.settings = settings
        self.dispatcher = dispatcher
        self.limiter = limiter
        self.logger = logger
        self.files = StaticFiles(root: settings.root)
        var generator = SystemRandomNumberGenerator()
        self.csrfKey = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        self.onListening = onListening
    }

    /// Loads the certificate and key, so `--check-config` and the start name a bad file.
    public static func checkTLS(_ tls: WebSettings.TLS) throws(ControlError) {
        _ = try tlsConfiguration(tls)
    }

    static func tlsConfiguration(_ tls: WebSettings.TLS) throws(ControlError) -> TLSConfiguration {
        try ControlServer.serverTLS(certificate: tls.certificate, key: tls.key)
    }

    /// Serves until the daemon shuts down.
    public func run() async throws {
        let router = Router(context: ConsoleContext.self)
        router.add(middleware: SecurityHeaders(secure: settings.tls != nil))
        router.get("/pair/:secret") { request, context in await pair(request, context) }
        router.get("/api/session") { request, context in await sessionInfo(request, context) }
        router.get("/ws") { request, context in
            // Reached only when the upgrade was refused: say why.
            let refusal = await admit(request.head, address: context.address)
            return Self.text(refusal.failure ?? (.badRequest, "send a WebSocket upgrade"))
        }
        router.get("/") { request, _ in serveFile(request.uri.path) }
        router.get("/**") { request, _ in serveFile(request.uri.path) }

        let configuration = HTTP1WebSocketUpgradeChannel.Configuration(
            http1: .init(idleTimeout: .nanoseconds(Int64(settings.requestTimeout / .nanoseconds(1)))),
            ws: .init(maxFrameSize: settings.maxMessageBytes, autoPing: .enabled(timePeriod: .seconds(30))))
        let shouldUpgrade: @Sendable (HTTPRequest, any Channel, Logger) async throws -> ShouldUpgradeResult<
            WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>
        > = { request, channel, _ in
            guard request.path?.split(separator: "?").first == "/ws" else { return .dontUpgrade }
            let address = Self.address(channel.remoteAddress)
            switch await admit(request, address: address) {
            case .failure(let status, let message):
                // The upgrade's refusal is a bare 400 (NIO's); the log says why, and a plain
                // `GET /ws` answers it in words.
                logger.notice("console refused", metadata: ["address": "\(address)", "status": "\(status.code)", "reason": "\(message)"])
                return .dontUpgrade
            case .success(let session):
                return .upgrade([:]) { inbound, outbound, _ in
                    await console(session, address: address, inbound: inbound, outbound: outbound)
                }
            }
        }
        let headTimeout = TimeAmount.nanoseconds(Int64(settings.requestTimeout / .nanoseconds(1)))
        var server = HTTPServerBuilder { responder in
            RequestDeadline(
                base: HTTP1WebSocketUpgradeChannel(responder: responder, configuration: configuration, shouldUpgrade: shouldUpgrade),
                timeout: headTimeout)
        }
        if let tls = settings.tls { server = try .tls(server, tlsConfiguration: Self.tlsConfiguration(tls)) }
        let app = Application(
            router: router, server: server,
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: nil),
            onServerRunning: { [logger, settings, onListening] channel in
                let port = channel.localAddress?.port ?? settings.port
                logger.info(
                    "console listening", metadata: ["address": "\(settings.host):\(port)", "tls": "\(settings.tls != nil)"])
                await onListening(port)
            },
            logger: logger)
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await watchRevocations() }
            try await app.run()
            group.cancelAll()
        }
    }

    // MARK: - Sessions

    /// A session the console accepted: who, and the page's CSRF token.
    struct Session: Sendable {
        var hash: String
        var info: WebSessionInfo
        var csrf: String
    }

    enum Admission: Sendable {
        case success(Session)
        case failure(HTTPResponse.Status, String)

        var failure: (HTTPResponse.Status, String)? {
            if case .failure(let status, let message) = self { return (status, message) }
            return nil
        }
    }

    /// The checks a WebSocket passes before it opens: the page's own origin, a valid session, room.
    func admit(_ request: HTTPRequest, address: String) async -> Admission {
        let scheme = settings.tls != nil ? "https" : "http"
        guard let origin = request.headerFields[.origin], let host = request.authority,
            origin == "\(scheme)://\(host)"
        else {
            return .failure(.forbidden, "the console's WebSocket opens only from its own pages (Origin \(scheme)://HOST)")
        }
        let session = await session(request, address: address)
        guard case .success = session else { return session }
        guard consoles.count < settings.maxConsoles else {
            return .failure(.serviceUnavailable, "\(settings.maxConsoles) consoles are open, the most this daemon serves; try again later")
        }
        return session
    }

    /// The session that the request's cookie names, checked by the daemon.
    func session(_ request: HTTPRequest, address: String) async -> Admission {
        let source = CommandSpec.host(of: address)
        if let wait = limiter.wait(for: source) {
            return .failure(.tooManyRequests, "too many failed sign-ins from \(source); try again in \(wait.components.seconds + 1) s")
        }
        guard let id = Self.cookie(Self.cookieName, in: request.headerFields[values: .cookie]) else {
            return .failure(.unauthorized, "this browser is not paired; open a pairing link from `carillon web pair`")
        }
        let hash = Self.hex(SHA256.hash(data: Data(id.utf8)))
        do throws(WireError) {
            let info: WebSessionInfo = try await call(.webSession, WebSessionArgs(sessionHash: hash))
            limiter.succeeded(source)
            return .success(Session(hash: hash, info: info, csrf: Self.hex(SHA256.hash(data: Data(csrfKey + Array(hash.utf8))))))
        } catch {
            limiter.failed(source)
            return .failure(.unauthorized, error.message)
        }
    }

    /// `GET /pair/SECRET`: pairs this browser once, and sends it to the console.
    func pair(_ request: Request, _ context: ConsoleContext) async -> Response {
        let source = CommandSpec.host(of: context.address)
        if let wait = limiter.wait(for: source) {
            return Self.text(.tooManyRequests, "too many failed sign-ins from \(source); try again in \(wait.components.seconds + 1) s")
        }
        guard let secret = context.parameters.get("secret"), (16...128).contains(secret.utf8.count) else {
            limiter.failed(source)
            return Self.text(.notFound, "此配对链接无效。This pairing link is not valid.")
        }
        var generator = SystemRandomNumberGenerator()
        let id = Self.hex((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let args = WebRedeemArgs(
            pairingHash: Self.hex(SHA256.hash(data: Data(secret.utf8))), sessionHash: Self.hex(SHA256.hash(data: Data(id.utf8))))
        do throws(WireError) {
            let info: WebSessionInfo = try await call(.webRedeem, args)
            limiter.succeeded(source)
            logger.notice("console paired", metadata: ["person": "\(info.identity.name)", "address": "\(context.address)"])
            var headers = HTTPFields()
            headers[.location] = "/"
            headers[.setCookie] = cookie(id)
            headers[.cacheControl] = "no-store"
            return Response(status: .seeOther, headers: headers)
        } catch {
            limiter.failed(source)
            return Self.text(.forbidden, "配对失败：\(error.message)\nPairing refused: \(error.message)")
        }
    }

    /// `GET /api/session`: who this browser is, and its CSRF token; 401 when it is not paired.
    func sessionInfo(_ request: Request, _ context: ConsoleContext) async -> Response {
        switch await session(request.head, address: context.address) {
        case .failure(let status, let message): return Self.text(status, message)
        case .success(let session):
            struct Body: Encodable {
                var identity: Identity
                var csrf: String
                var expiresAt: Date
            }
            let body = Body(identity: session.info.identity, csrf: session.csrf, expiresAt: session.info.expiresAt)
            let data = (try? Wire.encoder().encode(body)) ?? Data("{}".utf8)
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            headers[.cacheControl] = "no-store"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
    }

    func cookie(_ id: String) -> String {
        let seconds = Int(settings.sessionLifetime / .seconds(1))
        return "\(Self.cookieName)=\(id); Path=/; Max-Age=\(seconds); HttpOnly; SameSite=Strict" + (settings.tls != nil ? "; Secure" : "")
    }

    // MARK: - The socket

    func console(_ session: Session, address: String, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        let person = session.info.identity.name
        let peer = Peer(address: "web \(address)", identity: session.info.identity)
        let id = consoles.open(person: person) {
            Task { try? await outbound.close(.policyViolation, reason: "signed out") }
        }
        defer { consoles.close(id) }
        logger.info("console opened", metadata: ["person": "\(person)", "address": "\(address)"])
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await keepAlive(session, outbound: outbound) }
            await ConsoleSocket(dispatcher: dispatcher, peer: peer, csrf: session.csrf, logger: logger)
                .serve(inbound: inbound, outbound: outbound, maxMessage: settings.maxMessageBytes)
            group.cancelAll()
        }
        logger.info("console closed", metadata: ["person": "\(person)"])
    }

    /// While a console is open its session stays active; at the session's absolute end it closes.
    private func keepAlive(_ session: Session, outbound: WebSocketOutboundWriter) async {
        var expiresAt = session.info.expiresAt
        while !Task.isCancelled {
            let left = expiresAt.timeIntervalSinceNow
            if left <= 0 {
                try? await outbound.close(.policyViolation, reason: "session expired")
                return
            }
            do { try await Task.sleep(for: .seconds(min(60, left))) } catch { return }
            do throws(WireError) {
                let info: WebSessionInfo = try await call(.webSession, WebSessionArgs(sessionHash: session.hash))
                expiresAt = info.expiresAt
            } catch {
                try? await outbound.close(.policyViolation, reason: "signed out")
                return
            }
        }
    }

    /// Closes the consoles of a person at once when `web.revoke` unpairs them.
    private func watchRevocations() async {
        let sub = SubSession(peer: Self.consolePeer) { [consoles, logger] line in
            guard let event = try? Wire.decoder().decode(Event.self, from: line), event.event == "web.revoked",
                let person = event.person
            else { return }
            let closed = consoles.closeAll(person: person)
            logger.notice("console revoked", metadata: ["person": "\(person)", "closed": "\(closed)"])
        }
        await withTaskCancellationHandler {
            _ = await dispatcher.respond(to: Data(#"{"cmd":"events","args":{"kinds":["web.revoked"]}}"#.utf8), session: sub)
        } onCancel: {
            sub.finish()
        }
    }

    // MARK: - Helpers

    /// The console's own identity toward the command table, for the `web.*` commands.
    static let consolePeer = Peer(address: "console", identity: Identity(name: "console", role: .admin))

    /// Runs one command of the table as the console itself.
    func call<A: Codable & Sendable, R: Codable & Sendable>(_ name: CommandName, _ args: A) async throws(WireError) -> R {
        guard let line = try? Wire.encoder().encode(CarillonProtocol.Request(id: nil, cmd: name.rawValue, args: args)) else {
            throw WireError(.internal, "cannot encode \(name.rawValue)")
        }
        let reply = await dispatcher.respond(to: line, from: Self.consolePeer)
        guard let decoded = try? Wire.decoder().decode(CarillonProtocol.Response<R>.self, from: reply) else {
            throw WireError(.internal, "cannot read the answer to \(name.rawValue)")
        }
        if let result = decoded.result, decoded.ok { return result }
        throw decoded.error ?? WireError(.internal, "\(name.rawValue) failed")
    }

    func serveFile(_ path: String) -> Response {
        do throws(StaticFiles.Refusal) {
            let file = try files.file(at: path)
            var headers = HTTPFields()
            headers[.contentType] = file.contentType
            headers[.cacheControl] = "no-cache"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: file.bytes)))
        } catch {
            return error == .badPath ? Self.text(.badRequest, "bad path") : Self.text(.notFound, "not found")
        }
    }

    static func text(_ status: HTTPResponse.Status, _ message: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: message + "\n")))
    }

    static func text(_ pair: (HTTPResponse.Status, String)) -> Response { text(pair.0, pair.1) }

    static func cookie(_ name: String, in headers: [String]) -> String? {
        for header in headers {
            for part in header.split(separator: ";") {
                let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                if pair.count == 2, pair[0] == name { return String(pair[1]) }
            }
        }
        return nil
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    static func address(_ remote: SocketAddress?) -> String {
        guard let remote, let ip = remote.ipAddress, let port = remote.port else { return "unknown" }
        return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }
}

/// A request's context: the client's address, for the login rate limit and the audit log.
struct ConsoleContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let address: String

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        address = WebServer.address(source.channel.remoteAddress)
    }
}

/// Headers on every answer: no inline script, no framing, no referrer (a pairing link's secret
/// must not leak), no sniffing, the microphone for this origin only.
struct SecurityHeaders: RouterMiddleware {
    typealias Context = ConsoleContext
    let secure: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.contentSecurityPolicy] =
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            + "media-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[HTTPField.Name("Permissions-Policy")!] = "microphone=(self), camera=(), geolocation=()"
        if secure { response.headers[.strictTransportSecurity] = "max-age=31536000" }
        return response
    }
}

/// The consoles open now, by person, so that a revocation closes them at once.
final class OpenConsoles: Sendable {
    private struct Entry {
        var person: String
        var close: @Sendable () -> Void
    }

    private let state = Mutex<(next: Int, open: [Int: Entry])>((0, [:]))

    var count: Int { state.withLock { $0.open.count } }

    func open(person: String, close: @escaping @Sendable () -> Void) -> Int {
        state.withLock { state in
            state.next += 1
            state.open[state.next] = Entry(person: person, close: close)
            return state.next
        }
    }

    func close(_ id: Int) { _ = state.withLock { $0.open.removeValue(forKey: id) } }

    /// Closes every console of `person`; returns how many.
    func closeAll(person: String) -> Int {
        let closing = state.withLock { state in
            let ids = state.open.filter { $0.value.person == person }.map(\.key)
            return ids.compactMap { state.open.removeValue(forKey: $0)?.close }
        }
        for close in closing { close() }
        return closing.count
    }
}
