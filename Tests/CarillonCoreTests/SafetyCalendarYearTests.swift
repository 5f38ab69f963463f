import CarillonCore
import CarillonTOML
import Foundation
import Testing

/// A school year of the shipped `config/schedule.toml` with a library of the size and shape of the 2027 tips
/// (≈ 960: 64 in each of the twelve old subjects, 40 in each of the five new ones, tagged with grade bands and some
/// with a season), every tip and culture slot filled by the same `TipRotation.pick` the daemon calls.
///
/// What must hold, for every set of grade bands a school may have:
/// - every slot plays a tip of the day's theme, and the day's theme is the calendar's (national days, campaigns,
///   the week of term);
/// - a tip plays only for the school's bands and only in its season;
/// - within a subject, no tip plays twice while a tip of that subject that could play that day (in season) has not
///   played in the cycle;
/// - in the year, every tip of the school's bands plays, and so does every culture clip;
/// - culture clips play only at culture slots, tips only at tip slots.
@Suite("Soak: a school year of the safety calendar")
struct SafetyCalendarYearTests {
    static let first = day("2026-01-01")
    static let last = day("2027-01-31")

    /// The shape of the synthetic library: seasonal tips per subject, as the shipped texts tag them.
    static let seasonal: [String: [ClipSeason: Int]] = [
        "outdoor": [.summer: 20, .winter: 4, .spring: 2, .autumn: 1],
        "fire": [.winter: 5, .summer: 2, .spring: 1, .autumn: 1],
        "injury": [.winter: 3, .summer: 1],
        "cases": [.summer: 7, .winter: 4, .autumn: 2],
        "food": [.summer: 6, .winter: 1, .autumn: 1],
        "epidemic": [.winter: 6, .spring: 4, .summer: 4],
        "bus": [.summer: 1, .winter: 1],
        "traffic": [.summer: 1, .winter: 1, .autumn: 1],
        "earthquake": [.spring: 1, .summer: 1],
        "law": [.spring: 1, .winter: 1],
        "mental": [.autumn: 1],
        "technique": [.summer: 1],
    ]

    /// The bands of the i-th synthetic tip: single bands, pairs and everyone, in turn.
    static func bands(_ index: Int) -> Set<GradeBand> {
        switch index % 6 {
        case 0: [.lowerPrimary]
        case 1: [.upperPrimary]
        case 2: [.juniorMiddle]
        case 3: [.lowerPrimary, .upperPrimary]
        case 4: [.upperPrimary, .juniorMiddle]
        default: GradeBand.all
        }
    }

    /// 968 tips: 64 per old subject, 40 per new one; seasonal tips spread among the rest.
    static func syntheticTips() -> [String: [RotationTip]] {
        var library: [String: [RotationTip]] = [:]
        for (position, subject) in Clip.tipSubjects.enumerated() {
            let count = position < 12 ? 64 : 40
            var seasons: [ClipSeason] = []
            for season in ClipSeason.allCases where season != .all {
                seasons += Array(repeating: season, count: seasonal[subject]?[season] ?? 0)
            }
            // Seasonal tips spread evenly among the others.
            let step = seasons.isEmpty ? count : count / seasons.count
            library[subject] = (1...count).map { number in
                let slot = (number - 1) / step
                let season = (number - 1) % step == step / 2 && slot < seasons.count ? seasons[slot] : ClipSeason.all
                return RotationTip(
                    id: "tip.\(subject).\(String(format: "%03d", number))", season: season, grades: bands(number))
            }
        }
        return library
    }

    /// 44 culture clips, a few for one band only.
    static func syntheticCulture() -> [RotationTip] {
        (1...44).map {
            RotationTip(id: "culture.\(String(format: "%03d", $0))", grades: $0 % 4 == 0 ? bands($0) : GradeBand.all)
        }
    }

