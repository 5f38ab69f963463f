/// A calendar date without a time or offset (a TOML local date such as `2026-09-01`).
public struct TOMLDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The year, 0...9999.
    public var year: Int
    /// The month, 1...12.
    public var month: Int
    /// The day of the month, 1...31 (valid for the month).
    public var day: Int

    /// Creates a date from its components; the parser validates ranges, this initializer does not.
    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// The date in TOML form, `YYYY-MM-DD`.
    public var description: String { "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))" }

    /// Orders dates chronologically.
    public static func < (lhs: TOMLDate, rhs: TOMLDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }
}

/// A time of day without a date or offset (a TOML local time such as `07:32:00.999`).
public struct TOMLTime: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The hour, 0...23.
    public var hour: Int
    /// The minute, 0...59.
    public var minute: Int
    /// The second, 0...60 (60 only for a leap second).
    public var second: Int
    /// The fraction of the second in nanoseconds; extra digits in the source are truncated, as TOML requires.
    public var nanosecond: Int

    /// Creates a time from its components; the parser validates ranges, this initializer does not.
    public init(hour: Int, minute: Int, second: Int, nanosecond: Int = 0) {
        self.hour = hour
        self.minute = minute
        self.second = second
        self.nanosecond = nanosecond
    }

    /// The time in TOML form, `HH:MM:SS` plus a fraction without trailing zeros when non-zero.
    public var description: String {
        var text = "\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2))"
        if nanosecond != 0 {
            var fraction = pad(nanosecond, 9)
            while fraction.hasSuffix("0") { fraction.removeLast() }
            text += "." + fraction
        }
        return text
    }

    /// Orders times within a day.
    public static func < (lhs: TOMLTime, rhs: TOMLTime) -> Bool {
        (lhs.hour, lhs.minute, lhs.second, lhs.nanosecond) < (rhs.hour, rhs.minute, rhs.second, rhs.nanosecond)
    }
}

/// A date and time, with a UTC offset (TOML offset date-time) or without one (TOML local date-time).
public struct TOMLDateTime: Sendable, Hashable, CustomStringConvertible {
    /// The calendar date.
    public var date: TOMLDate
    /// The time of day.
    public var time: TOMLTime
    /// Seconds east of UTC (`Z` is 0, `-07:00` is -25200); nil for a local date-time.
    public var offsetSeconds: Int?

    /// Creates a date-time; pass nil as the offset for a local date-time.
    public init(date: TOMLDate, time: TOMLTime, offsetSeconds: Int? = nil) {
        self.date = date
        self.time = time
        self.offsetSeconds = offsetSeconds
    }

    /// The date-time in TOML form, e.g. `1979-05-27T07:32:00-07:00`, `Z` for a zero offset.
    public var description: String {
        var text = "\(date)T\(time)"
        if let offset = offsetSeconds {
            if offset == 0 {
                text += "Z"
            } else {
                let minutes = abs(offset) / 60
                text += (offset < 0 ? "-" : "+") + "\(pad(minutes / 60, 2)):\(pad(minutes % 60, 2))"
            }
        }
        return text
    }
}

/// A value in a TOML document together with the position of its first character.
public struct TOMLNode: Sendable, Equatable {
    /// The kinds of TOML value.
    public enum Value: Sendable, Equatable {
        /// A string of any of the four kinds; CRLF inside multi-line strings is normalized to LF.
        case string(String)
        /// A 64-bit signed integer.
        case integer(Int64)
        /// A 64-bit float, including infinities and NaN.
        case float(Double)
        /// `true` or `false`.
        case boolean(Bool)
        /// An offset or local date-time (distinguished by `offsetSeconds`).
        case dateTime(TOMLDateTime)
        /// A local date.
        case date(TOMLDate)
        /// A local time.
        case time(TOMLTime)
        /// An array, static or an array of tables; elements may mix types.
        case array([TOMLNode])
        /// A table from a header, dotted keys or an inline table.
        case table(TOMLTable)
    }

    /// The value itself.
    public var value: Value
    /// Where the value starts: its first character, the `[` of its header, or its first dotted key.
    public var position: TOMLPosition

    /// Creates a node.
    public init(_ value: Value, at position: TOMLPosition) {
        self.value = value
        self.position = position
    }

    /// The value's type as a phrase for messages, e.g. "an integer" or "a local date".
    public var typeDescription: String {
        switch value {
        case .string: "a string"
        case .integer: "an integer"
        case .float: "a float"
        case .boolean: "a boolean"
        case .dateTime(let dateTime): dateTime.offsetSeconds == nil ? "a local date-time" : "an offset date-time"
        case .date: "a local date"
        case .time: "a local time"
        case .array: "an array"
        case .table: "a table"
        }
    }
}

/// A TOML table: entries in document order with O(1) lookup by key.
public struct TOMLTable: Sendable, Equatable {
    /// One key of a table with where it was written and its value.
    public struct Entry: Sendable, Equatable {
        /// The key, unquoted and unescaped.
        public var key: String
        /// Where the key was defined; for a table from a `[header]`, the header's position.
        public var keyPosition: TOMLPosition
        /// The value.
        public var node: TOMLNode
    }

    /// The entries in the order their keys first appear in the document.
    public private(set) var entries: [Entry] = []
    private var indexByKey: [String: Int] = [:]
    /// Where the table was opened: its `[header]`, its `{`, or its first dotted key; (1,1) for the root.
    public var position: TOMLPosition

    /// Creates an empty table opened at `position`.
    public init(position: TOMLPosition = .start) {
        self.position = position
    }

    /// The value for `key`, or nil if the table has no such key.
    public subscript(key: String) -> TOMLNode? {
        indexByKey[key].map { entries[$0].node }
    }

    /// The entry for `key`, including where the key was written.
    public func entry(for key: String) -> Entry? {
        indexByKey[key].map { entries[$0] }
    }

    /// The keys in document order.
    public var keys: [String] { entries.map(\.key) }

    /// The number of keys.
    public var count: Int { entries.count }

    /// Whether the table has no keys.
    public var isEmpty: Bool { entries.isEmpty }

    /// Appends an entry; the parser has already rejected duplicates.
    mutating func append(key: String, keyPosition: TOMLPosition, node: TOMLNode) {
        indexByKey[key] = entries.count
        entries.append(Entry(key: key, keyPosition: keyPosition, node: node))
    }

    mutating func reserveCapacity(_ count: Int) {
        entries.reserveCapacity(count)
        indexByKey.reserveCapacity(count)
    }
}

/// Zero-pads a non-negative number to `width` digits.
func pad(_ value: Int, _ width: Int) -> String {
    let digits = String(value)
    return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
}
