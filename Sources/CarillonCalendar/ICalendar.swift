public import CarillonCore
public import Foundation

/// Reads iCalendar files (RFC 5545) into the day exceptions of a schedule, with libical.
///
/// Each VEVENT whose CATEGORIES map to a timetable yields one `CalendarDay` per occurrence, named by its SUMMARY
/// and covering its local dates in the schedule's timezone: an all-day event from DTSTART up to its exclusive
/// DTEND, a dated event the dates its time span touches. RRULE, RDATE, EXDATE (and EXRULE, RECURRENCE-ID
/// overrides) are expanded by libical; STATUS:CANCELLED events are skipped.
public enum ICalendar {
    /// Expansion of an event's RRULEs stops once the event has this many occurrences.
    public static let maxOccurrencesPerEvent = 5_000
    /// Without a window, RRULEs are expanded to the end of the year this many years after the event's DTSTART.
    public static let defaultWindowYears = 10
    /// Larger files are refused.
    public static let maxFileBytes = 16 << 20

    /// The loader to put in `ScheduleContext(calendarLoader:)`: reads `request.path` with `contents(ofFile:…)`.
    public static let loader: CalendarLoader = { request throws(CalendarError) in
        try contents(
            ofFile: request.path, categories: request.categories, timeZone: request.timeZone,
            window: request.window)
    }

    /// The day exceptions of the calendar file at `path`; see `contents(ofFile:categories:timeZone:window:)`.
    public static func days(
        fromFile path: String, categories: [String: String], timeZone: TimeZone, window: ClosedRange<LocalDate>?
    ) throws(CalendarError) -> [CalendarDay] {
        try contents(ofFile: path, categories: categories, timeZone: timeZone, window: window).days
    }

    /// Reads the calendar file at `path`.
    ///
    /// - Parameters:
    ///   - categories: event category to timetable name (or `none`), matched case-insensitively; an event with
    ///     several categories uses the first that maps, and an event none of whose categories map is ignored
    ///     (and counted in `ignoredEvents`).
    ///   - timeZone: the schedule's timezone; dated events count on their local dates in it.
    ///   - window: RRULE occurrences outside these dates are dropped, and expansion stops after its end; nil
    ///     expands each rule from DTSTART to the end of the year `defaultWindowYears` later. DTSTART and RDATE
    ///     occurrences are always kept.
    /// - Returns: the days in the order they take effect (where two overlap, the later wins): occurrences of
    ///   recurring events first, then one-off events, each group in file order.
    /// - Throws: `CalendarError` naming the file when it is missing, unreadable, not iCalendar, or holds content
    ///   libical reports as malformed (naming the component).
    public static func contents(
        ofFile path: String, categories: [String: String], timeZone: TimeZone, window: ClosedRange<LocalDate>?
    ) throws(CalendarError) -> CalendarContents {
        let text = try read(path)
        return try contents(ofText: text, file: path, categories: categories, timeZone: timeZone, window: window)
    }

    /// Reads calendar text as if it were the file `file` (used in messages); see `contents(ofFile:…)`.
    public static func contents(
        ofText text: String, file: String, categories: [String: String], timeZone: TimeZone,
        window: ClosedRange<LocalDate>?
    ) throws(CalendarError) -> CalendarContents {
        let mapping = Dictionary(
            categories.map { (key: normalize($0.key), value: $0.value) }, uniquingKeysWith: { first, _ in first })
        return try LibICal.read(
            text, file: file, categories: mapping, timeZone: timeZone, window: window,
            limits: .init(occurrences: maxOccurrencesPerEvent, years: defaultWindowYears))
    }

    /// How categories compare: trimmed and case-insensitive.
    static func normalize(_ category: String) -> String {
        category.trimmingCharacters(in: .whitespaces).lowercased()
    }

    /// The text of the file at `path`, or an error that says why not.
    private static func read(_ path: String) throws(CalendarError) -> String {
        let files = FileManager.default
        var isDirectory: ObjCBool = false
        guard files.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CalendarError("calendar file `\(path)` does not exist")
        }
        guard !isDirectory.boolValue else { throw CalendarError("calendar file `\(path)` is a directory") }
        if let size = (try? files.attributesOfItem(atPath: path))?[.size] as? NSNumber, size.intValue > maxFileBytes {
            throw CalendarError("calendar file `\(path)` is larger than \(maxFileBytes >> 20) MiB")
        }
        guard files.isReadableFile(atPath: path), let data = files.contents(atPath: path) else {
            throw CalendarError("calendar file `\(path)` cannot be read (permission denied?)")
        }
        var bytes = [UInt8](data)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        guard let text = String(validating: bytes, as: UTF8.self), !bytes.contains(0) else {
            throw CalendarError("`\(path)` is not an iCalendar file: it is not UTF-8 text")
        }
        return text
    }
}
