import CarillonCore
import CarillonTOML
import Foundation
import Testing

/// The shipped `config/schedule.toml`: a Chinese middle school with the official 2026 holidays.
@Suite("The shipped example schedule")
struct ScheduleExampleTests {
    static let repository = shippedScheduleURL.deletingLastPathComponent().deletingLastPathComponent()

    /// The clip ids of the shipped library's catalog.
    static func catalogClipIDs() throws -> Set<String> {
        let url = repository.appendingPathComponent("audio-library/catalog.toml")
        let table = try TOML.parse(utf8: Array(try Data(contentsOf: url)), file: "catalog.toml")
        guard case .array(let clips)? = table["clip"]?.value else { return [] }
        return Set(
            clips.compactMap { node -> String? in
                guard case .table(let clip) = node.value, case .string(let id)? = clip["id"]?.value else { return nil }
                return id
            })
    }

    static let tipSubjects = Clip.tipSubjects

    static func load() throws -> Schedule {
        let clips = try catalogClipIDs()
        let bytes = Array(try Data(contentsOf: shippedScheduleURL))
        return try schedule(
            String(decoding: bytes, as: UTF8.self),
            context: ScheduleContext(zones: ["main"], clipExists: { clips.contains($0) }, tipCategories: tipSubjects))
    }

    @Test("it parses with no errors against the shipped library, the demo's single zone and the seventeen subjects")
    func parsesAgainstTheLibrary() throws {
        let parsed = try Self.load()
        #expect(parsed.timeZone.identifier == "Asia/Shanghai")
        #expect(parsed.terms.map(\.name) == ["2026-spring", "2026-autumn"])
        #expect(parsed.themes.isEmpty)
        #expect(parsed.termThemes["2026-spring"]?.keys.sorted() == Array(1...18))  // week 19: exams
        #expect(parsed.termThemes["2026-autumn"]?.keys.sorted() == Array(1...20))  // week 21: exams
        let weekly = parsed.termThemes.values.flatMap(\.values)
        #expect(Set(weekly + parsed.themeEntries.map(\.subject)) == Set(Self.tipSubjects))
        #expect(parsed.themeEntries.filter(\.isPinnedDay).count == 7)
    }

    @Test(
        "the 2026 public holidays are silent",
        arguments: [
            ("2026-01-01", "元旦"), ("2026-01-03", "元旦"), ("2026-02-15", "春节"), ("2026-02-23", "春节"),
            ("2026-04-04", "清明节"), ("2026-04-06", "清明节"), ("2026-05-01", "劳动节"), ("2026-05-05", "劳动节"),
            ("2026-06-19", "端午节"), ("2026-06-21", "端午节"), ("2026-09-25", "中秋节"), ("2026-09-27", "中秋节"),
            ("2026-10-01", "国庆节"), ("2026-10-07", "国庆节"),
        ])
    func holidaysAreSilent(date: String, holiday: String) throws {
        let parsed = try Self.load()
        let plan = parsed.plan(on: day(date))
        #expect(plan.timetable == nil)
        #expect(plan.choice == .day(holiday))
        #expect(parsed.events(from: day(date), through: day(date)).isEmpty)
    }

    @Test(
        "the make-up working days ring, with summer hours from May to September",
        arguments: [
            ("2026-01-04", Weekday.sunday, "regular", "元旦调休上班"),
            ("2026-02-14", .saturday, "regular", "春节调休上班"),
            ("2026-02-28", .saturday, "regular", "春节调休上班"),
            ("2026-05-09", .saturday, "regular-summer", "劳动节调休上班, season summer"),
            ("2026-09-20", .sunday, "regular-summer", "国庆节调休上班, season summer"),
            ("2026-10-10", .saturday, "regular", "国庆节调休上班"),
        ])
    func makeUpDaysRing(date: String, weekday: Weekday, timetable: String, rule: String) throws {
        let parsed = try Self.load()
        let plan = parsed.plan(on: day(date))
        #expect(plan.date.weekday == weekday)
        #expect(plan.timetable == timetable)
        #expect(plan.rule == rule)
        let events = parsed.events(from: day(date), through: day(date))
        #expect(events.count == 32)
        #expect(events.first?.previewJSON.hasPrefix(#"{"at":"\#(date)T07:20:00+08:00","play":"bell.prep""#) == true)
    }

