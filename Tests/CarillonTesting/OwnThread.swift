import Dispatch
public import Testing

/// Runs each test of a suite on a serial dispatch queue of its own instead of Swift's cooperative
/// pool.
///
/// The pool has one thread per core: two on the CI machine. Most end-to-end tests block their
/// thread for seconds (a client process, a capture growing, a plan's tones), so two of them running
/// at once held the whole pool, and a test awaiting a daemon's answer was not resumed until they let
/// go; one waited over 30 s and its first shout had ended before it could ask for the second. A
/// private serial queue targets libdispatch's overcommit pool, which adds a thread when one blocks.
public struct OwnThread: SuiteTrait, TestTrait, TestScoping {
    static let queueName = DispatchSpecificKey<String>()

    /// The name of the test whose queue runs the caller; nil on any other thread.
    public static var currentQueue: String? { DispatchQueue.getSpecific(key: queueName) }

    public var isRecursive: Bool { true }

    public func scopeProvider(for test: Test, testCase: Test.Case?) -> OwnThread? {
        testCase == nil ? nil : self
    }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await withTaskExecutorPreference(QueueExecutor(label: "test: \(test.name)")) {
            try await function()
        }
    }
}

extension Trait where Self == OwnThread {
    /// Each test on a thread of its own, off the cooperative pool: for tests that block.
    public static var ownThread: OwnThread { OwnThread() }
}

/// A task executor on one serial dispatch queue.
final class QueueExecutor: TaskExecutor {
    private let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label)
        queue.setSpecific(key: OwnThread.queueName, value: label)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
