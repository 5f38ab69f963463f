import CarillonProtocol
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
///
/// Between requests it is also the first line of defence (issue 23's lane): a line that is not a
/// JSON object, or is over the limit, is answered on the event loop without waking the task; a
/// connection that sends too many such lines is read no faster than its budget refills; and an
/// emergency command wakes its task in the loop's urgent lane (`LoopLanes`).
final class ServerConnection: Sendable {
    let channel: any Channel
    private let handler: LineChannelHandler
    /// Whether this connection's task is serving an emergency command; read by its executor.
    let lane: ConnectionLane
    /// The idle and login timer; lines answered on the event loop count as requests for it.
    let idle: IdleTimer

    /// Adds the handler at the end of `channel`'s pipeline; on the channel's event loop.
    /// - Parameters:
    ///   - maxLineBytes: the limit the line decoder applies, for the `line-too-long` answer.
    ///   - badLines: how many refused lines a connection may send at once, and how fast that refills.
    ///   - emergency: the commands whose requests go in the urgent lane.
    init(
        wrappingSynchronously channel: any Channel, maxLineBytes: Int = defaultMaxLineBytes,
        badLines: BadLineBudget = BadLineBudget(), emergency: Set<String> = []
    ) throws {
        let lane = ConnectionLane()
        let idle = IdleTimer(channel: channel)
        let handler = LineChannelHandler(
            eventLoop: channel.eventLoop, overlongReply: Dispatcher.overlongLine(limit: maxLineBytes), budget: badLines,
            emergency: emergency, lane: lane, idle: idle)
        try channel.pipeline.syncOperations.addHandler(handler)
        self.channel = channel
        self.handler = handler
        self.lane = lane
        self.idle = idle
    }

    /// The next line or over-long line; nil once the client closed.
    /// - Parameter request: the server waits for a request, not for a streaming command's line:
    ///   lines that cannot be requests are answered without it, and the bad-line budget applies.
    /// - Throws: the channel's error, or `CancellationError` when the task is cancelled.
    func next(request: Bool = false) async throws -> LineFrame? { try await handler.next(request: request) }

    /// Writes and flushes `buffer`; waits while the channel is not writable.
    func write(_ buffer: ByteBuffer) async throws { try await handler.write(buffer) }

    /// The task refused a request as not one (malformed, unknown command): it counts against the
    /// connection's bad-line budget.
    func chargeBadLine() { handler.chargeFromTask() }

    /// Whether the bad-line budget is spent, and how many lines wait meanwhile; on the event loop.
    var budgetState: (throttled: Bool, waiting: Int) { handler.budgetState }

    /// Closes the channel and waits until it is closed.
    func close() async {
        channel.close(promise: nil)
        try? await channel.closeFuture.get()
    }
}

/// How many lines a connection may send that are refused as not requests (not a JSON object,
/// over the limit, malformed, an unknown command) before it is slowed down: `burst` at once, then
/// one per `refill`. While the budget is spent, the connection's lines wait unread, its good ones
/// too: a flood costs the daemon one answer per `refill`, and the flooder waits, not the others.
public struct BadLineBudget: Sendable, Hashable {
    public var burst: Int
    public var refill: Duration

    public init(burst: Int = 20, refill: Duration = .milliseconds(50)) {
        self.burst = burst
        self.refill = refill
    }
}

/// The bad-line budget's arithmetic, apart from any clock: `burst` lines at once, then one more
/// for each `refill` that passed, never more than `burst` in hand.
struct BadLineBucket: Sendable {
    let burst: Int
    /// `refill` in nanoseconds, at least 1.
    private let step: Int64
    private(set) var left: Int
    /// When `left` was last brought up to date; nil before the first bad line.
    private var refilledAt: NIODeadline?

    init(_ budget: BadLineBudget) {
        burst = max(budget.burst, 1)
        step = max(Int64(budget.refill / .nanoseconds(1)), 1)
        left = burst
    }

    var isSpent: Bool { left <= 0 }

    /// How long until one more line is allowed, from a spent budget.
    var untilNextLine: TimeAmount { .nanoseconds(step) }

    /// Spends one line; returns whether the budget is now spent.
    mutating func spend(now: NIODeadline) -> Bool {
        refill(now: now)
        left -= 1
        return isSpent
    }

    /// Adds the lines earned since the last refill.
    mutating func refill(now: NIODeadline) {
        guard let last = refilledAt else {
            refilledAt = now
            return
        }
        let earned = (now - last).nanoseconds / step
        guard earned > 0 else { return }
        left = Int(min(Int64(burst), Int64(left) + earned))
        // Time not yet worth a line is kept; a full bucket starts over.
        refilledAt = left == burst ? now : last + .nanoseconds(earned * step)
    }
}

/// One connection's lane: whether its task is serving an emergency command, so that its jobs are
/// run ahead of the loop's ordinary ones.
final class ConnectionLane: Sendable {
    private let urgentFlag = Atomic(false)
    var isUrgent: Bool { urgentFlag.load(ordering: .relaxed) }
    func set(urgent: Bool) { urgentFlag.store(urgent, ordering: .relaxed) }
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
    private let overlongReply: [UInt8]
    private let emergency: Set<String>
    private let lane: ConnectionLane
    private let idle: IdleTimer

    // Inbound.
    private var frames = CircularBuffer<LineFrame>()
    private var reader: CheckedContinuation<LineFrame?, any Error>?
    /// How the inbound side ended, once it has: `.success` at EOF.
    private var inboundEnd: Result<Void, any Error>?
    /// A `read` held back while too many lines wait.
    private var readHeld = false
    /// The reader was cancelled: nothing more is read.
    private var readerGone = false
    /// The waiting reader wants a request (the serve loop), not a streaming command's line.
    private var readerWantsRequest = false

