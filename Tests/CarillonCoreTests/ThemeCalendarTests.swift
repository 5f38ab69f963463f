import CarillonCore
import Foundation
import Testing

/// `[[theme]]` entries and `[themes]`: which subject each date has, and why.
@Suite("Theme calendar: pinned days, ranges and the week of term")
struct ThemeCalendarTests {
    static let header = """
        version = 1
        timezone = "Asia/Shanghai"
        [terms]
        "2026-spring" = { from = 2026-03-02, to = 2026-07-10 }
        "2026-autumn" = { from = 2026-09-01, to = 2027-01-22 }

        """

    func parsed(_ body: String) throws -> Schedule {
        try schedule(Self.header + body, context: ScheduleContext(tipCategories: Clip.tipSubjects))
    }

    func errors(_ body: String) -> [String] {
        scheduleErrors(Self.header + body, context: ScheduleContext(tipCategories: Clip.tipSubjects))
    }

    @Test("a pinned day beats a range, a range beats the week of term; the later entry wins among equals")
    func precedence() throws {
        let parsed = try parsed(
            """
            [[theme]]
            name = "全国消防日"
            subject = "fire"
            date = "11-09"
            [[theme]]
            subject = "epidemic"
            from = "11-01"
            to = "11-30"
            [[theme]]
            subject = "injury"
            from = "11-09"
            to = "11-10"
            [themes]
            10 = "cyber"
            11 = "law"
            """)
        #expect(parsed.theme(on: day("2026-11-09")) == "fire")  // pinned, inside two ranges and week 11
        #expect(parsed.themeChoice(on: day("2026-11-09"))?.ruleDescription == "全国消防日 (11-09)")
        #expect(parsed.theme(on: day("2026-11-10")) == "injury")  // the later of two ranges
        #expect(parsed.theme(on: day("2026-11-11")) == "epidemic")
        #expect(parsed.themeChoice(on: day("2026-11-11"))?.ruleDescription == "11-01 to 11-30")
        #expect(parsed.theme(on: day("2026-11-02")) == "epidemic")  // week 10, but the range beats it
        #expect(parsed.theme(on: day("2026-10-26")) == nil)  // week 9 has no theme
        #expect(parsed.theme(on: day("2026-12-01")) == nil)  // week 14 has no theme
    }

    @Test("rules: the last Monday of March, the second Sunday of May, a one-off date")
    func rules() throws {
        let parsed = try parsed(
            """
            [[theme]]
            subject = "technique"
            date = "last-monday-of-march"
            [[theme]]
            subject = "mental"
            date = "second-sunday-of-may"
            [[theme]]
            subject = "bus"
            date = 2026-09-03
            """)
        #expect(parsed.theme(on: day("2026-03-30")) == "technique")
        #expect(parsed.theme(on: day("2027-03-29")) == "technique")
        #expect(parsed.theme(on: day("2026-03-23")) == nil)
        #expect(parsed.theme(on: day("2026-05-10")) == "mental")
        #expect(parsed.theme(on: day("2026-09-03")) == "bus")
        #expect(parsed.theme(on: day("2027-09-03")) == nil)
        #expect(parsed.themeChoice(on: day("2026-03-30"))?.ruleDescription == "last-monday-of-march")
    }

    @Test("to = term-end runs from the month-day to the end of the term it falls in, never into the next term")
    func termEnd() throws {
        let parsed = try parsed(
            """
            [[theme]]
            name = "防溺水"
            subject = "outdoor"
            from = "05-01"
            to = "term-end"
            weekdays = ["mon", "fri"]
            """)
        #expect(parsed.theme(on: day("2026-05-08")) == "outdoor")  // Friday
        #expect(parsed.theme(on: day("2026-05-07")) == nil)  // Thursday
        #expect(parsed.theme(on: day("2026-07-10")) == "outdoor")  // the term's last day, a Friday
        #expect(parsed.theme(on: day("2026-07-13")) == nil)  // summer holidays
        #expect(parsed.theme(on: day("2026-04-27")) == nil)  // before May
        #expect(parsed.theme(on: day("2026-09-04")) == nil)  // autumn term: its May is not in it
        #expect(parsed.theme(on: day("2027-01-22")) == nil)
        #expect(parsed.themeChoice(on: day("2026-05-08"))?.ruleDescription == "防溺水 (05-01 to term-end on mon, fri)")
    }

