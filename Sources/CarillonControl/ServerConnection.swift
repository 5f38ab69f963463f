import NIOCore
import Synchronization

/// One control connection as its task sees it: the lines the client sent, and a way to write
/// lines back, with flow control both ways.
///
/// It does for this server what `NIOAsyncChannel` did, with that type's defaults: reading pauses
/// while 10 lines wait unread and resumes once 2 or fewer do; a write waits while the channel is
/// not writable; the inbound side ends after the lines already read, at EOF or on an error; a
/// cancelled task stops waiting. It is one concrete handler confined to the event loop, where
/// NIO's generic bridge ran unspecialized: a sixth of the daemon's time under 100 clients asking
/// `status`.
final class ServerConnection: Sendable {
    let channel: any Channel
    private let handler: LineChannelHandler

    /// Adds the handler at the end of `channel`'s pipeline; on the channel's event loop.
    init(wrappingSynchronously channel: any Channel) throws {
        let handler = LineChannelHandler(eventLoop: channel.eventLoop)
        try channel.pipeline.syncOperations.addHandler(handler)
        self.channel = channel
        self.handler = handler
    }

    /// The next line or over-long line; nil once the client closed.
    /// - Throws: the channel's error, or `CancellationError` when the task is cancelled.
    func next() async throws -> LineFrame? { try await handler.next() }

    /// Writes and flushes `buffer`; waits while the channel is not writable.
    func write(_ buffer: ByteBuffer) async throws { try await handler.write(buffer) }

    /// Closes the channel and waits until it is closed.
    func close() async {
        channel.close(promise: nil)
        try? await channel.closeFuture.get()
    }
}

/// The handler behind `ServerConnection`. Its state is only touched on its event loop; the async
/// methods hop there when called from elsewhere.
final class LineChannelHandler: ChannelDuplexHandler, @unchecked Sendable {
    typealias InboundIn = LineFrame
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// NIOAsyncChannel's defaults.
    static let highWatermark = 10
    static let lowWatermark = 2

    private struct WaitingWrite {
        var id: Int
        var buffer: ByteBuffer
        var continuation: CheckedContinuation<Void, any Error>
    }

    let eventLoop: any EventLoop
    private var context: ChannelHandlerContext?

    // Inbound.
    private var frames = CircularBuffer<LineFrame>()
    private var reader: CheckedContinuation<LineFrame?, any Error>?
    /// How the inbound side ended, once it has: `.success` at EOF.
    private var inboundEnd: Result<Void, any Error>?
    /// A `read` held back while too many lines wait.
    private var readHeld = false
    /// The reader was cancelled: nothing more is read.
    private var readerGone = false

    // Outbound.
    private var writable = true
    private var outboundError: (any Error)?
    private var waitingWrites = CircularBuffer<WaitingWrite>()
    private let writeIDs = Atomic(0)

    init(eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        writable = context.channel.isWritable
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        finishInbound(.failure(ChannelError.ioOnClosedChannel))
        failWrites(ChannelError.ioOnClosedChannel)
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        if let reader {
            self.reader = nil
            reader.resume(returning: frame)
        } else {
            frames.append(frame)
        }
    }

    func read(context: ChannelHandlerContext) {
        guard !readerGone else { return }
        if frames.count >= Self.highWatermark {
            readHeld = true
        } else {
            context.read()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        finishInbound(.success(()))
        failWrites(ChannelError.ioOnClosedChannel)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finishInbound(.failure(error))
        context.fireErrorCaught(error)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        writable = context.channel.isWritable
        drainWrites()
        context.fireChannelWritabilityChanged()
    }

    // MARK: Inbound

    func next() async throws -> LineFrame? {
        if eventLoop.inEventLoop, let ready = try takeReady() { return ready.frame }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<LineFrame?, any Error>) in
                if eventLoop.inEventLoop {
                    wait(continuation)
                } else {
                    eventLoop.execute { self.wait(continuation) }
                }
            }
        } onCancel: {
            eventLoop.execute { self.cancelReader() }
        }
    }

    /// What `next` returns without waiting.
    private enum Ready {
        case line(LineFrame)
        case end

        var frame: LineFrame? {
            switch self {
            case .line(let frame): frame
            case .end: nil
            }
        }
    }

    /// A frame, or the end, if either is there without waiting; nil if the reader must wait.
    private func takeReady() throws -> Ready? {
        if Task.isCancelled {
            readerGone = true
            throw CancellationError()
        }
        if let frame = frames.popFirst() {
            if readHeld, frames.count <= Self.lowWatermark {
                readHeld = false
                context?.read()
            }
            return .line(frame)
        }
        if readerGone { return .end }
        if let inboundEnd {
            try inboundEnd.get()
            return .end
        }
        return nil
    }

    private func wait(_ continuation: CheckedContinuation<LineFrame?, any Error>) {
        do {
            if let ready = try takeReady() {
                continuation.resume(returning: ready.frame)
            } else {
                reader = continuation
            }
        } catch {
            continuation.resume(throwing: error)
        }
    }

    private func cancelReader() {
        readerGone = true
        guard let reader else { return }
        self.reader = nil
        reader.resume(throwing: CancellationError())
    }

    private func finishInbound(_ end: Result<Void, any Error>) {
        guard inboundEnd == nil else { return }
        inboundEnd = end
        // Lines already read are handed out first; a waiting reader means there are none.
        guard let reader else { return }
        self.reader = nil
        switch end {
        case .success: reader.resume(returning: nil)
        case .failure(let error): reader.resume(throwing: error)
        }
    }

    // MARK: Outbound

    func write(_ buffer: ByteBuffer) async throws {
        if eventLoop.inEventLoop, let done = writeNow(buffer) { return try done.get() }
        let id = writeIDs.add(1, ordering: .relaxed).newValue
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                if eventLoop.inEventLoop {
                    enqueueWrite(WaitingWrite(id: id, buffer: buffer, continuation: continuation))
                } else {
                    eventLoop.execute { self.enqueueWrite(WaitingWrite(id: id, buffer: buffer, continuation: continuation)) }
                }
            }
        } onCancel: {
            eventLoop.execute { self.cancelWrite(id) }
        }
    }

    /// Writes at once if nothing waits and the channel is writable; nil if the write must wait.
    private func writeNow(_ buffer: ByteBuffer) -> Result<Void, any Error>? {
        if let outboundError { return .failure(outboundError) }
        guard waitingWrites.isEmpty, writable, let context else { return nil }
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        return .success(())
    }

    private func enqueueWrite(_ write: WaitingWrite) {
        if let done = writeNow(write.buffer) {
            write.continuation.resume(with: done)
        } else {
            waitingWrites.append(write)
        }
    }

    private func drainWrites() {
        // A write may make the channel unwritable again, re-entering through
        // `channelWritabilityChanged`: each turn looks again.
        while writable, let context, let write = waitingWrites.popFirst() {
            context.writeAndFlush(wrapOutboundOut(write.buffer), promise: nil)
            write.continuation.resume()
        }
    }

    private func cancelWrite(_ id: Int) {
        guard let index = waitingWrites.firstIndex(where: { $0.id == id }) else { return }
        let write = waitingWrites.remove(at: index)
        write.continuation.resume(throwing: CancellationError())
    }

    private func failWrites(_ error: any Error) {
        if outboundError == nil { outboundError = error }
        while let write = waitingWrites.popFirst() {
            write.continuation.resume(throwing: error)
        }
    }
}
