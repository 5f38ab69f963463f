import CarillonStore

/// Store writes that nobody waits for: the play log's starts and ends, made as the engine reports
/// them. They run one at a time, in the order they were queued, on a task of their own.
///
/// Why: the Station is an actor, and every `await` inside it lets other callers in first. Under
/// hundreds of clients, a report from the engine that awaited its database write waited behind
/// all of them for each write, the reports piled up for minutes, and a zone was released that
/// late: bells queued behind a clip that had long finished were missed. The engine's reports now
/// change the Station's state in one turn and leave their writes here.
final class WriteBehind: Sendable {
    /// One write; `what` names it for the journal and `status` (`play log`).
    typealias Write = @Sendable () async throws(StoreError) -> Void

    private enum Job: Sendable {
        case write(String, Write)
        case flush(CheckedContinuation<Void, Never>)
    }

    private let jobs: AsyncStream<Job>.Continuation
    private let worker: Task<Void, Never>

    /// - Parameter storage: told of each write's outcome, so a failing disk shows in `status`.
    init(storage: StorageHealth) {
        let (stream, jobs) = AsyncStream.makeStream(of: Job.self, bufferingPolicy: .unbounded)
        self.jobs = jobs
        // Unstructured on purpose: a write queued must run even when the task that queued it is cancelled.
        worker = Task {
            for await job in stream {
                switch job {
                case .write(let what, let write):
                    do {
                        try await write()
                        storage.succeeded()
                    } catch {
                        storage.failed(what, error)
                    }
                case .flush(let done):
                    done.resume()
                }
            }
        }
    }

    deinit { jobs.finish() }

    /// Queues a write behind every write queued before it, and returns at once.
    func enqueue(_ what: String = "play log", _ write: @escaping Write) {
        jobs.yield(.write(what, write))
    }

    /// Returns when every write queued before the call has run (at shutdown, so nothing queued is lost).
    func flush() async {
        await withCheckedContinuation { done in
            if case .terminated = jobs.yield(.flush(done)) { done.resume() }
        }
    }
}
