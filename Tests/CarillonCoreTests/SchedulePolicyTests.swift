import CarillonCore
import CarillonTesting
import Foundation
import Testing

/// A scheduler on an injected clock: it keeps the state between wakes, as the daemon does in SQLite.
private struct Simulator {
    var policy: SchedulePolicy
    var state: SchedulerState
    var nextWake: Date
    var fired: [ScheduledEvent] = []
    var firedLateness: [Double] = []
    var missed: [ScheduledEvent] = []
    var wakes = 0

    /// A first start at `start`: the state's horizon is `start`, so nothing before it fires.
    init(_ schedule: Schedule, start: Date) {
        policy = SchedulePolicy(schedule: schedule)
        state = SchedulerState(horizon: start)
        nextWake = start
    }

    /// Wakes the scheduler at `now` and records what it decided.
    @discardableResult
    mutating func wake(at now: Date) -> [ScheduleDecision] {
        let result = policy.step(now: now, state: state)
        #expect(result.nextWake > now)
        state = result.state
        nextWake = result.nextWake
        wakes += 1
        for decision in result.decisions {
            switch decision {
            case .fire(let event, let lateness):
                fired.append(event)
                firedLateness.append(lateness)
            case .missed(let event, _):
                missed.append(event)
            }
        }
        return result.decisions
    }

    /// Wakes only at `nextWake` until it is later than `end`.
    mutating func run(through end: Date) {
        while nextWake <= end { wake(at: nextWake) }
    }
}

/// The shipped example, `config/schedule.toml` (Asia/Shanghai, grace 60 s), parsed with no library.
private func shippedSchedule() throws -> Schedule {
    try schedule(try String(contentsOf: shippedScheduleURL, encoding: .utf8))
}

/// `HH:MM` on 2026-10-13, a Tuesday of the autumn term on the shipped example's winter timetable `regular`.
private func tuesday(_ time: String) -> Date {
    instant("2026-10-13T\(time.count == 5 ? time + ":00" : time)+08:00")
}

/// The local times (`HH:MM`) of events in the shipped example's zone.
private func times(_ events: [ScheduledEvent]) -> [String] {
    events.map { String($0.localTimestamp.dropFirst(11).prefix(5)) }
}

/// The instants in `(start, end]` as the half-open range the evaluator takes.
private func after(_ start: Date, through end: Date) -> Range<Date> {
    Date(
        timeIntervalSinceReferenceDate: start.timeIntervalSinceReferenceDate.nextUp)..<Date(
            timeIntervalSinceReferenceDate: end.timeIntervalSinceReferenceDate.nextUp)
}

@Suite("Schedule policy: when to fire what")
struct SchedulePolicyTests {
    // MARK: A school year

    @Test("a school year waking only at nextWake fires every event once, on time, and nothing else")
    func schoolYearOnTime() throws {
        let schedule = try shippedSchedule()
        let start = instant("2026-01-01T00:00:00+08:00")
        let end = instant("2027-02-01T00:00:00+08:00")
        var simulator = Simulator(schedule, start: start)
        simulator.wake(at: start)
        simulator.run(through: end)

        let expected = schedule.events(from: day("2026-01-01"), through: day("2027-01-31"))
        #expect(expected.count > 4000)
        #expect(simulator.fired == expected)
        #expect(simulator.firedLateness.allSatisfy { $0 == 0 })
        #expect(simulator.missed.isEmpty)
        #expect(Set(simulator.fired.map(\.key)).count == expected.count)
        // One wake per distinct instant, plus a daily re-check in the long holidays.
        #expect(simulator.wakes <= Set(expected.map(\.at)).count + 120)
    }

    @Test("a school year with random extra wakes and delays within grace fires every event once, none missed")
    func schoolYearWithJitter() throws {
        let schedule = try shippedSchedule()
        let start = instant("2026-01-01T00:00:00+08:00")
        let end = instant("2027-02-01T00:00:00+08:00")
        var generator = SeededGenerator(seed: 20_260_901)
        var simulator = Simulator(schedule, start: start)
        var now = start
        simulator.wake(at: now)
        var maxDelay = 0.0
        while simulator.nextWake <= end {
            let target = simulator.nextWake
            if Int.random(in: 0..<4, using: &generator) == 0 {
                // An extra wake: a clock notification, a schedule reload.
                now = now.addingTimeInterval(Double.random(in: 0...target.timeIntervalSince(now), using: &generator))
            } else {
                // The timer fires late by less than the grace.
                let delay = Double.random(in: 0..<Double(schedule.graceSeconds), using: &generator)
                maxDelay = max(maxDelay, delay)
                now = target.addingTimeInterval(delay)
            }
            simulator.wake(at: min(now, end))
        }
        simulator.wake(at: end)

        let expected = schedule.events(from: day("2026-01-01"), through: day("2027-01-31"))
        #expect(simulator.fired == expected)
        #expect(simulator.missed.isEmpty)
        #expect(simulator.firedLateness.allSatisfy { $0 >= 0 && $0 < Double(schedule.graceSeconds) })
        #expect(simulator.firedLateness.contains { $0 > 1 })
        #expect(maxDelay > 50)
    }

