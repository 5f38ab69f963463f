import CICal
import CarillonCore
import Foundation
import Synchronization

/// libical keeps global state (its error number, the cache of built-in time zones): one reader at a time.
private let libicalLock = Mutex(())

/// The walk over a parsed calendar: everything that touches libical, under `libicalLock`.
enum LibICal {
    /// How far recurrences are expanded.
    struct Limits: Sendable {
        /// Expansion of an event's RRULEs stops once it has this many occurrences.
        let occurrences: Int
        /// Without a window, rules run to the end of the year this many years after DTSTART.
        let years: Int
    }

    /// A safety stop for one RRULE iterator, however far before the window its DTSTART lies.
    static let maxSteps = 100_000

    /// Parses `text` and turns its mapped events into day exceptions; `categories` has normalized keys.
    static func read(
        _ text: String, file: String, categories: [String: String], timeZone: TimeZone,
        window: ClosedRange<LocalDate>?, limits: Limits
    ) throws(CalendarError) -> CalendarContents {
        try libicalLock.withLock { _ throws(CalendarError) -> CalendarContents in
            icalerror_set_errors_are_fatal(0)
            icalerror_clear_errno()
            guard let root = icalparser_parse_string(text) else { throw notICalendar(file) }
            defer { icalcomponent_free(root) }
            let calendars: [OpaquePointer]
            switch icalcomponent_isa(root) {
            case ICAL_VCALENDAR_COMPONENT: calendars = [root]
            case ICAL_XROOT_COMPONENT: calendars = children(of: root, ICAL_ANY_COMPONENT)
            default: throw notICalendar(file)
            }
            guard !calendars.isEmpty, calendars.allSatisfy({ icalcomponent_isa($0) == ICAL_VCALENDAR_COMPONENT })
            else { throw notICalendar(file) }
            let problems = calendars.flatMap(malformations(in:))
            if let first = problems.first {
                let more = problems.count == 1 ? "" : " (and \(problems.count - 1) more)"
                throw CalendarError("`\(file)` is not valid iCalendar: \(first)\(more)")
            }
            // Malformed content is reported above with what libical wrote about it; this is any other failure.
            let parseError = icalerrno_return().pointee
            guard parseError == ICAL_NO_ERROR else {
                throw CalendarError("`\(file)` cannot be parsed: libical reports \(describe(parseError))")
            }
            var reader = EventReader(
                file: file, categories: categories, timeZone: timeZone, window: window, limits: limits)
            for calendar in calendars { try reader.add(calendar: calendar) }
            return CalendarContents(days: reader.recurring + reader.single, ignoredEvents: reader.ignored)
        }
    }

    private static func notICalendar(_ file: String) -> CalendarError {
        CalendarError("`\(file)` is not an iCalendar file (expected BEGIN:VCALENDAR … END:VCALENDAR)")
    }

    // MARK: Walking components

    /// The sub-components of `component` of `kind`, collected first so that no walk interleaves with another.
    static func children(of component: OpaquePointer, _ kind: icalcomponent_kind) -> [OpaquePointer] {
        var found: [OpaquePointer] = []
        var next = icalcomponent_get_first_component(component, kind)
        while let child = next {
            found.append(child)
            next = icalcomponent_get_next_component(component, kind)
        }
        return found
    }

    /// The properties of `component` of `kind`, in file order.
    static func properties(of component: OpaquePointer, _ kind: icalproperty_kind) -> [OpaquePointer] {
        var found: [OpaquePointer] = []
        var next = icalcomponent_get_first_property(component, kind)
        while let property = next {
            found.append(property)
            next = icalcomponent_get_next_property(component, kind)
        }
        return found
    }

    /// The X-LIC-ERROR properties libical inserted for malformed content, each as "COMPONENT: message".
    static func malformations(in component: OpaquePointer) -> [String] {
        let own = properties(of: component, ICAL_XLICERROR_PROPERTY).map { property in
            let message = icalproperty_get_xlicerror(property).map { String(cString: $0) } ?? "malformed content"
            return "\(describe(component)): \(message)"
        }
        return own + children(of: component, ICAL_ANY_COMPONENT).flatMap(malformations(in:))
    }

