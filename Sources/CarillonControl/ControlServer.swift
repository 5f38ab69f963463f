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
        // A stale socket file is replaced, but a live one belongs to another daemon: two daemons
        // driving the same amplifiers is worse than not starting.
        if Self.someoneListens(at: path) {
            throw ControlError("another process is already serving \(path)")
        }
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
