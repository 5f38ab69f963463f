public import Foundation

extension Thread {
    /// Starts `body` on a new thread named `name` as `ps -L`, `top -H` and gdb show it, cut to the
    /// kernel's 15 bytes on a character boundary (a longer one would be refused whole). The thread
    /// names itself through /proc: Foundation on Linux drops a name given before `start`, and one
    /// set from inside races with `start` recording the thread (it was lost 1 time in 6).
    public static func start(named name: String, _ body: @escaping @Sendable () -> Void) {
        var short = ""
        for character in name {
            guard short.utf8.count + String(character).utf8.count <= 15 else { break }
            short.append(character)
        }
        let thread = Thread { [short] in
            let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
            if fd >= 0 {
                _ = short.withCString { write(fd, $0, strlen($0)) }
                close(fd)
            }
            body()
        }
        thread.start()
    }
}
