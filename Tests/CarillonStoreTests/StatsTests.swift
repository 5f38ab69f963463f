import CarillonCore
import CarillonStore
import Foundation
import Testing

@Suite("Play statistics")
struct StatsTests {
    static let shanghai = TimeZone(identifier: "Asia/Shanghai")!

    static func at(_ text: String) -> Date {
        // Fixed strings written in this file: a bad one is a bug in the test.
        try! Date(text, strategy: .iso8601)
    }

    /// One play to log: `sounded` writes its first sample; `outcome` ends it.
    struct Seed {
        var clip: String
        var zones: [String]
        var source: String
        var by = "test"
        var at: String
        var sounded = true
        var outcome: String? = "finished"
    }

    /// Two local days (2026-10-08 "A" and 2026-10-09 "B", Asia/Shanghai, UTC+8) of every kind of play,
    /// one play the next day, and three plan runs. The expected counts are worked out play by play in
    /// the tests; the comment on each line says how it counts.
    static func makeStore() async throws -> Store {
        let store = try Store.inMemory()
        try await store.syncShipped([
            Clip(id: "bell.start", category: .bell, title: "Start", source: .file("/bells/start.wav")),
            Clip(id: "chime.pre-announce", category: .bell, title: "Chime", source: .file("/bells/chime.wav")),
            Clip(id: "tip.fire.1", category: .tip, title: "Fire", source: .speech(text: "Fire", voice: "en")),
            Clip(id: "culture.song", category: .culture, title: "Song", source: .file("/culture/song.wav")),
            Clip(id: "msg.allclear", category: .recorded, title: "All clear", source: .file("/msg/allclear.wav")),
        ])
        let seeds: [Seed] = [
            // 1, 2: scheduled bells, A. broadcast, bell. Play 2 finished, but its first sample is not
            // in the log: a play that finished has sounded all the same.
            Seed(clip: "bell.start", zones: ["teaching"], source: "schedule", by: "schedule regular", at: "2026-10-08T07:50:00+08:00"),
            Seed(clip: "bell.start", zones: ["teaching", "dormitory"], source: "schedule", by: "schedule regular", at: "2026-10-08T08:00:00+08:00", sounded: false),
            // 3: a missed bell, A.
            Seed(clip: "bell.start", zones: ["teaching"], source: "schedule", by: "schedule regular", at: "2026-10-08T08:40:00+08:00", sounded: false, outcome: "missed"),
            // 4: a scheduled tip, A. broadcast, safety.
            Seed(clip: "tip.fire.1", zones: ["teaching"], source: "schedule", by: "schedule regular", at: "2026-10-08T08:41:00+08:00"),
            // 5: a missed tip slot, B: logged as `tip:today`, not in the catalog; category tip.
            Seed(clip: "tip:today", zones: ["teaching"], source: "schedule", by: "schedule regular", at: "2026-10-09T08:41:00+08:00", sounded: false, outcome: "missed"),
            // 6: a teacher's `say`, A. broadcast, instant, message.
            Seed(clip: "say", zones: ["playground"], source: "tts", by: "uid 1000 (alice)", at: "2026-10-08T12:00:00+08:00"),
            // 7: a scheduled `say`, B: source tts but by the schedule. broadcast, not instant.
            Seed(clip: "say", zones: ["teaching"], source: "tts", by: "schedule regular", at: "2026-10-09T12:00:00+08:00"),
            // 8, 9: a shout, B: its chime (a bell clip) is part of it and not counted. broadcast, instant, message.
            Seed(clip: "chime.pre-announce", zones: ["playground"], source: "shout", by: "office-pc", at: "2026-10-09T09:00:00+08:00"),
            Seed(clip: "shout", zones: ["playground"], source: "shout", by: "office-pc", at: "2026-10-09T09:00:05+08:00", outcome: "stopped"),
            // 10: a manual tip, B. broadcast, instant, safety.
            Seed(clip: "tip.fire.1", zones: ["dormitory"], source: "manual", by: "office-pc", at: "2026-10-09T10:00:00+08:00"),
            // 11: a manual bell just after local midnight, B (still A in UTC). broadcast, instant, bell.
            Seed(clip: "bell.start", zones: ["teaching"], source: "manual", by: "office-pc", at: "2026-10-09T00:30:00+08:00", outcome: "cut"),
            // 12: refused everywhere: never sounded, not missed. Not counted at all.
            Seed(clip: "culture.song", zones: ["teaching"], source: "manual", by: "office-pc", at: "2026-10-09T11:00:00+08:00", sounded: false, outcome: "refused"),
            // 13: a clip gone from the catalog, B. broadcast, instant, category unknown.
            Seed(clip: "gone.clip", zones: ["teaching"], source: "manual", by: "office-pc", at: "2026-10-09T11:30:00+08:00"),
            // 14–17: plan and drill plays (cycles, an all-clear, a drill's end): counted by their runs instead.
            Seed(clip: "plan.fire", zones: ["teaching", "dormitory"], source: "plan", at: "2026-10-09T14:00:00+08:00"),
            Seed(clip: "plan.fire", zones: ["teaching", "dormitory"], source: "plan", at: "2026-10-09T14:01:00+08:00"),
            Seed(clip: "msg.allclear", zones: ["teaching", "dormitory"], source: "plan", at: "2026-10-09T14:05:00+08:00"),
            Seed(clip: "plan.fire", zones: ["teaching"], source: "drill", at: "2026-10-08T15:00:00+08:00"),
            // 18: still sounding (no outcome yet), the day after the window: a broadcast when counted.
            Seed(clip: "bell.start", zones: ["teaching"], source: "schedule", by: "schedule regular", at: "2026-10-10T07:50:00+08:00", outcome: nil),
        ]
        for (index, seed) in seeds.enumerated() {
            let id = Int64(index + 1)
            let requested = at(seed.at)
            try await store.recordRequested(
                PlayRecord(id: id, clip: seed.clip, zones: seed.zones, level: "bell", source: seed.source, requestedBy: seed.by, requestedAt: requested))
            if seed.sounded {
                try await store.recordStarted(
                    id: id, firstSampleAt: requested.addingTimeInterval(0.01), audibleAt: requested.addingTimeInterval(0.04),
                    latency: .milliseconds(10))
            }
            if let outcome = seed.outcome {
                try await store.recordEnded(id: id, at: requested.addingTimeInterval(5), outcome: outcome, detail: nil)
            }
        }
        // A real fire plan on B, a fire drill on A, an earthquake drill on B.
        try await store.savePlanRun(
            PlanRunRecord(plan: "fire", title: "Fire", drill: false, zones: ["teaching", "dormitory"], startedAt: at("2026-10-09T14:00:00+08:00"), startedBy: "leader"))
        try await store.savePlanRun(
            PlanRunRecord(plan: "fire", title: "Fire", drill: true, zones: ["teaching"], startedAt: at("2026-10-08T15:00:00+08:00"), startedBy: "leader"))
        try await store.savePlanRun(
            PlanRunRecord(plan: "earthquake", title: "Earthquake", drill: true, zones: ["playground"], startedAt: at("2026-10-09T16:00:00+08:00"), startedBy: "leader"))
        return store
    }

