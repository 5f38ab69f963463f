import CarillonCore
import Foundation
import Testing

@Suite("Schedule preview JSON")
struct SchedulePreviewTests {
    static let text = #"""
        version = 1
        timezone = "Asia/Shanghai"
        [terms]
        "2026-autumn" = { from = 2026-09-01, to = 2027-01-22 }
        [week]
        fri = "regular"
        [timetables.regular]
        events = [
          { at = "07:50", play = "bell.prep" },
          { at = "08:41", play = "tip:today", zones = ["teaching"] },
          { at = "08:42", play = "tip:next", zones = ["teaching", "dormitory"], level = "announcement" },
          { at = "12:00", say = "午饭时间到了，请同学们\"有序\"排队。\\ \n\t\u0001" },
        ]
        """#

    func lines() throws -> [String] {
        try schedule(Self.text).events(from: day("2026-10-09"), through: day("2026-10-09")).map(\.previewJSON)
    }

    @Test("one line per event, keys in order: at, play or say, zones, level when given, timetable, day")
    func exactLines() throws {
        #expect(
            try lines() == [
                #"{"at":"2026-10-09T07:50:00+08:00","play":"bell.prep","zones":["all"],"timetable":"regular","day":"week (term 2026-autumn)"}"#,
                #"{"at":"2026-10-09T08:41:00+08:00","play":"tip:today","zones":["teaching"],"timetable":"regular","day":"week (term 2026-autumn)"}"#,
                #"{"at":"2026-10-09T08:42:00+08:00","play":"tip:next","zones":["teaching","dormitory"],"level":"announcement","timetable":"regular","day":"week (term 2026-autumn)"}"#,
                #"{"at":"2026-10-09T12:00:00+08:00","say":"午饭时间到了，请同学们\"有序\"排队。\\ \n\t\u0001","zones":["all"],"timetable":"regular","day":"week (term 2026-autumn)"}"#,
            ])
    }

    @Test("every line is valid JSON that decodes back to the same values")
    func linesAreValidJSON() throws {
        for line in try lines() {
            #expect(!line.contains("\n"))
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["timetable"] as? String == "regular")
        }
        let say = try #require(
            try JSONSerialization.jsonObject(with: Data(try lines()[3].utf8)) as? [String: Any])
        #expect(say["say"] as? String == "午饭时间到了，请同学们\"有序\"排队。\\ \n\t\u{01}")
    }

    @Test(
        "negative, half-hour and odd offsets are written as ±HH:MM (±HH:MM:SS only for a historical one)",
        arguments: [
            (-4 * 3600, "2026-03-08T03:00:00-04:00"), (19_800, "2026-03-08T12:30:00+05:30"),
            (20_700, "2026-03-08T12:45:00+05:45"), (29_143, "2026-03-08T15:05:43+08:05:43"),
            (0, "2026-03-08T07:00:00+00:00"),
        ])
    func offsets(offset: Int, at: String) throws {
        let event = ScheduledEvent(
            at: instant("2026-03-08T07:00:00Z"), localDate: day("2026-03-08"),
            localTime: LocalTime(hour: 2, minute: 30)!,
            utcOffsetSeconds: offset, action: .say("a/b"), zones: ["all"], level: nil, timetable: "t", day: "d",
            index: 0)
        #expect(event.localTimestamp == at)
        #expect(
            event.previewJSON == #"{"at":"\#(at)","say":"a/b","zones":["all"],"timetable":"t","day":"d"}"#)
        #expect(event.key == "2026-03-08|t|0")
    }
}

@Suite("Local dates and times")
struct ScheduleLocalDateTests {
    @Test("dates parse strictly and validate the calendar, leap years included")
    func parsing() {
        #expect(LocalDate("2026-10-09") == LocalDate(year: 2026, month: 10, day: 9))
        #expect(LocalDate("2028-02-29") != nil)
        #expect(LocalDate("2026-02-29") == nil)
        #expect(LocalDate("1900-02-29") == nil)
        #expect(LocalDate("2000-02-29") != nil)
        for bad in ["2026-1-09", "26-10-09", "2026/10/09", "2026-10-09T", "", "2026-13-01", "2026-00-10", "+026-10-09"]
        {
            #expect(LocalDate(bad) == nil, "\(bad)")
        }
        #expect(LocalDate(year: 2026, month: 4, day: 31) == nil)
    }

    @Test("weekdays, day arithmetic and ordering")
    func arithmetic() {
        #expect(day("1970-01-01").weekday == .thursday)
        #expect(day("2026-10-09").weekday == .friday)
        #expect(day("2000-01-01").weekday == .saturday)
        #expect(day("1969-12-31").daysSince1970 == -1)
        #expect(day("2026-12-31").adding(days: 1) == day("2027-01-01"))
        #expect(day("2028-02-28").adding(days: 1) == day("2028-02-29"))
        #expect(day("2026-03-01").adding(days: -1) == day("2026-02-28"))
        #expect(day("2026-01-01").distance(to: day("2027-01-01")) == 365)
        #expect(day("2026-09-30") < day("2026-10-01"))
        #expect(
            Array(day("2026-12-30")...day("2027-01-02")).map(\.description) == [
                "2026-12-30", "2026-12-31", "2027-01-01", "2027-01-02",
            ])
        for offset in stride(from: -719_162, through: 2_932_896, by: 997) {
            #expect(LocalDate(daysSince1970: offset).daysSince1970 == offset)
        }
        #expect(LocalDate(daysSince1970: -719_162) == day("0001-01-01"))
        #expect(LocalDate(daysSince1970: 2_932_896) == day("9999-12-31"))
        #expect(LocalDate(daysSince1970: 9_000_000) == day("9999-12-31"))  // clamped
    }

    @Test("the local date of an instant depends on the zone")
    func localDateOfInstant() throws {
        let moment = instant("2026-10-08T20:30:00Z")
        #expect(LocalDate(moment, in: try #require(TimeZone(identifier: "Asia/Shanghai"))) == day("2026-10-09"))
        #expect(LocalDate(moment, in: try #require(TimeZone(identifier: "America/New_York"))) == day("2026-10-08"))
    }

    @Test("times and month-days parse strictly")
    func timesAndMonthDays() {
        #expect(LocalTime("07:50")?.description == "07:50:00")
        #expect(LocalTime("23:59:59")?.secondsSinceMidnight == 86_399)
        for bad in ["7:50", "24:00", "07:60", "07:50:60", "07:50:00.5", "0750", ""] {
            #expect(LocalTime(bad) == nil, "\(bad)")
        }
        #expect(MonthDay("02-29")?.description == "02-29")
        #expect(MonthDay("02-30") == nil)
        #expect(MonthDay("04-31") == nil)
        #expect(MonthDay("5-01") == nil)
        #expect(Weekday(key: "mon") == .monday)
        #expect(Weekday(key: "monday") == nil)
    }

    @Test("dates encode as YYYY-MM-DD strings")
    func codable() throws {
        let data = try JSONEncoder().encode([day("2026-10-09")])
        #expect(String(decoding: data, as: UTF8.self) == #"["2026-10-09"]"#)
        #expect(try JSONDecoder().decode([LocalDate].self, from: data) == [day("2026-10-09")])
    }
}
