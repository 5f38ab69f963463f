public import CarillonProtocol
import CarillonCrypto
public import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// Why a control call failed; the CLI maps each case to its exit code.
public enum ClientError: Error, Sendable, CustomStringConvertible {
    /// Nothing listens at the address, or the connection broke.
    case cannotConnect(String)
    /// The daemon answered with an error.
    case refused(WireError)
    /// The daemon's reply was not what the protocol says.
    case protocolViolation(String)

    public var description: String {
        switch self {
        case .cannotConnect(let message): "cannot connect: \(message)"
        case .refused(let error): error.message
        case .protocolViolation(let message): "protocol error: \(message)"
        }
    }
}

/// How the client checks the daemon's TLS certificate.
public struct ClientTLS: Sendable, Hashable {
    /// PEM file of the CA that signed the daemon's certificate; nil uses the system's roots.
    public var caFile: String?
    /// SHA-256 of the daemon's certificate (DER): when set, that certificate and no other is trusted.
    public var pin: [UInt8]?

    public init(caFile: String? = nil, pin: [UInt8]? = nil) {
        self.caFile = caFile
        self.pin = pin
    }

    /// Parses a fingerprint as `openssl x509 -fingerprint -sha256` prints it (`AB:CD:…`), with or
    /// without colons or a `sha256:` prefix.
    public static func parsePin(_ text: String) -> [UInt8]? {
        var hex = text.lowercased()
        for prefix in ["sha256 fingerprint=", "sha256:", "sha256="] where hex.hasPrefix(prefix) { hex.removeFirst(prefix.count) }
        hex.removeAll { $0 == ":" }
        guard hex.count == 64 else { return nil }
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        return bytes
    }
}

/// A connection to the daemon. Calls are answered in order.
///
/// One task reads at a time (`call`, `send`, `nextLine`); `writeLine` may be used from another
/// task while a stream runs, which is why the type is `@unchecked Sendable`.
public final class ControlConnection: @unchecked Sendable {
    private var inbound: NIOAsyncChannelInboundStream<LineFrame>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private var nextID: Int64 = 1
    /// Who the daemon says we are, after `auth`.
    public private(set) var identity: Identity?

    init(
        inbound: NIOAsyncChannelInboundStream<LineFrame>.AsyncIterator, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    ) {
        self.inbound = inbound
        self.outbound = outbound
    }

    /// Connects to `address`, authenticates with `token` on TCP, runs `body`, and closes.
    public static func with<T>(
        _ address: ControlAddress, tls: ClientTLS = ClientTLS(), token: String? = nil, _ body: (ControlConnection) async throws -> T
    ) async throws -> T {
        let channel: NIOAsyncChannel<LineFrame, ByteBuffer>
        do {
            switch address {
            case .unixDomainSocket(let path):
                channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .connect(unixDomainSocketPath: path) { channel in
                        channel.eventLoop.makeCompletedFuture { try Self.wrap(channel, tls: nil, host: nil) }
                    }
            case .tcp(let host, let port):
                let context = try Self.context(tls)
                channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .connectTimeout(.seconds(10))
                    .connect(host: host, port: port) { channel in
                        channel.eventLoop.makeCompletedFuture { try Self.wrap(channel, tls: (context, tls.pin), host: host) }
                    }
            }
        } catch let error as ClientError {
            throw error
        } catch {
            throw ClientError.cannotConnect("\(address): \(Self.reason(error))")
        }
        return try await channel.executeThenClose { inbound, outbound in
            let connection = ControlConnection(inbound: inbound.makeAsyncIterator(), outbound: outbound)
            if let token {
                connection.identity = try await connection.call(.auth, AuthArgs(token: token), returning: Identity.self)
            }
            return try await body(connection)
        }
    }

