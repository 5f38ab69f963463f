import CarillonCore
import Testing

/// A point on a test clock: seconds from zero.
struct T: InstantProtocol, Hashable {
    var offset: Duration
    init(_ seconds: Double) { offset = .milliseconds(Int64(seconds * 1000)) }
    init(offset: Duration) { self.offset = offset }
    func advanced(by duration: Duration) -> T { T(offset: offset + duration) }
    func duration(to other: T) -> Duration { other.offset - offset }
    static func < (a: T, b: T) -> Bool { a.offset < b.offset }
}

@Suite("The Arbiter")
struct ArbiterTests {
    let zone: ZoneName = "teaching"

    func request(_ id: PlayID, _ level: Level, _ zones: [ZoneName] = ["teaching"], grace: Double = 60) -> PlayRequest<T> {
        PlayRequest(id: id, level: level, zones: zones, grace: .milliseconds(Int64(grace * 1000)))
    }

    /// What the standard policy does when `second` arrives while `first` sounds in the same zone.
    static let pairs: [(Level, Level)] = Level.allCases.flatMap { a in Level.allCases.map { b in (a, b) } }

    @Test("every pair of levels, in both orders", arguments: pairs)
    func pair(first: Level, second: Level) {
        var arbiter = Arbiter<T>()
        #expect(arbiter.request(request(1, first), now: T(0)) == [.start(1, zone: zone, gainDB: 0)])
        let actions = arbiter.request(request(2, second), now: T(1))
        let expected: [ArbiterAction]
        if second > first {
            // A higher level cuts, or ducks background.
            expected =
                first == .background
                ? [.duck(1, zone: zone, gainDB: -12), .start(2, zone: zone, gainDB: 0)]
                : [.cut(1, zone: zone, by: 2), .start(2, zone: zone, gainDB: 0)]
        } else if second < first {
            // A lower level waits, except background, which plays ducked underneath.
            expected = second == .background ? [.start(2, zone: zone, gainDB: -12)] : [.queue(2, zone: zone)]
        } else {
            switch first {
            case .background, .emergency: expected = [.cut(1, zone: zone, by: 2), .start(2, zone: zone, gainDB: 0)]
            case .shout: expected = [.refuse(2, zone: zone, by: 1)]
            case .announcement, .bell: expected = [.queue(2, zone: zone)]
            }
        }
        #expect(actions == expected, "\(second) over \(first)")

        // When the first ends, whatever waited starts and whatever was ducked is restored.
        let after = arbiter.ended(1, zone: zone, now: T(2))
        if expected.contains(.queue(2, zone: zone)) {
            #expect(after == [.start(2, zone: zone, gainDB: 0)])
        } else if second < first && second == .background {
            #expect(after == [.restore(2, zone: zone)])
        } else {
            #expect(after == [])
        }
    }

