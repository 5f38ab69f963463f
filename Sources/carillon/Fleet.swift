import ArgumentParser
import CarillonControl
import CarillonProtocol
import Foundation
import Synchronization

// The bureau's commands that reach every school (`stats pull`, `bundle push`) share this file:
// a runner with a concurrency limit, timeouts and retries, and the report.

/// How one school went.
struct FleetResult<Value: Sendable>: Sendable {
    /// Why a school failed: the runner retries `unreachable` and `timeout` only.
    enum Failure: String, Sendable {
        /// Nothing answered, the TLS handshake failed, or the connection broke.
        case unreachable
        /// The attempt took longer than the timeout.
        case timeout
        /// The daemon answered with an error (a bad token included): trying again would not help.
        case refused
        /// A local problem (an unreadable token file, an unexpected reply, the operation's own error).
        case error
    }

    var school: School
    /// The operation's value; nil when the school failed.
    var value: Value?
    var failure: Failure?
    /// The last attempt's error, for people.
    var error: String?
    /// Connections tried; 0 when a local problem (token or CA file) stopped it before any.
    var attempts: Int
    /// From the first attempt's start to the last one's end, backoff included.
    var elapsed: Duration

    var ok: Bool { value != nil }
}

/// One school's line of a fleet command's `--json`: `school`, `address`, `ok`, `attempts`,
/// `elapsed_seconds`, and `failure` and `error` when it failed, or the fields of the school's answer
/// beside them when it succeeded.
struct FleetLine<Value: Encodable & Sendable>: Encodable {
    let result: FleetResult<Value>
    init(_ result: FleetResult<Value>) { self.result = result }

    private enum CodingKeys: String, CodingKey { case school, address, ok, attempts, elapsedSeconds, failure, error }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(result.school.id, forKey: .school)
        try container.encode(result.school.address, forKey: .address)
        try container.encode(result.ok, forKey: .ok)
        try container.encode(result.attempts, forKey: .attempts)
        try container.encode(result.elapsed.seconds, forKey: .elapsedSeconds)
        try container.encodeIfPresent(result.failure?.rawValue, forKey: .failure)
        try container.encodeIfPresent(result.error, forKey: .error)
        try result.value?.encode(to: encoder)
    }
}

/// Runs one operation against many schools, each on its own authenticated connection.
enum Fleet {
    /// Whether to show progress on stderr.
    enum ProgressMode: Sendable {
        /// When stderr is a terminal.
        case auto
        case always
        case never
    }

    /// Connects to every school (TCP with TLS, then `auth` with its token), runs `operation` on the
    /// connection and closes it: at most `concurrency` schools at a time.
    ///
    /// Each attempt — connecting, logging in and the operation — must end within `timeout`. A
    /// school that cannot be reached, or whose attempt timed out, is tried again up to `retries`
    /// more times, after an exponential backoff with jitter (0.5 s, 1 s, 2 s … at most 8 s, each
    /// between half and all of that). A refusal by the daemon (`ClientError.refused`, a bad token
    /// included) is never retried, nor is any other error. So `operation` may run again after a
    /// connection broke or a timeout, and must be safe to repeat.
    ///
    /// - Parameters:
    ///   - schools: as `School.load` read them.
    ///   - progress: `[ 37/2000] ok 35, failed 2` on stderr, redrawn on a terminal.
    ///   - operation: what to do at one school; its value is kept in the school's result.
    /// - Returns: one result per school, in the order of `schools`.
    /// - Throws: `CancellationError` when the calling task is cancelled.
    static func run<Value: Sendable>(
        _ schools: [School], concurrency: Int = 64, timeout: Duration = .seconds(30), retries: Int = 2,
        progress: ProgressMode = .auto,
        _ operation: @escaping @Sendable (School, ControlConnection) async throws -> Value
    ) async throws -> [FleetResult<Value>] {
        precondition(concurrency > 0 && retries >= 0 && timeout > .zero, "concurrency and timeout above 0, retries 0 or more")
        let meter = ProgressMeter(total: schools.count, mode: progress)
        var results = [FleetResult<Value>?](repeating: nil, count: schools.count)
        try await withThrowingTaskGroup(of: (Int, FleetResult<Value>).self) { group in
            var next = 0
            func launch() {
                let index = next
                let school = schools[index]
                next += 1
                group.addTask {
                    (index, await attempt(school, timeout: timeout, retries: retries, operation))
                }
            }
            while next < min(concurrency, schools.count) { launch() }
            while let (index, result) = try await group.next() {
                results[index] = result
                meter.record(ok: result.ok)
                if next < schools.count { launch() }
            }
        }
        meter.finish()
        try Task.checkCancellation()
        return results.map { $0! }
    }