    /// The calendar as docs/SCHEDULE.md states it, written out independently of the evaluator.
    static func expectedTheme(_ date: LocalDate, _ schedule: Schedule) -> String? {
        let pinned: [String: String] = [
            "2026-03-30": "technique", "2026-04-15": "security", "2026-05-12": "earthquake", "2026-06-26": "drugs",
            "2026-11-09": "fire", "2026-12-02": "traffic", "2026-12-04": "law",
        ]
        if let subject = pinned["\(date)"] { return subject }
        let md = date.monthDay.description
        let weekday = date.weekday
        let inSpringTerm = day("2026-03-02") <= date && date <= day("2026-07-10")
        // Later ranges first, as the later entry wins.
        if (md >= "12-01" || md <= "02-28") && weekday == .thursday { return "injury" }
        if (md >= "12-01" || md <= "02-28") && weekday == .tuesday { return "fire" }
        if md >= "01-04" && md <= "01-10" && weekday == .monday { return "bus" }
        if md >= "06-29" && md <= "07-05" && weekday == .tuesday { return "bus" }
        if md >= "06-29" && md <= "07-05" && weekday == .wednesday { return "epidemic" }
        if (md >= "11-16" || md <= "03-31") && weekday == .wednesday { return "epidemic" }
        if inSpringTerm && md >= "05-01" && (weekday == .monday || weekday == .friday) { return "outdoor" }
        if md >= "04-01" && md <= "04-10" && weekday == .thursday { return "fire" }
        let spring = [
            "traffic", "social", "bus", "intruder", "mental", "law", "security", "earthquake", "outdoor", "technique",
            "cyber", "traffic", "cases", "food", "injury", "fire", "drugs", "outdoor",
        ]
        let autumn = [
            "traffic", "bus", "cyber", "food", "mental", "outdoor", "social", "technique", "law", "fire", "earthquake",
            "intruder", "cases", "security", "cases", "food", "drugs", "mental", "outdoor", "cyber",
        ]
        guard let term = schedule.term(on: date) else { return nil }
        let monday = term.from.adding(days: 1 - term.from.weekday.rawValue)
        let week = monday.distance(to: date) / 7
        let cycle = term.name == "2026-spring" ? spring : autumn
        return week < cycle.count ? cycle[week] : nil
    }

    /// What a year of slots played.
    struct Year {
        var plays: [String: Int] = [:]
        var firstPlayed: [String: LocalDate] = [:]
        var firstRepeat: (date: LocalDate, id: String)?
        var tipSlots = 0
        var cultureSlots = 0
        var emptySlots: [String] = []
        var daysPerTheme: [String: Int] = [:]
        var problems: [String] = []
    }

    /// Plays every rotation slot of the year, checking each pick as it goes.
    static func simulate(
        _ schedule: Schedule, tips: [String: [RotationTip]], culture: [RotationTip], grades: Set<GradeBand>
    ) -> Year {
        var year = Year()
        var state = RotationState()
        // The test's own record of each subject's cycle: what played since the whole pool last had.
        var cycle: [String: Set<String>] = [:]
        let byID = Dictionary(uniqueKeysWithValues: (tips.values.joined() + culture).map { ($0.id, $0) })
        let subjectOf = Dictionary(
            uniqueKeysWithValues: tips.flatMap { subject, list in list.map { ($0.id, subject) } }
                + culture.map { ($0.id, ScheduledAction.cultureCategory) })
        var themedDays: Set<LocalDate> = []
        var remindedDays: Set<String> = []
        for event in schedule.events(from: first, through: last) {
            let date = event.localDate
            let category: String
            let pool: [RotationTip]
            switch event.action {
            case .tipToday, .tipNext:
                guard let theme = schedule.theme(on: date) else {
                    year.emptySlots.append("\(event.key): no theme")
                    continue
                }
                if theme != expectedTheme(date, schedule) {
                    year.problems.append(
                        "\(date): theme \(theme), the calendar says \(expectedTheme(date, schedule) ?? "none")")
                }
                if themedDays.insert(date).inserted { year.daysPerTheme[theme, default: 0] += 1 }
                category = theme
                pool = tips[theme] ?? []
                year.tipSlots += 1
            case .cultureNext:
                category = ScheduledAction.cultureCategory
                pool = culture
                year.cultureSlots += 1
            case .play, .say:
                continue
            }
            guard
                let id = TipRotation.pick(
                    event.action, category: category, on: date, pool: pool, grades: grades, state: &state),
                let tip = byID[id]
            else {
                year.emptySlots.append("\(event.key): nothing in season for \(category)")
                continue
            }
            if subjectOf[id] != category { year.problems.append("\(event.key): \(id) is not of \(category)") }
            if tip.grades.isDisjoint(with: grades) { year.problems.append("\(event.key): \(id) is for other grades") }
            if !tip.season.holds(date) { year.problems.append("\(event.key): \(id) is out of season") }
            let eligible = pool.filter { !$0.grades.isDisjoint(with: grades) }
            var played = cycle[category] ?? []
            // tip:today's later slots of a day are the same tip again, not a repeat.
            let sameDay = event.action == .tipToday && !remindedDays.insert("\(date)|\(category)").inserted
            if played.contains(id) && !sameDay {
                if played.count == eligible.count {
                    played = []  // the whole pool has played: a new cycle
                } else {
                    let waiting = eligible.filter { $0.season.holds(date) && !played.contains($0.id) }
                    if !waiting.isEmpty {
                        year.problems.append(
                            "\(event.key): \(id) repeats while \(waiting.count) of \(category) in season have not played, e.g. \(waiting[0].id)"
                        )
                    }
                }
                if year.firstRepeat == nil { year.firstRepeat = (date, id) }
            }
            // A day's reminder heard again belongs to the cycle it was first chosen in, not to a newer one.
            if !sameDay { played.insert(id) }
            cycle[category] = played
            if !sameDay { year.plays[id, default: 0] += 1 }
            if year.firstPlayed[id] == nil { year.firstPlayed[id] = date }
        }
        return year
    }