    @Test("a ducked background is restored when the announcement over it ends")
    func duckAndRestore() {
        var arbiter = Arbiter<T>()
        _ = arbiter.request(request(1, .background), now: T(0))
        #expect(arbiter.request(request(2, .announcement), now: T(1)) == [
            .duck(1, zone: zone, gainDB: -12), .start(2, zone: zone, gainDB: 0),
        ])
        // A bell over the announcement cuts it; the background stays ducked, and is not ducked twice.
        #expect(arbiter.request(request(3, .bell), now: T(2)) == [.cut(2, zone: zone, by: 3), .start(3, zone: zone, gainDB: 0)])
        #expect(arbiter.ended(2, zone: zone, now: T(2.1)) == [], "a cut play's late end changes nothing")
        #expect(arbiter.ended(3, zone: zone, now: T(5)) == [.restore(1, zone: zone)])
        #expect(arbiter.sounding(in: zone) == [1])
    }

    @Test("a play over zones that overlap only partly starts where it can and waits where it must")
    func partialOverlap() {
        var arbiter = Arbiter<T>()
        _ = arbiter.request(request(1, .shout, ["playground"]), now: T(0))
        let actions = arbiter.request(request(2, .bell, ["teaching", "playground", "dormitory"]), now: T(1))
        #expect(actions == [
            .start(2, zone: "teaching", gainDB: 0), .queue(2, zone: "playground"), .start(2, zone: "dormitory", gainDB: 0),
        ])
        // The shout ends within the bell's grace: the bell starts in the playground too.
        #expect(arbiter.ended(1, zone: "playground", now: T(20)) == [.start(2, zone: "playground", gainDB: 0)])
        // An emergency over two of the three zones cuts the bell there only.
        #expect(arbiter.request(request(3, .emergency, ["teaching", "playground"]), now: T(21)) == [
            .cut(2, zone: "teaching", by: 3), .start(3, zone: "teaching", gainDB: 0),
            .cut(2, zone: "playground", by: 3), .start(3, zone: "playground", gainDB: 0),
        ])
        #expect(arbiter.sounding(in: "dormitory") == [2])
    }

    @Test("a queued play whose grace expires is missed, by tick or when the zone frees")
    func graceExpires() {
        var arbiter = Arbiter<T>()
        _ = arbiter.request(request(1, .bell), now: T(0))
        #expect(arbiter.request(request(2, .announcement, grace: 10), now: T(1)) == [.queue(2, zone: zone)])
        #expect(arbiter.request(request(3, .announcement, grace: 60), now: T(2)) == [.queue(3, zone: zone)])
        #expect(arbiter.nextDeadline == T(11))
        #expect(arbiter.tick(now: T(10)) == [])
        #expect(arbiter.tick(now: T(11.5)) == [.missed(2, zone: zone)])
        #expect(arbiter.nextDeadline == T(62))
        // The zone frees after the second one's grace too: it is missed, never played late.
        #expect(arbiter.ended(1, zone: zone, now: T(63)) == [.missed(3, zone: zone)])
        #expect(arbiter.queued(in: zone).isEmpty && arbiter.sounding(in: zone).isEmpty)
    }

    @Test("waiting plays start by level, then in arrival order")
    func queueOrder() {
        var arbiter = Arbiter<T>()
        _ = arbiter.request(request(1, .shout), now: T(0))
        _ = arbiter.request(request(2, .announcement), now: T(1))
        _ = arbiter.request(request(3, .bell), now: T(2))
        _ = arbiter.request(request(4, .bell), now: T(3))
        #expect(arbiter.queued(in: zone) == [2, 3, 4])
        #expect(arbiter.ended(1, zone: zone, now: T(4)) == [.start(3, zone: zone, gainDB: 0)])
        #expect(arbiter.ended(3, zone: zone, now: T(5)) == [.start(4, zone: zone, gainDB: 0)])
        #expect(arbiter.ended(4, zone: zone, now: T(6)) == [.start(2, zone: zone, gainDB: 0)])
    }

    @Test("among emergencies the newest wins, and a forgotten microphone never blocks one")
    func newestEmergency() {
        var arbiter = Arbiter<T>()
        _ = arbiter.request(request(1, .shout), now: T(0))
        #expect(arbiter.request(request(2, .emergency), now: T(1)) == [.cut(1, zone: zone, by: 2), .start(2, zone: zone, gainDB: 0)])
        #expect(arbiter.request(request(3, .emergency), now: T(2)) == [.cut(2, zone: zone, by: 3), .start(3, zone: zone, gainDB: 0)])
        #expect(arbiter.sounding(in: zone) == [3])
    }

    @Test("a withdrawn play leaves every queue")
    func withdraw() {
        var arbiter = Arbiter<T>()
        _ = arbiter.request(request(1, .bell, ["teaching", "dormitory"]), now: T(0))
        _ = arbiter.request(request(2, .announcement, ["teaching", "dormitory"]), now: T(1))
        #expect(arbiter.withdraw(2, now: T(2)) == [.withdraw(2, zone: "dormitory"), .withdraw(2, zone: "teaching")])
        #expect(arbiter.ended(1, zone: "teaching", now: T(3)) == [])
    }

    @Test("policies can be changed per level")
    func customPolicy() {
        var arbiter = Arbiter<T>(policies: [.announcement: LevelPolicy(yield: .duck(dB: -20), sameLevel: .queue)])
        _ = arbiter.request(request(1, .announcement), now: T(0))
        #expect(arbiter.request(request(2, .bell), now: T(1)) == [
            .duck(1, zone: zone, gainDB: -20), .start(2, zone: zone, gainDB: 0),
        ])
    }
}
