public import Foundation

/// What the scheduler remembers across wakes and restarts: saved after every step.
///
/// A scheduler that starts for the first time creates it with `horizon` = now, so that nothing in the past fires.
public struct SchedulerState: Sendable, Codable, Hashable {
    /// The latest wall-clock instant already considered: events up to it have fired or been logged as missed.
    public var horizon: Date
    /// The keys (`ScheduledEvent.key`) of events fired or missed, kept for the policy's `retention` (and a day).
    public var done: Set<String>

    /// Creates a state; a first start passes the current instant as `horizon`.
    public init(horizon: Date, done: Set<String> = []) {
        self.horizon = horizon
        self.done = done
    }
}

/// What the scheduler does about one event that has come due.
public enum ScheduleDecision: Sendable, Hashable {
    /// Play it now; `lateness` is the seconds since its instant, at least 0 and at most the schedule's grace.
    case fire(ScheduledEvent, lateness: Double)
    /// Past the grace window: logged, never played; `lateness` is the seconds since its instant.
    case missed(ScheduledEvent, lateness: Double)

    /// The event decided about.
    public var event: ScheduledEvent {
        switch self {
        case .fire(let event, _), .missed(let event, _): event
        }
    }

    /// The seconds between the event's instant and the step that decided.
    public var lateness: Double {
        switch self {
        case .fire(_, let lateness), .missed(_, let lateness): lateness
        }
    }
}

/// When to fire what: the time-change policy of the schedule, as a pure function of the time and a saved state.
///
/// - Events whose instant is in `(state.horizon, now]` and whose key is not in `state.done` come due: each fires
///   if it is at most `graceSeconds` late, and is otherwise missed. A forward jump of the wall clock therefore
///   plays what fell inside the grace window and logs the rest: never a backlog.
/// - The horizon only moves forward, so a backward jump never replays an event: the instants it comes round to
///   again were considered already. The keys in `done` guard the rest (an edited schedule that moves an event
///   already played to a later time does not play it again).
/// - After a restart the saved state makes the same decisions.
/// - Events that came due more than `retention` ago (a machine off for weeks) are neither fired nor reported.
///
/// `step` asks the schedule only for the days around the instants it needs: the due ones and the next event.
public struct SchedulePolicy: Sendable {
    /// The schedule whose events are decided.
    public let schedule: Schedule
    /// How long keys stay in `done` (pruned once a day), and how far back events that came due while the scheduler
    /// was away are reported.
    public let retention: TimeInterval

    /// How far past the horizon `step` first looks for the next event.
    private static let day: TimeInterval = 86_400
    /// How far past the horizon `step` looks for the next event at most.
    private static let lookahead: TimeInterval = 8 * 86_400

    /// Creates a policy for `schedule`; `retention` is how long a played event, moved later by an edit of the
    /// schedule, still does not play again.
    public init(schedule: Schedule, retention: TimeInterval = 8 * 86400) {
        self.schedule = schedule
        self.retention = max(retention, 0)
    }

    /// Called whenever the scheduler wakes (its timer, a clock step, a restart, a new schedule).
    ///
    /// Returns the decisions in time order (events at the same instant in file order), the state to save, and
    /// when to wake next: the instant of the next event still to come, or `now` + 1 day when none is within
    /// 8 days.
    public func step(now: Date, state: SchedulerState) -> (
        decisions: [ScheduleDecision], state: SchedulerState, nextWake: Date
    ) {
        let horizon = max(state.horizon, now)
        let grace = Double(schedule.graceSeconds)
        // Due events lie in (state.horizon, now]; nothing older than `retention` (or the grace) is reported.
        let lower = min(max(state.horizon, now.addingTimeInterval(-max(retention, grace))), horizon)
        var done = state.done
        var decisions: [ScheduleDecision] = []
        var nextWake: Date?

        // One query covers the due events and, most of the time, the next one.
        for event in schedule.events(in: Self.interval(after: lower, through: horizon.addingTimeInterval(Self.day))) {
            guard !done.contains(event.key) else { continue }
            if event.at <= now {
                let lateness = now.timeIntervalSince(event.at)
                decisions.append(
                    lateness <= grace ? .fire(event, lateness: lateness) : .missed(event, lateness: lateness))
                done.insert(event.key)
            } else if event.at > horizon {
                nextWake = event.at
                break
            }
        }
        if nextWake == nil {
            let far = Self.interval(
                after: horizon.addingTimeInterval(Self.day), through: horizon.addingTimeInterval(Self.lookahead))
            nextWake = schedule.events(in: far).first { !done.contains($0.key) }?.at
        }

        // The horizon only grows, and the cutoff with it: pruning once a day, when the cutoff moves, is enough.
        let cutoff = cutoff(at: horizon)
        if cutoff != self.cutoff(at: state.horizon) { done = pruned(done, cutoff: cutoff) }
        let next = SchedulerState(horizon: horizon, done: done)
        return (decisions, next, nextWake ?? now.addingTimeInterval(Self.day))
    }

    /// The first local date whose keys `done` keeps at `horizon`: `retention` earlier, and a day more for the
    /// local date of an instant.
    func cutoff(at horizon: Date) -> LocalDate {
        schedule.localDate(of: horizon.addingTimeInterval(-retention)).adding(days: -1)
    }

    /// The keys whose local date is `cutoff` or later; keys of any other shape are dropped.
    func pruned(_ done: Set<String>, cutoff: LocalDate) -> Set<String> {
        done.filter { key in
            guard let bar = key.firstIndex(of: "|"), let date = LocalDate(String(key[..<bar])) else { return false }
            return date >= cutoff
        }
    }

    /// The instants in `(start, end]`, as the half-open range `events(in:)` takes.
    static func interval(after start: Date, through end: Date) -> Range<Date> {
        let lower = Date(timeIntervalSinceReferenceDate: start.timeIntervalSinceReferenceDate.nextUp)
        let upper = Date(timeIntervalSinceReferenceDate: end.timeIntervalSinceReferenceDate.nextUp)
        return lower..<max(lower, upper)
    }
}
