import CarillonStation
import CarillonTesting
import Foundation
import Glibc
import Testing

@Suite("sd_notify")
struct SystemdNotifierTests {
    @Test("no NOTIFY_SOCKET, no notifier")
    func absent() {
        #expect(SystemdNotifier.fromEnvironment([:]) == nil)
        #expect(SystemdNotifier.fromEnvironment(["NOTIFY_SOCKET": ""]) == nil)
    }

    @Test("the watchdog is petted at half of WATCHDOG_USEC, and only for our own pid")
    func watchdogInterval() {
        let ours = SystemdNotifier.fromEnvironment(["NOTIFY_SOCKET": "@x", "WATCHDOG_USEC": "10000000"])
        #expect(ours?.watchdogInterval == .seconds(5))
        let other = SystemdNotifier.fromEnvironment([
            "NOTIFY_SOCKET": "@x", "WATCHDOG_USEC": "10000000", "WATCHDOG_PID": "\(getpid() + 1)",
        ])
        #expect(other?.watchdogInterval == nil)
        #expect(SystemdNotifier.fromEnvironment(["NOTIFY_SOCKET": "@x"])?.watchdogInterval == nil)
    }

    @Test("a state is one datagram on the socket")
    func sends() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("notify.sock")
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        try #require(UnixSocket.bind(fd, to: path) == 0)
        let notifier = try #require(SystemdNotifier.fromEnvironment(["NOTIFY_SOCKET": path]))
        notifier.notify("READY=1")
        notifier.notify("STOPPING=1")
        var buffer = [UInt8](repeating: 0, count: 256)
        let first = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        #expect(String(decoding: buffer[0..<max(first, 0)], as: UTF8.self) == "READY=1")
        let second = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        #expect(String(decoding: buffer[0..<max(second, 0)], as: UTF8.self) == "STOPPING=1")
    }
}
