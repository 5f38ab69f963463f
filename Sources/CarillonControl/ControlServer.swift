public import CarillonProtocol
public import Logging
import NIOCore
import NIOPosix
public import NIOSSL
public import Foundation
import Synchronization

/// Serves the control protocol: on a UNIX socket, where SO_PEERCRED says who the peer is, and,
/// when configured, on TCP with TLS, where a token does. One line in, one line out, in order.
///
/// `run()` accepts until its task is cancelled; each connection's failure stays its own.
public struct ControlServer: Sendable {
    /// What one listener allows.
    public struct Limits: Sendable, Hashable {
        public var maxLineBytes: Int
        public var maxConnections: Int
        /// A connection with no request for this long, and nothing running, is closed.
        public var idleTimeout: Duration
        /// A TCP connection must complete TLS and `auth` within this.
        public var loginTimeout: Duration
        /// How many refused lines a connection may send before it is read more slowly.
        public var badLines: BadLineBudget

        public init(
            maxLineBytes: Int = defaultMaxLineBytes, maxConnections: Int = 256, idleTimeout: Duration = .seconds(300),
            loginTimeout: Duration = .seconds(10), badLines: BadLineBudget = BadLineBudget()
        ) {
            self.maxLineBytes = maxLineBytes
            self.maxConnections = maxConnections
            self.idleTimeout = idleTimeout
            self.loginTimeout = loginTimeout
            self.badLines = badLines
        }
    }

    /// The UNIX socket: its file, mode and group.
    public struct UnixListener: Sendable, Hashable {
        public var path: String
        /// The socket file's mode; group access is how teachers' accounts reach the daemon.
        public var mode: mode_t
        /// The socket file's group; nil keeps the daemon's.
        public var group: gid_t?
        public var limits: Limits

        public init(path: String, mode: mode_t = 0o660, group: gid_t? = nil, limits: Limits = Limits()) {
            self.path = path
            self.mode = mode
            self.group = group
            self.limits = limits
        }
    }

    /// The TCP listener: off unless configured, and TLS only.
    public struct TCPListener: Sendable, Hashable {
        public var host: String
        public var port: Int
        /// PEM files.
        public var certificate: String
        public var key: String
        public var limits: Limits

        public init(host: String, port: Int, certificate: String, key: String, limits: Limits) {
            self.host = host
            self.port = port
            self.certificate = certificate
            self.key = key
            self.limits = limits
        }
    }

    public let unix: UnixListener
    public let tcp: TCPListener?
    private let dispatcher: Dispatcher
    private let access: AccessControl
    private let logger: Logger
    private let group: any EventLoopGroup

    /// - Parameter dispatcher: the command table, without `auth`: the server adds it.
    public init(unix: UnixListener, tcp: TCPListener?, commands: [CommandSpec], audit: @escaping Auditor, access: AccessControl,
                limiter: LoginLimiter = LoginLimiter(), logger: Logger) {
        self.init(unix: unix, tcp: tcp, commands: commands, audit: audit, access: access, limiter: limiter, logger: logger,
                  group: MultiThreadedEventLoopGroup.singleton)
    }

    /// - Parameter group: the event loops; tests pass one loop to see connections compete.
    init(unix: UnixListener, tcp: TCPListener?, commands: [CommandSpec], audit: @escaping Auditor, access: AccessControl,
         limiter: LoginLimiter = LoginLimiter(), logger: Logger, group: any EventLoopGroup) {
        self.unix = unix
        self.tcp = tcp
        self.dispatcher = Dispatcher(commands + [.auth(access: access, limiter: limiter)], audit: audit)
        self.access = access
        self.logger = logger
        self.group = group
    }

    /// Each read takes at most this much from one connection, once per event loop turn: a client
    /// that pipelines megabytes is served a bounded number of lines before the others are read
    /// again (NIO's default reads up to 4 × 64 KiB a turn, thousands of short lines).
    static let readBytesPerTurn = 8192

    /// Loads the listener's certificate and key, so `--check-config` and the start report a bad
    /// file by name.
    public static func checkTLS(_ listener: TCPListener) throws(ControlError) {
        _ = try tlsContext(listener)
    }

    static func tlsContext(_ listener: TCPListener) throws(ControlError) -> NIOSSLContext {
        let configuration = try serverTLS(certificate: listener.certificate, key: listener.key)
        do { return try NIOSSLContext(configuration: configuration) } catch {
            throw ControlError("cannot load the TLS certificate \(listener.certificate) and key \(listener.key): \(error)")
        }
    }