    /// Days A and B, local.
    static let window = StatsQuery(from: at("2026-10-08T00:00:00+08:00"), to: at("2026-10-10T00:00:00+08:00"), timeZone: shanghai)

    static func query(by: StatsGrouping?) -> StatsQuery {
        var query = window
        query.by = by
        return query
    }

    static let expectedTotal = StatsCounters(broadcasts: 12, instant: 5, safety: 2, bells: 3, plans: 1, drills: 2, missed: 2)

    static func groups(_ report: StatsReport) -> [String: StatsCounters] {
        Dictionary(uniqueKeysWithValues: report.groups.map { ($0.key, $0.counters) })
    }

    @Test("totals: sounded plays and plan runs are broadcasts; chimes, plan plays and refusals are not")
    func totals() async throws {
        let store = try await Self.makeStore()
        let report = try await store.stats(Self.window)
        #expect(report.total == Self.expectedTotal)
        #expect(report.groups.isEmpty)
    }

    @Test("the window: `from` included, `to` excluded, for plays and plan runs alike")
    func window() async throws {
        let store = try await Self.makeStore()
        // Up to the real plan's start, excluded: it, the drill at 16:00 and the plays after 14:00 drop out.
        let before = try await store.stats(StatsQuery(from: Self.at("2026-10-09T12:00:00+08:00"), to: Self.at("2026-10-09T14:00:00+08:00")))
        #expect(before.total == StatsCounters(broadcasts: 1))  // play 7, at exactly `from`
        let after = try await store.stats(StatsQuery(from: Self.at("2026-10-09T14:00:00+08:00")))
        #expect(after.total == StatsCounters(broadcasts: 3, bells: 1, plans: 1, drills: 1))  // the runs, and play 18
        let everything = try await store.stats(StatsQuery())
        #expect(everything.total.broadcasts == Self.expectedTotal.broadcasts + 1)
    }

    @Test("by category: the catalog's, `message` for say and shout, `tip` for a missed tip slot, `alarm` for plan runs")
    func byCategory() async throws {
        let store = try await Self.makeStore()
        let report = try await store.stats(Self.query(by: .category))
        #expect(report.total == Self.expectedTotal)
        #expect(report.groups.map(\.key) == ["alarm", "bell", "message", "tip", "unknown"])
        let groups = Self.groups(report)
        #expect(groups["alarm"] == StatsCounters(broadcasts: 3, plans: 1, drills: 2))
        #expect(groups["bell"] == StatsCounters(broadcasts: 3, instant: 1, bells: 3, missed: 1))
        #expect(groups["message"] == StatsCounters(broadcasts: 3, instant: 2))
        #expect(groups["tip"] == StatsCounters(broadcasts: 2, instant: 1, safety: 2, missed: 1))
        #expect(groups["unknown"] == StatsCounters(broadcasts: 1, instant: 1))
    }