    static func describe(_ year: Year, tips: [String: [RotationTip]], grades: Set<GradeBand>) -> String {
        let eligible = tips.values.joined().filter { !$0.grades.isDisjoint(with: grades) }
        let perBand = GradeBand.allCases.map { band in
            "\(band.rawValue) \(tips.values.joined().filter { $0.grades.contains(band) }.count)"
        }
        let lastFirst = eligible.compactMap { year.firstPlayed[$0.id] }.max()
        let days = year.daysPerTheme.sorted { ($0.value, $0.key) < ($1.value, $1.key) }.map { "\($0.key) \($0.value)" }
        let tipPlays = eligible.reduce(0) { $0 + (year.plays[$1.id] ?? 0) }
        return """
            grades \(GradeBand.text(grades)): \(eligible.count) tips for them (tagged per band: \(perBand.joined(separator: ", "))); \
            \(year.tipSlots) tip slots, \(tipPlays) tip plays, \(year.cultureSlots) culture slots; \
            every tip first heard by \(lastFirst.map { "\($0)" } ?? "never"); \
            first repeat \(year.firstRepeat.map { "\($0.date) (\($0.id))" } ?? "none"); \
            days per theme: \(days.joined(separator: ", "))
            """
    }

    @Test(
        "the shipped schedule and a library of 968 tips: every tip of the school's bands plays, none twice while one in season waits, the themes are the calendar's",
        arguments: [
            GradeBand.all, [.lowerPrimary, .upperPrimary], [.juniorMiddle], [.lowerPrimary],
        ] as [Set<GradeBand>])
    func synthetic(grades: Set<GradeBand>) throws {
        let schedule = try SchoolYearSoakTests.shipped()
        let tips = Self.syntheticTips()
        #expect(tips.values.joined().count == 968)
        #expect(tips.values.joined().filter { $0.season != .all }.count == 86)
        let culture = Self.syntheticCulture()
        let year = Self.simulate(schedule, tips: tips, culture: culture, grades: grades)
        print(Self.describe(year, tips: tips, grades: grades))
        #expect(year.problems.isEmpty, "\(year.problems.count) problems: \(year.problems.prefix(5))")
        let unplayed = tips.values.joined().filter { !$0.grades.isDisjoint(with: grades) && year.plays[$0.id] == nil }
        #expect(unplayed.isEmpty, "never played: \(unplayed.prefix(10).map { "\($0.id) (\($0.season))" })")
        let neverCulture = culture.filter { !$0.grades.isDisjoint(with: grades) && year.plays[$0.id] == nil }
        #expect(neverCulture.isEmpty, "culture never played: \(neverCulture.prefix(5).map(\.id))")
        let others = tips.values.joined().filter { $0.grades.isDisjoint(with: grades) && year.plays[$0.id] != nil }
        #expect(others.isEmpty)
        // Slots are never empty: every day with tip slots has a theme, and every theme tips in season.
        #expect(
            year.emptySlots.filter { !$0.hasPrefix("2026-01-04") && !$0.hasPrefix("2026-02-") }.isEmpty,
            "\(year.emptySlots.prefix(5))")
        #expect(Set(year.daysPerTheme.keys) == Set(Clip.tipSubjects))
    }

    @Test("the national safety days and the campaigns fall on their dates in 2026")
    func nationalDays() throws {
        let schedule = try SchoolYearSoakTests.shipped()
        let expected = [
            ("2026-03-30", "technique", "全国中小学生安全教育日 (last-monday-of-march)"),
            ("2026-04-15", "security", "全民国家安全教育日 (04-15)"),
            ("2026-05-12", "earthquake", "全国防灾减灾日 (05-12)"),
            ("2026-11-09", "fire", "全国消防日 (11-09)"),
            ("2026-12-02", "traffic", "全国交通安全日 (12-02)"),
            ("2026-12-04", "law", "国家宪法日 (12-04)"),
            ("2026-06-05", "outdoor", "防溺水 (05-01 to term-end on mon, fri)"),
            ("2026-07-03", "outdoor", "防溺水 (05-01 to term-end on mon, fri)"),
            ("2026-12-09", "epidemic", "传染病防控 (11-16 to 03-31 on wed)"),
            ("2026-07-01", "epidemic", "夏季传染病防控 (06-29 to 07-05 on wed)"),
            ("2026-06-30", "bus", "夏季校车安全 (06-29 to 07-05 on tue)"),
            ("2027-01-04", "bus", "雨雪天校车安全 (01-04 to 01-10 on mon)"),
            ("2026-12-08", "fire", "冬季取暖防火 (12-01 to 02-28 on tue)"),
            ("2027-01-14", "injury", "预防一氧化碳中毒 (12-01 to 02-28 on thu)"),
            ("2026-09-15", "cyber", "week 3 of 2026-autumn"),
        ]
        for (date, subject, rule) in expected {
            let choice = schedule.themeChoice(on: day(date))
            #expect(choice?.subject == subject, "\(date)")
            #expect(choice?.ruleDescription == rule, "\(date)")
        }
        // Every school day of the year has the theme the calendar says.
        for date in Self.first...Self.last
        where schedule.plan(on: date).timetable != nil && schedule.term(on: date) != nil {
            #expect(schedule.theme(on: date) == Self.expectedTheme(date, schedule), "\(date)")
        }
    }

    /// The shipped tips, when their files are in the checkout: with `grades`, or the older `grade` read as its bands.
    static func shippedTips() throws -> [String: [RotationTip]]? {
        let directory = ScheduleExampleTests.repository.appendingPathComponent("audio-library/text")
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return nil }
        var library: [String: [RotationTip]] = [:]
        for name in names where name.hasPrefix("tips-") && name.hasSuffix(".toml") {
            let bytes = Array(try Data(contentsOf: directory.appendingPathComponent(name)))
            let table = try TOML.parse(utf8: bytes, file: name)
            guard case .string(let subject)? = table["subject"]?.value, case .array(let entries)? = table["tip"]?.value
            else { continue }
            for entry in entries {
                guard case .table(let tip) = entry.value, case .string(let id)? = tip["id"]?.value else { continue }
                var season = ClipSeason.all
                if case .string(let name)? = tip["season"]?.value { season = ClipSeason(rawValue: name) ?? .all }
                var grades = GradeBand.all
                if case .array(let names)? = tip["grades"]?.value {
                    grades = Set(
                        names.compactMap { if case .string(let n) = $0.value { GradeBand(rawValue: n) } else { nil } })
                } else if case .string(let name)? = tip["grade"]?.value {
                    grades = GradeBand.legacy(name) ?? GradeBand.all
                }
                library[subject, default: []].append(RotationTip(id: id, season: season, grades: grades))
            }
        }
        return library.isEmpty ? nil : library
    }

    @Test(
        "the shipped tips, as they are in the checkout: every tip of the school's bands plays in the year",
        arguments: [GradeBand.all, [.lowerPrimary, .upperPrimary], [.juniorMiddle]] as [Set<GradeBand>])
    func shippedLibrary(grades: Set<GradeBand>) throws {
        guard let tips = try Self.shippedTips() else { return }
        let schedule = try SchoolYearSoakTests.shipped()
        let year = Self.simulate(schedule, tips: tips, culture: [], grades: grades)
        print("shipped tips, " + Self.describe(year, tips: tips, grades: grades))
        #expect(year.problems.isEmpty, "\(year.problems.count) problems: \(year.problems.prefix(5))")
        let unplayed = tips.values.joined().filter { !$0.grades.isDisjoint(with: grades) && year.plays[$0.id] == nil }
        #expect(unplayed.isEmpty, "never played: \(unplayed.prefix(10).map { "\($0.id) (\($0.season))" })")
    }
}