    /// One school, with its retries.
    private static func attempt<Value: Sendable>(
        _ school: School, timeout: Duration, retries: Int,
        _ operation: @escaping @Sendable (School, ControlConnection) async throws -> Value
    ) async -> FleetResult<Value> {
        let clock = ContinuousClock()
        let start = clock.now
        var result = FleetResult<Value>(school: school, value: nil, failure: nil, error: nil, attempts: 0, elapsed: .zero)
        // Local problems are found before connecting, and are not retried.
        guard let data = FileManager.default.contents(atPath: school.tokenFile) else {
            result.failure = .error
            result.error = "cannot read the token file \(school.tokenFile)"
            return result
        }
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if let ca = school.ca {
            // A bad CA file would otherwise surface as a connection failure, and be retried.
            guard let pem = FileManager.default.contents(atPath: ca) else {
                result.failure = .error
                result.error = "cannot read the CA file \(ca)"
                return result
            }
            guard String(decoding: pem, as: UTF8.self).contains("-----BEGIN CERTIFICATE-----") else {
                result.failure = .error
                result.error = "the CA file \(ca) holds no PEM certificate"
                return result
            }
        }
        for attempt in 0...retries {
            if attempt > 0 {
                // 0.5 s, 1 s, 2 s … capped at 8 s; jitter keeps a fleet's retries from arriving together.
                let base = min(0.5 * pow(2, Double(attempt - 1)), 8)
                do { try await Task.sleep(for: .seconds(base * Double.random(in: 0.5...1))) } catch { break }
            }
            result.attempts = attempt + 1
            do {
                let value = try await withTimeout(timeout) {
                    try await ControlConnection.with(school.controlAddress, tls: school.tls, token: token) { connection in
                        try await operation(school, connection)
                    }
                }
                result.value = value
                result.failure = nil
                result.error = nil
                break
            } catch let error as ClientError {
                switch error {
                case .cannotConnect(let message):
                    result.failure = .unreachable
                    result.error = message
                    continue
                case .refused(let wire):
                    result.failure = .refused
                    result.error = "\(wire.code.rawValue): \(wire.message)"
                case .protocolViolation:
                    result.failure = .error
                    result.error = error.description
                }
            } catch is FleetTimeout {
                result.failure = .timeout
                result.error = "no answer within \(timeout.seconds) s"
                continue
            } catch {
                result.failure = .error
                result.error = "\(error)"
            }
            break
        }
        result.elapsed = clock.now - start
        return result
    }

