public import Foundation

/// One day exception read from a calendar file: what a `[[day]]` entry says, for one occurrence of an event.
public struct CalendarDay: Sendable, Hashable, CustomStringConvertible {
    /// The name shown as the rule that chose the day: the event's SUMMARY.
    public let name: String
    /// The first day, in the schedule's timezone.
    public let from: LocalDate
    /// The last day, included; equal to `from` for a single day.
    public let to: LocalDate
    /// The timetable the event's category maps to, as written in the schedule: a name or `none`.
    public let timetable: String

    /// Creates a day exception; a `to` before `from` is raised to `from`.
    public init(name: String, from: LocalDate, to: LocalDate, timetable: String) {
        self.name = name
        self.from = from
        self.to = max(from, to)
        self.timetable = timetable
    }

    /// `2026-10-01...2026-10-07 none (National Day)`, for logs and tests.
    public var description: String {
        (from == to ? "\(from)" : "\(from)...\(to)") + " \(timetable) (\(name))"
    }
}

/// What a calendar loader is asked for: one `[[calendar]]` table of a schedule.
public struct CalendarRequest: Sendable, Hashable {
    /// The calendar file: absolute, or relative to the working directory when the schedule's own path is relative.
    public let path: String
    /// Event category to timetable name (or `none`), as written; match categories case-insensitively.
    public let categories: [String: String]
    /// The schedule's timezone: dated events count on their local dates in it.
    public let timeZone: TimeZone
    /// The dates recurrences are expanded over (the years of the schedule's terms and `[[day]]` entries, one
    /// year either side); nil when the schedule has neither, and the loader chooses its own bound.
    public let window: ClosedRange<LocalDate>?

    /// Creates a request.
    public init(path: String, categories: [String: String], timeZone: TimeZone, window: ClosedRange<LocalDate>?) {
        self.path = path
        self.categories = categories
        self.timeZone = timeZone
        self.window = window
    }
}

/// What a calendar loader found in one file.
public struct CalendarContents: Sendable, Hashable {
    /// The day exceptions, in the order they take effect: where two overlap, the later one wins.
    public let days: [CalendarDay]
    /// How many events were skipped because none of their categories is mapped.
    public let ignoredEvents: Int

    /// Creates the result of a load.
    public init(days: [CalendarDay], ignoredEvents: Int) {
        self.days = days
        self.ignoredEvents = ignoredEvents
    }
}

/// Why a calendar file could not be used; the schedule reports `message` at the `[[calendar]]` table's `file`.
public struct CalendarError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A complete sentence that names the file, e.g. "calendar file `x.ics` does not exist".
    public let message: String

    /// Wraps a message.
    public init(_ message: String) {
        self.message = message
    }

    /// The message.
    public var description: String { message }
}

/// Reads a calendar file into day exceptions. Core cannot read iCalendar itself (that needs libical, in
/// `CarillonCalendar`); the daemon and the `carillon` client pass `ICalendar.loader` in `ScheduleContext`.
public typealias CalendarLoader = @Sendable (CalendarRequest) throws(CalendarError) -> CalendarContents

/// One `[[calendar]]` table of a schedule and what it contributed, so that a preview can tell.
public struct ScheduleCalendar: Sendable, Hashable {
    /// The `file` value as written in the schedule.
    public let file: String
    /// The path the file was read from (relative paths resolved against the schedule file's directory).
    public let path: String
    /// The category to timetable mapping, as written.
    public let categories: [String: String]
    /// How many day exceptions the file contributed.
    public let dayCount: Int
    /// How many events of the file were ignored because none of their categories is mapped.
    public let ignoredEvents: Int
}
