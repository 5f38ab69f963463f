import CarillonCore
import Foundation
import Testing

@Suite("Schedule evaluation")
struct ScheduleEvaluationTests {
    /// A term from Tuesday 2026-09-01 to Sunday 2027-02-28, a winter season across the year end, and day entries.
    static let text = """
        version = 1
        timezone = "UTC"
        [terms]
        autumn = { from = 2026-09-01, to = 2027-02-28 }
        [week]
        mon = "a"
        tue = "a"
        wed = "a"
        thu = "a"
        fri = "b"
        [[season]]
        name = "winter"
        from = "11-15"
        to = "02-15"
        swap = { a = "a-winter", c = "a" }
        [[day]]
        name = "holiday"
        from = 2026-10-05
        to = 2026-10-09
        timetable = "none"
        [[day]]
        name = "open day"
        from = 2026-10-07
        timetable = "c"
        [[day]]
        name = "make-up"
        from = 2026-10-10
        timetable = "a"
        [[day]]
        name = "fair"
        from = 2026-12-02
        timetable = "c"
        [[day]]
        name = "quiet winter day"
        from = 2026-12-03
        timetable = "none"
        [[day]]
        name = "summer camp"
        from = 2026-08-03
        timetable = "b"
        [timetables.a]
        events = [{ at = "08:00", play = "bell.a" }]
        [timetables.a-winter]
        events = [{ at = "08:30", play = "bell.a-winter" }]
        [timetables.b]
        events = [{ at = "09:00", play = "bell.b" }]
        [timetables.c]
        events = [{ at = "10:00", play = "bell.c" }]
        """

    func plan(_ date: String) throws -> DayPlan {
        try schedule(Self.text).plan(on: day(date))
    }

    @Test("inside a term the weekday's timetable applies; an absent weekday is silent")
    func weekInsideTerm() throws {
        #expect(try plan("2026-09-01").timetable == "a")  // Tuesday
        #expect(try plan("2026-09-01").rule == "week (term autumn)")
        #expect(try plan("2026-09-04").timetable == "b")  // Friday
        #expect(try plan("2026-09-05").timetable == nil)  // Saturday
        #expect(try plan("2026-09-05").choice == .week(term: "autumn"))
    }

    @Test("outside every term nothing rings, unless a day entry says so")
    func outsideTermIsSilent() throws {
        let before = try plan("2026-08-31")  // a Monday
        #expect(before.timetable == nil)
        #expect(before.choice == .outsideTerm)
        #expect(before.rule == "outside term")
        #expect(try plan("2027-03-01").timetable == nil)
        let camp = try plan("2026-08-03")
        #expect(camp.timetable == "b")
        #expect(camp.rule == "summer camp")
    }

    @Test("a day entry beats the week, and a later entry beats an earlier one where they overlap")
    func dayOverWeekAndLaterOverEarlier() throws {
        #expect(try plan("2026-10-05").timetable == nil)
        #expect(try plan("2026-10-05").rule == "holiday")
        #expect(try plan("2026-10-07").timetable == "c")  // "open day" comes after "holiday"
        #expect(try plan("2026-10-07").choice == .day("open day"))
        #expect(try plan("2026-10-09").timetable == nil)  // a Friday, still in the holiday
    }

    @Test("a make-up Saturday rings with the day entry's timetable")
    func makeUpSaturdayRings() throws {
        let saturday = try plan("2026-10-10")
        #expect(saturday.date.weekday == .saturday)
        #expect(saturday.timetable == "a")
        #expect(saturday.rule == "make-up")
        #expect(try schedule(Self.text).events(from: day("2026-10-10"), through: day("2026-10-10")).count == 1)
    }

    @Test("the season swap applies to the week's timetable, once, and wraps the year end")
    func seasonSwap() throws {
        #expect(try plan("2026-11-12").timetable == "a")  // a Thursday, before the season
        #expect(try plan("2026-11-12").season == nil)
        let first = try plan("2026-11-16")
        #expect(first.timetable == "a-winter")
        #expect(first.season == "winter")
        #expect(first.rule == "week (term autumn), season winter")
        #expect(try plan("2027-01-04").timetable == "a-winter")  // after New Year: the season wraps
        #expect(try plan("2027-02-15").timetable == "a-winter")  // its last day
        #expect(try plan("2027-02-16").timetable == "a")
        #expect(try plan("2026-11-20").timetable == "b")  // a Friday: `b` is absent from the swap and stays
        #expect(try plan("2026-11-20").season == nil)
    }

    @Test("the season swap applies to day entries too, once: c becomes a, not a-winter")
    func seasonSwapOnDayEntryAppliedOnce() throws {
        let fair = try plan("2026-12-02")
        #expect(fair.timetable == "a")
        #expect(fair.rule == "fair, season winter")
        #expect(try plan("2026-10-07").timetable == "c")  // outside the season, c stays
    }

    @Test("none is never swapped")
    func noneIsNeverSwapped() throws {
        let quiet = try plan("2026-12-03")
        #expect(quiet.timetable == nil)
        #expect(quiet.season == nil)
        #expect(quiet.rule == "quiet winter day")
    }

    @Test("days(from:through:) gives one plan per date, both ends included")
    func daysRange() throws {
        let parsed = try schedule(Self.text)
        let plans = parsed.days(from: day("2026-10-04"), through: day("2026-10-10"))
        #expect(plans.map(\.date.description) == (4...10).map { "2026-10-\($0 < 10 ? "0" : "")\($0)" })
        #expect(plans.map(\.timetable) == [nil, nil, nil, "c", nil, nil, "a"])
        #expect(parsed.days(from: day("2026-10-10"), through: day("2026-10-04")).isEmpty)
    }