    /// `VEVENT `Exam week` (UID exam-1)`, `VTIMEZONE `Europe/Berlin`` or `VCALENDAR`, for messages.
    static func describe(_ component: OpaquePointer) -> String {
        let kind = icalcomponent_kind_to_string(icalcomponent_isa(component)).map { String(cString: $0) } ?? "component"
        var text = kind
        if let summary = self.text(of: component, ICAL_SUMMARY_PROPERTY, icalproperty_get_summary) {
            text += " `\(summary)`"
        } else if let tzid = self.text(of: component, ICAL_TZID_PROPERTY, icalproperty_get_tzid) {
            text += " `\(tzid)`"
        }
        if let uid = self.text(of: component, ICAL_UID_PROPERTY, icalproperty_get_uid) { text += " (UID \(uid))" }
        return text
    }

    /// The text of the first property of `kind`, trimmed; nil when absent or blank.
    static func text(
        of component: OpaquePointer, _ kind: icalproperty_kind,
        _ get: (OpaquePointer?) -> UnsafePointer<CChar>?
    ) -> String? {
        guard let property = icalcomponent_get_first_property(component, kind), let value = get(property) else {
            return nil
        }
        let text = String(cString: value).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }

    private static func describe(_ error: icalerrorenum) -> String {
        icalerror_strerror(error).map { String(cString: $0) } ?? "error \(error.rawValue)"
    }

    // MARK: Times

    /// `raw` (a property's value as parsed) with the zone its TZID names: the file's VTIMEZONE, else libical's
    /// built-in (system) zone of that name. Dates, UTC and floating times are returned as they are.
    static func zoned(
        _ raw: icaltimetype, of property: OpaquePointer, in calendar: OpaquePointer, what: () -> String
    ) throws(CalendarError) -> icaltimetype {
        guard raw.is_date == 0, icaltime_is_utc(raw) == 0,
            let parameter = icalproperty_get_first_parameter(property, ICAL_TZID_PARAMETER),
            let tzid = icalparameter_get_tzid(parameter)
        else { return raw }
        guard
            let zone = icalcomponent_get_timezone(calendar, tzid) ?? icaltimezone_get_builtin_timezone_from_tzid(tzid)
                ?? icaltimezone_get_builtin_timezone(tzid)
        else {
            throw CalendarError(
                "\(what()) names the time zone `\(String(cString: tzid))`, which has no VTIMEZONE in the file "
                    + "and is no IANA name")
        }
        var zoned = raw
        zoned.zone = zone
        return zoned
    }

    /// The point in time of `time`: a date, a floating local time, or an instant; nil outside the years 1 to 9999.
    static func moment(_ time: icaltimetype) -> Moment? {
        guard let date = LocalDate(year: Int(time.year), month: Int(time.month), day: Int(time.day)) else {
            return nil
        }
        if time.is_date != 0 { return .date(date) }
        if let zone = time.zone { return .instant(Int(icaltime_as_timet_with_zone(time, zone))) }
        let seconds = Int(time.hour) * 3600 + Int(time.minute) * 60 + Int(time.second)
        return .floating(date.daysSince1970 * 86_400 + seconds)
    }
}

/// When an occurrence starts, in one of the three forms iCalendar has.
enum Moment: Hashable {
    /// An all-day date (`VALUE=DATE`).
    case date(LocalDate)
    /// A floating local time (no TZID, no `Z`): seconds since 1970-01-01T00:00 on the local clock.
    case floating(Int)
    /// A zoned or UTC time: seconds since the Unix epoch.
    case instant(Int)

    /// Seconds on this moment's own axis, for durations.
    var seconds: Int {
        switch self {
        case .date(let date): date.daysSince1970 * 86_400
        case .floating(let seconds), .instant(let seconds): seconds
        }
    }

    /// The local dates, in `timeZone`, of a span of `duration` seconds starting here; an all-day span covers
    /// at least its first day, and a span's end is exclusive.
    func dates(lasting duration: Int, in timeZone: TimeZone) -> (from: LocalDate, to: LocalDate) {
        switch self {
        case .date(let date):
            let days = max(1, (duration + 86_399) / 86_400)
            return (date, date.adding(days: days - 1))
        case .floating(let seconds):
            let from = LocalDate(daysSince1970: Self.floorDays(seconds))
            return (from, duration > 0 ? LocalDate(daysSince1970: Self.floorDays(seconds + duration - 1)) : from)
        case .instant(let seconds):
            let from = LocalDate(Date(timeIntervalSince1970: TimeInterval(seconds)), in: timeZone)
            guard duration > 0 else { return (from, from) }
            return (from, LocalDate(Date(timeIntervalSince1970: TimeInterval(seconds + duration - 1)), in: timeZone))
        }
    }

