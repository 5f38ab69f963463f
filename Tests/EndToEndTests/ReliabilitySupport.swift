import CarillonTesting
import Foundation
import Glibc

/// Shared by the crash, fault, load and soak tests: a seeded generator, a blocking line client,
/// the daemon's resources from /proc, and read-only looks into its SQLite file.
enum Reliability {
    /// `CARILLON_LONG=1` (set by `make crash-test`, `make load-test`) selects the long forms.
    static var long: Bool { ProcessInfo.processInfo.environment["CARILLON_LONG"] == "1" }

    /// The seed of a randomized test: `CARILLON_SEED` to replay a run, else `fallback`. Printed, so a failure names it.
    static func seed(_ test: String, fallback: UInt64) -> UInt64 {
        let seed = ProcessInfo.processInfo.environment["CARILLON_SEED"].flatMap { UInt64($0) } ?? fallback
        print("\(test): seed \(seed) (replay with CARILLON_SEED=\(seed))")
        return seed
    }

    /// VmRSS in KiB and the number of open descriptors of a process.
    static func resources(of pid: Int32) -> (rssKiB: Int, fds: Int) {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let rss = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
            .flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") } ?? 0
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? 0
        return (rss, fds)
    }

    /// Runs SQL on the daemon's database, opened read-only with the sqlite3 CLI (Debian's `sqlite3`).
    static func sqlite(_ database: String, _ sql: String) throws -> String {
        let result = try run("/usr/bin/sqlite3", ["-readonly", "-batch", database, sql])
        guard result.status == 0 else { throw HarnessError("sqlite3 \(sql): \(result.stderr)") }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Kills the daemon with SIGKILL and reaps it; closes the harness's notify socket.
    static func crash(_ daemon: DaemonProcess) {
        kill(daemon.process.processIdentifier, SIGKILL)
        daemon.process.waitUntilExit()
        daemon.stop()
    }

    /// Starts the daemon again in the same directory, with the same config: recovery is a start.
    static func restart(_ daemon: DaemonProcess) throws -> DaemonProcess {
        let config = try String(contentsOfFile: daemon.configPath, encoding: .utf8)
        return try DaemonProcess(config: config, in: daemon.directory)
    }

    /// The JSON objects a `--json` command printed, one per line.
    static func jsonLines(_ text: String) -> [[String: Any]] {
        text.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
    }
}

/// A blocking client of the line protocol: one request, one response line. The test's own, so
/// that hundreds of them cost threads, not processes, and a failure is the daemon's, not a client's.
final class LineClient: @unchecked Sendable {
    let fd: Int32
    private var buffer: [UInt8] = []
    private var nextID = 1

    init(unix path: String) throws { fd = try UnixSocket.connect(path) }

    deinit { close(fd) }

    /// Sends raw bytes; false when the peer is gone.
    @discardableResult
    func send(_ text: String) -> Bool {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            bytes = bytes.dropFirst(n)
        }
        return true
    }

    /// The next line, or nil when the peer closed or `timeout` passed without one.
    func readLine(timeout: Duration = .seconds(60)) -> String? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return nil }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, Int32(min(left / .milliseconds(1), 1000))) > 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = recv(fd, &chunk, chunk.count, 0)
            if n <= 0 { return nil }
            buffer += chunk[..<n]
        }
    }

    /// One request; the decoded response object, or nil when no answer came.
    func call(_ command: String, _ args: [String: Any] = [:], timeout: Duration = .seconds(60)) -> [String: Any]? {
        let id = nextID
        nextID += 1
        var request: [String: Any] = ["id": id, "cmd": command]
        if !args.isEmpty { request["args"] = args }
        guard let data = try? JSONSerialization.data(withJSONObject: request), send(String(decoding: data, as: UTF8.self) + "\n")
        else { return nil }
        while let line = readLine(timeout: timeout) {
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else { continue }
            // Events on a subscribed connection have no id; only the answer to this request counts.
            if (object["id"] as? Int) == id { return object }
        }
        return nil
    }
}

extension [String: Any] {
    var ok: Bool { self["ok"] as? Bool == true }
    var result: [String: Any]? { self["result"] as? [String: Any] }
    var errorCode: String? { (self["error"] as? [String: Any])?["code"] as? String }
}

/// A value shared between a test's threads.
final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
    var get: Value { withLock { $0 } }
}

/// Runs `body` on a thread of its own (not the test's cooperative pool, which blocking I/O would starve).
func spawn(_ body: @escaping @Sendable () -> Void) -> DispatchGroup {
    let group = DispatchGroup()
    group.enter()
    let thread = Thread {
        body()
        group.leave()
    }
    thread.stackSize = 1 << 20
    thread.start()
    return group
}
