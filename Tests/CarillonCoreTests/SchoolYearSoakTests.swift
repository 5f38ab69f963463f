import CarillonCore
import CarillonTesting
import Foundation
import Testing

/// A whole school year of the shipped `config/schedule.toml` on the injected clock, the scheduler's
/// state round-tripped through JSON at every wake as the daemon saves it in SQLite, with restarts
/// and clock steps drawn from a seed. What must hold: every event decided exactly once, none fired
/// twice, none missed unless a step or an outage put it past its grace, and the state bounded.
@Suite("Soak: a school year on the injected clock")
struct SchoolYearSoakTests {
    static func shipped() throws -> Schedule {
        try schedule(try String(contentsOf: shippedScheduleURL, encoding: .utf8))
    }

    /// The most events of the year that fall in any window of `days` local days: what `done` may hold.
    static func densest(_ events: [ScheduledEvent], days: Int) -> Int {
        var byDay: [String: Int] = [:]
        for event in events { byDay[String(event.key.prefix { $0 != "|" }), default: 0] += 1 }
        let counts = byDay.sorted { $0.key < $1.key }.map(\.value)
        guard counts.count > days else { return counts.reduce(0, +) }
        return (0...(counts.count - days)).map { counts[$0..<($0 + days)].reduce(0, +) }.max() ?? 0
    }

    @Test("a year waking at each nextWake, the state saved and reloaded every time and restarts between: each event fires once, none missed, the state bounded")
    func yearWithRestarts() throws {
        let schedule = try Self.shipped()
        let policy = SchedulePolicy(schedule: schedule)
        let start = instant("2026-01-01T00:00:00+08:00")
        let end = instant("2027-02-01T00:00:00+08:00")
        var generator = SeededGenerator(seed: 2026_09_01)
        var saved = try JSONEncoder().encode(SchedulerState(horizon: start))
        var now = start
        var fired: [String: Int] = [:]
        var missed: [String] = []
        var maxDone = 0
        var maxBytes = 0
        var restarts = 0
        while now <= end {
            // What the daemon does at each wake: load, step, save before acting.
            let state = try JSONDecoder().decode(SchedulerState.self, from: saved)
            let (decisions, next, wake) = policy.step(now: now, state: state)
            saved = try JSONEncoder().encode(next)
            maxDone = max(maxDone, next.done.count)
            maxBytes = max(maxBytes, saved.count)
            for decision in decisions {
                switch decision {
                case .fire(let event, _): fired[event.key, default: 0] += 1
                case .missed(let event, _): missed.append(event.key)
                }
            }
            #expect(wake > now)
            // Now and then a restart: the process is gone between the save and the next wake, and
            // comes back within the grace (systemd restarts it in half a second).
            if Int.random(in: 0..<50, using: &generator) == 0 {
                restarts += 1
                now = wake.addingTimeInterval(Double.random(in: 0..<Double(schedule.graceSeconds), using: &generator))
            } else {
                now = wake
            }
        }
        let expected = schedule.events(from: day("2026-01-01"), through: day("2027-01-31"))
        #expect(expected.count > 4000)
        #expect(Set(fired.keys) == Set(expected.map(\.key)), "every event fired")
        #expect(fired.values.allSatisfy { $0 == 1 }, "none twice: \(fired.filter { $0.value > 1 }.keys.sorted().prefix(5))")
        #expect(missed.isEmpty, "none missed: \(missed.prefix(5))")
        // `done` keeps the retention (8 days) and a day more; never the year.
        let bound = Self.densest(expected, days: 10)
        #expect(maxDone <= bound, "done held \(maxDone) keys; the densest 10 days have \(bound)")
        #expect(maxBytes < 64 * 1024)
        print("school year: \(expected.count) events, each fired once, \(restarts) restarts; done at most \(maxDone) keys (bound \(bound)), saved state at most \(maxBytes) bytes")
    }

    @Test("a year with clock steps forward and back: no event fires twice, each is decided at most once, those a step skipped are missed, the state bounded")
    func yearWithClockSteps() throws {
        let schedule = try Self.shipped()
        let policy = SchedulePolicy(schedule: schedule)
        let start = instant("2026-01-01T00:00:00+08:00")
        let end = instant("2027-02-01T00:00:00+08:00")
        var generator = SeededGenerator(seed: 0x5EED_C10C)
        var state = SchedulerState(horizon: start)
        var now = start
        var fired: [String: Int] = [:]
        var missedKeys: [String: Int] = [:]
        var maxDone = 0
        var steps = (forward: 0, back: 0)
        var skipped: [(Date, Date)] = []
        while now <= end {
            let (decisions, next, wake) = policy.step(now: now, state: state)
            state = next
            maxDone = max(maxDone, next.done.count)
            for decision in decisions {
                switch decision {
                case .fire(let event, let lateness):
                    fired[event.key, default: 0] += 1
                    #expect(lateness <= Double(schedule.graceSeconds))
                case .missed(let event, _): missedKeys[event.key, default: 0] += 1
                }
            }
            switch Int.random(in: 0..<40, using: &generator) {
            case 0:
                // The clock set forward, by up to three hours: what it jumps over is missed, unless within grace.
                let jump = Double.random(in: 1...10_800, using: &generator)
                skipped.append((now, now.addingTimeInterval(jump)))
                steps.forward += 1
                now = now.addingTimeInterval(jump)
            case 1:
                // The clock set back, by up to a day: nothing of that day rings again.
                steps.back += 1
                now = now.addingTimeInterval(-Double.random(in: 1...86_400, using: &generator))
            default:
                now = wake
            }
        }
        let expected = schedule.events(from: day("2026-01-01"), through: day("2027-01-31"))
        #expect(fired.values.allSatisfy { $0 == 1 }, "an event fired twice")
        #expect(missedKeys.values.allSatisfy { $0 == 1 }, "an event was reported missed twice")
        #expect(Set(fired.keys).isDisjoint(with: missedKeys.keys), "an event both fired and missed")
        // Every event is decided: fired, or missed because a forward step carried the clock past its grace.
        let decided = Set(fired.keys).union(missedKeys.keys)
        let undecided = expected.filter { !decided.contains($0.key) }
        #expect(undecided.isEmpty, "never decided: \(undecided.prefix(3).map(\.key))")
        for key in missedKeys.keys {
            guard let event = expected.first(where: { $0.key == key }) else { continue }
            #expect(skipped.contains { $0.0 < event.at && event.at <= $0.1 }, "\(key) was missed with no step over it")
        }
        #expect(maxDone <= Self.densest(expected, days: 10))
        print("school year with \(steps.forward) forward and \(steps.back) backward clock steps: \(fired.count) fired, \(missedKeys.count) missed (all jumped over), done at most \(maxDone) keys")
    }
}
