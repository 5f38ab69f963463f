import CarillonProtocol
import Foundation
import Logging

/// `[notify]`: a command run with each plan event as JSON on stdin.
public struct NotifierConfig: Sendable, Hashable {
    /// The program (absolute) and its arguments.
    public var command: [String]
    public var timeout: Duration
    /// Further attempts after a failure, 1 s, 2 s, 4 s … apart.
    public var retries: Int
}

/// Runs the notifier for one event, off the audio path: it is started after the first alarm
/// sample and never awaited by a play. A run that outlasts the timeout is killed and retried.
struct Notifier: Sendable {
    let config: NotifierConfig
    let logger: Logger

    /// Starts delivering `event` in the background.
    func send(_ event: Event) {
        guard let input = try? Wire.encoder().encode(event) else { return }
        let config = config
        let logger = logger
        Task.detached(priority: .utility) {
            for attempt in 0...config.retries {
                if attempt > 0 { try? await Task.sleep(for: .seconds(1 << min(attempt - 1, 5))) }
                let outcome = await Self.run(config.command, input: input, timeout: config.timeout)
                if outcome == nil {
                    logger.info("notifier delivered", metadata: ["event": "\(event.event)", "attempt": "\(attempt + 1)"])
                    return
                }
                logger.warning(
                    "notifier failed", metadata: ["event": "\(event.event)", "attempt": "\(attempt + 1)", "error": "\(outcome ?? "")"])
            }
            logger.error("notifier gave up", metadata: ["event": "\(event.event)", "attempts": "\(config.retries + 1)"])
        }
    }

    /// Runs the command once; nil on success, else why it failed.
    static func run(_ command: [String], input: Data, timeout: Duration) async -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        let stdin = Pipe()
        process.standardInput = stdin
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let exited = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { exited.continuation.yield($0.terminationStatus); exited.continuation.finish() }
        do { try process.run() } catch { return "cannot start \(command[0]): \(error.localizedDescription)" }
        // A notifier that does not read its input must not block us: write from its own thread.
        DispatchQueue.global(qos: .utility).async {
            try? stdin.fileHandleForWriting.write(contentsOf: input)
            try? stdin.fileHandleForWriting.close()
        }
        let killer = Task {
            try await Task.sleep(for: timeout)
            process.terminate()
            try await Task.sleep(for: .seconds(2))
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        var status: Int32 = -1
        for await code in exited.stream { status = code }
        let timedOut = killer.isCancelled == false && process.terminationReason == .uncaughtSignal
        killer.cancel()
        if status == 0 && process.terminationReason == .exit { return nil }
        return timedOut ? "timed out after \(timeout)" : "exit status \(status)"
    }
}
