import CarillonCore
import CarillonStore
import Foundation
import Testing

@Suite("Play-log queries")
struct PlayLogQueryTests {
    static let t0 = Date(timeIntervalSince1970: 1_790_000_000)

    /// Seven plays over 45 s. Play 7 was recorded last but requested first (a missed event logged late),
    /// and plays 5 and 6 were requested at the same time, so that order by request time is tested.
    static func makeStore() async throws -> Store {
        let store = try Store.inMemory()
        try await store.syncShipped([
            Clip(id: "bell.start", category: .bell, title: "Start", source: .file("/bells/start.wav")),
            Clip(id: "tip.fire.1", category: .tip, title: "Fire", source: .speech(text: "Fire", voice: "en")),
            Clip(id: "alarm.fire", category: .alarm, title: "Alarm", source: .synth(name: "alarm", parameters: [:])),
        ])
        let plays: [(Int64, String, [String], String, String, TimeInterval)] = [
            (1, "bell.start", ["a"], "bell", "schedule", 0),
            (2, "tip.fire.1", ["ab"], "announcement", "plan", 10),
            (3, "alarm.fire", ["a", "ab"], "emergency", "manual", 20),
            (4, "say", ["b", "a"], "announcement", "tts", 30),
            (5, "bell.start", ["ab", "c"], "bell", "schedule", 40),
            (6, "gone", ["c"], "announcement", "shout", 40),
            (7, "bell.start", ["a"], "bell", "schedule", -5),
        ]
        for (id, clip, zones, level, source, offset) in plays {
            try await store.recordRequested(
                PlayRecord(
                    id: id, clip: clip, zones: zones, level: level, source: source, requestedBy: "test",
                    requestedAt: t0.addingTimeInterval(offset)))
        }
        return store
    }

    static func ids(_ store: Store, _ query: PlayQuery) async throws -> [Int64] {
        try await store.plays(query).map(\.id)
    }

    @Test("with no filter: every play, latest request first, ties by id, each with its clip's category")
    func everything() async throws {
        let store = try await Self.makeStore()
        let plays = try await store.plays(PlayQuery())
        #expect(plays.map(\.id) == [6, 5, 4, 3, 2, 1, 7])
        // Clips the catalog does not hold (`say`, `gone`) have no category, and are still listed.
        #expect(plays.map(\.category) == [nil, "bell", nil, "alarm", "tip", "bell", "bell"])
        #expect(plays.first { $0.id == 4 }?.zones == ["b", "a"])
    }

    @Test("a play's whole row comes back through the join")
    func wholeRow() async throws {
        let store = try await Self.makeStore()
        // Whole microseconds, as stored, so that the times compare equal bit for bit.
        let firstSample = Date(timeIntervalSince1970: 1_790_000_020_002_000 / 1_000_000)
        let audible = Date(timeIntervalSince1970: 1_790_000_020_032_000 / 1_000_000)
        try await store.recordStarted(
            id: 3, firstSampleAt: firstSample, audibleAt: audible, latency: .microseconds(2100))
        try await store.recordEnded(id: 3, at: Self.t0.addingTimeInterval(25), outcome: "stopped", detail: "by alice")
        let play = try #require(try await store.plays(PlayQuery(category: "alarm")).first)
        var expected = PlayRecord(
            id: 3, clip: "alarm.fire", zones: ["a", "ab"], level: "emergency", source: "manual", requestedBy: "test",
            requestedAt: Self.t0.addingTimeInterval(20))
        expected.firstSampleAt = firstSample
        expected.audibleAt = audible
        expected.latency = .microseconds(2100)
        expected.endedAt = Self.t0.addingTimeInterval(25)
        expected.outcome = "stopped"
        expected.detail = "by alice"
        expected.category = "alarm"
        #expect(play == expected)
    }

    @Test("by category, from the catalog")
    func byCategory() async throws {
        let store = try await Self.makeStore()
        #expect(try await Self.ids(store, PlayQuery(category: "bell")) == [5, 1, 7])
        #expect(try await Self.ids(store, PlayQuery(category: "tip")) == [2])
        #expect(try await Self.ids(store, PlayQuery(category: "culture")).isEmpty)
    }

    @Test("by zone, matching one whole name: `a` never matches `ab`, `b` never matches `ab`")
    func byZone() async throws {
        let store = try await Self.makeStore()
        #expect(try await Self.ids(store, PlayQuery(zone: "a")) == [4, 3, 1, 7])
        #expect(try await Self.ids(store, PlayQuery(zone: "ab")) == [5, 3, 2])
        #expect(try await Self.ids(store, PlayQuery(zone: "b")) == [4])
        #expect(try await Self.ids(store, PlayQuery(zone: "c")) == [6, 5])
        // Names are matched literally, never as patterns.
        #expect(try await Self.ids(store, PlayQuery(zone: "%")).isEmpty)
        #expect(try await Self.ids(store, PlayQuery(zone: "_")).isEmpty)
        #expect(try await Self.ids(store, PlayQuery(zone: "A")).isEmpty)
    }