    // MARK: Wall-clock jumps

    @Test("a forward jump from 07:55 to 09:30 logs the events in between as missed and plays none")
    func forwardJumpMissesTheGap() throws {
        let schedule = try shippedSchedule()
        var simulator = Simulator(schedule, start: tuesday("07:50"))
        simulator.wake(at: tuesday("07:50"))
        simulator.wake(at: tuesday("07:55"))
        #expect(times(simulator.fired) == ["07:55"])

        let decisions = simulator.wake(at: tuesday("09:30"))
        #expect(decisions.allSatisfy { if case .missed = $0 { true } else { false } })
        #expect(times(decisions.map(\.event)) == ["08:00", "08:45", "08:46", "08:55"])
        #expect(decisions.map(\.lateness) == [5400, 2700, 2640, 2100])
        #expect(times(simulator.fired) == ["07:55"])
        #expect(simulator.nextWake == tuesday("09:40"))

        simulator.run(through: tuesday("10:15"))
        #expect(times(simulator.fired) == ["07:55", "09:40", "09:45", "10:15"])
        #expect(simulator.missed.count == 4)
    }

    @Test("a forward jump landing 30 s after an event plays that one and logs the earlier ones missed")
    func forwardJumpWithinGrace() throws {
        let schedule = try shippedSchedule()
        var simulator = Simulator(schedule, start: tuesday("07:50"))
        simulator.wake(at: tuesday("07:55"))
        let decisions = simulator.wake(at: tuesday("08:55:30"))
        #expect(
            decisions == [
                .missed(decisions[0].event, lateness: 3330),
                .missed(decisions[1].event, lateness: 630),
                .missed(decisions[2].event, lateness: 570),
                .fire(decisions[3].event, lateness: 30),
            ])
        #expect(times(decisions.map(\.event)) == ["08:00", "08:45", "08:46", "08:55"])
    }

    @Test("the grace window includes its end: 60 s late fires, 61 s late is missed")
    func graceBoundary() throws {
        let schedule = try shippedSchedule()
        var onTheEdge = Simulator(schedule, start: tuesday("07:56"))
        #expect(onTheEdge.wake(at: tuesday("08:01:00")).map(\.lateness) == [60])
        #expect(times(onTheEdge.fired) == ["08:00"])
        var past = Simulator(schedule, start: tuesday("07:56"))
        past.wake(at: tuesday("08:01:01"))
        #expect(past.fired.isEmpty)
        #expect(times(past.missed) == ["08:00"])
    }

    @Test("after a backward jump from 08:00 to 07:30, stepping through 07:30–09:00 again plays nothing twice")
    func backwardJumpNeverReplays() throws {
        let schedule = try shippedSchedule()
        var simulator = Simulator(schedule, start: tuesday("07:10"))
        simulator.run(through: tuesday("08:00"))
        #expect(times(simulator.fired) == ["07:20", "07:30", "07:55", "08:00"])

        let back = simulator.wake(at: tuesday("07:30"))
        #expect(back.isEmpty)
        #expect(simulator.nextWake == tuesday("08:45"))
        var now = tuesday("07:30")
        while now <= tuesday("09:00") {
            simulator.wake(at: now)
            now = now.addingTimeInterval(30)
        }
        #expect(times(simulator.fired) == ["07:20", "07:30", "07:55", "08:00", "08:45", "08:46", "08:55"])
        #expect(simulator.firedLateness.allSatisfy { $0 == 0 })
        #expect(simulator.missed.isEmpty)
    }

    @Test("a backward jump of a whole day replays nothing of that day")
    func backwardJumpOfADay() throws {
        let schedule = try shippedSchedule()
        var simulator = Simulator(schedule, start: tuesday("00:00"))
        simulator.run(through: tuesday("23:59"))
        let firstPass = simulator.fired
        #expect(firstPass.count == 32)
        simulator.wake(at: tuesday("00:00").addingTimeInterval(-3600))
        var now = tuesday("00:00")
        while now <= tuesday("23:59") {
            simulator.wake(at: now)
            now = now.addingTimeInterval(300)
        }
        #expect(simulator.fired == firstPass)
    }

    // MARK: Restarts

    @Test("a restart in the middle of a day continues from the saved state: no duplicates, no backlog")
    func restartContinues() throws {
        let schedule = try shippedSchedule()
        var before = Simulator(schedule, start: tuesday("07:00"))
        before.run(through: tuesday("10:15"))
        #expect(times(before.fired).last == "10:15")

        let saved = try JSONEncoder().encode(before.state)
        let restored = try JSONDecoder().decode(SchedulerState.self, from: saved)
        #expect(restored == before.state)

        // Restarted at once: nothing fires twice.
        var after = Simulator(schedule, start: tuesday("00:00"))
        after.state = restored
        #expect(after.wake(at: tuesday("10:15")).isEmpty)
        after.run(through: tuesday("23:00"))
        let all = before.fired + after.fired
        #expect(
            all
                == schedule.events(from: day("2026-10-13"), through: day("2026-10-13")).filter {
                    $0.at > tuesday("07:00")
                })
        #expect(after.missed.isEmpty)
    }

    @Test("a restart 3 hours later logs the gap's events as missed and plays nothing late")
    func restartAfterThreeHours() throws {
        let schedule = try shippedSchedule()
        var before = Simulator(schedule, start: tuesday("07:00"))
        before.run(through: tuesday("10:15"))
        let saved = try JSONEncoder().encode(before.state)

        var after = Simulator(schedule, start: tuesday("00:00"))
        after.state = try JSONDecoder().decode(SchedulerState.self, from: saved)
        let decisions = after.wake(at: tuesday("13:15"))
        #expect(decisions.allSatisfy { if case .missed = $0 { true } else { false } })
        #expect(
            times(decisions.map(\.event)) == ["11:00", "11:01", "11:10", "11:55", "11:56", "11:58", "12:05", "12:15", "12:25"])
        #expect(after.nextWake == tuesday("13:45"))
        after.run(through: tuesday("23:00"))

        let expected = schedule.events(from: day("2026-10-13"), through: day("2026-10-13"))
            .filter { $0.at > tuesday("07:00") }
        let decided = before.fired + after.missed + after.fired
        #expect(decided.count == expected.count)
        #expect(Set(decided.map(\.key)) == Set(expected.map(\.key)))
        #expect(after.firedLateness.allSatisfy { $0 == 0 })
    }

    @Test("a first start fires nothing from the past")
    func firstStartHasNoBacklog() throws {
        let schedule = try shippedSchedule()
        let policy = SchedulePolicy(schedule: schedule)
        let now = tuesday("12:00")
        let result = policy.step(now: now, state: SchedulerState(horizon: now))
        #expect(result.decisions.isEmpty)
        #expect(result.state.horizon == now)
        #expect(result.nextWake == tuesday("12:05"))
    }

    @Test("after a long outage only the events within the retention are reported, all missed")
    func longOutage() throws {
        let schedule = try shippedSchedule()
        let policy = SchedulePolicy(schedule: schedule, retention: 2 * 86_400)
        let state = SchedulerState(horizon: instant("2026-09-01T00:00:00+08:00"))
        let now = tuesday("12:00")
        let result = policy.step(now: now, state: state)
        #expect(result.decisions.allSatisfy { if case .missed = $0 { true } else { false } })
        let expected = schedule.events(in: after(now.addingTimeInterval(-2 * 86_400), through: now))
        #expect(result.decisions.map(\.event) == expected)
        #expect(result.state.horizon == now)
    }

    // MARK: Keys, order and the next wake

    @Test("an edited schedule that moves a played event later does not play it again")
    func editedScheduleKeepsKeys() throws {
        let text = """
            version = 1
            timezone = "Asia/Shanghai"
            [[day]]
            name = "once"
            from = 2026-10-13
            timetable = "t"
            [timetables.t]
            events = [{ at = "08:00", play = "bell.start" }, { at = "AT", play = "bell.end" }]
            """
        let original = try schedule(text.replacingOccurrences(of: "AT", with: "09:00"))
        var simulator = Simulator(original, start: tuesday("07:00"))
        simulator.run(through: tuesday("08:00"))
        #expect(times(simulator.fired) == ["08:00"])

        // The first event moves to 08:30: same key, `2026-10-13|t|0`, already played.
        let edited = try schedule(
            text.replacingOccurrences(of: "08:00", with: "08:30").replacingOccurrences(of: "AT", with: "09:00"))
        simulator.policy = SchedulePolicy(schedule: edited)
        simulator.wake(at: tuesday("08:10"))
        #expect(simulator.nextWake == tuesday("09:00"))
        simulator.run(through: tuesday("12:00"))
        #expect(simulator.fired.map(\.key) == ["2026-10-13|t|0", "2026-10-13|t|1"])
        #expect(simulator.missed.isEmpty)
    }

    @Test("events at the same instant are decided in file order; decisions are in time order")
    func sameInstantFileOrder() throws {
        let parsed = try schedule(
            """
            version = 1
            timezone = "Asia/Shanghai"
            [[day]]
            name = "once"
            from = 2026-10-13
            timetable = "t"
            [timetables.t]
            events = [
              { at = "08:00", play = "c" },
              { at = "07:00", play = "a" },
              { at = "08:00", play = "d" },
              { at = "07:30", play = "b" },
              { at = "08:00", play = "e" },
            ]
            """)
        let policy = SchedulePolicy(schedule: parsed)
        let result = policy.step(now: tuesday("08:00"), state: SchedulerState(horizon: tuesday("06:00")))
        #expect(result.decisions.map(\.event.index) == [1, 3, 0, 2, 4])
        #expect(result.decisions.map(\.lateness) == [3600, 1800, 0, 0, 0])
        #expect(
            result.decisions.map { if case .fire = $0 { true } else { false } } == [false, false, true, true, true])
    }

    @Test("nextWake is the next event up to 8 days ahead, else a re-check a day later")
    func nextWakeLooksAhead() throws {
        let schedule = try shippedSchedule()
        let policy = SchedulePolicy(schedule: schedule)
        // Friday after school: the next event is Monday's first bell.
        let friday = instant("2026-10-16T18:00:00+08:00")
        #expect(
            policy.step(now: friday, state: SchedulerState(horizon: friday)).nextWake
                == instant("2026-10-19T07:20:00+08:00"))
        // The summer holidays: nothing for weeks.
        let summer = instant("2026-07-20T12:00:00+08:00")
        let result = policy.step(now: summer, state: SchedulerState(horizon: summer))
        #expect(result.nextWake == summer.addingTimeInterval(86_400))
        // Eight days before term: the first bell of term.
        let late = instant("2026-08-25T12:00:00+08:00")
        #expect(
            policy.step(now: late, state: SchedulerState(horizon: late)).nextWake
                == instant("2026-09-01T07:20:00+08:00"))
    }

    @Test("done keeps only the keys within the retention")
    func doneIsPruned() throws {
        let schedule = try shippedSchedule()
        var simulator = Simulator(schedule, start: tuesday("00:00"))
        simulator.run(through: tuesday("23:59"))
        #expect(simulator.state.done.count == 32)
        #expect(simulator.state.done.allSatisfy { $0.hasPrefix("2026-10-13|") })

        simulator.state.done.insert("garbage")
        simulator.run(through: instant("2026-10-20T23:59:00+08:00"))
        #expect(simulator.state.done.contains { $0.hasPrefix("2026-10-13|") })
        #expect(!simulator.state.done.contains("garbage"))
        simulator.run(through: instant("2026-10-23T23:59:00+08:00"))
        #expect(!simulator.state.done.contains { $0.hasPrefix("2026-10-13|") })
        #expect(simulator.state.done.contains { $0.hasPrefix("2026-10-23|") })
    }

    // MARK: Time changes

    /// Simulates `days` of a timetable in `zone` waking at nextWake and every 20 minutes; returns fired and expected.
    private func simulateTimeChange(
        zone: String, times: [String], days: [(String, String)], from start: Date, to end: Date
    ) throws -> (fired: [ScheduledEvent], expected: [ScheduledEvent], simulator: Simulator) {
        let entries = days.map { "[[day]]\nname = \"change\"\nfrom = \($0.0)\nto = \($0.1)\ntimetable = \"t\"\n" }
        let events = times.map { "{ at = \"\($0)\", play = \"bell.start\" }" }.joined(separator: ", ")
        let parsed = try schedule(
            "version = 1\ntimezone = \"\(zone)\"\n" + entries.joined() + "[timetables.t]\nevents = [\(events)]\n")
        var simulator = Simulator(parsed, start: start)
        var now = start
        while now <= end {
            let tick = now.addingTimeInterval(1200)
            now = min(simulator.nextWake, tick)
            simulator.wake(at: now)
        }
        return (simulator.fired, parsed.events(in: after(start, through: now)), simulator)
    }

    @Test("Europe/Berlin spring forward and fall back: each event once, on time")
    func berlinTimeChanges() throws {
        let (fired, expected, simulator) = try simulateTimeChange(
            zone: "Europe/Berlin", times: ["01:30", "02:00", "02:30", "02:59:59", "03:00", "03:30"],
            days: [("2026-03-28", "2026-03-30"), ("2026-10-24", "2026-10-26")],
            from: instant("2026-03-27T00:00:00+01:00"), to: instant("2026-10-28T00:00:00+01:00"))
        #expect(expected.count == 36)
        #expect(fired == expected)
        #expect(Set(fired.map(\.key)).count == 36)
        #expect(simulator.firedLateness.allSatisfy { $0 == 0 })
        #expect(simulator.missed.isEmpty)
        // The skipped hour's three events fire together with 03:00 CEST.
        let spring = fired.filter { $0.localDate == day("2026-03-29") }.map(\.localTimestamp)
        #expect(
            spring == [
                "2026-03-29T01:30:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-29T03:00:00+02:00",
                "2026-03-29T03:00:00+02:00", "2026-03-29T03:00:00+02:00", "2026-03-29T03:30:00+02:00",
            ])
        // The repeated hour fires once, in CEST.
        let autumn = fired.filter { $0.localDate == day("2026-10-25") }.map(\.localTimestamp)
        #expect(
            autumn == [
                "2026-10-25T01:30:00+02:00", "2026-10-25T02:00:00+02:00", "2026-10-25T02:30:00+02:00",
                "2026-10-25T02:59:59+02:00", "2026-10-25T03:00:00+01:00", "2026-10-25T03:30:00+01:00",
            ])
    }

    @Test("Australia/Lord_Howe half-hour changes: each event once, on time")
    func lordHoweTimeChanges() throws {
        let (fired, expected, simulator) = try simulateTimeChange(
            zone: "Australia/Lord_Howe", times: ["01:15", "01:45", "02:00", "02:15", "02:30", "02:45"],
            days: [("2026-04-04", "2026-04-06"), ("2026-10-03", "2026-10-05")],
            from: instant("2026-04-03T00:00:00+11:00"), to: instant("2026-10-07T00:00:00+11:00"))
        #expect(expected.count == 36)
        #expect(fired == expected)
        #expect(Set(fired.map(\.key)).count == 36)
        #expect(simulator.firedLateness.allSatisfy { $0 == 0 })
        #expect(simulator.missed.isEmpty)
        // Fall back, 5 April: 02:00 LHDT becomes 01:30 LHST; 01:45 fires once, at its first occurrence.
        let autumn = fired.filter { $0.localDate == day("2026-04-05") }.map(\.localTimestamp)
        #expect(
            autumn == [
                "2026-04-05T01:15:00+11:00", "2026-04-05T01:45:00+11:00", "2026-04-05T02:00:00+10:30",
                "2026-04-05T02:15:00+10:30", "2026-04-05T02:30:00+10:30", "2026-04-05T02:45:00+10:30",
            ])
        // Spring forward, 4 October: 02:00–02:29 is skipped and fires at 02:30.
        let spring = fired.filter { $0.localDate == day("2026-10-04") }.map(\.localTimestamp)
        #expect(
            spring == [
                "2026-10-04T01:15:00+10:30", "2026-10-04T01:45:00+10:30", "2026-10-04T02:30:00+11:00",
                "2026-10-04T02:30:00+11:00", "2026-10-04T02:30:00+11:00", "2026-10-04T02:45:00+11:00",
            ])
    }

    // MARK: Randomized

    /// A random valid schedule: several timetables, weekdays, terms, day entries, maybe a season, odd times.
    private func randomSchedule(_ generator: inout SeededGenerator) -> String {
        let zones = [
            "Asia/Shanghai", "Europe/Berlin", "Australia/Lord_Howe", "America/New_York", "UTC", "America/Santiago",
        ]
        let zone = zones[Int.random(in: 0..<zones.count, using: &generator)]
        let names = (0..<Int.random(in: 1...4, using: &generator)).map { "t\($0)" }
        func pick() -> String { names[Int.random(in: 0..<names.count, using: &generator)] }
        func date(_ offset: Int) -> String { "\(day("2026-01-01").adding(days: offset))" }
        var text = "version = 1\ntimezone = \"\(zone)\"\ngrace = \(Int.random(in: 0...120, using: &generator))\n"

        text += "[terms]\n"
        var next = Int.random(in: -20...60, using: &generator)
        for term in 0..<Int.random(in: 1...3, using: &generator) {
            let length = Int.random(in: 10...120, using: &generator)
            text += "\"term\(term)\" = { from = \(date(next)), to = \(date(next + length)) }\n"
            next += length + Int.random(in: 1...40, using: &generator)
        }
        text += "[week]\n"
        for key in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] {
            switch Int.random(in: 0..<10, using: &generator) {
            case 0..<6: text += "\(key) = \"\(pick())\"\n"
            case 6: text += "\(key) = \"none\"\n"
            default: break
            }
        }
        if Bool.random(using: &generator) {
            let from = String(
                format: "%02d-%02d", Int.random(in: 1...12, using: &generator),
                Int.random(in: 1...28, using: &generator))
            let to = String(
                format: "%02d-%02d", Int.random(in: 1...12, using: &generator),
                Int.random(in: 1...28, using: &generator))
            let swap = names.count > 1 ? "\(names[0]) = \"\(names[names.count - 1])\"" : ""
            text += "[[season]]\nname = \"s\"\nfrom = \"\(from)\"\nto = \"\(to)\"\nswap = { \(swap) }\n"
        }
        for entry in 0..<Int.random(in: 0...5, using: &generator) {
            let start = Int.random(in: 0...300, using: &generator)
            let table = Int.random(in: 0..<4, using: &generator) == 0 ? "none" : pick()
            text +=
                "[[day]]\nname = \"d\(entry)\"\nfrom = \(date(start))\nto = \(date(start + Int.random(in: 0...6, using: &generator)))\n"
            text += "timetable = \"\(table)\"\n"
        }
        for name in names {
            var events: [String] = []
            for index in 0..<Int.random(in: 0...7, using: &generator) {
                // Early hours often, where the time changes are.
                let hour =
                    Bool.random(using: &generator)
                    ? Int.random(in: 0...4, using: &generator) : Int.random(in: 0...23, using: &generator)
                let minute = [0, 15, 30, 45, Int.random(in: 0...59, using: &generator)][
                    Int.random(in: 0..<5, using: &generator)]
                let second =
                    Int.random(in: 0..<4, using: &generator) == 0 ? Int.random(in: 0...59, using: &generator) : 0
                events.append(
                    String(format: "{ at = \"%02d:%02d:%02d\", play = \"clip.%d\" }", hour, minute, second, index))
            }
            text += "[timetables.\(name)]\nevents = [\(events.joined(separator: ", "))]\n"
        }
        return text
    }

    @Test("random schedules and ranges: the simulation fires exactly the evaluator's events (the preview)")
    func randomSchedulesMatchThePreview() throws {
        var generator = SeededGenerator(seed: 0xCA21_1105)
        var total = 0
        for _ in 0..<150 {
            let text = randomSchedule(&generator)
            let parsed = try schedule(text)
            let start = instant("2026-01-01T00:00:00Z").addingTimeInterval(
                Double(Int.random(in: 0...(330 * 86_400), using: &generator)))
            let end = start.addingTimeInterval(Double(Int.random(in: 3600...(45 * 86_400), using: &generator)))
            var simulator = Simulator(parsed, start: start)
            simulator.wake(at: start)
            var now = start
            while simulator.nextWake <= end {
                if Int.random(in: 0..<3, using: &generator) == 0 {
                    now = now.addingTimeInterval(
                        Double.random(in: 0...simulator.nextWake.timeIntervalSince(now), using: &generator))
                } else {
                    now = simulator.nextWake
                }
                simulator.wake(at: now)
            }
            simulator.wake(at: end)

            let preview = parsed.events(
                from: parsed.localDate(of: start).adding(days: -1), through: parsed.localDate(of: end).adding(days: 1)
            ).filter { $0.at > start && $0.at <= end }
            #expect(simulator.fired == preview, "\(text)")
            #expect(simulator.missed.isEmpty)
            #expect(simulator.firedLateness.allSatisfy { $0 == 0 })
            total += preview.count
        }
        #expect(total > 1000)
    }
}