    private var bucket: BadLineBucket
    /// The budget is spent: nothing is read or handed out for a request until `refillCheck` runs.
    private var throttled = false
    private var refillCheck: Scheduled<Void>?

    // Outbound.
    private var writable = true
    private var outboundError: (any Error)?
    private var waitingWrites = CircularBuffer<WaitingWrite>()
    private let writeIDs = Atomic(0)

    init(
        eventLoop: any EventLoop, overlongReply: [UInt8], budget: BadLineBudget, emergency: Set<String>, lane: ConnectionLane,
        idle: IdleTimer
    ) {
        self.eventLoop = eventLoop
        self.overlongReply = overlongReply
        self.emergency = emergency
        self.lane = lane
        self.idle = idle
        bucket = BadLineBucket(budget)
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        writable = context.channel.isWritable
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        refillCheck?.cancel()
        refillCheck = nil
        finishInbound(.failure(ChannelError.ioOnClosedChannel))
        failWrites(ChannelError.ioOnClosedChannel)
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        frames.append(unwrapInboundIn(data))
        pump()
    }

    func read(context: ChannelHandlerContext) {
        guard !readerGone else { return }
        if frames.count >= Self.highWatermark || throttled {
            readHeld = true
        } else {
            context.read()
        }
    }

    /// Resumes a held read once few lines wait and the budget allows.
    private func resumeReading() {
        guard readHeld, frames.count <= Self.lowWatermark, !throttled, let context else { return }
        readHeld = false
        context.read()
    }

    /// Hands lines to a waiting reader. While the reader waits for a request, a line that cannot
    /// be one is answered here, on the event loop, and the reader goes on waiting.
    private func pump() {
        while let reader, let frame = frames.first {
            if readerWantsRequest {
                if throttled { break }
                if answerInline(frame) {
                    frames.removeFirst()
                    continue
                }
                lane.set(urgent: isEmergency(frame))
            }
            frames.removeFirst()
            self.reader = nil
            reader.resume(returning: frame)
        }
        resumeReading()
    }

    /// Answers `frame` if it is over-long or not a JSON object, in order: only when no write
    /// waits. Counts it as a request for the idle timer and against the budget.
    private func answerInline(_ frame: LineFrame) -> Bool {
        guard outboundError == nil, waitingWrites.isEmpty, writable, let context else { return false }
        let reply: [UInt8]
        switch frame {
        case .overlong: reply = overlongReply
        case .line(let line):
            guard !RequestTriage.isObjectShaped(line) else { return false }
            reply = RequestTriage.notAnObject
        }
        idle.took()
        context.writeAndFlush(wrapOutboundOut(ServerSession.buffer(reply, allocator: context.channel.allocator)), promise: nil)
        idle.rearm()
        charge()
        return true
    }

    private func isEmergency(_ frame: LineFrame) -> Bool {
        guard !emergency.isEmpty, case .line(let line) = frame, let name = RequestTriage.commandName(line) else { return false }
        return emergency.contains(name)
    }

    // MARK: The bad-line budget

    /// One bad line: spends the budget, and once it is spent stops reading until it refills.
    private func charge() {
        guard bucket.spend(now: eventLoop.now), !throttled else { return }
        throttled = true
        scheduleRefill()
    }

    /// Looks again when the next line is earned; whatever waits goes on once one is.
    private func scheduleRefill() {
        refillCheck = eventLoop.scheduleTask(in: bucket.untilNextLine) { [self] in
            refillCheck = nil
            bucket.refill(now: eventLoop.now)
            if bucket.isSpent {
                scheduleRefill()
            } else {
                throttled = false
                pump()
            }
        }
    }

    /// Whether the budget is spent, and how many lines wait meanwhile.
    var budgetState: (throttled: Bool, waiting: Int) { (throttled, frames.count) }

    func chargeFromTask() {
        if eventLoop.inEventLoop {
            charge()
        } else {
            eventLoop.execute { self.charge() }
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

    func next(request: Bool) async throws -> LineFrame? {
        if eventLoop.inEventLoop, let ready = try takeReady(request: request) { return ready.frame }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<LineFrame?, any Error>) in
                if eventLoop.inEventLoop {
                    wait(continuation, request: request)
                } else {
                    eventLoop.execute { self.wait(continuation, request: request) }
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
    private func takeReady(request: Bool) throws -> Ready? {
        if Task.isCancelled {
            readerGone = true
            throw CancellationError()
        }
        if request {
            // Lines the task takes itself are answered by it, in order; the lane and the budget
            // are this handler's.
            if throttled, !frames.isEmpty { return nil }
            lane.set(urgent: frames.first.map(isEmergency) ?? false)
        }
        if let frame = frames.popFirst() {
            resumeReading()
            return .line(frame)
        }
        if readerGone { return .end }
        if let inboundEnd {
            try inboundEnd.get()
            return .end
        }
        return nil
    }

    private func wait(_ continuation: CheckedContinuation<LineFrame?, any Error>, request: Bool) {
        do {
            if let ready = try takeReady(request: request) {
                continuation.resume(returning: ready.frame)
            } else {
                // Lines held back by the budget go on when it refills (`charge`).
                reader = continuation
                readerWantsRequest = request
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
        // Lines already read are handed out first; a waiting reader means there are none, but
        // for lines held back by a spent budget: the connection is closed, their answers could
        // not be written.
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
