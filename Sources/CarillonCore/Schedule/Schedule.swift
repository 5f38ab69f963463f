public import Foundation

/// A school's validated `schedule.toml`; evaluation is pure (time is a parameter) so previews and tests need no clock.
public struct Schedule: Sendable, Hashable {
    /// The file's version; a bundle must raise it.
    public let version: Int
    /// The zone every local date and time of the file is in.
    public let timeZone: TimeZone
    /// The zone's name as the schedule writes it: Foundation names `UTC` `GMT`, and a school that
    /// wrote `UTC` must see `UTC`.
    public let timeZoneName: String
    /// How late, in seconds, an event may still start before it counts as missed.
    public let graceSeconds: Int
    /// The terms, by start date; they do not overlap.
    public let terms: [Term]
    /// The timetable each weekday uses inside a term; an absent day is silent.
    public let week: [Weekday: String]
    /// The yearly timetable swaps, in file order; they do not overlap.
    public let seasons: [Season]
    /// The date exceptions in file order, a calendar's where its table stands; a later one wins an overlap.
    public let dayEntries: [DayEntry]
    /// The `[[calendar]]` tables in file order, with what each contributed to `dayEntries`.
    public let calendars: [ScheduleCalendar]
    /// Every timetable, by name.
    public let timetables: [String: Timetable]
    /// `[themes]`: the tip category of each week of term that has a theme, by week number (1 holds a term's first
    /// day), for every term.
    public let themes: [Int: String]
    /// `[themes.TERM]`: a term's own weekly themes, by term name; they beat `themes` in that term.
    public let termThemes: [String: [Int: String]]
    /// The `[[theme]]` entries in file order: subjects pinned to days and ranges of the calendar.
    public let themeEntries: [ThemeEntry]

    /// The timetable name that means a silent day.
    public static let silent = "none"

    init(
        version: Int, timeZone: TimeZone, graceSeconds: Int, terms: [Term], week: [Weekday: String], seasons: [Season],
        dayEntries: [DayEntry], calendars: [ScheduleCalendar] = [], timetables: [String: Timetable],
        themes: [Int: String], termThemes: [String: [Int: String]] = [:], themeEntries: [ThemeEntry] = [],
        timeZoneName: String? = nil
    ) {
        self.version = version
        self.timeZone = timeZone
        self.timeZoneName = timeZoneName ?? timeZone.identifier
        self.graceSeconds = graceSeconds
        self.terms = terms.sorted { $0.from < $1.from }
        self.week = week
        self.seasons = seasons
        self.dayEntries = dayEntries
        self.calendars = calendars
        self.timetables = timetables
        self.themes = themes
        self.termThemes = termThemes
        self.themeEntries = themeEntries
    }

    // MARK: Days

    /// The term that holds `date`, if any.
    public func term(on date: LocalDate) -> Term? {
        terms.first { $0.contains(date) }
    }

    /// The timetable of `date`: the last `[[day]]` holding it, else `[week]` in a term, else none; then the swap.
    public func plan(on date: LocalDate) -> DayPlan {
        var name: String?
        let choice: DayPlan.Choice
        if let entry = dayEntries.last(where: { $0.contains(date) }) {
            name = entry.timetable
            choice = .day(entry.name)
        } else if let term = term(on: date) {
            name = week[date.weekday]
            choice = .week(term: term.name)
        } else {
            choice = .outsideTerm
        }
        var swappedBy: String?
        if let chosen = name, let season = seasons.first(where: { $0.contains(date) }),
            let swapped = season.swap[chosen]
        {
            name = swapped
            swappedBy = season.name
        }
        return DayPlan(date: date, timetable: name, choice: choice, season: swappedBy)
    }

    /// The plan of each date from `from` through `through`, both included; empty when `from` is later.
    public func days(from: LocalDate, through: LocalDate) -> [DayPlan] {
        guard from <= through else { return [] }
        return (from...through).map(plan(on:))
    }

    // MARK: Events

    /// Every event of the local dates `from` through `through`, in time order; ties keep date, then file, order.
    public func events(from: LocalDate, through: LocalDate) -> [ScheduledEvent] {
        var events: [(sequence: Int, event: ScheduledEvent)] = []
        for plan in days(from: from, through: through) {
            guard let name = plan.timetable, let timetable = timetables[name] else { continue }
            for (index, entry) in timetable.events.enumerated() {
                let resolved = TimeZoneResolution.instant(of: plan.date, entry.time, in: timeZone)
                let event = ScheduledEvent(
                    at: resolved.instant, localDate: plan.date, localTime: entry.time,
                    utcOffsetSeconds: resolved.utcOffsetSeconds, action: entry.action, zones: entry.zones,
                    level: entry.level, timetable: name, day: plan.rule, index: index)
                events.append((events.count, event))
            }
        }
        events.sort { ($0.event.at, $0.sequence) < ($1.event.at, $1.sequence) }
        return events.map(\.event)
    }

    /// The events whose instant falls in `interval`, in time order; what the scheduler asks for.
    public func events(in interval: Range<Date>) -> [ScheduledEvent] {
        guard !interval.isEmpty else { return [] }
        let first = LocalDate(interval.lowerBound, in: timeZone).adding(days: -1)
        let last = LocalDate(interval.upperBound, in: timeZone).adding(days: 1)
        return events(from: first, through: last).filter { interval.contains($0.at) }
    }

