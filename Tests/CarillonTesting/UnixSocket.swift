import Glibc

/// UNIX socket addresses for the test clients, the notify socket and the bench: one place that
/// fills a `sockaddr_un`.
public enum UnixSocket {
    /// A blocking stream socket connected to `path` (close-on-exec).
    /// - Throws: `HarnessError` naming the path and the reason.
    public static func connect(_ path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("cannot make a socket: \(String(cString: strerror(errno)))") }
        guard withAddress(path, { Glibc.connect(fd, $0, $1) }) == 0 else {
            let error = errno
            close(fd)
            throw HarnessError("cannot connect to \(path): \(String(cString: strerror(error)))")
        }
        return fd
    }

    /// Binds `fd` to `path`; 0, or -1 with `errno` set, as `bind(2)`.
    public static func bind(_ fd: Int32, to path: String) -> Int32 {
        withAddress(path) { Glibc.bind(fd, $0, $1) }
    }

    private static func withAddress(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8) + [0]) }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }
}
