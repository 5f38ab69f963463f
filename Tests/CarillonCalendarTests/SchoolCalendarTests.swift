import CarillonCalendar
import CarillonCore
import CarillonTOML
import Foundation
import Testing

/// A school's term calendar as a school information system would publish it: CRLF line endings (written by
/// `Scratch.write`), a folded SUMMARY, all-day holidays with exclusive DTEND, a make-up Saturday, an exam week,
/// a weekly rule with an EXDATE, a yearly rule, an event in another zone, and events the schedule does not map.
let schoolCalendar = vcalendar(
    """
    CALSCALE:GREGORIAN
    X-WR-CALNAME:Example Middle School 2026-27
    X-WR-TIMEZONE:Asia/Shanghai
    BEGIN:VEVENT
    UID:national-day-2026@example.edu
    DTSTAMP:20260601T000000Z
    DTSTART;VALUE=DATE:20261001
    DTEND;VALUE=DATE:20261008
    SUMMARY:National Day
    CATEGORIES:Holiday
    END:VEVENT
    BEGIN:VEVENT
    UID:makeup-2026-10-10@example.edu
    DTSTAMP:20260601T000000Z
    DTSTART;VALUE=DATE:20261010
    DTEND;VALUE=DATE:20261011
    SUMMARY:Make-up working day (Saturday\\, in exchange for National
      Day)
    CATEGORIES:MAKEUP
    END:VEVENT
    BEGIN:VEVENT
    UID:exam-week-2027@example.edu
    DTSTAMP:20260601T000000Z
    DTSTART;VALUE=DATE:20270118
    DTEND;VALUE=DATE:20270123
    SUMMARY:Final exams
    CATEGORIES:School,Exam
    END:VEVENT
    BEGIN:VEVENT
    UID:short-wednesday@example.edu
    DTSTAMP:20260601T000000Z
    DTSTART;VALUE=DATE:20260902
    DTEND;VALUE=DATE:20260903
    RRULE:FREQ=WEEKLY;BYDAY=WE;UNTIL=20270120
    EXDATE;VALUE=DATE:20260916
    SUMMARY:Short Wednesday (no assembly)
    CATEGORIES:SHORT
    END:VEVENT
    BEGIN:VEVENT
    UID:founders-day@example.edu
    DTSTAMP:20260601T000000Z
    DTSTART;VALUE=DATE:20181111
    RRULE:FREQ=YEARLY
    SUMMARY:Founders' Day
    CATEGORIES:HOLIDAY
    END:VEVENT
    BEGIN:VEVENT
    UID:video-exam@example.edu
    DTSTAMP:20260601T000000Z
    DTSTART;TZID=America/Los_Angeles:20261105T180000
    DTEND;TZID=America/Los_Angeles:20261105T200000
    SUMMARY:Exchange school video exam
    CATEGORIES:EXAM
    END:VEVENT
    BEGIN:VEVENT
    UID:staff-meeting@example.edu
    DTSTAMP:20260601T000000Z
    DTSTART:20261104T090000Z
    SUMMARY:Staff meeting
    CATEGORIES:MEETING
    END:VEVENT
    BEGIN:VEVENT
    UID:sports-day@example.edu
    DTSTAMP:20260601T000000Z
    DTSTART;VALUE=DATE:20261023
    SUMMARY:Sports day
    END:VEVENT

    """)

/// The schedule that names the calendar between two `[[day]]` entries (lines 10, 14 and 17).
let schoolSchedule = """
    version = 1
    timezone = "Asia/Shanghai"
    [terms]
    "2026-autumn" = { from = 2026-09-01, to = 2027-01-22 }
    [week]
    mon = "regular"
    tue = "regular"
    wed = "regular"
    thu = "regular"
    fri = "regular"
    [[day]]
    name = "assembly day"
    from = 2026-10-14
    timetable = "regular"
    [[calendar]]
    file = "calendars/school-2026.ics"
    categories = { HOLIDAY = "none", EXAM = "exam", MAKEUP = "regular", SHORT = "short" }
    [[day]]
    name = "open day"
    from = 2026-10-21
    timetable = "exam"
    [timetables.regular]
    events = [{ at = "08:00", play = "bell.start" }, { at = "12:00", play = "bell.end" }]
    [timetables.exam]
    events = [{ at = "09:00", play = "bell.exam" }]
    [timetables.short]
    events = [{ at = "08:30", play = "bell.start" }]
    """

@Suite("A school calendar through the schedule parser")
struct SchoolCalendarTests {
    /// Writes the calendar and parses the schedule with the real loader.
    func parse() throws -> (Schedule, Scratch) {
        let scratch = try Scratch()
        try scratch.write("calendars/school-2026.ics", schoolCalendar)
        let path = try scratch.write("schedule.toml", schoolSchedule, crlf: false)
        do {
            let schedule = try Schedule.parse(
                schoolSchedule, file: path, context: ScheduleContext(calendarLoader: ICalendar.loader))
            return (schedule, scratch)
        } catch {
            scratch.remove()
            Issue.record("schedule did not parse:\n\(error)")
            throw error
        }
    }