    @Test("an ordinary weekend and the holidays between terms are silent")
    func weekendsAndVacationsAreSilent() throws {
        let parsed = try Self.load()
        for date in ["2026-10-11", "2026-10-17", "2026-07-13", "2026-08-20", "2027-01-25"] {
            #expect(parsed.plan(on: day(date)).timetable == nil, "\(date)")
        }
    }

    @Test("summer afternoons start at 14:30, winter afternoons at 14:00, Fridays end early")
    func summerAndWinterHours() throws {
        let parsed = try Self.load()
        func afternoonStart(_ date: String) -> String? {
            parsed.events(from: day(date), through: day(date))
                .first { $0.action == .play("bell.start") && $0.localTime.hour >= 13 }?.localTimestamp
        }
        #expect(afternoonStart("2026-06-10") == "2026-06-10T14:30:00+08:00")  // Wednesday, summer
        #expect(afternoonStart("2026-09-30") == "2026-09-30T14:30:00+08:00")  // the season's last day
        #expect(afternoonStart("2026-10-08") == "2026-10-08T14:00:00+08:00")  // winter hours again
        #expect(afternoonStart("2026-04-30") == "2026-04-30T14:00:00+08:00")
        #expect(parsed.plan(on: day("2026-06-12")).timetable == "friday-summer")
        #expect(parsed.plan(on: day("2026-11-13")).timetable == "friday")
        let friday = parsed.events(from: day("2026-11-13"), through: day("2026-11-13"))
        #expect(friday.last?.action == .play("bell.westminster"))
        #expect(friday.last?.localTime == LocalTime(hour: 16, minute: 0))
    }

    @Test("exam weeks use the quiet timetable, which the summer swap leaves alone")
    func examWeeks() throws {
        let parsed = try Self.load()
        for date in ["2026-07-06", "2026-07-10", "2027-01-18", "2027-01-22"] {
            let plan = parsed.plan(on: day(date))
            #expect(plan.timetable == "exam", "\(date)")
            #expect(plan.rule == "期末考试", "\(date)")
            #expect(parsed.events(from: day(date), through: day(date)).count == 8)
        }
    }

    @Test("the theme follows the week of term of each term, unless a safety day or a campaign holds the date")
    func themes() throws {
        let parsed = try Self.load()
        #expect(parsed.theme(on: day("2026-03-02")) == "traffic")  // spring week 1
        #expect(parsed.theme(on: day("2026-03-09")) == "social")
        #expect(parsed.theme(on: day("2026-03-11")) == "epidemic")  // a Wednesday in flu season
        #expect(parsed.theme(on: day("2026-06-17")) == "fire")  // spring week 16, a Wednesday
        #expect(parsed.theme(on: day("2026-06-19")) == "outdoor")  // a Friday from May: drowning
        #expect(parsed.theme(on: day("2026-09-01")) == "traffic")  // autumn week 1 (a Tuesday)
        #expect(parsed.theme(on: day("2026-09-07")) == "bus")
        #expect(parsed.theme(on: day("2026-11-09")) == "fire")  // 全国消防日, the Monday of an earthquake week
        #expect(parsed.theme(on: day("2027-01-22")) == nil)  // autumn week 21: exams, no theme
        #expect(parsed.theme(on: day("2026-08-01")) == nil)
    }

