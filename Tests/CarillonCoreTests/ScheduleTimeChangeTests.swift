import CarillonCore
import Foundation
import Testing

/// Time changes: a skipped local time fires once, at the first instant after the gap; a repeated one fires once,
/// at its first occurrence.
@Suite("Schedule across time changes")
struct ScheduleTimeChangeTests {
    /// The events of `date` in `timeZone` for a timetable holding `times` (in the order given).
    func events(_ timeZone: String, on date: String, times: [String]) throws -> [ScheduledEvent] {
        let list = times.map { "{ at = \"\($0)\", play = \"bell.start\" }" }.joined(separator: ",\n  ")
        let parsed = try schedule(
            """
            version = 1
            timezone = "\(timeZone)"
            [[day]]
            name = "change"
            from = \(date)
            timetable = "t"
            [timetables.t]
            events = [
              \(list),
            ]
            """)
        return parsed.events(from: day(date), through: day(date))
    }

    /// `local time -> instant in UTC, offset, local timestamp` for each event, in output order.
    func summary(_ events: [ScheduledEvent]) -> [String] {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return events.map { "\($0.localTime) -> \(formatter.string(from: $0.at)) \($0.localTimestamp)" }
    }

    @Test("Berlin, spring forward: 02:00–02:59 is skipped and fires at 03:00 CEST")
    func berlinSpringForward() throws {
        let events = try events(
            "Europe/Berlin", on: "2026-03-29", times: ["03:30", "02:30", "01:59:59", "03:00", "02:00"])
        #expect(
            summary(events) == [
                "01:59:59 -> 2026-03-29T00:59:59Z 2026-03-29T01:59:59+01:00",
                "02:30:00 -> 2026-03-29T01:00:00Z 2026-03-29T03:00:00+02:00",
                "03:00:00 -> 2026-03-29T01:00:00Z 2026-03-29T03:00:00+02:00",
                "02:00:00 -> 2026-03-29T01:00:00Z 2026-03-29T03:00:00+02:00",
                "03:30:00 -> 2026-03-29T01:30:00Z 2026-03-29T03:30:00+02:00",
            ])
        #expect(events[1].utcOffsetSeconds == 7200)
        #expect(events[1].previewJSON.hasPrefix(#"{"at":"2026-03-29T03:00:00+02:00","play":"bell.start""#))
    }

    @Test("Berlin, fall back: 02:00–02:59 happens twice and fires once, at its first occurrence (CEST)")
    func berlinFallBack() throws {
        let events = try events(
            "Europe/Berlin", on: "2026-10-25", times: ["03:00", "02:30", "01:59", "02:00", "02:59:59"])
        #expect(
            summary(events) == [
                "01:59:00 -> 2026-10-24T23:59:00Z 2026-10-25T01:59:00+02:00",
                "02:00:00 -> 2026-10-25T00:00:00Z 2026-10-25T02:00:00+02:00",
                "02:30:00 -> 2026-10-25T00:30:00Z 2026-10-25T02:30:00+02:00",
                "02:59:59 -> 2026-10-25T00:59:59Z 2026-10-25T02:59:59+02:00",
                "03:00:00 -> 2026-10-25T02:00:00Z 2026-10-25T03:00:00+01:00",
            ])
        #expect(events.last?.utcOffsetSeconds == 3600)
    }

    @Test("Berlin, fall back: an interval spanning both 02:30s yields the event once")
    func repeatedHourOnceInAnInterval() throws {
        let parsed = try schedule(
            """
            version = 1
            timezone = "Europe/Berlin"
            [[day]]
            name = "every day"
            from = 2026-10-20
            to = 2026-10-30
            timetable = "t"
            [timetables.t]
            events = [{ at = "02:30", play = "bell.start" }]
            """)
        let both = instant("2026-10-25T00:00:00Z")..<instant("2026-10-25T02:00:00Z")
        #expect(parsed.events(in: both).map(\.at) == [instant("2026-10-25T00:30:00Z")])
        let second = instant("2026-10-25T01:00:00Z")..<instant("2026-10-25T02:00:00Z")
        #expect(parsed.events(in: second).isEmpty)
    }

    @Test("New York, spring forward: 02:30 fires at 03:00 EDT")
    func newYorkSpringForward() throws {
        let events = try events("America/New_York", on: "2026-03-08", times: ["02:30", "01:30", "03:00", "03:01"])
        #expect(
            summary(events) == [
                "01:30:00 -> 2026-03-08T06:30:00Z 2026-03-08T01:30:00-05:00",
                "02:30:00 -> 2026-03-08T07:00:00Z 2026-03-08T03:00:00-04:00",
                "03:00:00 -> 2026-03-08T07:00:00Z 2026-03-08T03:00:00-04:00",
                "03:01:00 -> 2026-03-08T07:01:00Z 2026-03-08T03:01:00-04:00",
            ])
    }

    @Test("New York, fall back: 01:00–01:59 fires once, in EDT")
    func newYorkFallBack() throws {
        let events = try events(
            "America/New_York", on: "2026-11-01", times: ["02:00", "01:30", "00:59", "01:59:59", "01:00"])
        #expect(
            summary(events) == [
                "00:59:00 -> 2026-11-01T04:59:00Z 2026-11-01T00:59:00-04:00",
                "01:00:00 -> 2026-11-01T05:00:00Z 2026-11-01T01:00:00-04:00",
                "01:30:00 -> 2026-11-01T05:30:00Z 2026-11-01T01:30:00-04:00",
                "01:59:59 -> 2026-11-01T05:59:59Z 2026-11-01T01:59:59-04:00",
                "02:00:00 -> 2026-11-01T07:00:00Z 2026-11-01T02:00:00-05:00",
            ])
    }

    @Test("Lord Howe, a 30-minute spring forward: 02:00–02:29 fires at 02:30 (+11:00)")
    func lordHoweSpringForward() throws {
        let events = try events(
            "Australia/Lord_Howe", on: "2026-10-04", times: ["02:45", "02:15", "02:30", "01:59", "02:00", "02:29:59"])
        #expect(
            summary(events) == [
                "01:59:00 -> 2026-10-03T15:29:00Z 2026-10-04T01:59:00+10:30",
                "02:15:00 -> 2026-10-03T15:30:00Z 2026-10-04T02:30:00+11:00",
                "02:30:00 -> 2026-10-03T15:30:00Z 2026-10-04T02:30:00+11:00",
                "02:00:00 -> 2026-10-03T15:30:00Z 2026-10-04T02:30:00+11:00",
                "02:29:59 -> 2026-10-03T15:30:00Z 2026-10-04T02:30:00+11:00",
                "02:45:00 -> 2026-10-03T15:45:00Z 2026-10-04T02:45:00+11:00",
            ])
        #expect(events[1].utcOffsetSeconds == 11 * 3600)
        #expect(events[0].utcOffsetSeconds == 10 * 3600 + 1800)
    }

    @Test("Lord Howe, a 30-minute fall back: 01:30–01:59 fires once, at +11:00")
    func lordHoweFallBack() throws {
        let events = try events(
            "Australia/Lord_Howe", on: "2026-04-05", times: ["02:00", "01:45", "01:29", "01:30"])
        #expect(
            summary(events) == [
                "01:29:00 -> 2026-04-04T14:29:00Z 2026-04-05T01:29:00+11:00",
                "01:30:00 -> 2026-04-04T14:30:00Z 2026-04-05T01:30:00+11:00",
                "01:45:00 -> 2026-04-04T14:45:00Z 2026-04-05T01:45:00+11:00",
                "02:00:00 -> 2026-04-04T15:30:00Z 2026-04-05T02:00:00+10:30",
            ])
    }

    @Test("a zone without time changes maps each local time to one instant")
    func shanghaiHasNoChanges() throws {
        let events = try events("Asia/Shanghai", on: "2026-03-29", times: ["02:30"])
        #expect(summary(events) == ["02:30:00 -> 2026-03-28T18:30:00Z 2026-03-29T02:30:00+08:00"])
    }
}
