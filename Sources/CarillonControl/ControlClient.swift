public import CarillonProtocol
public import Foundation
import NIOCore
import NIOPosix

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

/// A connection to the daemon's control socket. Calls are answered in order.
public final class ControlConnection {
    private var inbound: NIOAsyncChannelInboundStream<LineFrame>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private var nextID: Int64 = 1

    init(
        inbound: NIOAsyncChannelInboundStream<LineFrame>.AsyncIterator, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    ) {
        self.inbound = inbound
        self.outbound = outbound
    }

    /// Connects to `address`, runs `body`, and closes.
    public static func with<T>(
        _ address: ControlAddress, _ body: (ControlConnection) async throws -> T
    ) async throws -> T {
        guard case .unixDomainSocket(let path) = address else { throw ClientError.cannotConnect("unsupported address") }
        let channel: NIOAsyncChannel<LineFrame, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(unixDomainSocketPath: path) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            ByteToMessageHandler(LineFrameDecoder(maxLength: 64 * 1024 * 1024)))
                        return try NIOAsyncChannel<LineFrame, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw ClientError.cannotConnect("\(path): \(Self.reason(error))")
        }
        return try await channel.executeThenClose { inbound, outbound in
            try await body(ControlConnection(inbound: inbound.makeAsyncIterator(), outbound: outbound))
        }
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

    private func rawCall<A: Encodable>(_ request: A) throws -> Data {
        try Wire.encoder().encode(request)
    }

    private static func reason(_ error: any Error) -> String {
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)) }
        return "\(error)"
    }
}