    @Test("a zone that cannot be one name is refused", arguments: ["a,ab", ""])
    func zoneRefused(_ zone: String) async throws {
        let store = try await Self.makeStore()
        let error = await #expect(throws: StoreError.self) { try await store.plays(PlayQuery(zone: zone)) }
        #expect(error?.description.contains("not a zone name") == true)
    }

    @Test("by source and by level, exactly")
    func bySourceAndLevel() async throws {
        let store = try await Self.makeStore()
        #expect(try await Self.ids(store, PlayQuery(source: "schedule")) == [5, 1, 7])
        #expect(try await Self.ids(store, PlayQuery(source: "tts")) == [4])
        #expect(try await Self.ids(store, PlayQuery(source: "sched")).isEmpty)
        #expect(try await Self.ids(store, PlayQuery(level: "bell")) == [5, 1, 7])
        #expect(try await Self.ids(store, PlayQuery(level: "announcement")) == [6, 4, 2])
        #expect(try await Self.ids(store, PlayQuery(level: "emergency")) == [3])
    }

    @Test("by request time: `from` is inclusive, `to` exclusive")
    func byTime() async throws {
        let store = try await Self.makeStore()
        let t0 = Self.t0
        #expect(try await Self.ids(store, PlayQuery(from: t0.addingTimeInterval(20))) == [6, 5, 4, 3])
        #expect(try await Self.ids(store, PlayQuery(to: t0.addingTimeInterval(20))) == [2, 1, 7])
        #expect(
            try await Self.ids(store, PlayQuery(from: t0.addingTimeInterval(10), to: t0.addingTimeInterval(40))) == [
                4, 3, 2,
            ])
        // One microsecond either side of a play.
        #expect(try await Self.ids(store, PlayQuery(from: t0.addingTimeInterval(30.000001))) == [6, 5])
        #expect(try await Self.ids(store, PlayQuery(to: t0.addingTimeInterval(0.000001))) == [1, 7])
        #expect(try await Self.ids(store, PlayQuery(from: t0, to: t0)).isEmpty)
        #expect(try await Self.ids(store, PlayQuery(from: t0.addingTimeInterval(41))).isEmpty)
    }

    @Test("filters combine with AND")
    func combined() async throws {
        let store = try await Self.makeStore()
        let t0 = Self.t0
        #expect(try await Self.ids(store, PlayQuery(zone: "a", level: "announcement")) == [4])
        #expect(try await Self.ids(store, PlayQuery(zone: "a", source: "schedule")) == [1, 7])
        #expect(try await Self.ids(store, PlayQuery(from: t0, category: "bell", zone: "a", source: "schedule")) == [1])
        #expect(
            try await Self.ids(
                store,
                PlayQuery(
                    from: t0.addingTimeInterval(1), category: "bell", zone: "ab", source: "schedule", level: "bell"))
                == [5])
        #expect(
            try await Self.ids(store, PlayQuery(to: t0.addingTimeInterval(10), category: "tip", zone: "ab")).isEmpty)
        #expect(try await Self.ids(store, PlayQuery(to: t0.addingTimeInterval(11), category: "tip", zone: "ab")) == [2])
        #expect(try await Self.ids(store, PlayQuery(category: "bell", level: "announcement")).isEmpty)
        #expect(try await Self.ids(store, PlayQuery(zone: "c", limit: 1)) == [6])
    }

    @Test("the limit keeps the latest plays")
    func limit() async throws {
        let store = try await Self.makeStore()
        #expect(try await Self.ids(store, PlayQuery(limit: 2)) == [6, 5])
        #expect(try await Self.ids(store, PlayQuery(limit: 0)).isEmpty)
        #expect(try await Self.ids(store, PlayQuery(limit: .max)).count == 7)
    }

    @Test("a negative limit is refused")
    func negativeLimit() async throws {
        let store = try await Self.makeStore()
        let error = await #expect(throws: StoreError.self) { try await store.plays(PlayQuery(limit: -1)) }
        #expect(error?.description.contains("negative") == true)
    }

    @Test("no more than 10,000 plays come back, however many are asked for")
    func cap() async throws {
        let store = try Store.inMemory()
        for id in Int64(1)...10_001 {
            try await store.recordRequested(
                PlayRecord(
                    id: id, clip: "x", zones: ["a"], level: "bell", source: "schedule", requestedBy: "test",
                    requestedAt: Self.t0.addingTimeInterval(Double(id))))
        }
        let plays = try await store.plays(PlayQuery(limit: 1_000_000))
        #expect(plays.count == 10_000)
        #expect(plays.first?.id == 10_001)
        #expect(plays.last?.id == 2)
    }
}