    /// A TLS 1.2+ server configuration from PEM files, checked whole (a key that does not match the
    /// certificate is refused here): for this server and the console's.
    public static func serverTLS(certificate: String, key keyFile: String) throws(ControlError) -> TLSConfiguration {
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(certificate)
            guard !chain.isEmpty else { throw ControlError("\(certificate) holds no certificate") }
            let key = try NIOSSLPrivateKey(file: keyFile, format: .pem)
            var configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
            configuration.minimumTLSVersion = .tlsv12
            _ = try NIOSSLContext(configuration: configuration)
            return configuration
        } catch let error as ControlError {
            throw error
        } catch {
            throw ControlError("cannot load the TLS certificate \(certificate) and key \(keyFile): \(error)")
        }
    }

    /// Binds every listener, calls `onListening`, then serves until cancelled.
    public func run(onListening: @Sendable () async -> Void = {}) async throws {
        // A stale socket file is replaced, but a live one belongs to another daemon: two daemons
        // driving the same amplifiers is worse than not starting.
        if Self.someoneListens(at: unix.path) {
            throw ControlError("another process is already serving \(unix.path)")
        }
        let tls = try tcp.map { listener throws(ControlError) in try Self.tlsContext(listener) }
        let unixServer = try await bind(unix: unix)
        defer { unlink(unix.path) }
        let tcpServer: NIOAsyncChannel<ServerConnection, Never>?
        if let tcp, let tls {
            do { tcpServer = try await bind(tcp: tcp, tls: tls) } catch {
                try? await unixServer.channel.close()
                throw ControlError("cannot listen on \(tcp.host):\(tcp.port): \(error)")
            }
            logger.info("control TCP listening (TLS)", metadata: ["address": "\(tcp.host):\(tcp.port)"])
        } else {
            tcpServer = nil
        }
        logger.info("control socket listening", metadata: ["path": "\(unix.path)"])
        await onListening()
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await accept(unixServer, limits: unix.limits, tcp: false) }
            if let tcpServer, let tcp {
                group.addTask { try await accept(tcpServer, limits: tcp.limits, tcp: true) }
            }
        }
    }

    private func bind(unix: UnixListener) async throws -> NIOAsyncChannel<ServerConnection, Never> {
        let limits = unix.limits
        let emergency = dispatcher.emergency
        let server = try await fairReads(ServerBootstrap(group: group))
            .serverChannelOption(.backlog, value: 256)
            .bind(unixDomainSocketPath: unix.path, cleanupExistingSocketFile: true) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineFrameDecoder(maxLength: limits.maxLineBytes)))
                    try channel.pipeline.syncOperations.addHandler(RequestArrivals())
                    return try ServerConnection(
                        wrappingSynchronously: channel, maxLineBytes: limits.maxLineBytes, badLines: limits.badLines, emergency: emergency)
                }
            }
        if let group = unix.group, chown(unix.path, uid_t.max, group) != 0 {
            let reason = String(cString: strerror(errno))
            try? await server.channel.close()
            throw ControlError("cannot give \(unix.path) to group \(group): \(reason)")
        }
        guard chmod(unix.path, unix.mode) == 0 else {
            let reason = String(cString: strerror(errno))
            try? await server.channel.close()
            throw ControlError("cannot set the mode of \(unix.path): \(reason)")
        }
        return server
    }

    private func bind(tcp: TCPListener, tls: NIOSSLContext) async throws -> NIOAsyncChannel<ServerConnection, Never> {
        let limits = tcp.limits
        let emergency = dispatcher.emergency
        return try await fairReads(ServerBootstrap(group: group))
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: tcp.host, port: tcp.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls))
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineFrameDecoder(maxLength: limits.maxLineBytes)))
                    try channel.pipeline.syncOperations.addHandler(RequestArrivals())
                    return try ServerConnection(
                        wrappingSynchronously: channel, maxLineBytes: limits.maxLineBytes, badLines: limits.badLines, emergency: emergency)
                }
            }
    }

    /// One bounded read per connection per event loop turn (see `readBytesPerTurn`).
    private func fairReads(_ bootstrap: ServerBootstrap) -> ServerBootstrap {
        bootstrap
            .childChannelOption(.maxMessagesPerRead, value: 1)
            .childChannelOption(
                .recvAllocator,
                value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 2048, maximum: Self.readBytesPerTurn))
    }

    private func accept(
        _ server: NIOAsyncChannel<ServerConnection, Never>, limits: Limits, tcp: Bool
    ) async throws {
        let open = Counter()
        try await withThrowingDiscardingTaskGroup { group in
            try await server.executeThenClose { connections in
                for try await connection in connections {
                    let count = open.add(1)
                    group.addTask {
                        defer { open.add(-1) }
                        guard count <= limits.maxConnections else {
                            await refuse(connection, limit: limits.maxConnections)
                            return
                        }
                        let peer = tcp ? Peer(address: Self.address(of: connection.channel)) : await unixPeer(connection.channel)
                        guard let peer else {
                            await refuse(connection, WireError(.permissionDenied, "your account has no role here"))
                            return
                        }
                        await serve(connection, peer: peer, limits: limits)
                    }
                }
            }
        }
    }

    private func unixPeer(_ channel: any Channel) async -> Peer? {
        guard let credentials = await PeerCredentials.of(channel) else { return nil }
        let identity = access.policy.identify(uid: credentials.uid, gids: credentials.groups, userName: credentials.userName)
        return identity.map { Peer(address: "unix", identity: $0) }
    }

    private static func address(of channel: any Channel) -> String {
        guard let remote = channel.remoteAddress, let ip = remote.ipAddress, let port = remote.port else { return "tcp" }
        return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }

    private func refuse(_ connection: ServerConnection, limit: Int) async {
        logger.warning("control connection refused: at the limit", metadata: ["limit": "\(limit)"])
        await refuse(connection, WireError(.tooManyConnections, "the daemon serves \(limit) connections at most; try again later"))
    }

    private func refuse(_ connection: ServerConnection, _ error: WireError) async {
        try? await connection.write(ServerSession.buffer(Dispatcher.encodeLine(.failure(nil, error)), allocator: connection.channel.allocator))
        await connection.close()
    }

    /// Whether a stream socket at `path` accepts a connection.
    public static func someoneListens(at path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes + [0]) }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0
            }
        }
    }

    private func serve(_ connection: ServerConnection, peer: Peer, limits: Limits) async {
        // The connection's task runs on its channel's event loop: a line read resumes it without
        // waking another thread, and its answer is written without a hop back. A command's
        // handler and the default actors it calls (the Station) run there too; what blocks must
        // go off the loop, as it must go off the pool.
        // Its jobs go in the loop's urgent lane while it serves an emergency command.
        await withTaskExecutorPreference(LaneExecutor(connection.channel.eventLoop, lane: connection.lane)) {
            await serveOnLoop(connection, peer: peer, limits: limits)
        }
    }

    private func serveOnLoop(_ connection: ServerConnection, peer: Peer, limits: Limits) async {
        let idle = connection.idle
        do {
            let session = ServerSession(peer: peer, connection: connection)
            // Until `auth`, a TCP client has the login timeout to prove itself; slow bytes never
            // reset these timers, only whole requests do.
            func arm() { idle.arm(session.peer.identity == nil ? limits.loginTimeout : limits.idleTimeout) }
            arm()
            while let frame = try await connection.next(request: true) {
                idle.took()
                let reply: [UInt8]?
                switch frame {
                case .line(let line) where !RequestTriage.isObjectShaped(line):
                    // Refused before any decoding; the handler answers such lines itself when the
                    // task is not busy.
                    reply = RequestTriage.notAnObject
                    connection.chargeBadLine()
                case .line(let line):
                    let answer = await dispatcher.answer(to: Data(line.readableBytesView), session: session)
                    if answer.isBadLine { connection.chargeBadLine() }
                    reply = answer.reply
                case .overlong:
                    reply = Dispatcher.overlongLine(limit: limits.maxLineBytes)
                    connection.chargeBadLine()
                }
                if let reply { try await session.writeLine(reply) }
                arm()
            }
        } catch {
            logger.debug("control connection ended", metadata: ["peer": "\(peer)", "error": "\(error)"])
        }
        idle.stop()
        await connection.close()
    }
}

