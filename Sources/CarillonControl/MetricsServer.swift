public import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// `GET /metrics` over plain HTTP, for a Prometheus server to scrape: the same text as the
/// `metrics` command. Read-only and anonymous, so it listens on loopback unless the config names
/// another address (`[metrics] listen`). Anything but `GET` or `HEAD /metrics` is refused.
public struct MetricsServer: Sendable {
    public let host: String
    public let port: Int
    /// The exposition text, asked for once per scrape.
    let text: @Sendable () async -> String
    let logger: Logger

    public init(host: String, port: Int, logger: Logger, text: @escaping @Sendable () async -> String) {
        self.host = host
        self.port = port
        self.logger = logger
        self.text = text
    }

    /// Listens until cancelled; `onListening` runs once the port is bound.
    /// - Throws: `ControlError` when the address cannot be bound.
    public func run(onListening: @Sendable () async -> Void = {}) async throws {
        let text = self.text
        let channel: any Channel
        do {
            channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.backlog, value: 64)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.pipeline.configureHTTPServerPipeline(withErrorHandling: true).flatMap {
                        channel.pipeline.addHandler(MetricsHandler(text: text))
                    }
                }
                .bind(host: host, port: port).get()
        } catch {
            throw ControlError("cannot serve metrics on \(host):\(port): \(error)")
        }
        logger.info("metrics listening (HTTP)", metadata: ["address": "\(host):\(port)", "path": "/metrics"])
        await onListening()
        await withTaskCancellationHandler {
            try? await channel.closeFuture.get()
        } onCancel: {
            channel.close(promise: nil)
        }
    }
}

/// One HTTP connection: answers each request when its end arrives.
private final class MetricsHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let text: @Sendable () async -> String
    private var head: HTTPRequestHead?

    init(text: @escaping @Sendable () async -> String) { self.text = text }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body: break  // a scrape has no body; whatever comes is ignored
        case .end:
            guard let head else { return }
            self.head = nil
            respond(to: head, context: context)
        }
    }

    /// A request NIO cannot parse has had its `400` from the error handler: the connection ends.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        guard path == "/metrics" else {
            return write(context, head, .notFound, "text/plain; charset=utf-8", "not found: the metrics are at /metrics\n")
        }
        guard head.method == .GET || head.method == .HEAD else {
            return write(context, head, .methodNotAllowed, "text/plain; charset=utf-8", "only GET and HEAD\n", allow: true)
        }
        let text = self.text
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        loop.makeFutureWithTask { await text() }.whenSuccess { body in
            let (handler, context) = bound.value
            handler.write(context, head, .ok, "text/plain; version=0.0.4; charset=utf-8", body)
        }
    }

    private func write(
        _ context: ChannelHandlerContext, _ request: HTTPRequestHead, _ status: HTTPResponseStatus, _ type: String,
        _ body: String, allow: Bool = false
    ) {
        var headers = HTTPHeaders([("Content-Type", type), ("Content-Length", "\(body.utf8.count)")])
        if allow { headers.add(name: "Allow", value: "GET, HEAD") }
        if !request.isKeepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))), promise: nil)
        if request.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
        }
        let keepAlive = request.isKeepAlive
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            if !keepAlive { channel.close(promise: nil) }
        }
    }
}
