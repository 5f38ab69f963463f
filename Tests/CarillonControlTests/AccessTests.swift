import CarillonControl
import CarillonProtocol
import Foundation
import Synchronization
import Testing

@Suite("Roles, zones, tokens and login limits")
struct AccessTests {
    @Test("roles permit what DESIGN.md says: viewer < teacher < leader < admin; bureau beside viewer")
    func rolePermits() {
        let expected: [Role: Set<Role>] = [
            .viewer: [.viewer],
            .teacher: [.viewer, .teacher],
            .leader: [.viewer, .teacher, .leader],
            .admin: Set(Role.allCases),
            .bureau: [.viewer, .bureau],
        ]
        for role in Role.allCases {
            #expect(Set(Role.allCases.filter(role.permits)) == expected[role], "\(role)")
        }
    }

    /// A table with one command per required role, each of which echoes its zones.
    private func table(audit: @escaping Auditor = { _, _, _, _ in }) -> Dispatcher {
        Dispatcher(
            [
                .command(.hello, role: nil, arguments: Empty.self) { _, _ in Empty() },
                .command(.status, role: .viewer, arguments: Empty.self) { _, _ in Empty() },
                .command(.play, role: .teacher, audited: true, arguments: PlayArgs.self) { args, _ in
                    StopResult(stopped: [Int64(args.zones?.count ?? -1)])
                },
                .command(.say, role: .teacher, arguments: SayArgs.self) { args, _ in LibraryShowArgs(clip: (args.zones ?? []).joined(separator: ",")) },
                .command(.stop, role: .leader, arguments: StopArgs.self) { _, _ in StopResult(stopped: []) },
                .command(.scheduleApply, role: .admin, audited: true, arguments: Empty.self) { _, _ in Empty() },
                .command(.logAudit, role: .bureau, arguments: Empty.self) { _, _ in Empty() },
            ], audit: audit)
    }

    private func ask(_ dispatcher: Dispatcher, _ line: String, as identity: Identity?) async throws -> ResponseHead {
        let reply = await dispatcher.respond(to: Data(line.utf8), from: Peer(address: "192.0.2.1:4000", identity: identity))
        return try Wire.decoder().decode(ResponseHead.self, from: reply)
    }

