public import CarillonTOML
import Foundation

/// What a schedule is checked against; a nil field is not checked (an offline preview has no library).
public struct ScheduleContext: Sendable {
    /// The school's zones; event zones must be among them, its zone groups, or `all`.
    public var zones: [ZoneName]?
    /// The school's zone groups; an event may name one, and it is expanded when the event fires.
    public var zoneGroups = ZoneGroups()
    /// For a preview without the school's config: any name shaped like a zone group's
    /// (`ZoneGroup.isShapedLikeName`) is taken for one, since the groups are not known.
    public var anyZoneGroup = false
    /// Whether the library has a clip with this id.
    public var clipExists: (@Sendable (String) -> Bool)?
    /// The tip categories the library has; themes must name one of them.
    public var tipCategories: [String]?
    /// Reads the iCalendar files of `[[calendar]]` tables (`ICalendar.loader` of `CarillonCalendar`); with none, a
    /// `[[calendar]]` table is an error.
    public var calendarLoader: CalendarLoader?

    /// Creates a context; leave a field nil to skip its check (or, for `calendarLoader`, to refuse calendars).
    public init(
        zones: [ZoneName]? = nil, clipExists: (@Sendable (String) -> Bool)? = nil, tipCategories: [String]? = nil,
        calendarLoader: CalendarLoader? = nil, zoneGroups: ZoneGroups = ZoneGroups()
    ) {
        self.zones = zones
        self.zoneGroups = zoneGroups
        self.clipExists = clipExists
        self.tipCategories = tipCategories
        self.calendarLoader = calendarLoader
    }
}

/// Every problem found in a schedule file, each with its file, line and column, in document order.
public typealias ScheduleError = TOMLErrors

extension Schedule {
    /// Parses and validates a `schedule.toml`, reporting every problem at once rather than only the first.
    public static func parse(
        _ bytes: [UInt8], file: String, context: ScheduleContext = ScheduleContext()
    ) throws(ScheduleError) -> Schedule {
        let table: TOMLTable
        do {
            table = try TOML.parse(utf8: bytes, file: file)
        } catch {
            throw ScheduleError([error])
        }
        let decoder = ScheduleDecoder(file: file, context: context)
        let schedule = decoder.decode(table)
        guard decoder.errors.isEmpty, let schedule else { throw ScheduleError(decoder.errors) }
        return schedule
    }

    /// Parses and validates schedule text; see `parse(_:file:context:)`.
    public static func parse(
        _ text: String, file: String, context: ScheduleContext = ScheduleContext()
    ) throws(ScheduleError) -> Schedule {
        try parse(Array(text.utf8), file: file, context: context)
    }
}

/// Reads a parsed document into a `Schedule`, collecting every error instead of stopping at the first.
private final class ScheduleDecoder: TOMLFileDecoder {
    let context: ScheduleContext
    /// Timetable names declared in `[timetables]`; nil when that table is unreadable, so references go unchecked.
    var timetableNames: Set<String>?

    static let maxSayCharacters = 500
    static let maxGraceSeconds = 3600
    static let maxThemeWeek = 60
    static let ianaNames = Set(TimeZone.knownTimeZoneIdentifiers)

    init(file: String, context: ScheduleContext) {
        self.context = context
        super.init(file: file)
    }

    func decode(_ table: TOMLTable) -> Schedule? {
        var root = TOMLReader(table, file: file)
        rejectUnknownKeys(
            root,
            known: [
                "version", "timezone", "grace", "terms", "week", "season", "day", "calendar", "timetables", "themes",
                "theme",
            ])

        let timetables = readTimetables(&root)
        let version = readVersion(&root)
        let zone = readTimeZone(&root)
        let timeZone = zone?.timeZone
        let grace = readGrace(&root)
        let terms = readTerms(&root)
        let week = readWeek(&root)
        let seasons = readSeasons(&root)
        let days = readDays(&root)
        let window = Self.calendarWindow(terms: terms, days: days.map(\.entry))
        let calendars = readCalendars(&root, timeZone: timeZone, window: window)
        let themes = readThemes(&root, terms: terms)
        let themeEntries = readThemeEntries(&root)

        guard let version, let timeZone else { return nil }
        // A calendar's entries stand where its [[calendar]] table stands among the [[day]] tables.
        let entries = (days + calendars.flatMap(\.entries)).enumerated()
            .sorted { ($0.element.position, $0.offset) < ($1.element.position, $1.offset) }
            .map(\.element.entry)
        return Schedule(
            version: version, timeZone: timeZone, graceSeconds: grace, terms: terms, week: week, seasons: seasons,
            dayEntries: entries, calendars: calendars.map(\.calendar), timetables: timetables, themes: themes.shared,
            termThemes: themes.byTerm, themeEntries: themeEntries, timeZoneName: zone?.name)
    }