    @Test("a whole calendar year and each term: the number of days per timetable and of events")
    func wholeYear() throws {
        let parsed = try Self.load()
        func tally(_ from: String, _ through: String) -> [String: Int] {
            parsed.days(from: day(from), through: day(through)).reduce(into: [:]) {
                $0[$1.timetable ?? "none", default: 0] += 1
            }
        }
        #expect(
            tally("2026-01-01", "2026-12-31") == [
                "none": 187, "regular": 88, "friday": 20, "regular-summer": 54, "friday-summer": 11, "exam": 5,
            ])
        let year = parsed.events(from: day("2026-01-01"), through: day("2026-12-31"))
        #expect(year.count == 5514)
        #expect(zip(year, year.dropFirst()).allSatisfy { $0.at <= $1.at })
        #expect(Set(year.map(\.key)).count == year.count)
        #expect(year.allSatisfy { $0.utcOffsetSeconds == 8 * 3600 })
        #expect(parsed.events(from: day("2026-03-02"), through: day("2026-07-10")).count == 2760)
        #expect(parsed.events(from: day("2026-09-01"), through: day("2027-01-22")).count == 3044)
        #expect(year.first?.key == "2026-01-04|regular|0")
        #expect(
            year.last?.previewJSON.hasPrefix(#"{"at":"2026-12-31T17:00:00+08:00","play":"bell.westminster""#) == true)
    }

    @Test(
        "the preview excerpt in docs/SCHEDULE.md: no bells on National Day, summer then winter hours, a make-up Saturday"
    )
    func previewExcerptInTheDocs() throws {
        let parsed = try Self.load()
        let events = parsed.events(from: day("2026-09-30"), through: day("2026-10-10"))
        #expect(events.count == 126)
        let afternoon = events.map(\.previewJSON).filter {
            $0.range(of: #"T14:[0-3]"#, options: .regularExpression) != nil
        }
        #expect(
            afternoon == [
                #"{"at":"2026-09-30T14:15:00+08:00","play":"tip:next","zones":["all"],"timetable":"regular-summer","day":"week (term 2026-autumn), season summer"}"#,
                #"{"at":"2026-09-30T14:20:00+08:00","play":"bell.prep","zones":["all"],"timetable":"regular-summer","day":"week (term 2026-autumn), season summer"}"#,
                #"{"at":"2026-09-30T14:30:00+08:00","play":"bell.start","zones":["all"],"timetable":"regular-summer","day":"week (term 2026-autumn), season summer"}"#,
                #"{"at":"2026-10-08T14:00:00+08:00","play":"bell.start","zones":["all"],"timetable":"regular","day":"week (term 2026-autumn)"}"#,
                #"{"at":"2026-10-09T14:00:00+08:00","play":"bell.start","zones":["all"],"timetable":"friday","day":"week (term 2026-autumn)"}"#,
                #"{"at":"2026-10-10T14:00:00+08:00","play":"bell.start","zones":["all"],"timetable":"regular","day":"国庆节调休上班"}"#,
            ])
    }
}

@Suite("docs/SCHEDULE.md")
struct ScheduleDocTests {
    static let doc = ScheduleExampleTests.repository.appendingPathComponent("docs/SCHEDULE.md")

    @Test("the complete example is config/schedule.toml word for word")
    func exampleMatchesTheShippedFile() throws {
        let text = try String(contentsOf: Self.doc, encoding: .utf8)
        let marker = "This is `config/schedule.toml`, word for word:\n\n```toml\n"
        let start = try #require(text.range(of: marker))
        let end = try #require(text.range(of: "\n```", range: start.upperBound..<text.endIndex))
        let example = String(text[start.upperBound..<end.lowerBound]) + "\n"
        #expect(example == (try String(contentsOf: shippedScheduleURL, encoding: .utf8)))
    }

    @Test("the preview excerpt is what the evaluator prints")
    func excerptMatchesTheEvaluator() throws {
        let text = try String(contentsOf: Self.doc, encoding: .utf8)
        let shown = text.split(separator: "\n").filter { $0.hasPrefix(#"{"at":"2026-"#) && $0.contains("T14:") }
            .map(String.init)
        let parsed = try ScheduleExampleTests.load()
        let computed = parsed.events(from: day("2026-09-30"), through: day("2026-10-10")).map(\.previewJSON)
            .filter { $0.range(of: #"T14:[0-3]"#, options: .regularExpression) != nil }
        #expect(shown == computed)
        #expect(shown.count == 6)
    }
}