    private static func floorDays(_ seconds: Int) -> Int {
        seconds >= 0 ? seconds / 86_400 : -((-seconds + 86_399) / 86_400)
    }
}

/// Collects the day exceptions of the events of one file.
struct EventReader {
    let file: String
    /// Normalized category to timetable name.
    let categories: [String: String]
    let timeZone: TimeZone
    let window: ClosedRange<LocalDate>?
    let limits: LibICal.Limits
    /// Occurrences of events with RRULE or RDATE, in file order.
    var recurring: [CalendarDay] = []
    /// One-off events, in file order; they win over recurring ones.
    var single: [CalendarDay] = []
    /// Events none of whose categories map.
    var ignored = 0

    /// Adds the events of one VCALENDAR.
    mutating func add(calendar: OpaquePointer) throws(CalendarError) {
        let events = LibICal.children(of: calendar, ICAL_VEVENT_COMPONENT)
        // Instances replaced (or cancelled) by a VEVENT with RECURRENCE-ID, by UID of their master.
        var overridden: [String: Set<Moment>] = [:]
        for event in events {
            guard let property = icalcomponent_get_first_property(event, ICAL_RECURRENCEID_PROPERTY) else { continue }
            let time = try LibICal.zoned(
                icalproperty_get_recurrenceid(property), of: property, in: calendar,
                what: { failure(event, "RECURRENCE-ID") })
            guard let moment = LibICal.moment(time) else {
                throw CalendarError(failure(event, "RECURRENCE-ID is out of range"))
            }
            overridden[LibICal.text(of: event, ICAL_UID_PROPERTY, icalproperty_get_uid) ?? "", default: []]
                .insert(moment)
        }
        for event in events { try add(event: event, in: calendar, overridden: overridden) }
    }

    /// `path: VEVENT `X` (UID y): detail`.
    private func failure(_ event: OpaquePointer, _ detail: String) -> String {
        "`\(file)`: \(LibICal.describe(event)): \(detail)"
    }

    /// The timetable of the first category of `event` that maps, with that category as written.
    private func mapping(of event: OpaquePointer) -> (category: String, timetable: String)? {
        for property in LibICal.properties(of: event, ICAL_CATEGORIES_PROPERTY) {
            guard let value = icalproperty_get_categories(property) else { continue }
            // libical splits `CATEGORIES:A,B` into one property per value; split again in case it did not.
            for label in String(cString: value).split(separator: ",") {
                let category = label.trimmingCharacters(in: .whitespaces)
                if let timetable = categories[ICalendar.normalize(category)] { return (category, timetable) }
            }
        }
        return nil
    }

