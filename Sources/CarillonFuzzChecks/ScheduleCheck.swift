import CarillonCore
import CarillonTOML
import Foundation

/// Any bytes as a `schedule.toml`, checked as the daemon checks one (zones, clips, tip subjects and a
/// calendar loader), and, when it holds, evaluated as the scheduler and `schedule preview` would:
/// a fortnight of events from its first term or day entry, and two policy steps.
enum ScheduleCheck {
    static func run(_ input: [UInt8]) throws(FuzzFinding) {
        let schedule: Schedule
        do { schedule = try Schedule.parse(input, file: "schedule.toml", context: context) } catch {
            _ = error.description
            return
        }
        guard let fallback = LocalDate(year: 2026, month: 9, day: 1) else { throw FuzzFinding("2026-09-01 is not a date") }
        let first = [schedule.terms.first?.from, schedule.dayEntries.first?.from].compactMap { $0 }.min() ?? fallback
        for plan in schedule.days(from: first, through: first.adding(days: 14)) { _ = plan.description }
        let events = schedule.events(from: first.adding(days: -1), through: first.adding(days: 14))
        for event in events { _ = event.key }
        _ = schedule.theme(on: first.adding(days: 7))
        let policy = SchedulePolicy(schedule: schedule)
        let now = events.first?.at ?? Date(timeIntervalSince1970: 1_790_000_000)
        let (_, state, wake) = policy.step(now: now, state: SchedulerState(horizon: now.addingTimeInterval(-600)))
        _ = policy.step(now: max(wake, now).addingTimeInterval(3600), state: state)
    }

    private static let clips: Set<String> = ["bell.prep", "bell.start", "bell.end", "bell.chime", "alarm.fire", "culture.anthem"]
    private static let context = ScheduleContext(
        zones: ["main", "teaching", "dormitory", "playground"], clipExists: { clips.contains($0) },
        tipCategories: Clip.tipSubjects,
        calendarLoader: { request throws(CalendarError) in
            // No libical here: a calendar named `missing…` fails as an unreadable file would, any other is empty.
            if request.path.contains("missing") { throw CalendarError("calendar file `\(request.path)` does not exist") }
            return CalendarContents(days: [], ignoredEvents: 0)
        })
}