    // MARK: Top-level keys

    private func readVersion(_ root: inout TOMLReader) -> Int? {
        guard let version = attempt({ () throws(TOMLError) in try root.requiredInteger("version") }) else { return nil }
        guard version >= 1 else {
            report("`version` must be a positive integer, found \(version)", at: root.valuePosition(of: "version"))
            return nil
        }
        return version
    }

    private func readTimeZone(_ root: inout TOMLReader) -> (timeZone: TimeZone, name: String)? {
        guard let name = attempt({ () throws(TOMLError) in try root.requiredString("timezone") }) else { return nil }
        let isIANA = Self.ianaNames.contains(name) || name == "UTC" || name.hasPrefix("Etc/")
        guard isIANA, let timeZone = TimeZone(identifier: name) else {
            report(
                "`\(name)` is not an IANA time zone name such as `Asia/Shanghai` or `Europe/Berlin`",
                at: root.valuePosition(of: "timezone"))
            return nil
        }
        return (timeZone, name)
    }

    private func readGrace(_ root: inout TOMLReader) -> Int {
        guard let grace = attempt({ () throws(TOMLError) in try root.integer("grace") }) else { return 60 }
        guard (0...Self.maxGraceSeconds).contains(grace) else {
            report(
                "`grace` must be 0 to \(Self.maxGraceSeconds) seconds, found \(grace)",
                at: root.valuePosition(of: "grace"))
            return 60
        }
        return grace
    }

    private func readTerms(_ root: inout TOMLReader) -> [Term] {
        guard var reader = attempt({ () throws(TOMLError) in try root.table("terms") }) else { return [] }
        var terms: [(term: Term, position: TOMLPosition)] = []
        for name in reader.keys {
            guard var term = attempt({ () throws(TOMLError) in try reader.table(name) }) else { continue }
            if name.isEmpty { report("a term needs a name", at: reader.position(of: name)) }
            rejectUnknownKeys(term, known: ["from", "to"])
            let from = readDate(&term, "from", required: true)
            let to = readDate(&term, "to", required: true)
            guard let from, let to else { continue }
            guard from <= to else {
                report("term `\(name)` ends (\(to)) before it starts (\(from))", at: term.valuePosition(of: "to"))
                continue
            }
            terms.append((Term(name: name, from: from, to: to), reader.position(of: name)))
        }
        for (index, later) in terms.enumerated() {
            for earlier in terms[..<index]
            where earlier.term.from <= later.term.to && later.term.from <= earlier.term.to {
                report(
                    "term `\(later.term.name)` (\(later.term.from) to \(later.term.to)) overlaps term "
                        + "`\(earlier.term.name)` (\(earlier.term.from) to \(earlier.term.to))",
                    at: later.position)
            }
        }
        return terms.map(\.term)
    }

    private func readWeek(_ root: inout TOMLReader) -> [Weekday: String] {
        guard var reader = attempt({ () throws(TOMLError) in try root.table("week") }) else { return [:] }
        rejectUnknownKeys(reader, known: Weekday.allCases.map(\.key))
        var week: [Weekday: String] = [:]
        for day in Weekday.allCases {
            guard let name = attempt({ () throws(TOMLError) in try reader.string(day.key) }) else { continue }
            checkTimetable(name, at: reader.valuePosition(of: day.key), usedBy: "[week] `\(day.key)`")
            if name != Schedule.silent { week[day] = name }
        }
        return week
    }

