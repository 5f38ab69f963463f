import CarillonProtocol
import Foundation
import Logging
import Synchronization

/// How the daemon's writes to its data directory are going: `storage` in `status`, the
/// `storage.fault` and `storage.recovered` events, and the storage metrics.
///
/// Every store write that may fail without failing its command (the play log, saved state, plan
/// runs, the audit log) reports its outcome here. One failure makes the storage `failing`. It is
/// `ok` again once a write has succeeded and `settle` has passed without a failure: on a full disk
/// an in-place UPDATE still succeeds between failed INSERTs, and recovering on every such success
/// made the state, and monitoring's events, flap. A Mutex rather than actor state: the audit is
/// written off the Station actor and reports without hopping onto it, and each change of state is
/// published under the lock, so subscribers see fault and recovery in the order they happened.
final class StorageHealth: Sendable {
    /// Runs `recheck` once `after` has passed, never before returning (it is called under the lock):
    /// the daemon's sleeps on a task, a test's fires when the test says.
    typealias Timer = @Sendable (_ after: Duration, _ recheck: @escaping @Sendable () -> Void) -> Void

    private struct State {
        var failing = false
        var failedWrites = 0
        var lastError: String?
        var lastErrorAt: Date?
        /// The first failure of the current run of failures.
        var since: Date?
        /// Failures in the current run.
        var failedInRun = 0
        /// The last failure, on the monotonic clock: `settle` counts from it.
        var lastFailure: ContinuousClock.Instant?
        /// A write succeeded after the last failure.
        var succeededSince = false
        var recheckPending = false
    }

    private let state = Mutex(State())
    private let events: EventHub
    private let logger: Logger
    private let settle: Duration
    private let now: @Sendable () -> ContinuousClock.Instant
    private let timer: Timer

    /// - Parameters:
    ///   - settle: how long writes must go without a failure, one of them succeeding, before
    ///     failing storage is ok again; zero: the first success recovers it.
    ///   - now, timer: the clock, injected by tests.
    init(
        events: EventHub, logger: Logger, settle: Duration = .seconds(30),
        now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now },
        timer: @escaping Timer = { after, recheck in
            Task.detached {
                try? await Task.sleep(for: after)
                recheck()
            }
        }
    ) {
        self.events = events
        self.logger = logger
        self.settle = settle
        self.now = now
        self.timer = timer
    }

    /// A write that succeeded: failing storage is ok again once `settle` has passed since the last
    /// failure, now or when a recheck finds no failure in between (the failure count stays).
    func succeeded() {
        let recovered = state.withLock { state -> (failures: Int, since: Date)? in
            guard state.failing else { return nil }
            state.succeededSince = true
            return settleOrWait(&state)
        }
        if let recovered { logRecovery(recovered) }
    }

    /// Recovers when settled; otherwise asks the timer for one recheck at the end of the quiet time.
    private func settleOrWait(_ state: inout State) -> (failures: Int, since: Date)? {
        guard state.failing, state.succeededSince, let since = state.since, let last = state.lastFailure else { return nil }
        let quiet = now() - last
        guard quiet >= settle else {
            if !state.recheckPending {
                state.recheckPending = true
                timer(settle - quiet) { [weak self] in self?.recheck() }
            }
            return nil
        }
        let run = (state.failedInRun, since)
        state.failing = false
        state.since = nil
        state.failedInRun = 0
        state.lastFailure = nil
        state.succeededSince = false
        events.publish(Event(event: "storage.recovered", detail: Self.summary(failures: run.0, since: run.1)))
        return run
    }

    private func recheck() {
        let recovered = state.withLock { state -> (failures: Int, since: Date)? in
            state.recheckPending = false
            return settleOrWait(&state)
        }
        if let recovered { logRecovery(recovered) }
    }

    private func logRecovery(_ recovered: (failures: Int, since: Date)) {
        logger.notice(
            "storage writes succeed again",
            metadata: ["failed": "\(recovered.failures)", "since": "\(ISO8601DateFormatter().string(from: recovered.since))"])
    }

    /// A write that failed: logged as `<what> write failed`, counted, and if storage was ok it is
    /// now failing, which `storage.fault` announces.
    /// - Parameters:
    ///   - what: the kind of write, e.g. `play log`, `plan state`, `audit log`.
    ///   - metadata: more for the journal line, e.g. the audited command.
    func failed(_ what: String, _ error: some Error, metadata: Logger.Metadata = [:]) {
        let message = "\(what) write failed"
        logger.error("\(message)", metadata: metadata.merging(["error": "\(error)"]) { $1 })
        let date = Date()
        let instant = now()
        state.withLock { state in
            state.failedWrites += 1
            state.failedInRun += 1
            state.lastError = "\(message): \(error)"
            state.lastErrorAt = date
            state.lastFailure = instant
            state.succeededSince = false
            guard !state.failing else { return }
            state.failing = true
            state.since = date
            events.publish(Event(event: "storage.fault", at: date, detail: state.lastError))
        }
    }

    /// What `status` reports.
    var info: StorageInfo {
        state.withLock { state in
            StorageInfo(
                state: state.failing ? StorageInfo.failing : StorageInfo.ok, failedWrites: state.failedWrites,
                lastError: state.lastError, lastErrorAt: state.lastErrorAt, since: state.since)
        }
    }

    /// `storage.recovered`'s detail: how long storage failed, and how many writes were lost.
    static func summary(failures: Int, since: Date) -> String {
        let seconds = max(0, Date().timeIntervalSince(since))
        return "\(failures) write\(failures == 1 ? "" : "s") failed over \(String(format: "%.1f", seconds)) s"
    }
}
