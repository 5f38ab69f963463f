public import Logging
import NIOCore
import NIOPosix
public import Foundation

/// Serves the control protocol on a UNIX socket: one line in, one line out, in order, per connection.
///
/// `run()` accepts until its task is cancelled; each connection's failure stays its own.
public struct ControlServer: Sendable {
    public let address: ControlAddress
    public let maxLineBytes: Int
    /// The socket file's mode; group access is how teachers' accounts reach the daemon.
    public let socketMode: mode_t
    private let dispatcher: Dispatcher
    private let logger: Logger

    public init(
        address: ControlAddress, dispatcher: Dispatcher, maxLineBytes: Int, socketMode: mode_t = 0o660, logger: Logger
    ) {
        self.address = address
        self.dispatcher = dispatcher
        self.maxLineBytes = maxLineBytes
        self.socketMode = socketMode
        self.logger = logger
    }

    /// Binds, calls `onListening`, then serves until cancelled. Removes a stale socket file first.
    public func run(onListening: @Sendable () async -> Void = {}) async throws {
        guard case .unixDomainSocket(let path) = address else { return }
        let limit = maxLineBytes
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineFrameDecoder(maxLength: limit)))
                    return try NIOAsyncChannel<LineFrame, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        guard chmod(path, socketMode) == 0 else {
            try? await server.channel.close()
            throw ControlError("cannot set the mode of \(path): \(String(cString: strerror(errno)))")
        }
        logger.info("control socket listening", metadata: ["path": "\(path)"])
        await onListening()
        defer { unlink(path) }
        try await withThrowingDiscardingTaskGroup { group in
            try await server.executeThenClose { connections in
                for try await connection in connections {
                    group.addTask { await serve(connection, peer: Peer(address: "unix")) }
                }
            }
        }
    }

    private func serve(_ connection: NIOAsyncChannel<LineFrame, ByteBuffer>, peer: Peer) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                for try await frame in inbound {
                    let reply: Data
                    switch frame {
                    case .line(let line):
                        reply = await dispatcher.respond(to: Data(line.readableBytesView), from: peer)
                    case .overlong:
                        reply = Dispatcher.overlongReply(limit: maxLineBytes)
                    }
                    var buffer = ByteBuffer(bytes: reply)
                    buffer.writeInteger(UInt8(ascii: "\n"))
                    try await outbound.write(buffer)
                }
            }
        } catch {
            logger.debug("control connection ended", metadata: ["peer": "\(peer)", "error": "\(error)"])
        }
    }
}

/// A control transport failure, with a message for the log.
public struct ControlError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