    private func readSeasons(_ root: inout TOMLReader) -> [Season] {
        let readers = attempt({ () throws(TOMLError) in try root.tableArray("season") }) ?? []
        var seasons: [(season: Season, position: TOMLPosition)] = []
        var names: Set<String> = []
        for var reader in readers {
            rejectUnknownKeys(reader, known: ["name", "from", "to", "swap"])
            let name = readName(&reader, what: "season")
            if let name, !names.insert(name).inserted {
                report("there are two seasons named `\(name)`", at: reader.valuePosition(of: "name"))
            }
            let label = name.map { "season `\($0)`" } ?? "this season"
            let from = readMonthDay(&reader, "from")
            let to = readMonthDay(&reader, "to")
            var swap: [String: String] = [:]
            if var swapReader = attempt({ () throws(TOMLError) in try reader.requiredTable("swap") }) {
                for source in swapReader.keys {
                    let target = attempt { () throws(TOMLError) in try swapReader.string(source) }
                    if source == Schedule.silent {
                        report("`none` is never swapped (\(label))", at: swapReader.position(of: source))
                        continue
                    }
                    checkTimetable(
                        source, at: swapReader.position(of: source), usedBy: "swap of \(label)", allowNone: false)
                    guard let target else { continue }
                    if target == Schedule.silent {
                        report(
                            "a season cannot swap to `none` (\(label)); silence days with a [[day]] entry",
                            at: swapReader.valuePosition(of: source))
                        continue
                    }
                    checkTimetable(
                        target, at: swapReader.valuePosition(of: source), usedBy: "swap of \(label)", allowNone: false)
                    swap[source] = target
                }
            }
            if let name, let from, let to {
                seasons.append((Season(name: name, from: from, to: to, swap: swap), reader.valuePosition(of: "from")))
            }
        }
        for (index, later) in seasons.enumerated() {
            let laterDays = Self.ordinals(later.season)
            for earlier in seasons[..<index] {
                guard let shared = Self.ordinals(earlier.season).intersection(laterDays).min() else { continue }
                let day = LocalDate(daysSince1970: 10_957 + shared).monthDay  // 2000-01-01, a leap year
                report(
                    "season `\(later.season.name)` overlaps season `\(earlier.season.name)` (both hold \(day))",
                    at: later.position)
            }
        }
        return seasons.map(\.season)
    }

    /// The `[[day]]` entries in file order, each with the position of its table.
    private func readDays(_ root: inout TOMLReader) -> [(entry: DayEntry, position: TOMLPosition)] {
        let readers = attempt({ () throws(TOMLError) in try root.tableArray("day") }) ?? []
        var days: [(entry: DayEntry, position: TOMLPosition)] = []
        for var reader in readers {
            rejectUnknownKeys(reader, known: ["name", "from", "to", "timetable"])
            let name = readName(&reader, what: "[[day]] entry")
            let label = name.map { "day `\($0)`" } ?? "this day"
            let from = readDate(&reader, "from", required: true)
            var to = readDate(&reader, "to", required: false)
            if let from, let end = to, end < from {
                report("`to` (\(end)) is before `from` (\(from)) in \(label)", at: reader.valuePosition(of: "to"))
                to = nil
            }
            let timetable = attempt { () throws(TOMLError) in try reader.requiredString("timetable") }
            if let timetable {
                checkTimetable(timetable, at: reader.valuePosition(of: "timetable"), usedBy: label)
            }
            guard let name, let from, let timetable else { continue }
            let entry = DayEntry(
                name: name, from: from, to: to ?? from, timetable: timetable == Schedule.silent ? nil : timetable,
                calendar: nil)
            days.append((entry, reader.table.position))
        }
        return days
    }

