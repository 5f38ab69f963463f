import CarillonCalendar
import CarillonCore
import Foundation
import Testing

@Suite("ICalendar: events to day exceptions")
struct ICalendarTests {
    static let founders = """
        BEGIN:VEVENT
        UID:founders@example.edu
        DTSTART;VALUE=DATE:20181111
        RRULE:FREQ=YEARLY
        SUMMARY:Founders' Day
        CATEGORIES:HOLIDAY
        END:VEVENT

        """

    @Test("a yearly rule is expanded over the window; DTSTART is always kept")
    func yearly() throws {
        let windowed = try contents(
            vcalendar(Self.founders), categories: ["HOLIDAY": "none"], window: day("2025-01-01")...day("2028-12-31"))
        #expect(
            lines(windowed.days).map { String($0.prefix(10)) } == ["2018-11-11"] + (2025...2028).map { "\($0)-11-11" })
        #expect(lines(windowed.days).first == "2018-11-11 none (Founders' Day)")
        // Without a window: ten years past DTSTART.
        let unbounded = try contents(vcalendar(Self.founders), categories: ["HOLIDAY": "none"])
        #expect(unbounded.days.map(\.from) == (2018...2028).map { day("\($0)-11-11") })
    }

    @Test("a weekly rule with COUNT and EXDATE, CRLF and folding handled by libical")
    func weekly() throws {
        let text = vcalendar(
            """
            BEGIN:VEVENT
            UID:short@example.edu
            DTSTART;VALUE=DATE:20260902
            DTEND;VALUE=DATE:20260903
            RRULE:FREQ=WEEKLY;COU
             NT=5
            EXDATE;VALUE=DATE:20260909,20260923
            SUMMARY:Short
              Wednesday
            CATEGORIES:short
            END:VEVENT

            """)
        let scratch = try Scratch()
        defer { scratch.remove() }
        let path = try scratch.write("weekly.ics", text)
        let days = try ICalendar.days(
            fromFile: path, categories: ["SHORT": "short"], timeZone: zone("Asia/Shanghai"), window: nil)
        #expect(
            lines(days) == [
                "2026-09-02 short (Short Wednesday)", "2026-09-16 short (Short Wednesday)",
                "2026-09-30 short (Short Wednesday)",
            ])
    }

    @Test("an event's dates are its local dates in the schedule's timezone")
    func zones() throws {
        let text = vcalendar(
            """
            BEGIN:VEVENT
            UID:video@example.edu
            DTSTART;TZID=America/Los_Angeles:20261105T180000
            DTEND;TZID=America/Los_Angeles:20261105T200000
            SUMMARY:Video exam
            CATEGORIES:EXAM
            END:VEVENT
            BEGIN:VEVENT
            UID:late@example.edu
            DTSTART:20261009T220000Z
            DTEND:20261010T000000Z
            SUMMARY:Ends at midnight UTC
            CATEGORIES:EXAM
            END:VEVENT
            BEGIN:VEVENT
            UID:trip@example.edu
            DTSTART;TZID=Europe/Berlin:20261012T080000
            DTEND;TZID=Europe/Berlin:20261014T120000
            SUMMARY:Trip
            CATEGORIES:EXAM
            END:VEVENT
            BEGIN:VEVENT
            UID:floating@example.edu
            DTSTART:20261020T233000
            DTEND:20261021T003000
            SUMMARY:Floating
            CATEGORIES:EXAM
            END:VEVENT
            BEGIN:VEVENT
            UID:allday@example.edu
            DTSTART;VALUE=DATE:20261101
            SUMMARY:All day
            CATEGORIES:EXAM
            END:VEVENT

            """)
        let map = ["EXAM": "exam"]
        #expect(
            lines(try contents(text, categories: map, timeZone: zone("UTC")).days) == [
                "2026-11-06 exam (Video exam)",  // 02:00 UTC
                "2026-10-09 exam (Ends at midnight UTC)",  // DTEND is exclusive
                "2026-10-12...2026-10-14 exam (Trip)",
                "2026-10-20...2026-10-21 exam (Floating)",  // floating times are the schedule's local times
                "2026-11-01 exam (All day)",  // dates do not move with zones
            ])
        #expect(
            lines(try contents(text, categories: map, timeZone: zone("Asia/Shanghai")).days) == [
                "2026-11-06 exam (Video exam)",  // 10:00 to 12:00
                "2026-10-10 exam (Ends at midnight UTC)",  // 06:00 to 08:00
                "2026-10-12...2026-10-14 exam (Trip)",
                "2026-10-20...2026-10-21 exam (Floating)",
                "2026-11-01 exam (All day)",
            ])
        #expect(
            lines(try contents(text, categories: map, timeZone: zone("Pacific/Honolulu")).days) == [
                "2026-11-05 exam (Video exam)",  // 16:00 to 18:00
                "2026-10-09 exam (Ends at midnight UTC)",  // 12:00 to 14:00
                "2026-10-11...2026-10-13 exam (Trip)",  // 20:00 on the 11th to 00:00 on the 14th, exclusive
                "2026-10-20...2026-10-21 exam (Floating)",
                "2026-11-01 exam (All day)",
            ])
    }

    @Test("a TZID defined by the file's own VTIMEZONE (as Outlook writes them)")
    func vtimezone() throws {
        let text = vcalendar(
            """
            BEGIN:VTIMEZONE
            TZID:China Standard Time
            BEGIN:STANDARD
            DTSTART:16010101T000000
            TZOFFSETFROM:+0800
            TZOFFSETTO:+0800
            END:STANDARD
            END:VTIMEZONE
            BEGIN:VEVENT
            UID:outlook@example.edu
            DTSTART;TZID=China Standard Time:20261010T070000
            DTEND;TZID=China Standard Time:20261010T073000
            SUMMARY:Early bell drill
            CATEGORIES:Drill
            END:VEVENT

            """)
        #expect(
            lines(try contents(text, categories: ["drill": "drill"], timeZone: zone("UTC")).days) == [
                "2026-10-09 drill (Early bell drill)"  // 23:00 to 23:30 UTC
            ])
        #expect(
            lines(try contents(text, categories: ["drill": "drill"], timeZone: zone("Asia/Shanghai")).days) == [
                "2026-10-10 drill (Early bell drill)"
            ])
    }

    @Test("DURATION, RDATE (dates and periods), EXDATE on an RDATE, and a missing DTEND")
    func durationsAndRdates() throws {
        let text = vcalendar(
            """
            BEGIN:VEVENT
            UID:camp@example.edu
            DTSTART;VALUE=DATE:20260706
            DURATION:P3D
            RDATE;VALUE=DATE:20260713,20260720
            RDATE;VALUE=PERIOD:20260801T220000Z/PT4H
            EXDATE;VALUE=DATE:20260713
            SUMMARY:Camp
            CATEGORIES:CAMP
            END:VEVENT
            BEGIN:VEVENT
            UID:single@example.edu
            DTSTART;VALUE=DATE:20260903
            SUMMARY:One day
            CATEGORIES:CAMP
            END:VEVENT

            """)
        #expect(
            lines(try contents(text, categories: ["camp": "camp"]).days) == [
                "2026-07-06...2026-07-08 camp (Camp)", "2026-07-20...2026-07-22 camp (Camp)",
                "2026-08-01...2026-08-02 camp (Camp)",  // 22:00 to 02:00 UTC
                "2026-09-03 camp (One day)",
            ])
    }

    @Test("RECURRENCE-ID moves one instance and cancels another; cancelled events are skipped")
    func overrides() throws {
        let text = vcalendar(
            """
            BEGIN:VEVENT
            UID:club@example.edu
            DTSTART;TZID=Asia/Shanghai:20261005T160000
            DTEND;TZID=Asia/Shanghai:20261005T170000
            RRULE:FREQ=WEEKLY;COUNT=4
            SUMMARY:Club
            CATEGORIES:CLUB
            END:VEVENT
            BEGIN:VEVENT
            UID:club@example.edu
            RECURRENCE-ID;TZID=Asia/Shanghai:20261012T160000
            DTSTART;TZID=Asia/Shanghai:20261013T160000
            DTEND;TZID=Asia/Shanghai:20261013T170000
            SUMMARY:Club (moved)
            CATEGORIES:CLUB
            END:VEVENT
            BEGIN:VEVENT
            UID:club@example.edu
            RECURRENCE-ID:20261019T080000Z
            DTSTART:20261019T080000Z
            STATUS:CANCELLED
            SUMMARY:Club
            CATEGORIES:CLUB
            END:VEVENT
            BEGIN:VEVENT
            UID:fair@example.edu
            DTSTART;VALUE=DATE:20261030
            STATUS:CANCELLED
            SUMMARY:Fair
            CATEGORIES:CLUB
            END:VEVENT

            """)
        let result = try contents(text, categories: ["club": "club"], timeZone: zone("Asia/Shanghai"))
        #expect(
            lines(result.days) == [
                "2026-10-05 club (Club)", "2026-10-26 club (Club)",  // recurring first
                "2026-10-13 club (Club (moved))",
            ])
        #expect(result.ignoredEvents == 0)
    }

    @Test("categories match case-insensitively, the first that maps wins, unmapped events are counted")
    func categories() throws {
        let text = vcalendar(
            """
            BEGIN:VEVENT
            UID:a@example.edu
            DTSTART;VALUE=DATE:20261001
            CATEGORIES:School
            CATEGORIES:holiday,Exam
            END:VEVENT
            BEGIN:VEVENT
            UID:b@example.edu
            DTSTART;VALUE=DATE:20261002
            SUMMARY:Exam then holiday
            CATEGORIES:EXAM, Holiday
            END:VEVENT
            BEGIN:VEVENT
            UID:c@example.edu
            DTSTART;VALUE=DATE:20261003
            SUMMARY:Meeting
            CATEGORIES:Meeting
            END:VEVENT
            BEGIN:VEVENT
            UID:d@example.edu
            DTSTART;VALUE=DATE:20261004
            SUMMARY:No category
            END:VEVENT

            """)
        let result = try contents(text, categories: ["HOLIDAY": "none", " exam ": "exam"])
        #expect(lines(result.days) == ["2026-10-01 none (holiday)", "2026-10-02 exam (Exam then holiday)"])
        #expect(result.ignoredEvents == 2)
    }

    @Test("expansion stops at 5,000 occurrences of one event")
    func occurrenceLimit() throws {
        let text = vcalendar(
            """
            BEGIN:VEVENT
            UID:daily@example.edu
            DTSTART;VALUE=DATE:19900101
            RRULE:FREQ=DAILY
            SUMMARY:Daily
            CATEGORIES:X
            END:VEVENT

            """)
        let days = try contents(text, categories: ["x": "x"], window: day("1990-01-01")...day("2030-12-31")).days
        #expect(days.count == ICalendar.maxOccurrencesPerEvent)
        #expect(days.last?.from == day("1990-01-01").adding(days: ICalendar.maxOccurrencesPerEvent - 1))
    }

    @Test("several VCALENDARs in one file, a byte order mark, and LF line endings are accepted")
    func lenientInput() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let one = vcalendar("BEGIN:VEVENT\nUID:1\nDTSTART;VALUE=DATE:20261001\nCATEGORIES:A\nEND:VEVENT\n")
        let two = vcalendar("BEGIN:VEVENT\nUID:2\nDTSTART;VALUE=DATE:20261002\nCATEGORIES:A\nEND:VEVENT\n")
        let path = try scratch.write("two.ics", bytes: [0xEF, 0xBB, 0xBF] + Array((one + two).utf8))
        let days = try ICalendar.days(fromFile: path, categories: ["a": "a"], timeZone: zone("UTC"), window: nil)
        #expect(lines(days) == ["2026-10-01 a (A)", "2026-10-02 a (A)"])
    }

    @Test("the loader reads the request's file")
    func loader() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let path = try scratch.write("school.ics", schoolCalendar)
        let request = CalendarRequest(
            path: path, categories: ["holiday": "none"], timeZone: zone("Asia/Shanghai"),
            window: day("2026-01-01")...day("2026-12-31"))
        let result = try ICalendar.loader(request)
        #expect(
            lines(result.days) == [
                "2018-11-11 none (Founders' Day)", "2026-11-11 none (Founders' Day)",
                "2026-10-01...2026-10-07 none (National Day)",
            ])
        #expect(result.ignoredEvents == 6)
    }

    @Test("concurrent reads are serialized and agree")
    func concurrent() async throws {
        let expected = try contents(schoolCalendar, categories: ["holiday": "none", "short": "short"])
        let results = await withTaskGroup(of: CalendarContents?.self) { group in
            for _ in 0..<16 {
                group.addTask { try? contents(schoolCalendar, categories: ["holiday": "none", "short": "short"]) }
            }
            var all: [CalendarContents?] = []
            for await result in group { all.append(result) }
            return all
        }
        #expect(results.count == 16)
        #expect(results.allSatisfy { $0 == expected })
    }
}

