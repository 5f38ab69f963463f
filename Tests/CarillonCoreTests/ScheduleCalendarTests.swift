import CarillonCore
import Foundation
import Synchronization
import Testing

/// A loader that serves fixed days per path and records what it was asked, for the seam between Core and
/// `CarillonCalendar` (which reads real iCalendar files; see `CarillonCalendarTests`).
private final class FakeCalendars: Sendable {
    let files: [String: [CalendarDay]]
    let requests = Mutex<[CalendarRequest]>([])

    init(_ files: [String: [CalendarDay]]) {
        self.files = files
    }

    var loader: CalendarLoader {
        { request throws(CalendarError) in
            self.requests.withLock { $0.append(request) }
            guard let days = self.files[request.path] else {
                throw CalendarError("calendar file `\(request.path)` does not exist")
            }
            return CalendarContents(days: days, ignoredEvents: 3)
        }
    }

    var context: ScheduleContext { ScheduleContext(calendarLoader: loader) }
}

@Suite("Schedule calendars (the [[calendar]] seam)")
struct ScheduleCalendarTests {
    /// A `[[day]]` before and one after a `[[calendar]]` table (lines 11, 16 and 19).
    static let text = """
        version = 1
        timezone = "UTC"
        [terms]
        autumn = { from = 2026-09-01, to = 2026-12-31 }
        [week]
        mon = "a"
        tue = "a"
        wed = "a"
        thu = "a"
        fri = "a"
        [[day]]
        name = "before"
        from = 2026-10-05
        to = 2026-10-06
        timetable = "b"
        [[calendar]]
        file = "calendars/one.ics"
        categories = { Holiday = "none", TRIP = "b" }
        [[day]]
        name = "after"
        from = 2026-10-09
        timetable = "b"
        [timetables.a]
        events = [{ at = "08:00", play = "bell.a" }]
        [timetables.b]
        events = [{ at = "09:00", play = "bell.b" }]
        """

    static let oneICS = [
        CalendarDay(name: "holiday week", from: day("2026-10-05"), to: day("2026-10-09"), timetable: "none"),
        CalendarDay(name: "trip", from: day("2026-10-07"), to: day("2026-10-07"), timetable: "b"),
    ]