    /// The `[[calendar]]` tables in file order, each with its day entries and the position of its table.
    private func readCalendars(
        _ root: inout TOMLReader, timeZone: TimeZone?, window: ClosedRange<LocalDate>?
    ) -> [(calendar: ScheduleCalendar, entries: [(entry: DayEntry, position: TOMLPosition)])] {
        let readers = attempt({ () throws(TOMLError) in try root.tableArray("calendar") }) ?? []
        var calendars: [(calendar: ScheduleCalendar, entries: [(entry: DayEntry, position: TOMLPosition)])] = []
        for var reader in readers {
            rejectUnknownKeys(reader, known: ["file", "categories"])
            var file = attempt { () throws(TOMLError) in try reader.requiredString("file") }
            if let name = file, name.allSatisfy(\.isWhitespace) {
                report("the `file` of a [[calendar]] table is empty", at: reader.valuePosition(of: "file"))
                file = nil
            }
            let label = file.map { "calendar `\($0)`" } ?? "this calendar"
            let categories = readCategories(&reader, label: label)
            guard let file, let categories else { continue }
            let filePosition = reader.valuePosition(of: "file")
            guard let loader = context.calendarLoader else {
                report(
                    "iCalendar files are not supported here; [[calendar]] needs the daemon or the `carillon` client",
                    at: filePosition)
                continue
            }
            guard let timeZone else { continue }
            let path = Self.resolve(file, against: self.file)
            let request = CalendarRequest(path: path, categories: categories, timeZone: timeZone, window: window)
            let contents: CalendarContents
            do {
                contents = try loader(request)
            } catch {
                report(error.message, at: filePosition)
                continue
            }
            // Each occurrence stands at the table's position; the stable sort keeps the file's own order.
            let entries = contents.days.map { day in
                let entry = DayEntry(
                    name: day.name, from: day.from, to: day.to,
                    timetable: day.timetable == Schedule.silent ? nil : day.timetable, calendar: file)
                return (entry: entry, position: reader.table.position)
            }
            let calendar = ScheduleCalendar(
                file: file, path: path, categories: categories, dayCount: entries.count,
                ignoredEvents: contents.ignoredEvents)
            calendars.append((calendar, entries))
        }
        return calendars
    }

    /// The `categories` of a `[[calendar]]` table; nil when absent or unusable.
    private func readCategories(_ reader: inout TOMLReader, label: String) -> [String: String]? {
        guard var table = attempt({ () throws(TOMLError) in try reader.requiredTable("categories") }) else {
            return nil
        }
        guard !table.keys.isEmpty else {
            report(
                "`categories` of \(label) is empty; map at least one event category to a timetable or `none`",
                at: reader.valuePosition(of: "categories"))
            return nil
        }
        var categories: [String: String] = [:]
        var seen: [String: String] = [:]
        var valid = true
        for key in table.keys {
            guard let timetable = attempt({ () throws(TOMLError) in try table.string(key) }) else {
                valid = false
                continue
            }
            if key.allSatisfy(\.isWhitespace) {
                report("an event category of \(label) is empty", at: table.position(of: key))
                valid = false
            } else if let other = seen.updateValue(key, forKey: Self.categoryKey(key)) {
                report(
                    "categories `\(other)` and `\(key)` of \(label) are the same; categories ignore case",
                    at: table.position(of: key))
                valid = false
            }
            checkTimetable(timetable, at: table.valuePosition(of: key), usedBy: "category `\(key)` of \(label)")
            categories[key] = timetable
        }
        return valid ? categories : nil
    }

    /// How categories compare: trimmed and case-insensitive.
    static func categoryKey(_ category: String) -> String {
        category.trimmingCharacters(in: .whitespaces).lowercased()
    }

    /// `path` if it is absolute, else `path` in the directory of `schedule` (unchanged if `schedule` has none).
    static func resolve(_ path: String, against schedule: String) -> String {
        guard !path.hasPrefix("/"), let slash = schedule.lastIndex(of: "/") else { return path }
        return String(schedule[...slash]) + path
    }

    /// The dates calendar recurrences are expanded over: the years of the terms and `[[day]]` entries, one year
    /// either side; nil when there are neither.
    static func calendarWindow(terms: [Term], days: [DayEntry]) -> ClosedRange<LocalDate>? {
        let dates = terms.flatMap { [$0.from, $0.to] } + days.flatMap { [$0.from, $0.to] }
        guard let first = dates.min(), let last = dates.max() else { return nil }
        guard let from = LocalDate(year: max(first.year - 1, 1), month: 1, day: 1),
            let to = LocalDate(year: min(last.year + 1, 9999), month: 12, day: 31)
        else { return nil }
        return from...to
    }

    /// `[themes]`: week numbers for every term, and tables named after a term with that term's own weeks.
    private func readThemes(
        _ root: inout TOMLReader, terms: [Term]
    ) -> (shared: [Int: String], byTerm: [String: [Int: String]]) {
        guard var reader = attempt({ () throws(TOMLError) in try root.table("themes") }) else { return ([:], [:]) }
        var byTerm: [String: [Int: String]] = [:]
        let termNames = Set(terms.map(\.name))
        var shared: [String] = []
        for key in reader.keys {
            guard case .table = reader.node(key)?.value else {
                shared.append(key)
                continue
            }
            guard termNames.contains(key) else {
                let list = terms.map { "`\($0.name)`" }.joined(separator: ", ")
                report(
                    "`[themes.\(TOML.formatKey(key))]` names no term; a table in [themes] is a term's own weeks"
                        + (list.isEmpty ? "" : " (the terms are \(list))"),
                    at: reader.position(of: key))
                continue
            }
            guard var table = attempt({ () throws(TOMLError) in try reader.table(key) }) else { continue }
            byTerm[key] = readWeekThemes(&table, keys: table.keys, label: " of term `\(key)`")
        }
        return (readWeekThemes(&reader, keys: shared, label: ""), byTerm)
    }

