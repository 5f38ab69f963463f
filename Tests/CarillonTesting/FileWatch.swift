import Foundation
import Glibc

/// Waits for a condition on a file, woken by inotify: no polling sleeps, and a hard timeout.
public enum FileWatch {
    /// Returns once `condition()` holds; re-checks whenever the file or its directory changes.
    /// - Throws: `HarnessError` when `timeout` passes first.
    public static func wait(for path: String, timeout: Duration, until condition: () -> Bool) throws {
        if condition() { return }
        let fd = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        guard fd >= 0 else { throw HarnessError("inotify_init1 failed: \(errno)") }
        defer { close(fd) }
        let directory = (path as NSString).deletingLastPathComponent
        _ = inotify_add_watch(fd, directory, UInt32(IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_MODIFY))
        _ = inotify_add_watch(fd, path, UInt32(IN_MODIFY | IN_CLOSE_WRITE))
        let deadline = ContinuousClock.now + timeout
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !condition() {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { throw HarnessError("timed out after \(timeout) waiting on \(path)") }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ms = Int32(min(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000, 1000))
            _ = poll(&poller, 1, max(ms, 1))
            _ = read(fd, &buffer, buffer.count)
            // The file may have been created after the first watch failed.
            _ = inotify_add_watch(fd, path, UInt32(IN_MODIFY | IN_CLOSE_WRITE))
        }
    }
}