/// Open connections of one listener.
final class Counter: Sendable {
    private let value = Mutex(0)
    /// Adds `delta`; returns the new count.
    @discardableResult
    func add(_ delta: Int) -> Int { value.withLock { $0 += delta; return $0 } }
}

/// Counts whole requests as they come off the wire, on the event loop, before the connection's
/// task reads them. A daemon too busy to read a request at once must not take its client for idle:
/// under 200 busy clients, requests waited seconds to be read and their connections were closed.
final class RequestArrivals: ChannelInboundHandler, Sendable {
    typealias InboundIn = LineFrame
    typealias InboundOut = LineFrame
    private let arrived = Atomic(0)

    var count: Int { arrived.load(ordering: .relaxed) }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        arrived.add(1, ordering: .relaxed)
        context.fireChannelRead(data)
    }
}

/// Closes a connection that stays quiet too long. Armed between requests only.
///
/// Arming and disarming only set the deadline. One check at a time is scheduled on the event
/// loop; one that fires before the deadline in force moves itself there. Scheduling and
/// cancelling a task for every request was 4 % of the daemon's time under 100 busy clients, once
/// encoding and the thread hops were gone.
final class IdleTimer: Sendable {
    private struct State {
        /// When the connection counts as idle; nil while disarmed.
        var deadline: NIODeadline?
        /// The timeout last armed, for `rearm`.
        var timeout: Duration?
        /// The pending check and when it fires.
        var check: Scheduled<Void>?
        var checkAt: NIODeadline?
        var stopped = false
    }

