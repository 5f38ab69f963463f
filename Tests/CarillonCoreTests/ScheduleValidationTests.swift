import CarillonCore
import Foundation
import CarillonTOML
import Testing

/// One invalid schedule and the exact error lines it must produce.
struct InvalidSchedule: Sendable, CustomTestStringConvertible {
    let name: String
    let text: String
    var context = ScheduleContext()
    let errors: [String]
    var testDescription: String { name }
}

/// The first two lines of most cases, so that the interesting lines start at line 3.
private let head = """
    version = 1
    timezone = "UTC"

    """

@Suite("Schedule validation")
struct ScheduleValidationTests {
    static let cases: [InvalidSchedule] = [
        InvalidSchedule(
            name: "version must be positive", text: "version = 0\ntimezone = \"UTC\"\n",
            errors: ["schedule.toml:1:11: `version` must be a positive integer, found 0"]),
        InvalidSchedule(
            name: "version is required", text: "timezone = \"UTC\"\n",
            errors: ["schedule.toml:1:1: missing key `version` in the top-level table"]),
        InvalidSchedule(
            name: "version is an integer", text: "version = \"7\"\ntimezone = \"UTC\"\n",
            errors: ["schedule.toml:1:11: expected an integer for `version`, found a string"]),
        InvalidSchedule(
            name: "timezone must be an IANA name, not an abbreviation", text: "version = 1\ntimezone = \"CST\"\n",
            errors: [
                "schedule.toml:2:12: `CST` is not an IANA time zone name such as `Asia/Shanghai` or `Europe/Berlin`"
            ]),
        InvalidSchedule(
            name: "timezone must be an IANA name, not an offset", text: "version = 1\ntimezone = \"UTC+8\"\n",
            errors: [
                "schedule.toml:2:12: `UTC+8` is not an IANA time zone name such as `Asia/Shanghai` or `Europe/Berlin`"
            ]),
        InvalidSchedule(
            name: "timezone is required", text: "version = 1\n",
            errors: ["schedule.toml:1:1: missing key `timezone` in the top-level table"]),
        InvalidSchedule(
            name: "grace is at most an hour", text: head + "grace = 4000\n",
            errors: ["schedule.toml:3:9: `grace` must be 0 to 3600 seconds, found 4000"]),
        InvalidSchedule(
            name: "grace is not negative", text: head + "grace = -1\n",
            errors: ["schedule.toml:3:9: `grace` must be 0 to 3600 seconds, found -1"]),
        InvalidSchedule(
            name: "a term ends after it starts",
            text: head + "[terms]\nautumn = { from = 2026-09-01, to = 2026-01-22 }\n",
            errors: ["schedule.toml:4:36: term `autumn` ends (2026-01-22) before it starts (2026-09-01)"]),
        InvalidSchedule(
            name: "terms do not overlap",
            text: head + """
                [terms]
                a = { from = 2026-09-01, to = 2027-01-22 }
                b = { from = 2027-01-20, to = 2027-07-10 }
                """,
            errors: [
                "schedule.toml:5:1: term `b` (2027-01-20 to 2027-07-10) overlaps term `a` (2026-09-01 to 2027-01-22)"
            ]),
        InvalidSchedule(
            name: "term dates are TOML dates, not strings",
            text: head + "[terms]\na = { from = \"2026-09-01\", to = 2027-01-22, end = 1 }\n",
            errors: [
                "schedule.toml:4:14: expected a local date for `terms.a.from`, found a string; write 2026-09-01 without quotes",
                "schedule.toml:4:45: unknown key `end` in [terms.a]; expected one of `from`, `to`",
            ]),
        InvalidSchedule(
            name: "week names existing timetables and weekdays",
            text: head + """
                [timetables.regular]
                events = [{ at = "08:00", play = "bell.start" }]
                [week]
                mon = "regular"
                tue = "regulr"
                mond = "regular"
                sat = "none"
                """,
            errors: [
                "schedule.toml:7:7: timetable `regulr` does not exist ([week] `tue`)",
                "schedule.toml:8:1: unknown key `mond` in [week]; expected one of `mon`, `tue`, `wed`, `thu`, `fri`, `sat`, `sun`",
            ]),
        InvalidSchedule(
            name: "a swap target must exist",
            text: head + """
                [timetables.regular]
                events = []
                [timetables.regular-summer]
                events = []
                [[season]]
                name = "summer"
                from = "05-01"
                to = "09-30"
                swap = { regular = "regular-sumer" }
                """,
            errors: ["schedule.toml:11:20: timetable `regular-sumer` does not exist (swap of season `summer`)"]),
        InvalidSchedule(
            name: "a swap source must exist, and none is never swapped",
            text: head + """
                [timetables.a]
                events = []
                [[season]]
                name = "summer"
                from = "05-01"
                to = "09-30"
                swap = { regulr = "a", none = "a" }
                [[season]]
                name = "winter"
                from = "11-01"
                to = "12-31"
                swap = { a = "none" }
                """,
            errors: [
                "schedule.toml:9:10: timetable `regulr` does not exist (swap of season `summer`)",
                "schedule.toml:9:24: `none` is never swapped (season `summer`)",
                "schedule.toml:14:14: a season cannot swap to `none` (season `winter`); silence days with a [[day]] entry",
            ]),
        InvalidSchedule(
            name: "season month-days are real days",
            text: head + """
                [[season]]
                name = "summer"
                from = "02-30"
                to = "9-30"
                swap = {}
                """,
            errors: [
                "schedule.toml:5:8: `02-30` is not a month-day; write \"MM-DD\", e.g. \"05-01\"",
                "schedule.toml:6:6: `9-30` is not a month-day; write \"MM-DD\", e.g. \"05-01\"",
            ]),
        InvalidSchedule(
            name: "seasons do not overlap, also across the year end",
            text: head + """
                [[season]]
                name = "summer"
                from = "05-01"
                to = "09-30"
                swap = {}
                [[season]]
                name = "winter"
                from = "09-15"
                to = "02-15"
                swap = {}
                [[season]]
                name = "spring"
                from = "02-10"
                to = "03-31"
                swap = {}
                [[season]]
                name = "summer"
                from = "04-01"
                to = "04-02"
                swap = {}
                """,
            errors: [
                "schedule.toml:10:8: season `winter` overlaps season `summer` (both hold 09-15)",
                "schedule.toml:15:8: season `spring` overlaps season `winter` (both hold 02-10)",
                "schedule.toml:19:8: there are two seasons named `summer`",
            ]),
        InvalidSchedule(
            name: "a season needs a name and a swap",
            text: head + "[[season]]\nfrom = \"05-01\"\nto = \"09-30\"\n",
            errors: [
                "schedule.toml:3:1: missing key `name` in [[season]]",
                "schedule.toml:3:1: missing key `swap` in [[season]]",
            ]),
        InvalidSchedule(
            name: "a day entry ends after it starts, names a timetable that exists, and has a name",
            text: head + """
                [timetables.a]
                events = []
                [[day]]
                name = "trip"
                from = 2026-10-09
                to = 2026-10-08
                timetable = "b"
                [[day]]
                from = 2026-10-09
                date = 2026-10-10
                """,
            errors: [
                "schedule.toml:8:6: `to` (2026-10-08) is before `from` (2026-10-09) in day `trip`",
                "schedule.toml:9:13: timetable `b` does not exist (day `trip`)",
                "schedule.toml:10:1: missing key `name` in [[day]]",
                "schedule.toml:10:1: missing key `timetable` in [[day]]",
                "schedule.toml:12:1: unknown key `date` in [[day]]; expected one of `name`, `from`, `to`, `timetable`",
            ]),
        InvalidSchedule(
            name: "every event error, each at its own line",
            text: head + """
                [timetables.a]
                events = [
                  { at = "8:00", play = "bell.start" },
                  { at = 08:00:00.5, play = "bell.start" },
                  { at = 800, play = "bell.start" },
                  { at = "08:00", play = "bell.start", say = "hi" },
                  { at = "08:00" },
                  { at = "08:00", play = "Bell Start" },
                  { at = "08:00", play = "tip:tomorrow" },
                  { at = "08:00", say = "  " },
                  { at = "08:00", play = "bell.start", zones = [] },
                  { at = "08:00", play = "bell.start", zones = ["Yard", 3] },
                  { at = "08:00", play = "bell.start", level = "loud" },
                  { at = "08:00", play = "bell.start", volume = 3 },
                  { play = "bell.start" },
                ]
                """,
            errors: [
                "schedule.toml:5:10: `8:00` is not a time of day; write \"HH:MM\" or \"HH:MM:SS\"",
                "schedule.toml:6:10: `08:00:00.5` is not a whole second of a day; fractions and leap seconds are not allowed",
                "schedule.toml:7:10: expected a time of day (\"HH:MM\", \"HH:MM:SS\" or a local time) for `timetables.a.events[2].at`, found an integer",
                "schedule.toml:8:40: an event has both `play` and `say`; give exactly one",
                "schedule.toml:9:3: an event needs `play` (a clip id, `tip:today`, `tip:next` or `culture:next`) or `say` (text read aloud)",
                "schedule.toml:10:26: `Bell Start` is not a clip id: dot-separated words of lower-case letters, digits, `-` and `_`",
                "schedule.toml:11:26: `tip:tomorrow` is not a rotation slot; expected `tip:today`, `tip:next` or `culture:next`",
                "schedule.toml:12:25: the `say` text is empty",
                "schedule.toml:13:48: `zones` is empty; leave it out to mean all zones",
                "schedule.toml:14:49: `Yard` is not a zone name: lower-case letters, digits, `-` and `_`, starting with a letter",
                "schedule.toml:14:57: expected a string for `timetables.a.events[9].zones[1]`, found an integer",
                "schedule.toml:15:48: `loud` is not a level; expected one of `background`, `announcement`, `bell`, `shout`, `emergency`",
                "schedule.toml:16:40: unknown key `volume` in [timetables.a.events]; expected one of `at`, `play`, `say`, `zones`, `level`",
                "schedule.toml:17:3: missing key `at` in [timetables.a.events]",
            ]),
        InvalidSchedule(
            name: "say text is at most 500 characters",
            text: head + """
                [timetables.a]
                events = [
                  { at = "08:00", say = "\(String(repeating: "安", count: 500))" },
                  { at = "09:00", say = "\(String(repeating: "安", count: 501))" },
                ]
                """,
            errors: ["schedule.toml:6:25: the `say` text has 501 characters; at most 500 are allowed"]),
        InvalidSchedule(
            name: "clips, zones and tip categories are checked when they are known",
            text: head + """
                [timetables.a]
                events = [
                  { at = "08:00", play = "bell.strat" },
                  { at = "08:00", play = "bell.start", zones = ["teaching", "roof"] },
                ]
                [themes]
                1 = "traffic"
                2 = "trafic"
                """,
            context: ScheduleContext(
                zones: ["teaching", "dormitory"], clipExists: { $0 == "bell.start" },
                tipCategories: ["traffic", "fire"]),
            errors: [
                "schedule.toml:5:26: clip `bell.strat` does not exist in the library",
                "schedule.toml:6:61: zone `roof` does not exist; the zones are `teaching`, `dormitory` and `all`",
                "schedule.toml:10:5: tip category `trafic` does not exist (theme of week 2)",
            ]),
        InvalidSchedule(
            name: "theme keys are week numbers from 1 to 60",
            text: head + "[themes]\n0 = \"fire\"\n61 = \"fire\"\nx = \"fire\"\n3 = 4\n60 = \"fire\"\n",
            errors: [
                "schedule.toml:4:1: theme key `0` must be a week of term from 1 to 60, or a term's name",
                "schedule.toml:5:1: theme key `61` must be a week of term from 1 to 60, or a term's name",
                "schedule.toml:6:1: theme key `x` must be a week of term from 1 to 60, or a term's name",
                "schedule.toml:7:5: expected a string for `themes.3`, found an integer",
            ]),
        InvalidSchedule(
            name: "values of the wrong shape are reported where they are",
            text: head + """
                [terms]
                "" = { from = 2026-09-01, to = 2026-09-02 }
                x = 5
                [themes]
                1 = "fire"
                01 = "food"
                [timetables.a]
                events = "none"
                [timetables.b]
                events = [1]
                [[day]]
                name = ""
                from = 2026-09-01
                timetable = "none"
                [[season]]
                name = "s"
                from = 501
                to = "05-02"
                swap = { a = 1 }
                """,
            errors: [
                "schedule.toml:4:1: a term needs a name",
                "schedule.toml:5:5: expected a table for `terms.x`, found an integer",
                "schedule.toml:8:1: week 1 has two themes",
                "schedule.toml:10:10: expected an array of tables for `timetables.a.events`, found a string",
                "schedule.toml:12:11: expected a table for `timetables.b.events[0]`, found an integer",
                "schedule.toml:14:8: the name of a [[day]] entry is empty",
                "schedule.toml:19:8: expected a month-day string such as \"05-01\" for `season[0].from`, found an integer",
                "schedule.toml:21:14: expected a string for `season[0].swap.a`, found an integer",
            ]),
        InvalidSchedule(
            name: "unknown top-level keys are reported",
            text: head + "weeks = {}\n",
            errors: [
                "schedule.toml:3:1: unknown key `weeks` in the top-level table; expected one of `version`, `timezone`, "
                    + "`grace`, `terms`, `week`, `season`, `day`, `calendar`, `timetables`, `themes`, `theme`"
            ]),
        InvalidSchedule(
            name: "timetable names are reserved or well formed",
            text: head + "[timetables.none]\nevents = []\n[timetables.Regular]\nevents = []\n[timetables.b]\n",
            errors: [
                "schedule.toml:3:1: `none` is reserved for silent days and cannot name a timetable",
                "schedule.toml:5:1: timetable name `Regular` must be lower-case letters, digits, `-` and `_`, starting with a letter",
                "schedule.toml:7:1: missing key `events` in [timetables.b]",
            ]),
    ]

