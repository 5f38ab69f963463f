import CarillonProtocol
import Foundation
import Logging
import Synchronization

/// How the daemon's writes to its data directory are going: `storage` in `status`, the
/// `storage.fault` and `storage.recovered` events, and the storage metrics.
///
/// Every store write that may fail without failing its command (the play log, saved state, plan
/// runs, the audit log) reports its outcome here. One failure makes the storage `failing`; the next
/// write that succeeds makes it `ok` again. A Mutex rather than actor state: the audit is written
/// off the Station actor and reports without hopping onto it, and each change of state is
/// published under the lock, so subscribers see fault and recovery in the order they happened.
final class StorageHealth: Sendable {
    private struct State {
        var failing = false
        var failedWrites = 0
        var lastError: String?
        var lastErrorAt: Date?
        /// The first failure of the current run of failures.
        var since: Date?
        /// Failures in the current run.
        var failedInRun = 0
    }

    private let state = Mutex(State())
    private let events: EventHub
    private let logger: Logger

    init(events: EventHub, logger: Logger) {
        self.events = events
        self.logger = logger
    }

    /// A write that succeeded: failing storage is ok again (the failure count stays).
    func succeeded() {
        let recovered = state.withLock { state -> (failures: Int, since: Date)? in
            guard state.failing, let since = state.since else { return nil }
            let run = (state.failedInRun, since)
            state.failing = false
            state.since = nil
            state.failedInRun = 0
            events.publish(Event(event: "storage.recovered", detail: Self.summary(failures: run.0, since: run.1)))
            return run
        }
        if let recovered {
            logger.notice(
                "storage writes succeed again",
                metadata: ["failed": "\(recovered.failures)", "since": "\(ISO8601DateFormatter().string(from: recovered.since))"])
        }
    }

    /// A write that failed: logged as `<what> write failed`, counted, and if storage was ok it is
    /// now failing, which `storage.fault` announces.
    /// - Parameters:
    ///   - what: the kind of write, e.g. `play log`, `plan state`, `audit log`.
    ///   - metadata: more for the journal line, e.g. the audited command.
    func failed(_ what: String, _ error: some Error, metadata: Logger.Metadata = [:]) {
        let message = "\(what) write failed"
        logger.error("\(message)", metadata: metadata.merging(["error": "\(error)"]) { $1 })
        let now = Date()
        state.withLock { state in
            state.failedWrites += 1
            state.failedInRun += 1
            state.lastError = "\(message): \(error)"
            state.lastErrorAt = now
            guard !state.failing else { return }
            state.failing = true
            state.since = now
            events.publish(Event(event: "storage.fault", at: now, detail: state.lastError))
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
