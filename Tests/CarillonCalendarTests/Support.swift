import CarillonCalendar
import CarillonCore
import Foundation
import Testing

/// A fresh directory under the system's temp dir for one test's files; removed by `remove()`.
struct Scratch {
    let path: String

    init() throws {
        let base = URL(fileURLWithPath: NSTemporaryDirectory()).standardizedFileURL.path
        var template = Array((base + "/carillon-ical-XXXXXX").utf8CString)
        let made = try #require(mkdtemp(&template), "mkdtemp failed")
        path = String(cString: made)
    }

    func file(_ name: String) -> String { path + "/" + name }

    /// Writes `text` to `name`, creating directories; `crlf` turns every line ending into CRLF, as RFC 5545 says.
    @discardableResult
    func write(_ name: String, _ text: String, crlf: Bool = true) throws -> String {
        try write(name, bytes: Array((crlf ? text.replacingOccurrences(of: "\n", with: "\r\n") : text).utf8))
    }

    /// Writes raw bytes to `name`, creating directories.
    @discardableResult
    func write(_ name: String, bytes: [UInt8]) throws -> String {
        let target = file(name)
        try FileManager.default.createDirectory(
            atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: target))
        return target
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// A date from `YYYY-MM-DD`, for tests.
func day(_ text: String) -> LocalDate {
    guard let date = LocalDate(text) else { preconditionFailure("bad test date \(text)") }
    return date
}

/// A timezone that exists, for tests.
func zone(_ identifier: String) -> TimeZone {
    guard let zone = TimeZone(identifier: identifier) else { preconditionFailure("no zone \(identifier)") }
    return zone
}

/// A VCALENDAR around `body` (VEVENTs), with LF line endings; `Scratch.write` makes them CRLF.
func vcalendar(_ body: String) -> String {
    "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Carillon tests//EN\n" + body + "END:VCALENDAR\n"
}

/// Reads calendar text directly, as the file `test.ics`.
func contents(
    _ text: String, categories: [String: String], timeZone: TimeZone = zone("UTC"),
    window: ClosedRange<LocalDate>? = nil
) throws(CalendarError) -> CalendarContents {
    try ICalendar.contents(ofText: text, file: "test.ics", categories: categories, timeZone: timeZone, window: window)
}

/// `CalendarDay.description` of each day, for compact expectations.
func lines(_ days: [CalendarDay]) -> [String] { days.map(\.description) }

/// The message of the `CalendarError` that `body` throws; nil (and a recorded issue) when it throws none.
func calendarError(_ body: () throws(CalendarError) -> CalendarContents) -> String? {
    do {
        let result = try body()
        Issue.record("expected an error, got \(result.days.count) days")
        return nil
    } catch {
        return error.message
    }
}
