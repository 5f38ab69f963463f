public import Foundation
import Glibc

/// Where the built `carillond` and `carillon` are: beside the test bundle, or `$CARILLON_BIN_DIR`.
public enum Binaries {
    public static var directory: String {
        if let dir = ProcessInfo.processInfo.environment["CARILLON_BIN_DIR"] { return dir }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return (exe as NSString).deletingLastPathComponent
    }

    public static var daemon: String { directory + "/carillond" }
    public static var client: String { directory + "/carillon" }
}

/// What a finished command printed, and how it exited.
public struct CommandResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// Runs a program to completion and captures its output.
public func run(
    _ executable: String, _ arguments: [String], environment: [String: String] = [:], input: String? = nil
) throws -> CommandResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let stdin = Pipe()
    process.standardInput = input == nil ? FileHandle.nullDevice : stdin
    try process.run()
    if let input {
        // Small inputs only: written whole before the output is read.
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try? stdin.fileHandleForWriting.close()
    }
    // Read both pipes to the end before waiting, so a chatty child never blocks on a full pipe.
    let group = DispatchGroup()
    nonisolated(unsafe) var errData = Data()
    group.enter()
    DispatchQueue.global().async {
        errData = err.fileHandleForReading.readDataToEndOfFile()
        group.leave()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return CommandResult(
        status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
        stderr: String(decoding: errData, as: UTF8.self))
}

/// The real `carillond`, started in its own directory with a systemd-style notify socket.
///
/// `start` returns once the daemon has sent `READY=1`: tests wait on that event, not on a sleep.
public final class DaemonProcess: @unchecked Sendable {
    public let directory: TemporaryDirectory
    public let process: Process
    public let socketPath: String
    public let configPath: String
    private let notifyFD: Int32
    /// Every sd_notify datagram received so far, in order.
    public private(set) var notifications: [String] = []

    /// Writes `config` (with `@DIR@` replaced by the directory) as `carillon.toml` and starts the daemon.
    public init(
        config: String, in directory: TemporaryDirectory, environment: [String: String] = [:],
        readyTimeout: Duration = .seconds(60)
    ) throws {
        self.directory = directory
        configPath = directory.file("carillon.toml")
        socketPath = directory.file("control.sock")
        try config.replacingOccurrences(of: "@DIR@", with: directory.path)
            .write(toFile: configPath, atomically: true, encoding: .utf8)
        // The default plans directory, beside the config: the daemon refuses to start without one.
        try FileManager.default.createDirectory(atPath: directory.file("plans"), withIntermediateDirectories: true)

        let notifyPath = directory.file("notify.sock")
        unlink(notifyPath)  // left by an earlier daemon in the same directory
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        notifyFD = fd
        guard UnixSocket.bind(fd, to: notifyPath) == 0 else { throw HarnessError("cannot bind \(notifyPath): \(errno)") }

        process = Process()
        process.executableURL = URL(fileURLWithPath: Binaries.daemon)
        process.arguments = ["--config", configPath]
        process.currentDirectoryURL = URL(fileURLWithPath: directory.path)
        var env = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        env["NOTIFY_SOCKET"] = notifyPath
        process.environment = env
        _ = FileManager.default.createFile(atPath: directory.file("daemon.log"), contents: nil)
        let log = FileHandle(forWritingAtPath: directory.file("daemon.log"))
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        do {
            try waitForNotification(timeout: readyTimeout) { $0.contains("READY=1") }
        } catch {
            stop()
            throw HarnessError("\(error)\n--- daemon log ---\n\(log_)")
        }
    }

    /// The daemon's stderr so far.
    public var log_: String { (try? String(contentsOfFile: directory.file("daemon.log"), encoding: .utf8)) ?? "" }

    /// Waits for an sd_notify datagram that satisfies `match`, or for the daemon to exit (an error).
    public func waitForNotification(timeout: Duration, _ match: (String) -> Bool) throws {
        let deadline = ContinuousClock.now + timeout
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { throw HarnessError("no matching sd_notify message within \(timeout): \(notifications)") }
            var poller = pollfd(fd: notifyFD, events: Int16(POLLIN), revents: 0)
            // Wake at least every 100 ms to notice a daemon that died without a word.
            if poll(&poller, 1, 100) > 0 {
                let n = recv(notifyFD, &buffer, buffer.count, 0)
                if n > 0 {
                    let message = String(decoding: buffer[0..<n], as: UTF8.self)
                    notifications.append(message)
                    if match(message) { return }
                }
            } else if !process.isRunning {
                throw HarnessError("carillond exited with status \(process.terminationStatus) before it was ready")
            }
        }
    }

    /// Runs the real `carillon` client against this daemon.
    public func client(_ arguments: [String], input: String? = nil) throws -> CommandResult {
        try run(Binaries.client, ["--socket", socketPath] + arguments, input: input)
    }

    /// Sends SIGTERM and waits for the exit; returns the exit status.
    @discardableResult
    public func stop() -> Int32 {
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
        }
        close(notifyFD)
        return process.terminationStatus
    }
}