    private let channel: any Channel
    private let state = Mutex(State())
    /// Requests the connection's task has taken; more arrived than taken means one is waiting.
    private let taken = Atomic(0)

    init(channel: any Channel) { self.channel = channel }

    /// The connection's task took a request: the clock stops until `arm`.
    func took() {
        taken.add(1, ordering: .relaxed)
        disarm()
    }

    func arm(_ timeout: Duration) {
        let deadline = NIODeadline.now() + .nanoseconds(Int64(timeout / .nanoseconds(1)))
        state.withLock { state in
            guard !state.stopped else { return }
            state.timeout = timeout
            state.deadline = deadline
            // A check due before the deadline moves itself when it fires.
            if let at = state.checkAt, at <= deadline { return }
            state.check?.cancel()
            schedule(at: deadline, &state)
        }
    }

    /// Arms again with the timeout last armed: a line answered on the event loop, without the
    /// connection's task, counts as a request.
    func rearm() {
        guard let timeout = state.withLock({ $0.timeout }) else { return }
        arm(timeout)
    }

    func disarm() {
        state.withLock { $0.deadline = nil }
    }

    /// The connection ended: no check stays scheduled, holding the channel.
    func stop() {
        state.withLock { state in
            state.stopped = true
            state.deadline = nil
            state.check?.cancel()
            state.check = nil
            state.checkAt = nil
        }
    }

    private func schedule(at deadline: NIODeadline, _ state: inout State) {
        state.checkAt = deadline
        state.check = channel.eventLoop.scheduleTask(deadline: deadline) { [self] in check() }
    }

    /// On the event loop.
    private func check() {
        let due = state.withLock { state -> Bool in
            state.check = nil
            state.checkAt = nil
            guard !state.stopped, let deadline = state.deadline else { return false }
            if NIODeadline.now() < deadline {
                schedule(at: deadline, &state)
                return false
            }
            return true
        }
        guard due else { return }
        // On the event loop, where the pipeline may be read: a request that came in time and
        // waits to be read is not silence.
        let arrived = (try? channel.pipeline.syncOperations.handler(type: RequestArrivals.self))?.count ?? 0
        guard arrived <= taken.load(ordering: .relaxed) else { return }
        channel.close(promise: nil)
    }
}

/// One connection on the server's side: the inbound lines, read by the connection's task only,
/// and the outbound writer, which any task may use.
final class ServerSession: ControlSession {
    var peer: Peer
    private let connection: ServerConnection
    private var currentID: RequestID?
    private(set) var wasAccepted = false

    init(peer: Peer, connection: ServerConnection) {
        self.peer = peer
        self.connection = connection
    }

    var writer: LineWriter {
        let connection = connection
        return LineWriter(
            write: { line in try await connection.write(Self.buffer(line, allocator: connection.channel.allocator)) },
            close: { connection.channel.close(promise: nil) })
    }

    func writeLine(_ line: [UInt8]) async throws {
        try await connection.write(Self.buffer(line, allocator: connection.channel.allocator))
    }

    /// `line` and its newline, in a buffer of exactly that size.
    static func buffer<Bytes: Collection<UInt8>>(_ line: Bytes, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: line.count + 1)
        buffer.writeBytes(line)
        buffer.writeInteger(UInt8(ascii: "\n"))
        return buffer
    }

    func begin(_ id: RequestID?) {
        currentID = id
        wasAccepted = false
    }

    func accept<R: Encodable & Sendable>(_ result: R) async throws(WireError) {
        wasAccepted = true
        do { try await writeLine(Dispatcher.encodeLine(Response.success(currentID, AnyEncodable(result)))) } catch {
            throw WireError(.internal, "the client went away")
        }
    }

    func nextLine() async throws(WireError) -> Data? {
        let frame: LineFrame?
        do { frame = try await connection.next() } catch { return nil }
        switch frame {
        case nil: return nil
        case .line(let line): return Data(line.readableBytesView)
        case .overlong: throw WireError(.lineTooLong, "a streamed line was over the limit")
        }
    }
}

/// Lets `accept` encode any result inside a `Response`.
struct AnyEncodable: Codable, Sendable {
    private let encodeValue: @Sendable (any Encoder) throws -> Void
    init<T: Encodable & Sendable>(_ value: T) { encodeValue = { try value.encode(to: $0) } }
    func encode(to encoder: any Encoder) throws { try encodeValue(encoder) }
    init(from decoder: any Decoder) throws { throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "encode only")) }
}

/// A control transport failure, with a message for the log.
public struct ControlError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