    private mutating func add(
        event: OpaquePointer, in calendar: OpaquePointer, overridden: [String: Set<Moment>]
    ) throws(CalendarError) {
        if let status = icalcomponent_get_first_property(event, ICAL_STATUS_PROPERTY),
            icalproperty_get_status(status) == ICAL_STATUS_CANCELLED
        {
            return
        }
        guard let (category, timetable) = mapping(of: event) else {
            ignored += 1
            return
        }
        let name = LibICal.text(of: event, ICAL_SUMMARY_PROPERTY, icalproperty_get_summary) ?? category

        guard let startProperty = icalcomponent_get_first_property(event, ICAL_DTSTART_PROPERTY) else {
            throw CalendarError(failure(event, "it has no DTSTART"))
        }
        let start = try zoned(icalproperty_get_dtstart(startProperty), startProperty, event, calendar, "DTSTART")
        let startMoment = try moment(start, event, "DTSTART")
        let duration: Int
        if let endProperty = icalcomponent_get_first_property(event, ICAL_DTEND_PROPERTY) {
            let end = try zoned(icalproperty_get_dtend(endProperty), endProperty, event, calendar, "DTEND")
            duration = max(0, try moment(end, event, "DTEND").seconds - startMoment.seconds)
        } else if let durationProperty = icalcomponent_get_first_property(event, ICAL_DURATION_PROPERTY) {
            duration = max(0, Int(icaldurationtype_as_int(icalproperty_get_duration(durationProperty))))
        } else {
            duration = start.is_date != 0 ? 86_400 : 0
        }
        // EXDATEs are matched by libical; check their zones here so that an unknown one is not silently floating.
        for property in LibICal.properties(of: event, ICAL_EXDATE_PROPERTY) {
            _ = try zoned(icalproperty_get_exdate(property), property, event, calendar, "EXDATE")
        }

        let isOverride = icalcomponent_get_first_property(event, ICAL_RECURRENCEID_PROPERTY) != nil
        let replaced =
            isOverride ? [] : overridden[LibICal.text(of: event, ICAL_UID_PROPERTY, icalproperty_get_uid) ?? ""] ?? []
        var occurrences = Occurrences(name: name, timetable: timetable, timeZone: timeZone, replaced: replaced)
        var dtstart = start
        var first = start
        if icalproperty_recurrence_is_excluded(event, &dtstart, &first) == 0 {
            occurrences.add(startMoment, lasting: duration)
        }

        let rdates = LibICal.properties(of: event, ICAL_RDATE_PROPERTY)
        for property in rdates {
            let value = icalproperty_get_rdate(property)
            var time: icaltimetype
            var length = duration
            if icaltime_is_null_time(value.time) == 0 {
                time = try zoned(value.time, property, event, calendar, "RDATE")
            } else {
                time = try zoned(value.period.start, property, event, calendar, "RDATE")
                if icaltime_is_null_time(value.period.end) == 0 {
                    let end = try zoned(value.period.end, property, event, calendar, "RDATE")
                    length = max(0, try moment(end, event, "RDATE").seconds - moment(time, event, "RDATE").seconds)
                } else {
                    length = max(0, Int(icaldurationtype_as_int(value.period.duration)))
                }
            }
            if icalproperty_recurrence_is_excluded(event, &dtstart, &time) == 0 {
                occurrences.add(try moment(time, event, "RDATE"), lasting: length)
            }
        }

        let rrules = LibICal.properties(of: event, ICAL_RRULE_PROPERTY)
        let startDates = startMoment.dates(lasting: duration, in: timeZone)
        let bounds =
            window
            ?? startDates.from...LocalDate(
                year: min(startDates.from.year + limits.years, 9999), month: 12, day: 31)!
        for property in rrules {
            guard let iterator = icalrecur_iterator_new(icalproperty_get_rrule(property), start) else {
                let reason = icalerror_strerror(icalerrno_return().pointee).map { String(cString: $0) } ?? "?"
                icalerror_clear_errno()
                throw CalendarError(failure(event, "libical cannot expand its RRULE: \(reason)"))
            }
            defer { icalrecur_iterator_free(iterator) }
            var steps = 0
            while steps < LibICal.maxSteps, occurrences.days.count < limits.occurrences {
                var next = icalrecur_iterator_next(iterator)
                guard icaltime_is_null_time(next) == 0, let moment = LibICal.moment(next) else { break }
                steps += 1
                let dates = moment.dates(lasting: duration, in: timeZone)
                if dates.from > bounds.upperBound { break }
                if dates.to >= bounds.lowerBound, icalproperty_recurrence_is_excluded(event, &dtstart, &next) == 0 {
                    occurrences.add(moment, lasting: duration)
                }
            }
        }

        if rrules.isEmpty && rdates.isEmpty {
            single += occurrences.days
        } else {
            recurring += occurrences.days
        }
    }

    private func zoned(
        _ raw: icaltimetype, _ property: OpaquePointer, _ event: OpaquePointer, _ calendar: OpaquePointer,
        _ name: String
    ) throws(CalendarError) -> icaltimetype {
        try LibICal.zoned(raw, of: property, in: calendar, what: { failure(event, name) })
    }

    private func moment(_ time: icaltimetype, _ event: OpaquePointer, _ name: String) throws(CalendarError) -> Moment {
        guard let moment = LibICal.moment(time) else {
            throw CalendarError(failure(event, "\(name) is outside the years 1 to 9999"))
        }
        return moment
    }
}

/// The distinct occurrences of one event, as day exceptions in the order found.
private struct Occurrences {
    let name: String
    let timetable: String
    let timeZone: TimeZone
    /// Instances a RECURRENCE-ID event replaced.
    let replaced: Set<Moment>
    var seen: Set<Moment> = []
    var days: [CalendarDay] = []

    init(name: String, timetable: String, timeZone: TimeZone, replaced: Set<Moment>) {
        self.name = name
        self.timetable = timetable
        self.timeZone = timeZone
        self.replaced = replaced
    }

    /// Adds an occurrence unless it was already added or replaced.
    mutating func add(_ moment: Moment, lasting duration: Int) {
        guard !replaced.contains(moment), seen.insert(moment).inserted else { return }
        let dates = moment.dates(lasting: duration, in: timeZone)
        days.append(CalendarDay(name: name, from: dates.from, to: dates.to, timetable: timetable))
    }
}
