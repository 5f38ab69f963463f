/// A `[[theme]]` entry: a tip subject pinned to one day a year or to a range of days.
///
/// Which theme a date has: a pinned day beats a range, a range beats the week of term; among pinned days, and
/// among ranges, the entry later in the file wins.
public struct ThemeEntry: Sendable, Hashable {
    /// When the entry holds.
    public enum When: Sendable, Hashable {
        /// One day every year, e.g. `11-09`.
        case monthDay(MonthDay)
        /// One day, once.
        case date(LocalDate)
        /// One day every year by rule: the `ordinal` weekday of `month` (1...4, or -1 for the last).
        case weekdayOf(ordinal: Int, weekday: Weekday, month: Int)
        /// The days from a month-day to a month-day (wrapping the year end when `to` is earlier), or from a
        /// month-day to the end of the term that holds it.
        case range(from: MonthDay, to: RangeEnd)
    }

    /// Where a range ends.
    public enum RangeEnd: Sendable, Hashable {
        /// A month-day, included.
        case monthDay(MonthDay)
        /// The last day of the term the range starts in: `term-end`.
        case termEnd
    }

    /// The name shown as the rule, e.g. `全国消防日`; nil when the file gives none.
    public let name: String?
    /// The tip category.
    public let subject: String
    /// When it holds.
    public let when: When
    /// For a range: the weekdays it holds; empty means every day.
    public let weekdays: Set<Weekday>

    /// Whether this is a single pinned day (which beats every range).
    public var isPinnedDay: Bool {
        if case .range = when { false } else { true }
    }

    /// Whether the entry holds `date`; `terms` are the schedule's, for `term-end`.
    public func holds(_ date: LocalDate, terms: [Term]) -> Bool {
        switch when {
        case .monthDay(let day): return date.monthDay == day
        case .date(let day): return date == day
        case .weekdayOf(let ordinal, let weekday, let month):
            return date.month == month && date == Self.day(ordinal, weekday, month: month, year: date.year)
        case .range(let from, let to):
            if !weekdays.isEmpty && !weekdays.contains(date.weekday) { return false }
            let day = date.monthDay
            switch to {
            case .monthDay(let to):
                return from <= to ? (from <= day && day <= to) : (day >= from || day <= to)
            case .termEnd:
                // Inside a term, from the latest `from` on or before the date, if that lies in the same term.
                guard let term = terms.first(where: { $0.contains(date) }) else { return false }
                let year = from <= day ? date.year : date.year - 1
                guard let start = Self.occurrence(of: from, in: year) else { return false }
                return term.from <= start
            }
        }
    }

    /// `from`'s date in `year`; 02-29 falls on 02-28 in a common year.
    static func occurrence(of day: MonthDay, in year: Int) -> LocalDate? {
        LocalDate(year: year, month: day.month, day: day.day) ?? LocalDate(year: year, month: day.month, day: 28)
    }

    /// The `ordinal` (1...4, or -1 for the last) `weekday` of a month; nil for an impossible one.
    static func day(_ ordinal: Int, _ weekday: Weekday, month: Int, year: Int) -> LocalDate? {
        guard let first = LocalDate(year: year, month: month, day: 1) else { return nil }
        if ordinal > 0 {
            let offset = (weekday.rawValue - first.weekday.rawValue + 7) % 7
            return first.adding(days: offset + 7 * (ordinal - 1))
        }
        let last = first.adding(days: LocalDate.daysIn(month: month, year: year) - 1)
        return last.adding(days: -((last.weekday.rawValue - weekday.rawValue + 7) % 7))
    }

    /// The ordinals of a rule, as written.
    static let ordinals = ["first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1]
    /// Month names of a rule, as written.
    static let months = [
        "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
        "november", "december",
    ]
    /// Weekday names of a rule, as written.
    static let weekdayNames: [String: Weekday] = [
        "monday": .monday, "tuesday": .tuesday, "wednesday": .wednesday, "thursday": .thursday, "friday": .friday,
        "saturday": .saturday, "sunday": .sunday,
    ]

    /// Reads a rule such as `last-monday-of-march` or `second-sunday-of-may`; nil for anything else.
    static func rule(_ text: String) -> When? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 4, parts[2] == "of", let ordinal = ordinals[parts[0]],
            let weekday = weekdayNames[parts[1]], let month = months.firstIndex(of: parts[3])
        else { return nil }
        return .weekdayOf(ordinal: ordinal, weekday: weekday, month: month + 1)
    }

    /// How the entry's dates read in a rule: `11-09`, `last-monday-of-march`, `05-01 to term-end`.
    public var datesDescription: String {
        switch when {
        case .monthDay(let day): return "\(day)"
        case .date(let day): return "\(day)"
        case .weekdayOf(let ordinal, let weekday, let month):
            let word = Self.ordinals.first { $0.value == ordinal }?.key ?? "\(ordinal)"
            let day = Self.weekdayNames.first { $0.value == weekday }?.key ?? weekday.key
            return "\(word)-\(day)-of-\(Self.months[month - 1])"
        case .range(let from, let to):
            let end =
                switch to {
                case .monthDay(let day): "\(day)"
                case .termEnd: "term-end"
                }
            let days = weekdays.isEmpty ? "" : " on " + weekdays.sorted().map(\.key).joined(separator: ", ")
            return "\(from) to \(end)\(days)"
        }
    }
}

/// The theme of a date and the rule that chose it.
public struct ThemeChoice: Sendable, Hashable, CustomStringConvertible {
    /// Which rule chose the theme.
    public enum Rule: Sendable, Hashable {
        /// A pinned `[[theme]]` day, by its index among `Schedule.themeEntries`.
        case pinnedDay(Int)
        /// A `[[theme]]` range, by its index among `Schedule.themeEntries`.
        case range(Int)
        /// `[themes]`: the week of term, from the term's own table when `termOwn`.
        case week(Int, term: String, termOwn: Bool)
    }

    /// The tip category.
    public let subject: String
    /// Why.
    public let rule: Rule
    /// The rule as text, e.g. `全国消防日 (11-09)` or `week 10 of 2026-autumn`.
    public let ruleDescription: String

    /// `fire (全国消防日 (11-09))`.
    public var description: String { "\(subject) (\(ruleDescription))" }
}

extension Schedule {
    /// The theme of `date` and why: the last pinned `[[theme]]` day holding it, else the last range, else the week
    /// of term (the term's own `[themes.TERM]` number, else the shared one); nil when none holds.
    public func themeChoice(on date: LocalDate) -> ThemeChoice? {
        let holding = themeEntries.indices.filter { themeEntries[$0].holds(date, terms: terms) }
        if let index = holding.last(where: { themeEntries[$0].isPinnedDay }) ?? holding.last {
            let entry = themeEntries[index]
            let label = entry.name.map { "\($0) (\(entry.datesDescription))" } ?? entry.datesDescription
            return ThemeChoice(
                subject: entry.subject, rule: entry.isPinnedDay ? .pinnedDay(index) : .range(index),
                ruleDescription: label)
        }
        guard let term = term(on: date), let week = weekOfTerm(on: date) else { return nil }
        if let subject = termThemes[term.name]?[week] {
            return ThemeChoice(
                subject: subject, rule: .week(week, term: term.name, termOwn: true),
                ruleDescription: "week \(week) of \(term.name)")
        }
        guard let subject = themes[week] else { return nil }
        return ThemeChoice(
            subject: subject, rule: .week(week, term: term.name, termOwn: false),
            ruleDescription: "week \(week) of \(term.name)")
    }
}