    @Test("every role against every required role: allowed, or `permission-denied` before the handler")
    func matrix() async throws {
        let dispatcher = table()
        let commands: [(String, Role?)] = [
            ("hello", nil), ("status", .viewer), ("play", .teacher), ("stop", .leader), ("schedule.apply", .admin),
            ("log.audit", .bureau),
        ]
        for role in Role.allCases {
            for (command, required) in commands {
                let args = command == "play" ? #"{"clip":"x"}"# : "{}"
                let head = try await ask(dispatcher, #"{"id":1,"cmd":"\#(command)","args":\#(args)}"#, as: Identity(name: "u", role: role))
                let allowed = required.map(role.permits) ?? true
                #expect(head.ok == allowed, "\(role) → \(command)")
                if !allowed { #expect(head.error?.code == .permissionDenied, "\(role) → \(command)") }
            }
        }
    }

    @Test("before `auth`, only hello is answered; unknown commands do not reveal themselves")
    func unauthenticated() async throws {
        let dispatcher = table()
        #expect(try await ask(dispatcher, #"{"id":1,"cmd":"hello"}"#, as: nil).ok)
        #expect(try await ask(dispatcher, #"{"id":1,"cmd":"status"}"#, as: nil).error?.code == .unauthenticated)
        #expect(try await ask(dispatcher, #"{"id":1,"cmd":"no.such"}"#, as: nil).error?.code == .unauthenticated)
        let known = Identity(name: "u", role: .viewer)
        #expect(try await ask(dispatcher, #"{"id":1,"cmd":"no.such"}"#, as: known).error?.code == .unknownCommand)
    }

    @Test("a zone-limited teacher: absent zones become theirs, another zone is refused")
    func zoneLimits() async throws {
        let dispatcher = table()
        let teacher = Identity(name: "t", role: .teacher, zones: ["lab", "yard"])
        let reply = await dispatcher.respond(
            to: Data(#"{"id":1,"cmd":"say","args":{"text":"hi"}}"#.utf8), from: Peer(address: "unix", identity: teacher))
        #expect(try Wire.decoder().decode(Response<LibraryShowArgs>.self, from: reply).result?.clip == "lab,yard")
        let all = try await ask(dispatcher, #"{"id":1,"cmd":"say","args":{"text":"hi","zones":["all"]}}"#, as: teacher)
        #expect(all.ok)
        let outside = try await ask(dispatcher, #"{"id":1,"cmd":"say","args":{"text":"hi","zones":["lab","hall"]}}"#, as: teacher)
        #expect(outside.error?.code == .permissionDenied)
        #expect(outside.error?.message.contains("hall") == true)
        let free = Identity(name: "f", role: .teacher)
        #expect(try await ask(dispatcher, #"{"id":1,"cmd":"say","args":{"text":"hi","zones":["hall"]}}"#, as: free).ok)
    }

    @Test("audited commands are recorded, refusals included; others are not")
    func auditing() async throws {
        let entries = Mutex<[(String, String, Bool)]>([])
        let dispatcher = table { peer, command, _, result in
            entries.withLock { $0.append((peer.name, command, (try? result.get()) != nil)) }
        }
        _ = try await ask(dispatcher, #"{"id":1,"cmd":"status"}"#, as: Identity(name: "v", role: .viewer))
        _ = try await ask(dispatcher, #"{"id":1,"cmd":"schedule.apply"}"#, as: Identity(name: "v", role: .viewer))
        _ = try await ask(dispatcher, #"{"id":1,"cmd":"play","args":{"clip":"a"}}"#, as: Identity(name: "t", role: .teacher))
        let seen = entries.withLock { $0 }
        #expect(seen.map(\.1) == ["schedule.apply", "play"])
        #expect(seen.map(\.2) == [false, true])
        #expect(seen.map(\.0) == ["v", "t"])
    }

    @Test("UNIX peers: root and the service account are admin; the highest matching rule wins; others get the default")
    func unixRules() {
        let policy = AccessPolicy(
            unixRules: [
                .init(uids: [1001], gids: [], role: .teacher, zones: ["lab"]),
                .init(uids: [], gids: [500], role: .leader, zones: nil),
                .init(uids: [1002], gids: [], role: .teacher, zones: ["yard"]),
                .init(uids: [1002], gids: [], role: .teacher, zones: ["lab"]),
            ],
            defaultRole: .viewer, serviceUID: 999)
        #expect(policy.identify(uid: 0, gids: [0], userName: "root")?.role == .admin)
        #expect(policy.identify(uid: 999, gids: [999], userName: "carillon")?.role == .admin)
        #expect(policy.identify(uid: 1001, gids: [1001], userName: "ann") == Identity(name: "uid 1001 (ann)", role: .teacher, zones: ["lab"]))
        #expect(policy.identify(uid: 1001, gids: [1001, 500], userName: "ann")?.role == .leader)
        #expect(policy.identify(uid: 1001, gids: [1001, 500], userName: "ann")?.zones == nil)
        #expect(policy.identify(uid: 1002, gids: [], userName: nil)?.zones == ["lab", "yard"])
        #expect(policy.identify(uid: 4242, gids: [4242], userName: nil) == Identity(name: "uid 4242", role: .viewer))
        var closed = policy
        closed.defaultRole = nil
        #expect(closed.identify(uid: 4242, gids: [4242], userName: nil) == nil)
    }

    @Test("tokens are matched by their SHA-256; a near miss or an empty token is not")
    func tokens() {
        let token = "crl_secret-token"
        let hash = AccessPolicy.hash(token: token)
        #expect(hash.count == 64)
        let policy = AccessPolicy(tokens: [
            .init(name: "phone", sha256: ClientTLS.parsePin(hash)!, role: .leader, zones: ["yard"])
        ])
        #expect(policy.authenticate(token: token) == Identity(name: "phone", role: .leader, zones: ["yard"]))
        #expect(policy.authenticate(token: token + "x") == nil)
        #expect(policy.authenticate(token: String(token.dropLast())) == nil)
        #expect(policy.authenticate(token: "") == nil)
    }

    @Test("failed logins: the sixth within the window waits until the first leaves it; success clears")
    func loginLimiter() {
        let now = Mutex(ContinuousClock.now)
        let limiter = LoginLimiter(maxFailures: 5, window: .seconds(60)) { now.withLock { $0 } }
        func advance(_ d: Duration) { now.withLock { $0 += d } }
        for _ in 0..<5 {
            #expect(limiter.wait(for: "192.0.2.1") == nil)
            limiter.failed("192.0.2.1")
            advance(.seconds(1))
        }
        #expect(limiter.wait(for: "192.0.2.1") == .seconds(55))
        #expect(limiter.wait(for: "192.0.2.2") == nil, "another address is not affected")
        advance(.seconds(55))
        #expect(limiter.wait(for: "192.0.2.1") == nil, "the first failure has left the window")
        limiter.failed("192.0.2.1")
        #expect(limiter.wait(for: "192.0.2.1") != nil)
        limiter.succeeded("192.0.2.1")
        #expect(limiter.wait(for: "192.0.2.1") == nil)
    }

    @Test("the remembered addresses are bounded")
    func limiterBounded() {
        let limiter = LoginLimiter(maxFailures: 1, window: .seconds(60), maxAddresses: 3)
        for i in 0..<10 { limiter.failed("10.0.0.\(i)") }
        let blocked = (0..<10).filter { limiter.wait(for: "10.0.0.\($0)") != nil }
        #expect(blocked.count == 3)
        #expect(blocked.contains(9))
    }

    @Test("TCP addresses and pins parse as operators write them")
    func parsing() {
        #expect(ControlAddress.parseTCP("192.0.2.1:7443") == .tcp(host: "192.0.2.1", port: 7443))
        #expect(ControlAddress.parseTCP("[::1]:7443") == .tcp(host: "::1", port: 7443))
        #expect(ControlAddress.parseTCP(":7443") == .tcp(host: "0.0.0.0", port: 7443))
        #expect(ControlAddress.parseTCP("host") == nil)
        #expect(ControlAddress.parseTCP("host:0") == nil)
        #expect(ControlAddress.parseTCP("::1:7443") == nil)
        let hex = String(repeating: "ab", count: 32)
        let colons = stride(from: 0, to: 64, by: 2).map { _ in "AB" }.joined(separator: ":")
        #expect(ClientTLS.parsePin(hex) == [UInt8](repeating: 0xab, count: 32))
        #expect(ClientTLS.parsePin("SHA256 Fingerprint=" + colons) == [UInt8](repeating: 0xab, count: 32))
        #expect(ClientTLS.parsePin("abc") == nil)
    }
}