    /// Runs `operation`, or throws `FleetTimeout` after `timeout`. On a timeout it returns at
    /// once and cancels the operation, which may take a moment to notice (a TCP connect does).
    private static func withTimeout<T: Sendable>(
        _ timeout: Duration, _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let race = TimeoutRace<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let work = Task {
                    do { race.finish(.success(try await operation())) } catch { race.finish(.failure(error)) }
                }
                let timer = Task {
                    guard (try? await Task.sleep(for: timeout)) != nil else { return }
                    race.finish(.failure(FleetTimeout()))
                }
                race.wait(continuation, tasks: [work, timer])
            }
        } onCancel: {
            race.finish(.failure(CancellationError()))
        }
    }

    /// Prints one line per school: its id, `ok` or `FAILED`, attempts, time and `describe(value)`
    /// or the error; then `summary`.
    static func printTable<Value>(_ results: [FleetResult<Value>], describe: (Value) -> String) {
        // Each column as wide as its header, and at least as `FAILED`, a try count and `%7.2f` seconds need.
        let widths = zip(header, [results.map { displayWidth($0.school.id) }.max() ?? 0, 6, 5, 7]).map {
            max(displayWidth($0), $1)
        }
        func pad(_ cells: [String]) -> String { zip(cells, widths).map { padded($0, to: $1) }.joined(separator: "  ") }
        print(pad(Array(header.prefix(4))) + "  " + header[4])
        for result in results {
            let message =
                result.value.map(describe)
                ?? Message.failedBecause(
                    failure: Message.failureName(result.failure?.rawValue ?? "error"), error: result.error ?? ""
                )
                .text
            print(
                pad([
                    result.school.id, verdict(result), "\(result.attempts)",
                    String(format: "%7.2f", result.elapsed.seconds),
                ])
                    + "  " + message)
        }
        print(summary(results))
    }

    /// The column names of a fleet command's table: school, result, tries, seconds, message.
    static var header: [String] { Message.fleetHeader.text.split(separator: "\t").map(String.init) }

    /// `ok` or `FAILED`, as a table shows a school's result.
    static func verdict<Value>(_ result: FleetResult<Value>) -> String {
        (result.ok ? Message.fleetOk : Message.fleetFailed).text
    }

    /// `printTable` for operations whose value is their message.
    static func printTable(_ results: [FleetResult<String>]) {
        printTable(results) { $0 }
    }

    /// `2000 schools: 1998 ok, 2 failed (unreachable 1, refused 1)`.
    static func summary<Value>(_ results: [FleetResult<Value>]) -> String {
        let failed = Dictionary(
            results.filter { !$0.ok }.map { ($0.failure?.rawValue ?? "error", 1) }, uniquingKeysWith: +)
        return Message.fleetSummary(schools: results.count, failed: failed).text
    }

    /// Writes the failed schools as a schools file (header included, even when none failed), so
    /// that `--schools FILE` tries those again and no others.
    static func writeFailed<Value>(_ results: [FleetResult<Value>], to path: String) throws {
        let text = "# failed on \(ISO8601DateFormatter().string(from: Date()))\n" + School.csvText(results.filter { !$0.ok }.map(\.school))
        do { try Data(text.utf8).write(to: URL(fileURLWithPath: path)) } catch {
            throw LocalFailure(message: Message.cannotWrite(path, reason: error.localizedDescription).text)
        }
    }
}

/// An attempt that ran past its timeout.
struct FleetTimeout: Error {}

/// One `withTimeout`: the first of the operation, the timer and a cancellation to finish wins.
private final class TimeoutRace<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var tasks: [Task<Void, Never>] = []
        /// The first result, kept when it came before the continuation was in place.
        var result: Result<T, any Error>?
    }

    private let state = Mutex(State())

    /// Puts the caller's continuation in place; resumes it at once if something already finished.
    func wait(_ continuation: CheckedContinuation<T, any Error>, tasks: [Task<Void, Never>]) {
        let early = state.withLock { state -> Result<T, any Error>? in
            if state.result == nil {
                state.continuation = continuation
                state.tasks = tasks
            }
            return state.result
        }
        guard let early else { return }
        for task in tasks { task.cancel() }
        continuation.resume(with: early)
    }

    /// The first call resumes the caller (or leaves its result for `wait`) and cancels the rest.
    func finish(_ result: Result<T, any Error>) {
        let (continuation, tasks) = state.withLock { state -> (CheckedContinuation<T, any Error>?, [Task<Void, Never>]) in
            guard state.result == nil else { return (nil, []) }
            state.result = result
            defer { state.continuation = nil }
            return (state.continuation, state.tasks)
        }
        continuation?.resume(with: result)
        for task in tasks { task.cancel() }
    }
}