    /// Week number to tip category, for the given keys of a `[themes]` table.
    private func readWeekThemes(_ reader: inout TOMLReader, keys: [String], label: String) -> [Int: String] {
        var themes: [Int: String] = [:]
        for key in keys {
            let category = attempt { () throws(TOMLError) in try reader.string(key) }
            guard !key.isEmpty, key.count <= 2, key.allSatisfy({ $0.isASCII && $0.isNumber }), let week = Int(key),
                (1...Self.maxThemeWeek).contains(week)
            else {
                report(
                    "theme key `\(key)` must be a week of term from 1 to \(Self.maxThemeWeek), or a term's name",
                    at: reader.position(of: key))
                continue
            }
            if themes[week] != nil {
                report("week \(week)\(label) has two themes", at: reader.position(of: key))
                continue
            }
            guard let category else { continue }
            if checkSubject(category, at: reader.valuePosition(of: key), usedBy: "theme of week \(week)\(label)") {
                themes[week] = category
            }
        }
        return themes
    }

    /// Reports an empty or unknown tip category; true when it may be used.
    private func checkSubject(_ category: String, at position: TOMLPosition, usedBy user: String) -> Bool {
        if category.isEmpty {
            report("the \(user) is empty; name a tip category", at: position)
            return false
        }
        if let known = context.tipCategories, !known.contains(category) {
            report("tip category `\(category)` does not exist (\(user))", at: position)
        }
        return true
    }

    /// The `[[theme]]` entries in file order.
    private func readThemeEntries(_ root: inout TOMLReader) -> [ThemeEntry] {
        let readers = attempt({ () throws(TOMLError) in try root.tableArray("theme") }) ?? []
        var entries: [ThemeEntry] = []
        for var reader in readers {
            rejectUnknownKeys(reader, known: ["name", "subject", "date", "from", "to", "weekdays"])
            var name: String?
            if reader.contains("name") { name = readName(&reader, what: "[[theme]] entry") }
            let label = name.map { "theme `\($0)`" } ?? "this theme"
            var subject = attempt { () throws(TOMLError) in try reader.requiredString("subject") }
            if let category = subject,
                !checkSubject(category, at: reader.valuePosition(of: "subject"), usedBy: "subject of \(label)")
            {
                subject = nil
            }
            let when: ThemeEntry.When?
            switch (reader.contains("date"), reader.contains("from") || reader.contains("to")) {
            case (true, true):
                report("\(label) has both `date` and `from`/`to`; give one day or one range", at: reader.table.position)
                when = nil
            case (false, false):
                report(
                    "\(label) needs `date` (one day: \"11-09\", a rule such as \"last-monday-of-march\", or a date) "
                        + "or `from` and `to` (a range of days)",
                    at: reader.table.position)
                when = nil
            case (true, false):
                when = readThemeDate(&reader, label: label)
                if reader.contains("weekdays") {
                    report("`weekdays` belongs to a range; \(label) is one day", at: reader.position(of: "weekdays"))
                }
            case (false, true):
                when = readThemeRange(&reader, label: label)
            }
            let weekdays = readWeekdays(&reader, label: label)
            guard let subject, let when, let weekdays else { continue }
            entries.append(ThemeEntry(name: name, subject: subject, when: when, weekdays: weekdays))
        }
        return entries
    }