    @Test("the time zone keeps the name the schedule gives it: UTC stays UTC, though Foundation calls it GMT")
    func timeZoneName() throws {
        let utc = try schedule("version = 1\ntimezone = \"UTC\"\n")
        #expect(utc.timeZoneName == "UTC")
        #expect(utc.timeZone.secondsFromGMT() == 0)
        #expect(try schedule("version = 1\ntimezone = \"Asia/Shanghai\"\n").timeZoneName == "Asia/Shanghai")
    }

    @Test("each invalid schedule reports exactly its errors, with file, line and column", arguments: cases)
    func invalidSchedule(_ invalid: InvalidSchedule) {
        #expect(scheduleErrors(invalid.text, context: invalid.context) == invalid.errors)
    }

    @Test("one bad value hides no other error: several problems are all reported, in line order")
    func severalErrorsAreAllReported() {
        let text = """
            version = 0
            timezone = "Mars/Olympus"
            grace = "soon"
            [terms]
            t = { from = 2026-09-01, to = 2026-08-01 }
            [[day]]
            name = "sports day"
            from = 2026-10-09
            timetable = "sport"
            [timetables.a]
            events = [{ at = "25:00", play = "Bell" }]
            """
        let errors = scheduleErrors(text)
        #expect(
            errors == [
                "schedule.toml:1:11: `version` must be a positive integer, found 0",
                "schedule.toml:2:12: `Mars/Olympus` is not an IANA time zone name such as `Asia/Shanghai` or `Europe/Berlin`",
                "schedule.toml:3:9: expected an integer for `grace`, found a string",
                "schedule.toml:5:31: term `t` ends (2026-08-01) before it starts (2026-09-01)",
                "schedule.toml:9:13: timetable `sport` does not exist (day `sports day`)",
                "schedule.toml:11:18: `25:00` is not a time of day; write \"HH:MM\" or \"HH:MM:SS\"",
                "schedule.toml:11:34: `Bell` is not a clip id: dot-separated words of lower-case letters, digits, `-` and `_`",
            ])
    }

    @Test("a TOML syntax error is reported alone, with its position")
    func syntaxError() {
        let errors = scheduleErrors("version = 1\ntimezone = \"UTC\ngrace = 0\n")
        #expect(errors.count == 1)
        #expect(errors.first?.hasPrefix("schedule.toml:2:") == true)
    }

    @Test("the error lists every problem, one `file:line:column: message` per line")
    func errorDescriptionListsEveryLine() throws {
        let error = #expect(throws: ScheduleError.self) {
            try Schedule.parse("version = 0\ntimezone = \"X\"\n", file: "s.toml")
        }
        #expect(
            error?.description
                == "s.toml:1:11: `version` must be a positive integer, found 0\n"
                + "s.toml:2:12: `X` is not an IANA time zone name such as `Asia/Shanghai` or `Europe/Berlin`")
    }

    @Test("the same schedule parses when nothing is known to check it against")
    func offlineSkipsLibraryChecks() throws {
        let text =
            head + """
                [timetables.a]
                events = [{ at = "08:00", play = "bell.strat", zones = ["roof"] }]
                [themes]
                1 = "trafic"
                """
        let parsed = try schedule(text)
        #expect(parsed.timetables["a"]?.events.first?.zones == ["roof"])
        #expect(parsed.themes == [1: "trafic"])
    }

    @Test("accepted forms: local times, HH:MM:SS strings, 02-29, Etc zones, zones with all, every level")
    func acceptedForms() throws {
        let parsed = try schedule(
            """
            version = 3
            timezone = "Etc/UTC"
            grace = 0
            [[season]]
            name = "leap"
            from = "02-29"
            to = "02-29"
            swap = {}
            [timetables.a]
            [[timetables.a.events]]
            at = 07:50:00
            play = "bell.prep"
            [[timetables.a.events]]
            at = "07:51:30"
            play = "tip:next"
            zones = ["all", "teaching"]
            level = "emergency"
            """, context: ScheduleContext(zones: ["teaching"]))
        #expect(parsed.version == 3)
        #expect(parsed.graceSeconds == 0)
        #expect(parsed.seasons.first?.from == MonthDay(month: 2, day: 29))
        let events = try #require(parsed.timetables["a"]?.events)
        #expect(events.map(\.time) == [LocalTime(hour: 7, minute: 50), LocalTime(hour: 7, minute: 51, second: 30)])
        #expect(events.map(\.zones) == [["all"], ["all", "teaching"]])
        #expect(events.map(\.level) == [nil, .emergency])
        #expect(events.map(\.action) == [.play("bell.prep"), .tipNext])
    }

    @Test("grace defaults to 60 seconds")
    func graceDefault() throws {
        #expect(try schedule(head).graceSeconds == 60)
    }
}