    /// The local date of `instant` in the schedule's timezone.
    public func localDate(of instant: Date) -> LocalDate {
        LocalDate(instant, in: timeZone)
    }

    // MARK: Themes

    /// The week of term of `date`: 1 for the week (Monday to Sunday) holding the term's first day; nil outside terms.
    public func weekOfTerm(on date: LocalDate) -> Int? {
        guard let term = term(on: date) else { return nil }
        let firstMonday = term.from.adding(days: 1 - term.from.weekday.rawValue)
        return firstMonday.distance(to: date) / 7 + 1
    }

    /// The tip category of `date`: a pinned `[[theme]]` day, else a `[[theme]]` range, else the week of term; nil
    /// when none holds. `themeChoice(on:)` also tells which rule chose it.
    public func theme(on date: LocalDate) -> String? {
        themeChoice(on: date)?.subject
    }
}

/// A school term: inside it `[week]` applies.
public struct Term: Sendable, Hashable {
    /// The name, e.g. `2026-autumn`.
    public let name: String
    /// The first day.
    public let from: LocalDate
    /// The last day, included.
    public let to: LocalDate

    /// Whether `date` is inside the term, both ends included.
    public func contains(_ date: LocalDate) -> Bool { from <= date && date <= to }
}

/// A yearly swap of timetables between two month-days, e.g. summer hours.
public struct Season: Sendable, Hashable {
    /// The name, e.g. `summer`.
    public let name: String
    /// The first month-day.
    public let from: MonthDay
    /// The last month-day, included; earlier than `from` when the season wraps the year end.
    public let to: MonthDay
    /// Timetable name to the name used in its place; names absent here stay as they are.
    public let swap: [String: String]

    /// Whether the season holds `date`, wrapping the year end when `to` is before `from`.
    public func contains(_ date: LocalDate) -> Bool {
        let day = date.monthDay
        return from <= to ? (from <= day && day <= to) : (day >= from || day <= to)
    }
}

/// A `[[day]]` entry, or one occurrence of a calendar file's event: a date or range of dates with its own timetable.
public struct DayEntry: Sendable, Hashable {
    /// The name shown as the rule, e.g. `National Day`.
    public let name: String
    /// The first day.
    public let from: LocalDate
    /// The last day, included; equal to `from` for a single day.
    public let to: LocalDate
    /// The timetable; nil for `none`, a silent day.
    public let timetable: String?
    /// The `file` of the `[[calendar]]` table the entry comes from, as written; nil for a `[[day]]` entry.
    public let calendar: String?

    /// Whether `date` is in the entry's range, both ends included.
    public func contains(_ date: LocalDate) -> Bool { from <= date && date <= to }
}

/// A named list of events for one day.
public struct Timetable: Sendable, Hashable {
    /// The name, e.g. `regular`.
    public let name: String
    /// The events in file order (which is their index in event keys), not necessarily in time order.
    public let events: [TimetableEvent]
}

/// One line of a timetable: what to do at a local time.
public struct TimetableEvent: Sendable, Hashable {
    /// The local time.
    public let time: LocalTime
    /// What plays.
    public let action: ScheduledAction
    /// The zones as written; `["all"]` when the file gives none.
    public let zones: [ZoneName]
    /// The level given in the file; nil lets the daemon choose by the clip's category.
    public let level: Level?
}

/// What a scheduled event does.
public enum ScheduledAction: Sendable, Hashable {
    /// Plays a clip of the library by id.
    case play(String)
    /// Reads the text aloud.
    case say(String)
    /// Plays the day's reminder of the day's theme: the same tip at every slot of the day.
    case tipToday
    /// Plays a new tip of the day's theme at each slot.
    case tipNext
    /// Plays the next campus-culture clip: culture has slots of its own, outside the themes.
    case cultureNext

    /// The `play` value for a tip slot.
    static let tipTodayName = "tip:today"
    /// The `play` value for a tip slot.
    static let tipNextName = "tip:next"
    /// The `play` value for a culture slot.
    static let cultureNextName = "culture:next"
    /// The rotation category of culture slots.
    public static let cultureCategory = "culture"
}

/// The timetable chosen for one date and why.
public struct DayPlan: Sendable, Hashable, CustomStringConvertible {
    /// Which rule chose the timetable, before any season swap.
    public enum Choice: Sendable, Hashable {
        /// A `[[day]]` entry, by name.
        case day(String)
        /// `[week]`, inside the named term.
        case week(term: String)
        /// No `[[day]]` entry and no term: silent.
        case outsideTerm
    }

    /// The local date.
    public let date: LocalDate
    /// The timetable after the season swap; nil for a silent day.
    public let timetable: String?
    /// The rule that chose it.
    public let choice: DayPlan.Choice
    /// The season whose swap replaced the chosen name; nil when no swap applied.
    public let season: String?

    /// The rule as text, e.g. `National Day`, `week (term 2026-autumn)` or `week (term 2026-autumn), season summer`.
    public var rule: String {
        var text =
            switch choice {
            case .day(let name): name
            case .week(let term): "week (term \(term))"
            case .outsideTerm: "outside term"
            }
        if let season { text += ", season \(season)" }
        return text
    }

    /// `2026-10-09 regular (week (term 2026-autumn))`, for logs and tests.
    public var description: String { "\(date) \(timetable ?? Schedule.silent) (\(rule))" }
}