    /// `date`: `"MM-DD"`, a rule such as `"last-monday-of-march"`, or a local date.
    private func readThemeDate(_ reader: inout TOMLReader, label: String) -> ThemeEntry.When? {
        guard let node = reader.node("date") else { return nil }
        switch node.value {
        case .date(let date):
            if let local = LocalDate(year: date.year, month: date.month, day: date.day) { return .date(local) }
            report("`\(date)` is outside the years 1 to 9999", at: node.position)
        case .string(let text):
            if let day = MonthDay(text) { return .monthDay(day) }
            if let rule = ThemeEntry.rule(text) { return rule }
            report(
                "`\(text)` is not a day of \(label): write \"MM-DD\" (\"11-09\"), a rule "
                    + "(\"first|second|third|fourth|last-WEEKDAY-of-MONTH\", e.g. \"last-monday-of-march\"), or a date "
                    + "without quotes (2026-11-09)",
                at: node.position)
        default:
            report(
                "expected a day (\"11-09\", \"last-monday-of-march\" or 2026-11-09) for `\(reader.keyPath("date"))`, "
                    + "found \(node.typeDescription)",
                at: node.position)
        }
        return nil
    }

    /// `from` (`"MM-DD"`) and `to` (`"MM-DD"` or `"term-end"`).
    private func readThemeRange(_ reader: inout TOMLReader, label: String) -> ThemeEntry.When? {
        let from = readMonthDay(&reader, "from")
        var to: ThemeEntry.RangeEnd?
        if let node = reader.node("to") {
            switch node.value {
            case .string("term-end"): to = .termEnd
            case .string(let text):
                if let day = MonthDay(text) {
                    to = .monthDay(day)
                } else {
                    report(
                        "`\(text)` is not the end of \(label): write \"MM-DD\", e.g. \"07-10\", or \"term-end\"",
                        at: node.position)
                }
            default:
                report(
                    "expected \"MM-DD\" or \"term-end\" for `\(reader.keyPath("to"))`, found \(node.typeDescription)",
                    at: node.position)
            }
        } else {
            report("missing key `to` in \(reader.tableName); a range needs `from` and `to`", at: reader.table.position)
        }
        guard let from, let to else { return nil }
        return .range(from: from, to: to)
    }

    /// `weekdays = ["mon", "thu"]`: empty set when absent (every day), nil when invalid.
    private func readWeekdays(_ reader: inout TOMLReader, label: String) -> Set<Weekday>? {
        guard let node = reader.node("weekdays") else { return [] }
        guard case .array(let elements) = node.value, !elements.isEmpty else {
            report(
                "expected a non-empty array of weekdays (\"mon\" to \"sun\") for `\(reader.keyPath("weekdays"))`",
                at: node.position)
            return nil
        }
        var days: Set<Weekday> = []
        var valid = true
        for element in elements {
            guard case .string(let key) = element.value, let day = Weekday(key: key) else {
                report("expected a weekday, \"mon\" to \"sun\", in the `weekdays` of \(label)", at: element.position)
                valid = false
                continue
            }
            if !days.insert(day).inserted {
                report("`\(key)` is listed twice in the `weekdays` of \(label)", at: element.position)
                valid = false
            }
        }
        return valid ? days : nil
    }

    // MARK: Timetables

    private func readTimetables(_ root: inout TOMLReader) -> [String: Timetable] {
        guard root.contains("timetables") else {
            timetableNames = []
            return [:]
        }
        guard var reader = attempt({ () throws(TOMLError) in try root.table("timetables") }) else { return [:] }
        timetableNames = Set(reader.keys)
        var timetables: [String: Timetable] = [:]
        for name in reader.keys {
            if name == Schedule.silent {
                report("`none` is reserved for silent days and cannot name a timetable", at: reader.position(of: name))
            } else if !ZoneName(name).isWellFormed {
                report(
                    "timetable name `\(name)` must be lower-case letters, digits, `-` and `_`, starting with a letter",
                    at: reader.position(of: name))
            }
            guard var timetable = attempt({ () throws(TOMLError) in try reader.table(name) }) else { continue }
            rejectUnknownKeys(timetable, known: ["events"])
            guard let node = timetable.node("events") else {
                report("missing key `events` in \(timetable.tableName)", at: timetable.table.position)
                continue
            }
            guard case .array(let elements) = node.value else {
                report(
                    "expected an array of tables for `\(timetable.keyPath("events"))`, found \(node.typeDescription)",
                    at: node.position)
                continue
            }
            var events: [TimetableEvent] = []
            for (index, element) in elements.enumerated() {
                let path = "\(timetable.keyPath("events"))[\(index)]"
                guard case .table(let table) = element.value else {
                    report("expected a table for `\(path)`, found \(element.typeDescription)", at: element.position)
                    continue
                }
                var event = TOMLReader(table, file: file, path: path)
                if let parsed = readEvent(&event, timetable: name) { events.append(parsed) }
            }
            timetables[name] = Timetable(name: name, events: events)
        }
        return timetables
    }

