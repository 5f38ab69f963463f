public import Foundation

/// One occurrence of a timetable event on a date, resolved to an instant.
public struct ScheduledEvent: Sendable, Hashable {
    /// When it fires; after a skipped local time, the first instant after the gap.
    public let at: Date
    /// The local date whose timetable holds the event.
    public let localDate: LocalDate
    /// The local time written in the timetable (the wall clock shows a later one when that time was skipped).
    public let localTime: LocalTime
    /// The UTC offset in effect at `at`, in seconds east of UTC.
    public let utcOffsetSeconds: Int
    /// What plays.
    public let action: ScheduledAction
    /// The zones as written; `["all"]` when the file gives none.
    public let zones: [ZoneName]
    /// The level given in the file; nil lets the daemon decide by the clip's category.
    public let level: Level?
    /// The timetable the event comes from.
    public let timetable: String
    /// The rule that chose the timetable for the date, as `DayPlan.rule` words it.
    public let day: String
    /// The event's index in its timetable, in file order.
    public let index: Int

    /// Creates an event; `Schedule.events` is the usual source.
    public init(
        at: Date, localDate: LocalDate, localTime: LocalTime, utcOffsetSeconds: Int, action: ScheduledAction,
        zones: [ZoneName], level: Level?, timetable: String, day: String, index: Int
    ) {
        self.at = at
        self.localDate = localDate
        self.localTime = localTime
        self.utcOffsetSeconds = utcOffsetSeconds
        self.action = action
        self.zones = zones
        self.level = level
        self.timetable = timetable
        self.day = day
        self.index = index
    }

    /// Identifies this occurrence across restarts, for de-duplication: `2026-10-09|regular|3`.
    public var key: String { "\(localDate)|\(timetable)|\(index)" }

    /// The wall-clock time at `at` with its offset, e.g. `2026-10-09T07:50:00+08:00`.
    public var localTimestamp: String {
        let seconds = Int(at.timeIntervalSince1970.rounded(.down)) + utcOffsetSeconds
        let date = LocalDate(daysSince1970: ScheduleMath.floorDiv(seconds, 86_400))
        let time = ScheduleMath.floorMod(seconds, 86_400)
        let clock = [time / 3600, time / 60 % 60, time % 60].map { ScheduleMath.pad($0, 2) }.joined(separator: ":")
        return "\(date)T\(clock)\(Self.formatOffset(utcOffsetSeconds))"
    }

    /// One JSON line as `carillon schedule preview --json` prints it; keys in a fixed order, `level` only when given.
    public var previewJSON: String {
        var json = "{\"at\":\(Self.jsonString(localTimestamp)),"
        switch action {
        case .play(let clip): json += "\"play\":\(Self.jsonString(clip))"
        case .tipToday: json += "\"play\":\(Self.jsonString(ScheduledAction.tipTodayName))"
        case .tipNext: json += "\"play\":\(Self.jsonString(ScheduledAction.tipNextName))"
        case .cultureNext: json += "\"play\":\(Self.jsonString(ScheduledAction.cultureNextName))"
        case .say(let text): json += "\"say\":\(Self.jsonString(text))"
        }
        json += ",\"zones\":[" + zones.map { Self.jsonString($0.rawValue) }.joined(separator: ",") + "]"
        if let level { json += ",\"level\":\(Self.jsonString(level.rawValue))" }
        json += ",\"timetable\":\(Self.jsonString(timetable)),\"day\":\(Self.jsonString(day))}"
        return json
    }

    /// `+08:00`, `-04:00`, `+10:30`; seconds are added only for the odd historical offset that has them.
    static func formatOffset(_ offset: Int) -> String {
        let magnitude = abs(offset)
        var text =
            (offset < 0 ? "-" : "+") + ScheduleMath.pad(magnitude / 3600, 2) + ":"
            + ScheduleMath.pad(magnitude / 60 % 60, 2)
        if magnitude % 60 != 0 { text += ":" + ScheduleMath.pad(magnitude % 60, 2) }
        return text
    }

    /// A JSON string literal (RFC 8259): quotes, backslashes and control characters escaped, the rest as UTF-8.
    static func jsonString(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// Maps a local date and time to an instant under the time-change policy.
enum TimeZoneResolution {
    /// The first instant whose wall clock shows `time` on `date`; for a skipped time, the first instant after the gap.
    static func instant(of date: LocalDate, _ time: LocalTime, in timeZone: TimeZone) -> (
        instant: Date, utcOffsetSeconds: Int
    ) {
        let local = date.daysSince1970 * 86_400 + time.secondsSinceMidnight
        func offset(_ seconds: Int) -> Int {
            timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(seconds)))
        }
        // No offset exceeds a day, so the offsets a day either side bracket the instant.
        let before = offset(local - 86_400)
        let after = offset(local + 86_400)
        var candidates: [Int] = []
        for guess in [before, after, offset(local)] {
            let instant = local - guess
            if offset(instant) == guess { candidates.append(instant) }
        }
        if let first = candidates.min() {
            return (Date(timeIntervalSince1970: TimeInterval(first)), offset(first))
        }
        // The time is skipped: find the change, the first instant whose offset is no longer `before`.
        var low = local - max(before, after)  // still before the change
        var high = local - min(before, after)  // after it
        if offset(low) != before { low -= 86_400 }
        while high - low > 1 {
            let middle = low + (high - low) / 2
            if offset(middle) == before { low = middle } else { high = middle }
        }
        return (Date(timeIntervalSince1970: TimeInterval(high)), offset(high))
    }
}