    private static func context(_ tls: ClientTLS) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        // A pinned certificate stands for itself: whatever names it holds are not checked.
        if tls.pin != nil { configuration.certificateVerification = .noHostnameVerification }
        if let ca = tls.caFile {
            do { configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca)) } catch {
                throw ClientError.cannotConnect("cannot read the CA file \(ca): \(error)")
            }
        }
        return try NIOSSLContext(configuration: configuration)
    }

    private static func wrap(
        _ channel: any Channel, tls: (NIOSSLContext, [UInt8]?)?, host: String?
    ) throws -> NIOAsyncChannel<LineFrame, ByteBuffer> {
        if let (context, pin) = tls {
            // An IP address is checked against the certificate's IP names; only a name goes in SNI.
            let name = host.flatMap { (try? SocketAddress(ipAddress: $0, port: 0)) == nil ? $0 : nil }
            if let pin {
                // A pinned certificate is trusted by its fingerprint alone, as SSH trusts a host key.
                try channel.pipeline.syncOperations.addHandler(
                    NIOSSLClientHandler(context: context, serverHostname: name) { certificates, promise in
                        let leaf = certificates.first.flatMap { try? $0.toDERBytes() } ?? []
                        let matches = Array(SHA256.hash(data: leaf)) == pin
                        promise.succeed(matches ? .certificateVerified : .failed)
                    })
            } else {
                try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: name))
            }
        }
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineFrameDecoder(maxLength: 64 * 1024 * 1024)))
        return try NIOAsyncChannel<LineFrame, ByteBuffer>(wrappingChannelSynchronously: channel)
    }

    /// Sends one request and waits for its response.
    /// - Throws: `ClientError`: `.refused` carries the daemon's error.
    public func call<A: Codable & Sendable, R: Codable & Sendable>(
        _ command: CommandName, _ args: A, returning: R.Type
    ) async throws -> R {
        let id = RequestID.number(nextID)
        nextID += 1
        let line = try rawCall(Request(id: id, cmd: command.rawValue, args: args))
        let reply = try await send(line)
        let head: ResponseHead
        do { head = try Wire.decoder().decode(ResponseHead.self, from: reply) } catch {
            throw ClientError.protocolViolation("unreadable response")
        }
        if let error = head.error { throw ClientError.refused(error) }
        guard head.ok, head.id == id else { throw ClientError.protocolViolation("response out of order") }
        do {
            guard let result = try Wire.decoder().decode(Response<R>.self, from: reply).result else {
                throw ClientError.protocolViolation("response without a result")
            }
            return result
        } catch let error as ClientError {
            throw error
        } catch {
            throw ClientError.protocolViolation("unexpected result: \(error)")
        }
    }

    /// Sends a raw line (without newline) and returns the raw reply line: for tests and tools.
    public func send(_ line: Data) async throws -> Data {
        var buffer = ByteBuffer(bytes: line)
        buffer.writeInteger(UInt8(ascii: "\n"))
        do {
            try await outbound.write(buffer)
            guard let frame = try await inbound.next() else {
                throw ClientError.cannotConnect("the daemon closed the connection")
            }
            guard case .line(let reply) = frame else { throw ClientError.protocolViolation("reply too long") }
            return Data(reply.readableBytesView)
        } catch let error as ClientError {
            throw error
        } catch {
            throw ClientError.cannotConnect(Self.reason(error))
        }
    }

    /// Writes one line (without its newline); for streams such as a shout's voice.
    public func writeLine(_ line: Data) async throws {
        var buffer = ByteBuffer(bytes: line)
        buffer.writeInteger(UInt8(ascii: "\n"))
        do { try await outbound.write(buffer) } catch { throw ClientError.cannotConnect(Self.reason(error)) }
    }

    /// The next line the daemon sends, nil when it closes; for event streams.
    public func nextLine() async throws -> Data? {
        do {
            guard let frame = try await inbound.next() else { return nil }
            guard case .line(let line) = frame else { throw ClientError.protocolViolation("line too long") }
            return Data(line.readableBytesView)
        } catch let error as ClientError {
            throw error
        } catch {
            throw ClientError.cannotConnect(Self.reason(error))
        }
    }

    private func rawCall<A: Encodable>(_ request: A) throws -> Data {
        try Wire.encoder().encode(request)
    }

    private static func reason(_ error: any Error) -> String {
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)) }
        if let error = error as? NIOSSLError { return "TLS: \(error)" }
        return "\(error)"
    }
}