    private func readEvent(_ reader: inout TOMLReader, timetable: String) -> TimetableEvent? {
        rejectUnknownKeys(reader, known: ["at", "play", "say", "zones", "level"])
        let time = readTime(&reader)
        let play = attempt { () throws(TOMLError) in try reader.string("play") }
        let say = attempt { () throws(TOMLError) in try reader.string("say") }
        var action: ScheduledAction?
        switch (reader.contains("play"), reader.contains("say")) {
        case (true, true):
            report("an event has both `play` and `say`; give exactly one", at: reader.position(of: "say"))
        case (false, false):
            report(
                "an event needs `play` (a clip id, `tip:today`, `tip:next` or `culture:next`) or `say` (text read aloud)",
                at: reader.table.position)
        case (true, false):
            if let play { action = checkPlay(play, at: reader.valuePosition(of: "play")) }
        case (false, true):
            if let say { action = checkSay(say, at: reader.valuePosition(of: "say")) }
        }
        let zones = readZones(&reader)
        let level = readLevel(&reader)
        guard let time, let action, let zones, level.valid else { return nil }
        return TimetableEvent(time: time, action: action, zones: zones, level: level.level)
    }

    private func readTime(_ reader: inout TOMLReader) -> LocalTime? {
        guard let node = reader.node("at") else {
            report("missing key `at` in \(reader.tableName)", at: reader.table.position)
            return nil
        }
        switch node.value {
        case .string(let text):
            if let time = LocalTime(text) { return time }
            report("`\(text)` is not a time of day; write \"HH:MM\" or \"HH:MM:SS\"", at: node.position)
        case .time(let time):
            if time.nanosecond == 0, let time = LocalTime(hour: time.hour, minute: time.minute, second: time.second) {
                return time
            }
            report(
                "`\(time)` is not a whole second of a day; fractions and leap seconds are not allowed",
                at: node.position)
        default:
            report(
                "expected a time of day (\"HH:MM\", \"HH:MM:SS\" or a local time) for `\(reader.keyPath("at"))`, "
                    + "found \(node.typeDescription)",
                at: node.position)
        }
        return nil
    }

    private func checkPlay(_ play: String, at position: TOMLPosition) -> ScheduledAction? {
        switch play {
        case ScheduledAction.tipTodayName: return .tipToday
        case ScheduledAction.tipNextName: return .tipNext
        case ScheduledAction.cultureNextName: return .cultureNext
        case _ where play.hasPrefix("tip:") || play.hasPrefix("culture:"):
            report(
                "`\(play)` is not a rotation slot; expected `tip:today`, `tip:next` or `culture:next`", at: position)
        case _ where !Clip.isWellFormedID(play):
            report(
                "`\(play)` is not a clip id: dot-separated words of lower-case letters, digits, `-` and `_`",
                at: position)
        case _ where !(context.clipExists?(play) ?? true):
            report("clip `\(play)` does not exist in the library", at: position)
        default:
            return .play(play)
        }
        return nil
    }

    private func checkSay(_ text: String, at position: TOMLPosition) -> ScheduledAction? {
        if text.allSatisfy(\.isWhitespace) {
            report("the `say` text is empty", at: position)
        } else if text.count > Self.maxSayCharacters {
            report(
                "the `say` text has \(text.count) characters; at most \(Self.maxSayCharacters) are allowed",
                at: position)
        } else {
            return .say(text)
        }
        return nil
    }

