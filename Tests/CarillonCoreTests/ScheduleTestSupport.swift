import CarillonCore
import CarillonTOML
import Foundation
import Testing

/// Parses a schedule written inline in a test; fails the test with every error if it does not parse.
func schedule(_ text: String, context: ScheduleContext = ScheduleContext()) throws -> Schedule {
    do {
        return try Schedule.parse(text, file: "schedule.toml", context: context)
    } catch {
        Issue.record("schedule did not parse:\n\(error)")
        throw error
    }
}

/// The error lines a schedule produces; empty when it parses.
func scheduleErrors(_ text: String, context: ScheduleContext = ScheduleContext()) -> [String] {
    do {
        _ = try Schedule.parse(text, file: "schedule.toml", context: context)
        return []
    } catch {
        return error.errors.map(\.description)
    }
}

/// A date from `YYYY-MM-DD`, for tests.
func day(_ text: String) -> LocalDate {
    guard let date = LocalDate(text) else { preconditionFailure("bad test date \(text)") }
    return date
}

/// An instant from an ISO 8601 timestamp with an offset, for tests.
func instant(_ text: String) -> Date {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    guard let date = formatter.date(from: text) else { preconditionFailure("bad test instant \(text)") }
    return date
}

/// The shipped example schedule, `config/schedule.toml`.
let shippedScheduleURL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("config/schedule.toml")
