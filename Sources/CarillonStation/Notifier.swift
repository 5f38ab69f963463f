import CLinux
import CarillonProtocol
import Foundation
import Glibc
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
    ///
    /// Spawned with `posix_spawn` and reaped by a blocking `waitpid` off the pool, not through
    /// Foundation's `Process`: on Linux each `Process` left the thread that ran it a run loop (an
    /// epoll, an eventfd and a timerfd) and a socket pair, and drove libdispatch to more threads.
    /// Over a soak with a drill every two minutes the daemon's descriptors wandered between 37 and
    /// 54 and its threads between 13 and 22; without the notifier they stayed at 29 and 15.
    static func run(_ command: [String], input: Data, timeout: Duration) async -> String? {
        guard let child = ChildProcess.spawn(command) else {
            return "cannot start \(command[0]): \(String(cString: strerror(errno)))"
        }
        // A notifier that does not read its input must not block us: write from its own thread.
        let stdin = child.stdin
        DispatchQueue.global(qos: .utility).async {
            input.withUnsafeBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let n = Glibc.write(stdin, bytes.baseAddress! + offset, bytes.count - offset)
                    if n <= 0 { break }
                    offset += n
                }
            }
            close(stdin)
        }
        let killer = Task {
            try await Task.sleep(for: timeout)
            kill(child.pid, SIGTERM)
            try await Task.sleep(for: .seconds(2))
            kill(child.pid, SIGKILL)
        }
        let started = ContinuousClock.now
        let status = await offPool { child.wait() }
        killer.cancel()
        if status.exited { return status.code == 0 ? nil : "exit status \(status.code)" }
        return ContinuousClock.now - started >= timeout ? "timed out after \(timeout)" : "killed by signal \(status.code)"
    }
}

/// A child process started with `posix_spawn`: its stdin a pipe, its stdout and stderr /dev/null,
/// no descriptor of ours, default signal dispositions and an empty signal mask.
struct ChildProcess: Sendable {
    let pid: pid_t
    /// The write end of the child's stdin.
    let stdin: Int32

    /// Starts `command` (an absolute program, then its arguments); nil with `errno` set on failure.
    static func spawn(_ command: [String]) -> ChildProcess? {
        var pipe: [Int32] = [-1, -1]
        guard carillon_pipe_cloexec(&pipe) == 0 else { return nil }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipe[0], 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        carillon_spawn_closefrom(&actions, 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = command.map { strdup($0) } + [nil]
        defer { for arg in argv { free(arg) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, command[0], &actions, &attributes, argv, Glibc.environ)
        close(pipe[0])
        guard result == 0 else {
            close(pipe[1])
            errno = result
            return nil
        }
        return ChildProcess(pid: pid, stdin: pipe[1])
    }

    /// Blocks until the child ends; whether it exited (rather than died of a signal), and its code.
    func wait() -> (exited: Bool, code: Int32) {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // WIFEXITED and WEXITSTATUS, which Swift does not import.
        let exited = status & 0x7f == 0
        return (exited, exited ? (status >> 8) & 0xff : status & 0x7f)
    }
}