@Suite("ICalendar: errors name the file and, where libical can, the component")
struct ICalendarErrorTests {
    @Test("a missing file, a directory, and a file that is not UTF-8")
    func files() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try FileManager.default.createDirectory(atPath: scratch.file("dir.ics"), withIntermediateDirectories: true)
        let binary = try scratch.write("binary.ics", bytes: [0x42, 0x45, 0xFF, 0xFE, 0x00, 0x01])
        func read(_ path: String) -> String? {
            calendarError {
                () throws(CalendarError) in
                CalendarContents(
                    days: try ICalendar.days(fromFile: path, categories: [:], timeZone: zone("UTC"), window: nil),
                    ignoredEvents: 0)
            }
        }
        #expect(read(scratch.file("none.ics")) == "calendar file `\(scratch.file("none.ics"))` does not exist")
        #expect(read(scratch.file("dir.ics")) == "calendar file `\(scratch.file("dir.ics"))` is a directory")
        #expect(read(binary) == "`\(binary)` is not an iCalendar file: it is not UTF-8 text")
    }

    @Test("text that is not iCalendar, or is cut short")
    func notICalendar() {
        let expected = "`test.ics` is not an iCalendar file (expected BEGIN:VCALENDAR … END:VCALENDAR)"
        for text in [
            "", "Dear parents,\nthe term starts on 1 September.\n", "BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:x\n",
            "BEGIN:VCARD\nFN:Head teacher\nEND:VCARD\n",
        ] {
            #expect(
                calendarError { () throws(CalendarError) in try contents(text, categories: ["a": "a"]) } == expected)
        }
    }

    @Test("malformed content that libical marks with X-LIC-ERROR")
    func malformed() {
        let text = vcalendar(
            """
            BEGIN:VEVENT
            UID:exam@example.edu
            SUMMARY:Exams
            DTSTART;VALUE=DATE:20270118
            RRULE:FREQ=FORTNIGHTLY
            CATEGORIES:EXAM
            END:VEVENT
            BEGIN:VEVENT
            UID:other@example.edu
            DTSTART;VALUE=DATE:2027011
            END:VEVENT

            """)
        #expect(
            calendarError { () throws(CalendarError) in try contents(text, categories: ["exam": "exam"]) }
                == "`test.ics` is not valid iCalendar: VEVENT `Exams` (UID exam@example.edu): Can't parse as RECUR "
                + "value in RRULE property. Removing entire property: FREQ=FORTNIGHTLY (and 1 more)")
    }

    @Test("an unknown TZID and a missing DTSTART name the event")
    func events() throws {
        let unknownZone = vcalendar(
            """
            BEGIN:VEVENT
            UID:x@example.edu
            DTSTART;TZID=Mars/Olympus_Mons:20261001T080000
            SUMMARY:Launch
            CATEGORIES:A
            END:VEVENT

            """)
        #expect(
            calendarError { () throws(CalendarError) in try contents(unknownZone, categories: ["a": "a"]) }
                == "`test.ics`: VEVENT `Launch` (UID x@example.edu): DTSTART names the time zone `Mars/Olympus_Mons`, "
                + "which has no VTIMEZONE in the file and is no IANA name")
        let noStart = vcalendar("BEGIN:VEVENT\nUID:y\nSUMMARY:Someday\nCATEGORIES:A\nEND:VEVENT\n")
        #expect(
            calendarError { () throws(CalendarError) in try contents(noStart, categories: ["a": "a"]) }
                == "`test.ics`: VEVENT `Someday` (UID y): it has no DTSTART")
        // An event that maps nothing is not looked at.
        #expect(try contents(noStart, categories: ["b": "b"]).ignoredEvents == 1)
    }
}