    @Test("events come out in time order whatever the file order; ties keep file order")
    func eventsSortedRegardlessOfFileOrder() throws {
        let parsed = try schedule(
            """
            version = 1
            timezone = "Asia/Shanghai"
            [[day]]
            name = "test"
            from = 2026-10-09
            to = 2026-10-10
            timetable = "t"
            [timetables.t]
            events = [
              { at = "16:00", play = "bell.end" },
              { at = "08:00", play = "bell.start", zones = ["teaching"], level = "bell" },
              { at = "12:00", say = "午饭时间到了。" },
              { at = "08:00", play = "tip:today" },
              { at = "07:50:30", play = "bell.prep" },
            ]
            """)
        let events = parsed.events(from: day("2026-10-09"), through: day("2026-10-10"))
        #expect(
            events.map { "\($0.localDate) \($0.localTime) \($0.index)" } == [
                "2026-10-09 07:50:30 4", "2026-10-09 08:00:00 1", "2026-10-09 08:00:00 3", "2026-10-09 12:00:00 2",
                "2026-10-09 16:00:00 0",
                "2026-10-10 07:50:30 4", "2026-10-10 08:00:00 1", "2026-10-10 08:00:00 3", "2026-10-10 12:00:00 2",
                "2026-10-10 16:00:00 0",
            ])
        let start = events[1]
        #expect(start.at == instant("2026-10-09T08:00:00+08:00"))
        #expect(start.utcOffsetSeconds == 8 * 3600)
        #expect(start.action == .play("bell.start"))
        #expect(start.zones == ["teaching"])
        #expect(start.level == .bell)
        #expect(start.timetable == "t")
        #expect(start.day == "test")
        #expect(start.key == "2026-10-09|t|1")
        #expect(events[2].action == .tipToday)
        #expect(events[2].zones == ["all"])
        #expect(events[2].level == nil)
        #expect(events[3].action == .say("午饭时间到了。"))
        #expect(Set(events.map(\.key)).count == events.count)
    }

    @Test("events(in:) returns the events whose instant is in the interval, across local midnight")
    func eventsInInterval() throws {
        let parsed = try schedule(
            """
            version = 1
            timezone = "America/New_York"
            [[day]]
            name = "all week"
            from = 2026-10-05
            to = 2026-10-11
            timetable = "t"
            [timetables.t]
            events = [{ at = "00:10", play = "bell.a" }, { at = "23:50", play = "bell.b" }]
            """)
        // 2026-10-07 23:50 EDT is 2026-10-08 03:50 UTC; 2026-10-08 00:10 EDT is 04:10 UTC.
        let window = instant("2026-10-08T03:00:00Z")..<instant("2026-10-08T04:10:00Z")
        let events = parsed.events(in: window)
        #expect(events.map(\.key) == ["2026-10-07|t|1"])
        let wider = instant("2026-10-08T03:00:00Z")..<instant("2026-10-08T04:10:01Z")
        #expect(parsed.events(in: wider).map(\.key) == ["2026-10-07|t|1", "2026-10-08|t|0"])
        #expect(parsed.events(in: window.lowerBound..<window.lowerBound).isEmpty)
        #expect(parsed.localDate(of: instant("2026-10-08T03:50:00Z")) == day("2026-10-07"))
    }
}

@Suite("Week of term and themes")
struct ScheduleThemeTests {
    static let text = """
        version = 1
        timezone = "Asia/Shanghai"
        [terms]
        autumn = { from = 2026-09-01, to = 2027-01-22 }
        spring = { from = 2026-03-01, to = 2026-07-10 }
        [themes]
        1 = "traffic"
        2 = "fire"
        3 = "food"
        21 = "mental"
        """

    @Test("week 1 holds a term's first day even mid-week; week 2 starts on the next Monday")
    func termStartingMidWeek() throws {
        let parsed = try schedule(Self.text)
        #expect(day("2026-09-01").weekday == .tuesday)
        #expect(parsed.weekOfTerm(on: day("2026-09-01")) == 1)
        #expect(parsed.weekOfTerm(on: day("2026-09-06")) == 1)  // Sunday
        #expect(parsed.weekOfTerm(on: day("2026-09-07")) == 2)  // Monday
        #expect(parsed.weekOfTerm(on: day("2026-09-14")) == 3)
        #expect(parsed.weekOfTerm(on: day("2027-01-22")) == 21)
        #expect(parsed.theme(on: day("2026-09-01")) == "traffic")
        #expect(parsed.theme(on: day("2026-09-06")) == "traffic")
        #expect(parsed.theme(on: day("2026-09-07")) == "fire")
        #expect(parsed.theme(on: day("2026-09-13")) == "fire")
        #expect(parsed.theme(on: day("2026-09-14")) == "food")
        #expect(parsed.theme(on: day("2027-01-22")) == "mental")
    }

    @Test("a term starting on a Sunday has a one-day first week")
    func termStartingOnSunday() throws {
        let parsed = try schedule(Self.text)
        #expect(day("2026-03-01").weekday == .sunday)
        #expect(parsed.theme(on: day("2026-03-01")) == "traffic")
        #expect(parsed.theme(on: day("2026-03-02")) == "fire")
    }

    @Test("no theme outside terms or for a week without one")
    func noTheme() throws {
        let parsed = try schedule(Self.text)
        #expect(parsed.theme(on: day("2026-08-31")) == nil)
        #expect(parsed.weekOfTerm(on: day("2026-08-31")) == nil)
        #expect(parsed.theme(on: day("2026-09-21")) == nil)  // week 4
        #expect(parsed.theme(on: day("2027-01-23")) == nil)
        #expect(parsed.term(on: day("2026-09-21"))?.name == "autumn")
    }
}