    @Test("each date gets the timetable the calendar gives it")
    func plans() throws {
        let (schedule, scratch) = try parse()
        defer { scratch.remove() }
        let dates = [
            "2026-09-02", "2026-09-16", "2026-09-30", "2026-10-01", "2026-10-07", "2026-10-08", "2026-10-10",
            "2026-10-14", "2026-10-21", "2026-10-23", "2026-11-04", "2026-11-05", "2026-11-06", "2026-11-11",
            "2027-01-15", "2027-01-18", "2027-01-20", "2027-01-22",
        ]
        #expect(
            dates.map { schedule.plan(on: day($0)).description } == [
                "2026-09-02 short (Short Wednesday (no assembly))",
                "2026-09-16 regular (week (term 2026-autumn))",  // EXDATE
                "2026-09-30 short (Short Wednesday (no assembly))",
                "2026-10-01 none (National Day)",
                "2026-10-07 none (National Day)",  // a one-off event beats a weekly rule; DTEND is exclusive
                "2026-10-08 regular (week (term 2026-autumn))",
                "2026-10-10 regular (Make-up working day (Saturday, in exchange for National Day))",
                "2026-10-14 short (Short Wednesday (no assembly))",  // the calendar comes after `assembly day`
                "2026-10-21 exam (open day)",  // a [[day]] after the calendar wins
                "2026-10-23 regular (week (term 2026-autumn))",  // sports day has no category
                "2026-11-04 short (Short Wednesday (no assembly))",  // the staff meeting's category is not mapped
                "2026-11-05 regular (week (term 2026-autumn))",
                "2026-11-06 exam (Exchange school video exam)",  // 18:00 in Los Angeles is 10:00 the next day here
                "2026-11-11 none (Founders' Day)",  // yearly; later in the file than the weekly rule
                "2027-01-15 regular (week (term 2026-autumn))",
                "2027-01-18 exam (Final exams)",  // first mapped category of `School,Exam`
                "2027-01-20 exam (Final exams)",
                "2027-01-22 exam (Final exams)",
            ])
    }

    @Test("no bells on the holidays, bells on the make-up Saturday, the exam timetable in exam week")
    func events() throws {
        let (schedule, scratch) = try parse()
        defer { scratch.remove() }
        #expect(schedule.events(from: day("2026-10-01"), through: day("2026-10-07")).isEmpty)

        let saturday = schedule.events(from: day("2026-10-10"), through: day("2026-10-10"))
        #expect(
            saturday.map(\.previewJSON) == [
                #"{"at":"2026-10-10T08:00:00+08:00","play":"bell.start","zones":["all"],"timetable":"regular","#
                    + #""day":"Make-up working day (Saturday, in exchange for National Day)"}"#,
                #"{"at":"2026-10-10T12:00:00+08:00","play":"bell.end","zones":["all"],"timetable":"regular","#
                    + #""day":"Make-up working day (Saturday, in exchange for National Day)"}"#,
            ])
        #expect(schedule.events(from: day("2026-10-11"), through: day("2026-10-11")).isEmpty)  // Sunday

        let examWeek = schedule.events(from: day("2027-01-18"), through: day("2027-01-24"))
        #expect(examWeek.map(\.localDate) == (0..<5).map { day("2027-01-18").adding(days: $0) })
        #expect(examWeek.allSatisfy { $0.timetable == "exam" && $0.action == .play("bell.exam") })

        // The EXDATE Wednesday rings the regular day; the Wednesday before is short.
        let september = schedule.events(from: day("2026-09-09"), through: day("2026-09-16"))
        #expect(september.filter { $0.localDate == day("2026-09-09") }.map(\.timetable) == ["short"])
        #expect(september.filter { $0.localDate == day("2026-09-16") }.map(\.timetable) == ["regular", "regular"])
    }

    @Test("the schedule tells what the calendar contributed and what it ignored")
    func summary() throws {
        let (schedule, scratch) = try parse()
        defer { scratch.remove() }
        let calendar = try #require(schedule.calendars.first)
        #expect(calendar.file == "calendars/school-2026.ics")
        #expect(calendar.path == scratch.file("calendars/school-2026.ics"))
        #expect(calendar.ignoredEvents == 2)  // the staff meeting and sports day
        // 20 short Wednesdays (21 from 2026-09-02 to 2027-01-20, less the EXDATE); Founders' Day at its DTSTART
        // (2018, always kept) and in the window's years 2025 to 2028; then the 4 one-off events that map.
        #expect(calendar.dayCount == 20 + 5 + 4)
        let entries = schedule.dayEntries.filter { $0.calendar != nil }
        #expect(entries.count == calendar.dayCount)
        #expect(schedule.dayEntries.first?.name == "assembly day")
        #expect(schedule.dayEntries.last?.name == "open day")
    }

    @Test("a missing file, a garbage file and an unknown mapped timetable are errors at their [[calendar]] table")
    func errors() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.write("calendars/school-2026.ics", schoolCalendar)
        try scratch.write("calendars/garbage.ics", "This is the school's newsletter, not a calendar.\n")
        try scratch.write(
            "calendars/broken.ics",
            vcalendar("BEGIN:VEVENT\nUID:x\nSUMMARY:Broken\nDTSTART;VALUE=DATE:2026100\nEND:VEVENT\n"))
        let text = """
            version = 1
            timezone = "Asia/Shanghai"
            [[calendar]]
            file = "calendars/missing.ics"
            categories = { HOLIDAY = "none" }
            [[calendar]]
            file = "calendars/garbage.ics"
            categories = { HOLIDAY = "none" }
            [[calendar]]
            file = "calendars/school-2026.ics"
            categories = { HOLIDAY = "none", EXAM = "exams" }
            [[calendar]]
            file = "calendars/broken.ics"
            categories = { HOLIDAY = "none" }
            [timetables.exam]
            events = []
            """
        let path = try scratch.write("schedule.toml", text, crlf: false)
        let calendars = scratch.file("calendars")
        do {
            _ = try Schedule.parse(text, file: path, context: ScheduleContext(calendarLoader: ICalendar.loader))
            Issue.record("the schedule parsed")
        } catch {
            #expect(
                error.description.split(separator: "\n").map(String.init) == [
                    "\(path):4:8: calendar file `\(calendars)/missing.ics` does not exist",
                    "\(path):7:8: `\(calendars)/garbage.ics` is not an iCalendar file "
                        + "(expected BEGIN:VCALENDAR … END:VCALENDAR)",
                    "\(path):11:41: timetable `exams` does not exist (category `EXAM` of calendar "
                        + "`calendars/school-2026.ics`)",
                    "\(path):13:8: `\(calendars)/broken.ics` is not valid iCalendar: VEVENT `Broken` (UID x): "
                        + "Can't parse as DATE value in DTSTART property. Removing entire property: 2026100",
                ])
        }
    }
}

