import NIOCore
import Synchronization

/// The jobs waiting to run on one event loop, in two lanes: a job of a connection serving an
/// emergency command runs before every ordinary job already waiting.
///
/// NIO runs the closures given to `execute` in the order given; each enqueued job adds one such
/// closure, and each closure runs whichever job is first by lane. So an emergency that arrives
/// behind a hundred clients' `status` runs next, not hundredth.
final class LoopLanes: Sendable {
    private struct Waiting: @unchecked Sendable {
        // An unowned job and its executor, run once on the loop.
        var job: UnownedJob
        var executor: UnownedTaskExecutor
    }

    private struct Queues {
        var urgent = CircularBuffer<Waiting>()
        var ordinary = CircularBuffer<Waiting>()
    }

    let eventLoop: any EventLoop
    private let queues = Mutex(Queues())

    private init(eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    private static let all = Mutex<[ObjectIdentifier: LoopLanes]>([:])

    /// The lanes of `eventLoop`, one per loop for the process.
    static func of(_ eventLoop: any EventLoop) -> LoopLanes {
        all.withLock { lanes in
            let key = ObjectIdentifier(eventLoop)
            if let existing = lanes[key] { return existing }
            let made = LoopLanes(eventLoop: eventLoop)
            lanes[key] = made
            return made
        }
    }

    /// Queues `job` in its lane and has the loop run the first waiting job.
    func enqueue(_ job: UnownedJob, on executor: UnownedTaskExecutor, urgent: Bool) {
        let waiting = Waiting(job: job, executor: executor)
        queues.withLock { queues in
            if urgent { queues.urgent.append(waiting) } else { queues.ordinary.append(waiting) }
        }
        eventLoop.execute { self.runFirst() }
    }

    private func runFirst() {
        let first = queues.withLock { queues in queues.urgent.popFirst() ?? queues.ordinary.popFirst() }
        // One closure per job: there is always one to run.
        if let first { first.job.runSynchronously(on: first.executor) }
    }
}

/// Runs a connection's task on its channel's event loop, so that the task and the channel it
/// reads and writes share one thread; its jobs take the loop's urgent lane while the connection
/// serves an emergency command. (Not by task priority: the daemon's tasks may all run high.)
final class LaneExecutor: TaskExecutor {
    let eventLoop: any EventLoop
    private let lanes: LoopLanes
    private let lane: ConnectionLane?

    init(_ eventLoop: any EventLoop, lane: ConnectionLane?) {
        self.eventLoop = eventLoop
        self.lanes = LoopLanes.of(eventLoop)
        self.lane = lane
    }

    func enqueue(_ job: consuming ExecutorJob) {
        lanes.enqueue(UnownedJob(job), on: asUnownedTaskExecutor(), urgent: lane?.isUrgent == true)
    }
}