    /// The zones of an event; `["all"]` when absent, nil when invalid.
    private func readZones(_ reader: inout TOMLReader) -> [ZoneName]? {
        guard let node = reader.node("zones") else { return [.all] }
        guard case .array(let elements) = node.value else {
            report(
                "expected an array of zone names for `\(reader.keyPath("zones"))`, found \(node.typeDescription)",
                at: node.position)
            return nil
        }
        if elements.isEmpty {
            report("`zones` is empty; leave it out to mean all zones", at: node.position)
            return nil
        }
        var zones: [ZoneName] = []
        var valid = true
        for (index, element) in elements.enumerated() {
            guard case .string(let name) = element.value else {
                report(
                    "expected a string for `\(reader.keyPath("zones"))[\(index)]`, found \(element.typeDescription)",
                    at: element.position)
                valid = false
                continue
            }
            let zone = ZoneName(name)
            if zone == .all || context.zoneGroups.zones(of: name) != nil
                || (context.anyZoneGroup && !zone.isWellFormed && ZoneGroup.isShapedLikeName(name))
            {
            } else if !zone.isWellFormed {
                report(
                    "`\(name)` is not a zone name: lower-case letters, digits, `-` and `_`, starting with a letter"
                        + context.zoneGroups.listed,
                    at: element.position)
                valid = false
            } else if let known = context.zones, !known.contains(zone) {
                let list = known.map { "`\($0)`" }.joined(separator: ", ")
                report(
                    "zone `\(name)` does not exist; the zones are \(list) and `all`\(context.zoneGroups.listed)", at: element.position)
                valid = false
            }
            zones.append(zone)
        }
        return valid ? zones : nil
    }

    /// The level of an event: `valid` is false when the value is unusable; `level` is nil when absent.
    private func readLevel(_ reader: inout TOMLReader) -> (valid: Bool, level: Level?) {
        guard reader.contains("level") else { return (true, nil) }
        guard let name = attempt({ () throws(TOMLError) in try reader.string("level") }) else { return (false, nil) }
        guard let level = Level(rawValue: name) else {
            let list = Level.allCases.map { "`\($0.rawValue)`" }.joined(separator: ", ")
            report("`\(name)` is not a level; expected one of \(list)", at: reader.valuePosition(of: "level"))
            return (false, nil)
        }
        return (true, level)
    }

    // MARK: Shared readers

    private func readName(_ reader: inout TOMLReader, what: String) -> String? {
        guard let name = attempt({ () throws(TOMLError) in try reader.requiredString("name") }) else { return nil }
        guard !name.allSatisfy(\.isWhitespace) else {
            report("the name of a \(what) is empty", at: reader.valuePosition(of: "name"))
            return nil
        }
        return name
    }

    private func readDate(_ reader: inout TOMLReader, _ key: String, required: Bool) -> LocalDate? {
        guard let node = reader.node(key) else {
            if required {
                report("missing key `\(TOML.formatKey(key))` in \(reader.tableName)", at: reader.table.position)
            }
            return nil
        }
        switch node.value {
        case .date(let date):
            if let local = LocalDate(year: date.year, month: date.month, day: date.day) { return local }
            report("`\(date)` is outside the years 1 to 9999", at: node.position)
        case .string(let text) where LocalDate(text) != nil:
            report(
                "expected a local date for `\(reader.keyPath(key))`, found a string; write \(text) without quotes",
                at: node.position)
        default:
            report(
                "expected a local date (such as 2026-09-01) for `\(reader.keyPath(key))`, "
                    + "found \(node.typeDescription)",
                at: node.position)
        }
        return nil
    }

    private func readMonthDay(_ reader: inout TOMLReader, _ key: String) -> MonthDay? {
        guard let node = reader.node(key) else {
            report("missing key `\(key)` in \(reader.tableName)", at: reader.table.position)
            return nil
        }
        guard case .string(let text) = node.value else {
            report(
                "expected a month-day string such as \"05-01\" for `\(reader.keyPath(key))`, "
                    + "found \(node.typeDescription)",
                at: node.position)
            return nil
        }
        guard let monthDay = MonthDay(text) else {
            report("`\(text)` is not a month-day; write \"MM-DD\", e.g. \"05-01\"", at: node.position)
            return nil
        }
        return monthDay
    }

    /// Reports `name` unless it is a declared timetable, or `none` where silence is allowed.
    private func checkTimetable(_ name: String, at position: TOMLPosition, usedBy user: String, allowNone: Bool = true)
    {
        if allowNone && name == Schedule.silent { return }
        guard let known = timetableNames, !known.contains(name) else { return }
        report("timetable `\(name)` does not exist (\(user))", at: position)
    }

    /// The month-days a season holds, as indices into a leap year.
    private static func ordinals(_ season: Season) -> Set<Int> {
        let from = season.from.ordinal
        let to = season.to.ordinal
        return from <= to ? Set(from...to) : Set(from...365).union(0...to)
    }
}
