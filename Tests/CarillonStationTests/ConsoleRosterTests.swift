import CarillonProtocol
@testable import CarillonStation
import CarillonStore
import Foundation
import Synchronization
import Testing

/// Pairing links, sessions and roll-calls on an in-memory database, on a clock the test moves.
@Suite("Console roster")
struct ConsoleRosterTests {
    final class TestClock: Sendable {
        private let time = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        var now: Date { time.withLock { $0 } }
        func advance(_ seconds: Double) { time.withLock { $0 = $0.addingTimeInterval(seconds) } }
    }

    let clock = TestClock()
    let roster: ConsoleRoster
    let hub = EventHub()

    init() throws {
        let clock = clock
        roster = ConsoleRoster(store: try Store.inMemory(), events: hub, now: { clock.now })
        roster.configure(.init(publicURL: "https://carillon.test:8443", sessionIdle: .seconds(3600), sessionLifetime: .seconds(86400)))
    }

    func pair(_ name: String, role: Role = .teacher, groups: [String]? = nil) async throws -> String {
        let pairing = try await roster.pair(
            WebPairArgs(name: name, role: role, groups: groups), zones: ["main", "yard"], groupIsValid: Station.isGroupName)
        #expect(pairing.link.hasPrefix("https://carillon.test:8443/pair/"))
        return String(pairing.link.split(separator: "/").last!)
    }

    static func hash(_ text: String) -> String { ConsoleRoster.hash(text) }

    @Test("a link pairs once; used again or after ten minutes it is refused")
    func linkOnceAndExpiry() async throws {
        let secret = try await pair("初一3班班主任")
        let session = Self.hash("session-1")
        let info = try await roster.redeem(WebRedeemArgs(pairingHash: Self.hash(secret), sessionHash: session))
        #expect(info.identity == Identity(name: "初一3班班主任", role: .teacher))
        await #expect(throws: WireError.self) {
            try await roster.redeem(WebRedeemArgs(pairingHash: Self.hash(secret), sessionHash: Self.hash("session-2")))
        }
        let late = try await pair("保安")
        clock.advance(601)
        do {
            _ = try await roster.redeem(WebRedeemArgs(pairingHash: Self.hash(late), sessionHash: Self.hash("session-3")))
            Issue.record("an expired link paired")
        } catch {
            #expect(error.message.contains("expired"))
        }
        #expect(try await roster.devices().devices.map(\.name) == ["初一3班班主任"])
    }

    @Test("a session ends after its idle time, and after its lifetime however active")
    func sessionExpiry() async throws {
        let session = Self.hash("session-1")
        _ = try await roster.redeem(WebRedeemArgs(pairingHash: Self.hash(try await pair("a")), sessionHash: session))
        clock.advance(3000)
        _ = try await roster.session(WebSessionArgs(sessionHash: session))
        clock.advance(3000)
        _ = try await roster.session(WebSessionArgs(sessionHash: session))  // active: the idle clock restarted
        clock.advance(3601)
        await #expect(throws: WireError.self) { try await roster.session(WebSessionArgs(sessionHash: session)) }

        let busy = Self.hash("session-2")
        _ = try await roster.redeem(WebRedeemArgs(pairingHash: Self.hash(try await pair("b")), sessionHash: busy))
        for _ in 0..<24 {
            clock.advance(3590)
            _ = try await roster.session(WebSessionArgs(sessionHash: busy))  // 86,160 s: still in its day
        }
        clock.advance(300)
        await #expect(throws: WireError.self) { try await roster.session(WebSessionArgs(sessionHash: busy)) }
    }

    @Test("bad names, zones and groups are refused and nothing is kept")
    func badPairings() async throws {
        for args in [
            WebPairArgs(name: "", role: .teacher), WebPairArgs(name: String(repeating: "x", count: 65), role: .teacher),
            WebPairArgs(name: "a,b", role: .teacher), WebPairArgs(name: "x", role: .bureau),
            WebPairArgs(name: "x", role: .teacher, zones: ["roof"]), WebPairArgs(name: "x", role: .teacher, zones: []),
            WebPairArgs(name: "x", role: .teacher, groups: ["Class Teachers"]), WebPairArgs(name: "x", role: .teacher, groups: ["leader"]),
        ] {
            await #expect(throws: WireError.self, "\(args)") {
                try await roster.pair(args, zones: ["main"], groupIsValid: Station.isGroupName)
            }
        }
        await #expect(throws: WireError.self) { try await roster.redeem(WebRedeemArgs(pairingHash: "zz", sessionHash: "00")) }
    }

    @Test("a plan's tasks reach people by role and group; each acknowledges once, and revocation keeps the run's record")
    func rollCall() async throws {
        for (name, role, groups) in [("王校长", Role.leader, nil), ("李老师", .teacher, ["class-teachers"]), ("门卫", .viewer, ["security"])] {
            let secret = try await pair(name, role: role, groups: groups)
            _ = try await roster.redeem(WebRedeemArgs(pairingHash: Self.hash(secret), sessionHash: Self.hash(name)))
        }
        let tasks = [PlanTask(audience: "leader", task: "指挥"), PlanTask(audience: "class-teachers", task: "带队")]
        let entries = await roster.begin(run: 7, tasks: tasks)
        #expect(entries.map(\.person) == ["李老师", "王校长"])
        #expect(entries.first { $0.person == "李老师" }?.tasks == ["带队"])
        let acked = try await roster.acknowledge(run: 7, person: "李老师")
        clock.advance(5)
        let again = try await roster.acknowledge(run: 7, person: "李老师")
        #expect(again.acknowledgedAt == acked.acknowledgedAt, "the first acknowledgment's time stays")
        await #expect(throws: WireError.self) { try await roster.acknowledge(run: 7, person: "门卫") }
        _ = try await roster.revoke(WebRevokeArgs(name: "李老师"))
        let kept = try #require(roster.rollCall(run: 7))
        #expect(kept.first { $0.person == "李老师" }?.acknowledgedAt == acked.acknowledgedAt)
        #expect(kept.first { $0.person == "王校长" }?.acknowledgedAt == nil)
    }
}