    @Test("a range may wrap the year end")
    func wraps() throws {
        let parsed = try parsed(
            """
            [[theme]]
            subject = "epidemic"
            from = "11-16"
            to = "03-31"
            """)
        for date in ["2026-11-16", "2026-12-31", "2027-01-01", "2026-03-31"] {
            #expect(parsed.theme(on: day(date)) == "epidemic", "\(date)")
        }
        #expect(parsed.theme(on: day("2026-04-01")) == nil)
        #expect(parsed.theme(on: day("2026-11-15")) == nil)
    }

    @Test("a term's own weeks beat the shared ones in that term only")
    func termWeeks() throws {
        let parsed = try parsed(
            """
            [themes]
            1 = "traffic"
            2 = "fire"
            [themes."2026-autumn"]
            2 = "bus"
            """)
        #expect(parsed.theme(on: day("2026-03-09")) == "fire")
        #expect(parsed.theme(on: day("2026-09-07")) == "bus")
        #expect(parsed.theme(on: day("2026-09-01")) == "traffic")
        #expect(parsed.themeChoice(on: day("2026-09-07"))?.ruleDescription == "week 2 of 2026-autumn")
    }

    @Test("an old schedule with only [themes] keeps its weekly cycle")
    func backwardCompatible() throws {
        let parsed = try parsed("[themes]\n1 = \"traffic\"\n21 = \"fire\"\n")
        #expect(parsed.themes == [1: "traffic", 21: "fire"])
        #expect(parsed.themeEntries.isEmpty)
        #expect(parsed.theme(on: day("2027-01-22")) == "fire")
    }

    @Test("every mistake is reported with its line and column, and nothing traps")
    func mistakes() {
        let found = errors(
            """
            [[theme]]
            subject = "fire"
            date = "11-31"
            [[theme]]
            subject = "fire"
            date = "fifth-monday-of-march"
            [[theme]]
            subject = "fire"
            date = "11-09"
            from = "11-01"
            to = "11-30"
            [[theme]]
            subject = "fire"
            [[theme]]
            subject = "fier"
            from = "13-01"
            to = "term-ends"
            [[theme]]
            subject = "fire"
            from = "01-01"
            to = 5
            weekdays = ["mon", "mon", "funday", 3]
            [[theme]]
            subject = ""
            date = 9999-12-31
            weekdays = ["mon"]
            colour = "red"
            [[theme]]
            subject = "fire"
            from = "01-01"
            weekdays = []
            [themes]
            0 = "fire"
            99999999999999999999 = "fire"
            61 = "fire"
            "2027-spring" = { 1 = "fire" }
            [themes."2026-spring"]
            1 = "fier"
            x = "fire"
            """)
        // Each mistake is found, none hides another, and none traps.
        #expect(found.count >= 20, "\(found.joined(separator: "\n"))")
        for fragment in [
            "`11-31` is not a day", "`fifth-monday-of-march` is not a day", "both `date` and `from`/`to`",
            "needs `date`", "`fier` does not exist (subject", "`13-01` is not a month-day",
            "`term-ends` is not the end",
            "found an integer", "`mon` is listed twice", "expected a weekday", "subject of this theme is empty",
            "`weekdays` belongs to a range", "unknown key `colour`", "missing key `to`",
            "non-empty array of weekdays", "theme key `0` must be a week", "theme key `99999999999999999999`",
            "theme key `61`", "`[themes.2027-spring]` names no term", "`fier` does not exist (theme of week 1 of term",
            "theme key `x`",
        ] {
            #expect(found.contains { $0.contains(fragment) }, "\(fragment)\n\(found.joined(separator: "\n"))")
        }
        #expect(found.allSatisfy { $0.hasPrefix("schedule.toml:") })
        #expect(
            found.contains(
                "schedule.toml:8:8: `11-31` is not a day of this theme: write \"MM-DD\" (\"11-09\"), a rule (\"first|second|third|fourth|last-WEEKDAY-of-MONTH\", e.g. \"last-monday-of-march\"), or a date without quotes (2026-11-09)"
            ))
    }
}