@Suite("The calendar example of docs/SCHEDULE.md")
struct DocumentedCalendarTests {
    /// The code blocks of the "Calendar files" section: the .ics file, then the schedule excerpt.
    static func blocks() throws -> [String] {
        let docs = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/SCHEDULE.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        let section = try #require(text.components(separatedBy: "## Calendar files").dropFirst().first)
            .components(separatedBy: "\n## ")[0]
        let parts = section.components(separatedBy: "```")
        // Code blocks are the odd parts; drop each block's language line.
        return stride(from: 1, to: parts.count, by: 2).map {
            parts[$0].split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)[1...]
        }
        .map { $0.joined() }
    }

    @Test("the example does what the text says")
    func example() throws {
        let blocks = try Self.blocks()
        try #require(blocks.count == 2)
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.write("calendars/school-2026.ics", blocks[0])
        let text = """
            version = 1
            timezone = "Asia/Shanghai"
            [terms]
            "2026-autumn" = { from = 2026-09-01, to = 2027-01-22 }
            [week]
            mon = "regular"
            tue = "regular"
            wed = "regular"
            thu = "regular"
            fri = "regular"
            [timetables.regular]
            events = [{ at = "08:00", play = "bell.start" }]
            [timetables.short]
            events = [{ at = "08:30", play = "bell.start" }]

            """ + blocks[1]
        let path = try scratch.write("schedule.toml", text, crlf: false)
        let schedule = try Schedule.parse(text, file: path, context: ScheduleContext(calendarLoader: ICalendar.loader))
        let plans = schedule.days(from: day("2026-09-30"), through: day("2026-10-21"))
            .filter { $0.choice != .week(term: "2026-autumn") }.map(\.description)
        #expect(
            plans == [
                "2026-09-30 short (Short Wednesday)",
                "2026-10-01 none (National Day)", "2026-10-02 none (National Day)", "2026-10-03 none (National Day)",
                "2026-10-04 none (National Day)", "2026-10-05 none (National Day)", "2026-10-06 none (National Day)",
                "2026-10-07 none (National Day)",
                "2026-10-10 regular (Make-up working day)",
                "2026-10-14 short (Short Wednesday)",
                "2026-10-21 regular (open day)",
            ])
        #expect(schedule.plan(on: day("2026-09-16")).description == "2026-09-16 regular (week (term 2026-autumn))")
        #expect(schedule.plan(on: day("2026-09-23")).description == "2026-09-23 short (Short Wednesday)")
        #expect(schedule.events(from: day("2026-10-01"), through: day("2026-10-07")).isEmpty)
        #expect(
            schedule.events(from: day("2026-10-10"), through: day("2026-10-11")).map(\.previewJSON)
                == [
                    #"{"at":"2026-10-10T08:00:00+08:00","play":"bell.start","zones":["all"],"timetable":"regular","#
                        + #""day":"Make-up working day"}"#
                ])
    }
}
