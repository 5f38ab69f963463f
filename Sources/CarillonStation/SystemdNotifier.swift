public import Foundation
import Glibc

/// Speaks the sd_notify protocol: one datagram per state change, to `$NOTIFY_SOCKET`.
///
/// No libsystemd needed. Sends never block; a lost datagram is not worth stalling for.
public struct SystemdNotifier: Sendable {
    private let fd: Int32
    private let path: [UInt8]
    /// How often to send `WATCHDOG=1`: half of `$WATCHDOG_USEC`, when the watchdog is on for us.
    public let watchdogInterval: Duration?

    /// The notifier for this process, or nil when not started by a service manager.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> SystemdNotifier? {
        guard let socket = environment["NOTIFY_SOCKET"], !socket.isEmpty else { return nil }
        var path = Array(socket.utf8)
        // A leading `@` names an abstract socket.
        if path.first == UInt8(ascii: "@") { path[0] = 0 }
        guard path.count < MemoryLayout.size(ofValue: sockaddr_un().sun_path) else { return nil }
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        var interval: Duration?
        if let usec = environment["WATCHDOG_USEC"].flatMap(Int64.init), usec > 0,
            environment["WATCHDOG_PID"].flatMap(Int32.init).map({ $0 == getpid() }) ?? true
        {
            interval = .microseconds(usec / 2)
        }
        return SystemdNotifier(fd: fd, path: path, watchdogInterval: interval)
    }

    /// Sends one state string, e.g. `READY=1`.
    public func notify(_ state: String) {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path)
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + path.count)
        let bytes = Array(state.utf8)
        _ = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                sendto(fd, bytes, bytes.count, Int32(MSG_DONTWAIT) | Int32(MSG_NOSIGNAL), sa, length)
            }
        }
    }
}