/// Counts finished schools and shows `[ 37/2000] ok 35, failed 2` on stderr.
private final class ProgressMeter: Sendable {
    private struct State {
        var ok = 0
        var failed = 0
        var lastShown = -1
    }

    private let total: Int
    private let enabled: Bool
    private let onTerminal: Bool
    private let state = Mutex(State())

    init(total: Int, mode: Fleet.ProgressMode) {
        self.total = total
        onTerminal = isatty(STDERR_FILENO) == 1
        enabled = switch mode {
        case .auto: onTerminal
        case .always: true
        case .never: false
        }
    }

    func record(ok: Bool) {
        guard enabled else { return }
        let line: String? = state.withLock { state in
            if ok { state.ok += 1 } else { state.failed += 1 }
            let done = state.ok + state.failed
            // Off a terminal, one line per percent at most, so a log of 2,000 schools stays short.
            let step = onTerminal ? done : done * 100 / max(total, 1)
            guard step != state.lastShown || done == total else { return nil }
            state.lastShown = step
            let digits = String(total).count
            let count = String(repeating: " ", count: digits - String(done).count) + "\(done)"
            return Message.fleetProgress(done: count, total: total, ok: state.ok, failed: state.failed).text
        }
        guard let line else { return }
        StandardError.write(Data((onTerminal ? "\r\(line)\u{1B}[K" : line + "\n").utf8))
    }

    func finish() {
        if enabled && onTerminal && total > 0 { StandardError.write(Data("\n".utf8)) }
    }
}

/// The options every fleet command takes, as one group: `@OptionGroup var fleet: FleetOptions`.
struct FleetOptions: ParsableArguments {
    @Option(help: Message.help("The schools: a CSV file with the header id,address,token_file,ca,pin (see docs)."))
    var schools: String

    @Option(help: Message.help("Schools worked on at once."))
    var concurrency = 64

    @Option(help: Message.help("Seconds one attempt at one school may take, connecting and logging in included."))
    var timeout: Double = 30

    @Option(
        help: Message.help(
            "Further attempts at a school that cannot be reached or times out; a refusal is never retried."))
    var retries = 2

    @Flag(help: Message.help("Show progress on stderr even when it is not a terminal."))
    var progress = false

    @Flag(help: Message.help("Show no progress."))
    var quiet = false

    @Option(
        help: Message.help("Write the schools that failed to this file, as a schools file to rerun with --schools."))
    var failedOut: String?

    func validate() throws {
        guard concurrency >= 1 else { throw ValidationError(Message.concurrencyAtLeastOne.text) }
        guard timeout > 0 else { throw ValidationError(Message.timeoutAboveZero.text) }
        guard retries >= 0 else { throw ValidationError(Message.retriesNotNegative.text) }
        if progress && quiet { throw ValidationError(Message.progressOrQuiet.text) }
    }

    var progressMode: Fleet.ProgressMode { quiet ? .never : progress ? .always : .auto }

    /// The schools of `--schools`; a wrong file is reported with its line, and exits 2 (usage).
    func loadSchools() throws -> [School] {
        do { return try School.load(schools) } catch {
            StandardError.write(Data("carillon: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }

    /// Runs `operation` at every school with these options (see `Fleet.run`), and writes
    /// `--failed-out` when asked.
    func run<Value: Sendable>(
        _ schools: [School], _ operation: @escaping @Sendable (School, ControlConnection) async throws -> Value
    ) async throws -> [FleetResult<Value>] {
        let results = try await Fleet.run(
            schools, concurrency: concurrency, timeout: .seconds(timeout), retries: retries, progress: progressMode, operation)
        if let failedOut { try Fleet.writeFailed(results, to: failedOut) }
        return results
    }
}

extension Duration {
    /// In seconds, as a `Double`.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
