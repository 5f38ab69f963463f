public import Foundation

/// A calendar date with no time and no zone: one day of the school's calendar, in the schedule's timezone.
public struct LocalDate: Sendable, Hashable, Comparable, Strideable, CustomStringConvertible, LosslessStringConvertible,
    Codable
{
    /// The year, 1...9999.
    public let year: Int
    /// The month, 1...12.
    public let month: Int
    /// The day of the month, valid for the month and year.
    public let day: Int

    /// Creates a date, or nil if the components do not name a real day (`2026-02-29` is nil).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
            (1...LocalDate.daysIn(month: month, year: year)).contains(day)
        else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `YYYY-MM-DD` exactly (four, two and two digits); nil for anything else or a day that does not exist.
    public init?(_ description: String) {
        let parts = description.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            parts.allSatisfy({ $0.allSatisfy(\.isASCIIDigit) }),
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2])
        else { return nil }
        self.init(year: year, month: month, day: day)
    }

    /// The date `days` after 1970-01-01 (negative for earlier dates); clamps to years 1...9999.
    public init(daysSince1970 days: Int) {
        // Howard Hinnant's civil-from-days algorithm, proleptic Gregorian.
        let z = min(max(days, -719_162), 2_932_896) + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        self.year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        self.month = month
        self.day = day
    }

    /// The local date of `instant` in `timeZone`.
    public init(_ instant: Date, in timeZone: TimeZone) {
        let seconds = Int(instant.timeIntervalSince1970.rounded(.down)) + timeZone.secondsFromGMT(for: instant)
        self.init(daysSince1970: ScheduleMath.floorDiv(seconds, 86_400))
    }

    /// The number of days from 1970-01-01 to this date.
    public var daysSince1970: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The day of the week.
    public var weekday: Weekday {
        // 1970-01-01 was a Thursday.
        Weekday(rawValue: ScheduleMath.floorMod(daysSince1970 + 3, 7) + 1) ?? .monday  // always 1...7
    }

    /// The date `days` later (earlier when negative).
    public func adding(days: Int) -> LocalDate { LocalDate(daysSince1970: daysSince1970 + days) }

    /// The month and day, for matching yearly seasons.
    public var monthDay: MonthDay { MonthDay(uncheckedMonth: month, day: day) }

    /// `YYYY-MM-DD`.
    public var description: String {
        "\(ScheduleMath.pad(year, 4))-\(ScheduleMath.pad(month, 2))-\(ScheduleMath.pad(day, 2))"
    }

    /// Orders dates chronologically.
    public static func < (lhs: LocalDate, rhs: LocalDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    /// The number of days from this date to `other`.
    public func distance(to other: LocalDate) -> Int { other.daysSince1970 - daysSince1970 }

    /// The date `n` days later; lets `from...through` be iterated.
    public func advanced(by n: Int) -> LocalDate { adding(days: n) }

    /// Decodes from `YYYY-MM-DD`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let date = LocalDate(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a date YYYY-MM-DD: \(text)")
        }
        self = date
    }

    /// Encodes as `YYYY-MM-DD`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// The number of days in `month` of `year`, Gregorian leap years included.
    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

/// A day of the week, numbered as ISO 8601 does (Monday is 1).
public enum Weekday: Int, Sendable, Hashable, CaseIterable, Comparable, CustomStringConvertible {
    case monday = 1, tuesday, wednesday, thursday, friday, saturday, sunday

    /// The key used in `[week]`: `mon` … `sun`.
    public var key: String {
        switch self {
        case .monday: "mon"
        case .tuesday: "tue"
        case .wednesday: "wed"
        case .thursday: "thu"
        case .friday: "fri"
        case .saturday: "sat"
        case .sunday: "sun"
        }
    }

    /// The day for a `[week]` key, or nil if `key` is not one.
    public init?(key: String) {
        guard let day = Weekday.allCases.first(where: { $0.key == key }) else { return nil }
        self = day
    }

    /// The `[week]` key.
    public var description: String { key }

    /// Orders Monday first.
    public static func < (lhs: Weekday, rhs: Weekday) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A time of day on a local clock, to the second.
public struct LocalTime: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The hour, 0...23.
    public let hour: Int
    /// The minute, 0...59.
    public let minute: Int
    /// The second, 0...59 (no leap seconds: bells ring on civil time).
    public let second: Int

    /// Creates a time, or nil if a component is out of range.
    public init?(hour: Int, minute: Int, second: Int = 0) {
        guard (0...23).contains(hour), (0...59).contains(minute), (0...59).contains(second) else { return nil }
        self.hour = hour
        self.minute = minute
        self.second = second
    }

    /// Parses `HH:MM` or `HH:MM:SS`, two digits each; nil for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3,
            parts.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isASCIIDigit) }),
            let hour = Int(parts[0]), let minute = Int(parts[1]), let second = parts.count == 3 ? Int(parts[2]) : 0
        else { return nil }
        self.init(hour: hour, minute: minute, second: second)
    }

    /// Seconds since midnight on the local clock.
    public var secondsSinceMidnight: Int { hour * 3600 + minute * 60 + second }

    /// `HH:MM:SS`.
    public var description: String {
        "\(ScheduleMath.pad(hour, 2)):\(ScheduleMath.pad(minute, 2)):\(ScheduleMath.pad(second, 2))"
    }

    /// Orders times within a day.
    public static func < (lhs: LocalTime, rhs: LocalTime) -> Bool {
        lhs.secondsSinceMidnight < rhs.secondsSinceMidnight
    }
}

/// A month and day with no year, as seasons use them; `02-29` is allowed.
public struct MonthDay: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The month, 1...12.
    public let month: Int
    /// The day, valid for the month in a leap year.
    public let day: Int

    /// Creates a month-day, or nil if no year has it.
    public init?(month: Int, day: Int) {
        guard (1...12).contains(month), (1...LocalDate.daysIn(month: month, year: 2000)).contains(day) else {
            return nil
        }
        self.month = month
        self.day = day
    }

    init(uncheckedMonth month: Int, day: Int) {
        self.month = month
        self.day = day
    }

    /// Parses `MM-DD` exactly, two digits each.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isASCIIDigit) }),
            let month = Int(parts[0]), let day = Int(parts[1])
        else { return nil }
        self.init(month: month, day: day)
    }

    /// `MM-DD`.
    public var description: String { "\(ScheduleMath.pad(month, 2))-\(ScheduleMath.pad(day, 2))" }

    /// Orders within a year, January first.
    public static func < (lhs: MonthDay, rhs: MonthDay) -> Bool { (lhs.month, lhs.day) < (rhs.month, rhs.day) }

    /// The index of this month-day in a leap year, 0...365, for overlap checks.
    var ordinal: Int { (LocalDate(year: 2000, month: month, day: day)?.daysSince1970 ?? 10_957) - 10_957 }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}

/// Small integer helpers shared by the schedule files.
enum ScheduleMath {
    /// Zero-padded decimal of at least `width` digits.
    static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(abs(value))
        let body = digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
        return value < 0 ? "-" + body : body
    }

    /// Division rounding toward negative infinity.
    static func floorDiv(_ value: Int, _ divisor: Int) -> Int {
        let quotient = value / divisor
        return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }

    /// The remainder with the sign of the divisor.
    static func floorMod(_ value: Int, _ divisor: Int) -> Int {
        value - floorDiv(value, divisor) * divisor
    }
}
