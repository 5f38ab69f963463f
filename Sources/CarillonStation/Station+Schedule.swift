import CarillonAudio
import CarillonCalendar
import CarillonCore
import CarillonTOML
public import CarillonProtocol
import CarillonStore
public import Foundation
import Logging

/// The schedule in force, with what it was made from.
struct ActiveSchedule {
    var schedule: Schedule
    var text: String
    var source: String
    var policy: SchedulePolicy
}

extension Station {
    static let schedulerStateKey = "scheduler"
    static let rotationStateKey = "rotation"

    /// The context a schedule is checked against: this school's zones, clips and tip subjects.
    static func scheduleContext(config: StationConfig, library: Library) -> ScheduleContext {
        let ids = Set(library.clips.keys)
        return ScheduleContext(
            zones: config.zoneNames, clipExists: { ids.contains($0) }, tipCategories: Clip.tipSubjects,
            calendarLoader: ICalendar.loader, zoneGroups: config.zoneGroups)
    }

    /// Puts a schedule in force: from now on the scheduler follows it. What already fired stays fired.
    func activate(_ schedule: Schedule, text: String, source: String) {
        active = ActiveSchedule(schedule: schedule, text: text, source: source, policy: SchedulePolicy(schedule: schedule))
        logger.info("schedule in force", metadata: ["version": "\(schedule.version)", "source": "\(source)"])
        events.publish(Event(event: "schedule.changed", detail: source, version: schedule.version))
        wakeTimer?.poke()
    }

    /// How long before an event's instant it is decided and the decision saved. The save is a
    /// synchronous write (fsync), which a busy disk can hold for tens of milliseconds: made ahead,
    /// it is behind the bell, not in front of it (helper-12 measured bells late by up to 128 ms,
    /// most of it before the play, on a machine whose other work stalled fsync).
    static let decideAhead: TimeInterval = 0.1

    /// One turn of the scheduler: decides with the policy what is due within `decideAhead`, saves
    /// the decision, then sounds each event at its instant (this turn, or a turn woken for it).
    /// - Returns: when to wake next.
    public func schedulerStep(now: Date) async -> Date {
        guard let active else { return now.addingTimeInterval(86400) }
        let state = schedulerState ?? SchedulerState(horizon: now)
        let (decisions, next, wake) = active.policy.step(now: now.addingTimeInterval(Self.decideAhead), state: state)
        schedulerState = next
        // Saved before acting: after a crash, a bell is never rung twice.
        await log("scheduler state") { () throws(StoreError) in try await self.store.saveState(Self.schedulerStateKey, next) }
        for decision in decisions {
            switch decision {
            case .fire(let event, _): decidedFires.append(event)
            case .missed(let event, let lateness): await recordMissed(event, lateness: lateness)
            }
        }
        // What is due sounds now, in the policy's order; the rest waits for its instant.
        let current = Date()
        let due = decidedFires.filter { $0.at <= current }
        decidedFires.removeAll { $0.at <= current }
        for event in due { await fire(event, lateness: Date().timeIntervalSince(event.at)) }
        let waiting = decidedFires.map(\.at).min() ?? .distantFuture
        return min(waiting, wake.addingTimeInterval(-Self.decideAhead))
    }

    /// Sounds one scheduled event.
    func fire(_ event: ScheduledEvent, lateness: Double) async {
        let by = "schedule \(event.timetable)"
        // A running plan suspends the schedule in its zones: the event sounds only elsewhere.
        let zones = resolvedZones(of: event).filter { !planHolds($0) }
        guard !zones.isEmpty else {
            logger.notice("scheduled event suspended by the running plan", metadata: ["event": "\(event.key)"])
            return
        }
        do throws(WireError) {
            switch event.action {
            case .say(let text):
                _ = try await say(SayArgs(text: text, zones: zones), by: by, source: "schedule")
            case .play(let id):
                try await playScheduled(id, event: event, zones: zones, by: by)
            case .tipToday, .tipNext, .cultureNext:
                guard let id = pickTip(for: event) else {
                    logger.warning("no tip to play", metadata: ["event": "\(event.key)", "theme": "\(active?.schedule.theme(on: event.localDate) ?? "none")"])
                    return
                }
                await log("tip rotation") { () throws(StoreError) in try await self.store.saveState(Self.rotationStateKey, self.rotation) }
                try await playScheduled(id, event: event, zones: zones, by: by)
            }
        } catch {
            logger.error("scheduled event failed", metadata: ["event": "\(event.key)", "error": "\(error.message)"])
        }
    }

    private func playScheduled(_ id: String, event: ScheduledEvent, zones: [String], by: String) async throws(WireError) {
        guard let clip = library.clips[id] else { throw WireError(.unknownClip, "no clip `\(id)` in the library") }
        let level = event.level ?? (clip.category == .bell ? .bell : .announcement)
        _ = try await play(PlayArgs(clip: id, zones: zones, level: level.rawValue), by: by, source: "schedule")
    }