    @Test("calendar days stand where the [[calendar]] table stands among the [[day]] tables")
    func precedence() throws {
        let calendars = FakeCalendars(["/srv/school/calendars/one.ics": Self.oneICS])
        let parsed = try Schedule.parse(Self.text, file: "/srv/school/schedule.toml", context: calendars.context)
        let plans = parsed.days(from: day("2026-10-05"), through: day("2026-10-09")).map(\.description)
        #expect(
            plans == [
                "2026-10-05 none (holiday week)",  // the calendar comes after `before`
                "2026-10-06 none (holiday week)",
                "2026-10-07 b (trip)",  // within a calendar, the later day wins
                "2026-10-08 none (holiday week)",
                "2026-10-09 b (after)",  // a [[day]] after the calendar wins
            ])
        #expect(parsed.dayEntries.map(\.name) == ["before", "holiday week", "trip", "after"])
        #expect(parsed.dayEntries.map(\.calendar) == [nil, "calendars/one.ics", "calendars/one.ics", nil])
        let calendar = try #require(parsed.calendars.first)
        #expect(parsed.calendars.count == 1)
        #expect(calendar.file == "calendars/one.ics")
        #expect(calendar.path == "/srv/school/calendars/one.ics")
        #expect(calendar.categories == ["Holiday": "none", "TRIP": "b"])
        #expect(calendar.dayCount == 2)
        #expect(calendar.ignoredEvents == 3)
        let events = parsed.events(from: day("2026-10-05"), through: day("2026-10-09"))
        #expect(events.map(\.day) == ["trip", "after"])
    }

    @Test("the loader gets the resolved path, the categories as written, the timezone and the window")
    func request() throws {
        let calendars = FakeCalendars(["/srv/school/calendars/one.ics": Self.oneICS])
        _ = try Schedule.parse(Self.text, file: "/srv/school/schedule.toml", context: calendars.context)
        let request = try #require(calendars.requests.withLock { $0 }.first)
        #expect(request.path == "/srv/school/calendars/one.ics")
        #expect(request.categories == ["Holiday": "none", "TRIP": "b"])
        #expect(request.timeZone.secondsFromGMT() == 0)
        // The years of the terms and [[day]] entries (2026), one year either side.
        #expect(request.window == day("2025-01-01")...day("2027-12-31"))
    }

    @Test("relative paths resolve against the schedule file's directory; absolute paths stay")
    func paths() throws {
        let absolute = Self.text.replacingOccurrences(of: "calendars/one.ics", with: "/var/lib/x.ics")
        let calendars = FakeCalendars([
            "calendars/one.ics": Self.oneICS, "/var/lib/x.ics": Self.oneICS, "conf/calendars/one.ics": Self.oneICS,
        ])
        _ = try Schedule.parse(Self.text, file: "schedule.toml", context: calendars.context)
        _ = try Schedule.parse(Self.text, file: "conf/schedule.toml", context: calendars.context)
        _ = try Schedule.parse(absolute, file: "/srv/school/schedule.toml", context: calendars.context)
        #expect(
            calendars.requests.withLock { $0 }.map(\.path) == [
                "calendars/one.ics", "conf/calendars/one.ics", "/var/lib/x.ics",
            ])
    }

    @Test("without terms or [[day]] entries the window is nil")
    func noWindow() throws {
        let calendars = FakeCalendars(["calendars/one.ics": Self.oneICS])
        let parsed = try schedule(
            """
            version = 1
            timezone = "Asia/Shanghai"
            [[calendar]]
            file = "calendars/one.ics"
            categories = { TRIP = "b", HOLIDAY = "none" }
            [timetables.b]
            events = [{ at = "09:00", play = "bell.b" }]
            """, context: calendars.context)
        #expect(calendars.requests.withLock { $0 }.first?.window == nil)
        #expect(calendars.requests.withLock { $0 }.first?.timeZone.identifier == "Asia/Shanghai")
        // Calendar days ring outside terms, as [[day]] entries do.
        #expect(parsed.plan(on: day("2026-10-07")).description == "2026-10-07 b (trip)")
        #expect(parsed.events(from: day("2026-10-07"), through: day("2026-10-07")).count == 1)
    }

    @Test("with no loader a [[calendar]] table is an error at its file")
    func noLoader() {
        #expect(
            scheduleErrors(Self.text) == [
                "schedule.toml:17:8: iCalendar files are not supported here; [[calendar]] needs the daemon or "
                    + "the `carillon` client"
            ])
    }

    @Test("a loader's error is reported at the file of its [[calendar]] table")
    func loaderError() {
        let calendars = FakeCalendars([:])
        #expect(
            scheduleErrors(Self.text, context: calendars.context) == [
                "schedule.toml:17:8: calendar file `calendars/one.ics` does not exist"
            ])
    }

    static let invalid: [InvalidSchedule] = [
        InvalidSchedule(
            name: "mapped timetables must exist; none is allowed",
            text: """
                version = 1
                timezone = "UTC"
                [[calendar]]
                file = "one.ics"
                categories = { HOLIDAY = "none", EXAM = "exm" }
                [timetables.exam]
                events = []
                """,
            errors: ["schedule.toml:5:41: timetable `exm` does not exist (category `EXAM` of calendar `one.ics`)"]),
        InvalidSchedule(
            name: "file and categories are required",
            text: "version = 1\ntimezone = \"UTC\"\n[[calendar]]\nfiles = \"one.ics\"\n",
            errors: [
                "schedule.toml:3:1: missing key `file` in [[calendar]]",
                "schedule.toml:3:1: missing key `categories` in [[calendar]]",
                "schedule.toml:4:1: unknown key `files` in [[calendar]]; expected one of `file`, `categories`",
            ]),
        InvalidSchedule(
            name: "file is not empty, categories are not empty",
            text: "version = 1\ntimezone = \"UTC\"\n[[calendar]]\nfile = \" \"\ncategories = {}\n",
            errors: [
                "schedule.toml:4:8: the `file` of a [[calendar]] table is empty",
                "schedule.toml:5:14: `categories` of this calendar is empty; map at least one event category to a "
                    + "timetable or `none`",
            ]),
        InvalidSchedule(
            name: "categories ignore case, map to strings, and are not blank",
            text: """
                version = 1
                timezone = "UTC"
                [[calendar]]
                file = "one.ics"
                categories = { Holiday = "none", HOLIDAY = "none", EXAM = 1, " " = "none" }
                """,
            errors: [
                "schedule.toml:5:34: categories `Holiday` and `HOLIDAY` of calendar `one.ics` are the same; "
                    + "categories ignore case",
                "schedule.toml:5:59: expected a string for `calendar[0].categories.EXAM`, found an integer",
                "schedule.toml:5:62: an event category of calendar `one.ics` is empty",
            ]),
        InvalidSchedule(
            name: "calendar is an array of tables",
            text: "version = 1\ntimezone = \"UTC\"\ncalendar = \"one.ics\"\n",
            errors: ["schedule.toml:3:12: expected an array of tables for `calendar`, found a string"]),
    ]

    @Test("invalid [[calendar]] tables", arguments: invalid)
    func invalidCalendar(_ testCase: InvalidSchedule) {
        let calendars = FakeCalendars(["one.ics": []])
        #expect(scheduleErrors(testCase.text, context: calendars.context) == testCase.errors)
    }
}