    @Test("by source: plan runs as `plan`, drill runs as `drill`")
    func bySource() async throws {
        let store = try await Self.makeStore()
        let report = try await store.stats(Self.query(by: .source))
        #expect(report.groups.map(\.key) == ["drill", "manual", "plan", "schedule", "shout", "tts"])
        let groups = Self.groups(report)
        #expect(groups["drill"] == StatsCounters(broadcasts: 2, drills: 2))
        #expect(groups["manual"] == StatsCounters(broadcasts: 3, instant: 3, safety: 1, bells: 1))
        #expect(groups["plan"] == StatsCounters(broadcasts: 1, plans: 1))
        #expect(groups["schedule"] == StatsCounters(broadcasts: 3, safety: 1, bells: 2, missed: 2))
        #expect(groups["shout"] == StatsCounters(broadcasts: 1, instant: 1))
        #expect(groups["tts"] == StatsCounters(broadcasts: 2, instant: 1))
    }

    @Test("by day: local days of the query's time zone, in date order")
    func byDay() async throws {
        let store = try await Self.makeStore()
        let report = try await store.stats(Self.query(by: .day))
        #expect(report.total == Self.expectedTotal)
        #expect(report.groups.map(\.key) == ["2026-10-08", "2026-10-09"])
        let groups = Self.groups(report)
        #expect(groups["2026-10-08"] == StatsCounters(broadcasts: 5, instant: 1, safety: 1, bells: 2, drills: 1, missed: 1))
        #expect(groups["2026-10-09"] == StatsCounters(broadcasts: 7, instant: 4, safety: 1, bells: 1, plans: 1, drills: 1, missed: 1))
        // In UTC the day starts 8 hours later: the 07:50 bell falls on the 7th, and the 00:30 bell on the 8th.
        var utc = Self.query(by: .day)
        utc.timeZone = TimeZone(identifier: "UTC")!
        #expect(try await store.stats(utc).groups == [
            StatsGroup(key: "2026-10-07", counters: StatsCounters(broadcasts: 1, bells: 1)),
            StatsGroup(key: "2026-10-08", counters: StatsCounters(broadcasts: 5, instant: 2, safety: 1, bells: 2, drills: 1, missed: 1)),
            StatsGroup(key: "2026-10-09", counters: StatsCounters(broadcasts: 6, instant: 3, safety: 1, plans: 1, drills: 1, missed: 1)),
        ])
    }

    @Test("by day across a change of UTC offset (DST ends in Berlin on 2026-10-25)")
    func byDayAcrossDST() async throws {
        let store = try Store.inMemory()
        // 00:30 CEST on the 25th; 23:30 CET on the 25th; 00:30 CET on the 26th. No fixed offset puts them right.
        let instants = ["2026-10-24T22:30:00Z", "2026-10-25T22:30:00Z", "2026-10-25T23:30:00Z"]
        for (index, instant) in instants.enumerated() {
            let id = Int64(index + 1)
            try await store.recordRequested(
                PlayRecord(id: id, clip: "say", zones: ["a"], level: "announcement", source: "tts", requestedBy: "x", requestedAt: Self.at(instant)))
            try await store.recordStarted(id: id, firstSampleAt: Self.at(instant), audibleAt: Self.at(instant), latency: .zero)
        }
        let report = try await store.stats(StatsQuery(by: .day, timeZone: TimeZone(identifier: "Europe/Berlin")!))
        #expect(report.groups == [
            StatsGroup(key: "2026-10-25", counters: StatsCounters(broadcasts: 2, instant: 2)),
            StatsGroup(key: "2026-10-26", counters: StatsCounters(broadcasts: 1, instant: 1)),
        ])
    }

    @Test("by zone: each zone a play names; a play in two zones counts in both")
    func byZone() async throws {
        let store = try await Self.makeStore()
        let report = try await store.stats(Self.query(by: .zone))
        #expect(report.total == Self.expectedTotal)
        #expect(report.groups.map(\.key) == ["dormitory", "playground", "teaching"])
        let groups = Self.groups(report)
        #expect(groups["dormitory"] == StatsCounters(broadcasts: 3, instant: 1, safety: 1, bells: 1, plans: 1))
        #expect(groups["playground"] == StatsCounters(broadcasts: 3, instant: 2, drills: 1))
        #expect(groups["teaching"] == StatsCounters(broadcasts: 8, instant: 2, safety: 1, bells: 3, plans: 1, drills: 1, missed: 2))
    }

    @Test("an empty log counts zero, with no groups")
    func empty() async throws {
        let store = try Store.inMemory()
        for by in [nil] + StatsGrouping.allCases.map(Optional.some) {
            let report = try await store.stats(StatsQuery(by: by))
            #expect(report.total == StatsCounters())
            #expect(report.groups.isEmpty)
        }
    }
}
