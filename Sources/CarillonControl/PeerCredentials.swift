import Foundation
import NIOCore

/// The uid and groups of the process at the other end of a UNIX socket, from SO_PEERCRED.
struct PeerCredentials: Sendable {
    var uid: UInt32
    var gid: UInt32
    var userName: String?
    /// The primary gid and every supplementary group of the user.
    var groups: Set<UInt32>

    /// Reads the credentials of `channel`'s peer; nil if the socket cannot say.
    static func of(_ channel: any Channel) async -> PeerCredentials? {
        guard let provider = channel as? any SocketOptionProvider else { return nil }
        guard
            let credentials: UCred = try? await provider.unsafeGetSocketOption(
                level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED)
            ).get()
        else { return nil }
        let (name, groups) = Self.account(uid: credentials.uid, gid: credentials.gid)
        return PeerCredentials(uid: credentials.uid, gid: credentials.gid, userName: name, groups: groups)
    }

    /// The user's name and groups from the passwd and group databases. A uid with no account
    /// (a container's, say) has just its primary gid.
    static func account(uid: UInt32, gid: UInt32) -> (String?, Set<UInt32>) {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, result != nil, let namePointer = entry.pw_name else {
            return (nil, [gid])
        }
        let name = String(cString: namePointer)
        var count: Int32 = 64
        var groups = [gid_t](repeating: 0, count: Int(count))
        if getgrouplist(namePointer, gid, &groups, &count) < 0 {
            groups = [gid_t](repeating: 0, count: Int(count))
            _ = getgrouplist(namePointer, gid, &groups, &count)
        }
        return (name, Set(groups.prefix(Int(max(count, 0)))).union([gid]))
    }
}

/// `struct ucred` of <sys/socket.h>, which Glibc hides behind _GNU_SOURCE: same layout.
private struct UCred: Sendable {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}
