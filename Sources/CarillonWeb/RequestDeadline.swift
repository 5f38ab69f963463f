import HummingbirdCore
import Logging
import NIOCore

/// A console connection must send a whole request head (up to its blank line) within the
/// deadline, or it is closed: a client trickling a request one byte at a time cannot hold a
/// connection. After the first head, HTTP's idle timeout and the WebSocket's pings take over.
struct RequestDeadline<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value
    let base: Base
    let timeout: TimeAmount

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(RequestHeadWatch(timeout: timeout))
        }.flatMap { base.setup(channel: channel, logger: logger) }
    }

    func handle(value: Value, logger: Logger) async { await base.handle(value: value, logger: logger) }
}

/// Closes the channel unless `\r\n\r\n` arrives in time; then steps out of the pipeline.
final class RequestHeadWatch: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let timeout: TimeAmount
    private var deadline: Scheduled<Void>?
    /// How many bytes of `\r\n\r\n` the last bytes read end with.
    private var matched = 0

    init(timeout: TimeAmount) { self.timeout = timeout }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
    }

    func handlerRemoved(context: ChannelHandlerContext) { deadline?.cancel() }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        let pattern: [UInt8] = [13, 10, 13, 10]
        var done = false
        for byte in buffer.readableBytesView {
            matched = byte == pattern[matched] ? matched + 1 : (byte == 13 ? 1 : 0)
            if matched == 4 {
                done = true
                break
            }
        }
        context.fireChannelRead(data)
        if done {
            deadline?.cancel()
            deadline = nil
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }
}