    /// The clip for a rotation slot: a tip of the day's theme, or a culture clip, in season and for the school's grades.
    func pickTip(for event: ScheduledEvent) -> String? {
        let category: String
        let clips: [Clip]
        if case .cultureNext = event.action {
            category = ScheduledAction.cultureCategory
            clips = library.clips.values.filter { $0.category == .culture }
        } else {
            guard let theme = active?.schedule.theme(on: event.localDate) else { return nil }
            category = theme
            clips = library.clips.values.filter { $0.category == .tip && $0.subject == theme }
        }
        return TipRotation.pick(
            event.action, category: category, on: event.localDate, pool: clips.map(RotationTip.init),
            grades: config.grades, state: &rotation)
    }

    /// The zones an event names, with `all` and zone groups spelled out as the school's zones.
    private func resolvedZones(of event: ScheduledEvent) -> [String] {
        (try? event.zones.resolved(against: config.zoneNames, groups: config.zoneGroups).map(\.rawValue))
            ?? config.zoneGroups.expand(event.zones).map(\.rawValue)
    }

    /// Logs an event the scheduler will not play: past its grace window after a clock jump or a restart.
    func recordMissed(_ event: ScheduledEvent, lateness: Double) async {
        let id = nextPlayID
        nextPlayID += 1
        let clip: String =
            switch event.action {
            case .play(let id): id
            case .say: "say"
            case .tipToday: "tip:today"
            case .tipNext: "tip:next"
            case .cultureNext: "culture:next"
            }
        logger.warning("scheduled event missed", metadata: ["event": "\(event.key)", "late": "\(Int(lateness)) s"])
        await logMissed(
            PlayRecord(
                id: id, clip: clip, zones: resolvedZones(of: event), level: event.level?.rawValue ?? "bell",
                source: "schedule", requestedBy: "schedule \(event.timetable)", requestedAt: event.at),
            detail: "\(Int(lateness)) s late, past the grace window")
    }

    /// Writes a play that never sounded: its request and, at once, its end as `missed`, so that
    /// `log` and `stats` count it. For the scheduler's missed events and booked announcements.
    func logMissed(_ record: PlayRecord, detail: String) async {
        await log { () throws(StoreError) in
            try await self.store.recordRequested(record)
            try await self.store.recordEnded(id: record.id, at: Date(), outcome: "missed", detail: detail)
        }
    }

    /// On a reload: a schedule file above every version held is recorded and put in force.
    func adoptScheduleFile(_ schedule: Schedule, text: String, source: String) async {
        guard let floor = try? store.versionFloor(), schedule.version > floor else { return }
        do {
            try await store.applySchedule(version: schedule.version, text: text, source: source)
            activate(schedule, text: text, source: source)
        } catch {
            logger.error("schedule file not applied", metadata: ["error": "\(error)"])
        }
    }

    // MARK: - Commands

    /// `schedule.show`: the version in force and today's plan.
    public func scheduleShow(now: Date = Date()) throws(WireError) -> ScheduleSummary {
        guard let active else { throw WireError(.notFound, "no schedule is in force") }
        let schedule = active.schedule
        let today = schedule.localDate(of: now)
        let plan = schedule.plan(on: today)
        let events = schedule.events(from: today, through: today)
        return ScheduleSummary(
            version: schedule.version, timezone: schedule.timeZoneName, graceSeconds: schedule.graceSeconds,
            source: active.source, today: "\(today)", timetable: plan.timetable, rule: plan.rule,
            theme: schedule.theme(on: today), eventsToday: events.count,
            eventsLeftToday: events.filter { $0.at > now }.count)
    }

    /// `schedule.next`: the next events, with how long until each.
    public func scheduleNext(_ args: ScheduleNextArgs, now: Date = Date()) throws(WireError) -> ScheduleNextResult {
        guard let active else { throw WireError(.notFound, "no schedule is in force") }
        let count = min(max(args.count ?? 10, 1), 500)
        var found: [ScheduledEvent] = []
        var from = now
        // A week at a time, up to a year ahead: holidays can be long.
        for _ in 0..<53 where found.count < count {
            let to = from.addingTimeInterval(7 * 86400)
            found += active.schedule.events(in: from..<to).filter { $0.at > now }
            from = to
        }
        return ScheduleNextResult(
            events: found.prefix(count).map { event in
                UpcomingEvent(
                    at: event.localTimestamp, inSeconds: event.at.timeIntervalSince(now), preview: event.previewJSON)
            })
    }

    /// `schedule.apply`: validates a schedule, requires a higher version, records it and puts it in force.
    public func scheduleApply(_ args: ScheduleApplyArgs, by peer: String) async throws(WireError) -> ScheduleApplied {
        let name = args.name ?? "schedule.toml"
        let schedule: Schedule
        do {
            schedule = try Schedule.parse(Array(args.text.utf8), file: name, context: Self.scheduleContext(config: config, library: library))
        } catch {
            throw WireError(.invalidArguments, error.description)
        }
        let current = active?.schedule.version ?? 0
        do { try await store.applySchedule(version: schedule.version, text: args.text, source: "applied by \(peer)") } catch {
            throw WireError(error.kind == .staleVersion ? .staleVersion : .internal, "\(name): \(error.description)")
        }
        activate(schedule, text: args.text, source: "applied by \(peer)")
        Daemon.releaseFreedMemory()
        return ScheduleApplied(version: schedule.version, previous: current)
    }
}
