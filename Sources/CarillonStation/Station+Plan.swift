public import CarillonAudio
public import CarillonCore
public import CarillonProtocol
import CarillonStore
import Foundation
import Logging

/// A plan's audio, one cycle, decoded into memory: nothing on the emergency path waits on a disk.
///
/// Each is a list of parts played back to back. A message that repeats, and the drill's copy of a
/// cycle, share the decoded audio instead of copying it: the shipped plans hold minutes of speech.
struct PlanAudio: Sendable {
    var normal: [PCMBuffer]
    /// Every message prefixed with "this is a drill".
    var drill: [PCMBuffer]
    /// The intro, played once before the first cycle; empty when the plan has none.
    var intro: [PCMBuffer]
    var drillIntro: [PCMBuffer]

    /// The normal cycle's length.
    var cycleSeconds: Double { Double(normal.map(\.frameCount).reduce(0, +)) / Double(Station.planFormat.sampleRate) }
}

/// The plan that runs, as saved: after a crash it runs again.
struct RunningPlan: Sendable, Codable, Hashable {
    var name: String
    var drill: Bool
    var zones: [String]
    var by: String
    var startedAt: Date
    var run: Int64
    var cycle: Int
    var play: Int64?
}

/// A plan run that ended before `planStart` knew its record's id: how it ended (kept until the
/// record is written), or the id (kept until its end is known), whichever came first.
struct RecordingRun: Sendable {
    var end: (outcome: String, by: String, step: String)?
    var run: Int64 = 0
}

/// The saved form: a wrapper, so that "no plan" is stored too.
struct SavedPlan: Codable, Sendable { var running: RunningPlan? }

extension Station {
    static let planStateKey = "plan.active"
    static let planFormat = AudioFormat(sampleRate: 48000, channels: 1)

    /// Takes the plans of the config; their audio is decoded again by `preparePlans`. A running
    /// plan whose file is gone runs on until stopped.
    public func setPlans(_ new: [String: Plan]) {
        plans = new
        planAudio = planAudio.filter { new[$0.key] != nil }
    }

    // MARK: - Commands

    /// `plan.list`.
    public func planList() -> PlanList {
        PlanList(
            plans: plans.values.sorted { $0.name < $1.name }.map { plan in
                let audio = planAudio[plan.name]
                return PlanInfo(
                    name: plan.name, title: plan.title, zones: plan.zones.map(\.rawValue), cycles: plan.cycles,
                    cycleSeconds: audio?.cycleSeconds,
                    ready: audio != nil, tasks: plan.notifications.map { PlanTask(audience: $0.audience, task: $0.task) })
            })
    }

    /// `plan.status`.
    public func planStatus() -> PlanStatus {
        PlanStatus(
            active: runningPlan.map { running in
                var active = info(running)
                active.rollCall = roster.rollCall(run: running.run)
                return active
            })
    }

    /// `plan.ack`: `person` has their task of the run (the running one when `run` is absent).
    func planAck(_ args: PlanAckArgs, person: String) async throws(WireError) -> PlanAcked {
        guard let run = args.run ?? runningPlan?.run else { throw WireError(.notFound, "no plan is running") }
        guard run > 0 else { throw WireError(.invalidArguments, "`run` must be a plan run number, 1 or more") }
        return try await roster.acknowledge(run: run, person: person)
    }

    /// `plan.start`: the alarm first, everything else after it. The plan's audio is in memory, the
    /// play goes straight to the engine, and the log, the saved state and the notifier follow.
    /// A write that fails never refuses the plan: the answer carries a `warning` instead.
    /// - Parameter lead: audio sounded before the plan's first cycle, within the same play: a city
    ///   alert's countdown.
    public func planStart(_ args: PlanStartArgs, by: String, lead: [PCMBuffer] = []) async throws(WireError) -> ActivePlanInfo {
        guard let plan = plans[args.plan] else {
            throw WireError(.notFound, "no plan `\(args.plan)`; the plans are \(plans.keys.sorted().joined(separator: ", "))")
        }
        let drill = args.drill ?? false
        let zones = args.zones ?? plan.zones.map(\.rawValue)
        // It runs from before its alarm starts: a `plan.stop` or a newer `plan.start` that comes
        // during the awaits below (the alarm's start, the run's record) finds it, instead of "no
        // plan is running" with the alarm on the air. The running plan, if any, is superseded: it
        // no longer owns its play, so the end of that play (cut by this one) cannot be taken for
        // the end of a plan.
        let superseded = runningPlan
        var running = RunningPlan(name: plan.name, drill: drill, zones: zones, by: by, startedAt: Date(), run: 0, cycle: 1, play: nil)
        runningPlan = running
        recordingRuns[running.startedAt] = RecordingRun()
        let info: PlayInfo
        do { info = try await startCycle(plan, drill: drill, zones: zones, by: by, first: true, lead: lead) } catch {
            recordingRuns[running.startedAt] = nil
            if isCurrent(running) { runningPlan = superseded }
            throw error
        }
        if let superseded {
            // The newest emergency wins; the old one's play was cut by the new one.
            await finishRun(superseded, outcome: "superseded", by: by, step: "superseded by \(plan.name)")
        }
        running.play = info.play
        running.zones = info.zones
        if isCurrent(running) {
            runningPlan = running
        } else {
            // Stopped or superseded while its alarm started (the stop could not know its play):
            // the alarm goes too. The run is still recorded below, with how it ended.
            plays[info.play]?.stoppedBy = "the end of plan \(plan.name)"
            engine.stop(play: UInt64(info.play))
            await apply(arbiter.withdraw(info.play, now: clock.now))
        }
        let record = PlanRunRecord(
            plan: plan.name, title: plan.title, drill: drill, zones: info.zones, startedAt: running.startedAt, startedBy: by,
            timeline: [.init(at: running.startedAt, step: drill ? "drill started" : "started")])
        var warnings: [String] = []
        do {
            running.run = try await store.savePlanRun(record)
            storage.succeeded()
        } catch {
            storage.failed("plan run", error)
            warnings.append("the run could not be recorded (\(error)), so it is missing from log.plans")
        }
        let recording = recordingRuns.removeValue(forKey: running.startedAt)
        guard isCurrent(running) else {
            // Stopped or superseded meanwhile: its end goes to its record, now or when the one who
            // ended it gets there (its stop may still be on its way to `finishRun`).
            if running.run > 0 {
                if let end = recording?.end {
                    await finishRun(running, outcome: end.outcome, by: end.by, step: end.step)
                } else {
                    recordingRuns[running.startedAt] = RecordingRun(run: running.run)
                }
            }
            logger.critical(
                "emergency plan started and ended at once", metadata: ["plan": "\(plan.name)", "zones": "\(info.zones)", "by": "\(by)"])
            var answer = self.info(running)
            answer.warning = (warnings + ["it was stopped or superseded as it started"]).joined(separator: "; ")
            return answer
        }
        runningPlan?.run = running.run
        if let error = await savePlanState() {
            // It sounds, but only memory knows it runs: a crash now would silence it for good.
            warnings.append("the plan's state could not be saved (\(error)): it will not resume if the daemon restarts")
        }
        logger.critical(
            drill ? "drill started" : "emergency plan started",
            metadata: ["plan": "\(plan.name)", "zones": "\(info.zones)", "by": "\(by)"])
        // Each paired person's tasks are written before the event that shows them, so that an
        // acknowledgment sent at once finds its row.
        let rollCall = await roster.begin(run: running.run, tasks: plan.notifications.map { PlanTask(audience: $0.audience, task: $0.task) })
        // Not after its own `plan.stopped`, if a stop came during those writes.
        if isCurrent(running) { announce(plan, running: running, event: "plan.started") }
        var answer = self.info(running)
        answer.rollCall = rollCall.isEmpty ? nil : rollCall
        answer.warning = warnings.isEmpty ? nil : warnings.joined(separator: "; ")
        return answer
    }

    /// `plan.stop`: stops the running plan; its zones go back to the schedule, and the all-clear sounds.
    public func planStop(_ args: PlanStopArgs, by: String) async throws(WireError) -> PlanStatus {
        guard let running = runningPlan else { throw WireError(.notFound, "no plan is running") }
        if let name = args.plan, name != running.name {
            throw WireError(.notFound, "plan `\(name)` is not running; `\(running.name)` is")
        }
        runningPlan = nil
        if let play = running.play, plays[play] != nil { _ = try? await stop(StopArgs(play: play), by: by) }
        await savePlanState()
        await finishRun(running, outcome: "stopped", by: by, step: "stopped by \(by)")
        logger.critical("emergency plan stopped", metadata: ["plan": "\(running.name)", "by": "\(by)"])
        if let plan = plans[running.name] {
            announce(plan, running: running, event: "plan.stopped")
            if running.drill {
                // The drill's own end, else the library's generic one, else the plan's all-clear.
                let clip = [plan.drillAllClear, "msg.drill.end", plan.allClear].compactMap { $0 }.first { library.clips[$0] != nil }
                if let clip {
                    _ = try? await play(PlayArgs(clip: clip, zones: running.zones, level: Level.announcement.rawValue), by: by, source: "drill")
                }
            } else if let clip = plan.allClear {
                _ = try? await play(PlayArgs(clip: clip, zones: running.zones, level: Level.announcement.rawValue), by: by, source: "plan")
            }
        }
        return PlanStatus(active: nil)
    }

    /// `log.plans`.
    public func planLog(_ args: PlanLogArgs) async throws(WireError) -> PlanLog {
        let limit = try Self.limit(args.limit)
        do {
            return PlanLog(
                runs: try await store.planRuns(limit: limit).map { run in
                    PlanRunInfo(
                        run: run.id, plan: run.plan, title: run.title, drill: run.drill, zones: run.zones,
                        startedAt: run.startedAt, startedBy: run.startedBy, stoppedAt: run.stoppedAt, stoppedBy: run.stoppedBy,
                        outcome: run.outcome, timeline: run.timeline.map { PlanRunStep(at: $0.at, step: $0.step) },
                        rollCall: roster.rollCall(run: run.id))
                })
        } catch {
            throw WireError(.internal, error.description)
        }
    }

    // MARK: - Running

    /// Starts one cycle at the emergency level, the first with the plan's intro before it: from
    /// memory. Until the full audio is ready (just after a start or a restart), a plan with an
    /// alarm sounds its own alarm steps alone, and a plan without one has its audio prepared first:
    /// it never gets an alarm it does not have.
    private func startCycle(
        _ plan: Plan, drill: Bool, zones: [String], by: String, first: Bool = false, lead: [PCMBuffer] = []
    ) async throws(WireError) -> PlayInfo {
        func cycle(_ audio: PlanAudio) -> [PCMBuffer] {
            let cycle = drill ? audio.drill : audio.normal
            return first ? (drill ? audio.drillIntro : audio.intro) + cycle : cycle
        }
        let audio: [PCMBuffer]
        if let prepared = planAudio[plan.name] {
            audio = cycle(prepared)
        } else if let alarm = await alarmOnly(plan) {
            audio = [alarm]
        } else {
            audio = cycle(try await prepare(plan))
        }
        let clip = Clip(id: "plan.\(plan.name)", category: .alarm, title: plan.title, source: .file("plan"))
        return try await start(
            clip: clip, audio: .buffers(lead + audio), level: .emergency, zones: zones, source: drill ? "drill" : "plan", by: by)
    }

    /// Called when a play ends: a plan's cycle that finished starts the next; one that was cut or
    /// stopped ends the plan.
    func planPlayEnded(_ id: PlayID, outcome: String, stoppedBy: String? = nil) async {
        guard var running = runningPlan, running.play == id else { return }
        guard let plan = plans[running.name] else {
            runningPlan = nil
            await savePlanState()
            return
        }
        if outcome == "finished", plan.cycles.map({ running.cycle < $0 }) ?? true {
            do {
                let info = try await startCycle(plan, drill: running.drill, zones: running.zones, by: running.by)
                // The start awaited, and a `plan.stop` or a newer `plan.start` may have come in
                // meanwhile. It found this cycle's play already ended and the next not yet known, so
                // it could not stop it: the next stops here, or the stopped plan would run on
                // (seen in the soak: a drill stopped between two cycles went on for 30 s).
                guard isCurrent(running) else {
                    plays[info.play]?.stoppedBy = "the end of plan \(plan.name)"
                    engine.stop(play: UInt64(info.play))
                    await apply(arbiter.withdraw(info.play, now: clock.now))
                    return
                }
                // The run's record may have been written meanwhile: its id is the current one's.
                running.run = runningPlan?.run ?? running.run
                running.cycle += 1
                running.play = info.play
                runningPlan = running
                await savePlanState()
                await addStep(running, "cycle \(running.cycle)")
                return
            } catch {
                logger.error("plan cycle could not start", metadata: ["plan": "\(plan.name)", "error": "\(error.message)"])
            }
        }
        runningPlan = nil
        await savePlanState()
        let ending = outcome == "finished" ? "completed" : outcome
        let by = stoppedBy ?? running.by
        await finishRun(
            running, outcome: ending == "completed" ? "completed" : "stopped", by: by,
            step: stoppedBy.map { "\(ending) by \($0)" } ?? ending)
        announce(plan, running: running, event: "plan.stopped")
    }

    /// Whether `running` is still the plan that runs: the same start, whatever cycle it is in.
    private func isCurrent(_ running: RunningPlan) -> Bool {
        runningPlan?.name == running.name && runningPlan?.startedAt == running.startedAt
    }

    /// After a restart: the plan that was running runs again, at once, with its alarm.
    func resumePlan() async {
        guard let saved = try? store.state(Self.planStateKey, as: SavedPlan.self), let running = saved.running else { return }
        guard let plan = plans[running.name] else {
            logger.error("the running plan is gone from the config; not resumed", metadata: ["plan": "\(running.name)"])
            return
        }
        do {
            let info = try await startCycle(plan, drill: running.drill, zones: running.zones, by: running.by)
            var resumed = running
            resumed.play = info.play
            runningPlan = resumed
            await savePlanState()
            await addStep(resumed, "resumed after restart")
            logger.critical("emergency plan resumed after restart", metadata: ["plan": "\(plan.name)"])
            events.publish(planEvent(plan, running: resumed, event: "plan.resumed"))
        } catch {
            logger.critical("the running plan could not be resumed", metadata: ["plan": "\(plan.name)", "error": "\(error.message)"])
        }
    }

    /// Whether a running plan holds `zone`: the schedule is suspended there.
    func planHolds(_ zone: String) -> Bool {
        guard let running = runningPlan else { return false }
        return running.zones.contains(zone) || running.zones.contains(ZoneName.all.rawValue)
    }

    /// Saves the running plan (or none), so that a restart resumes it; the error when that failed.
    @discardableResult
    private func savePlanState() async -> StoreError? {
        await log("plan state") { () throws(StoreError) in
            try await self.store.saveState(Self.planStateKey, SavedPlan(running: self.runningPlan))
        }
    }

    private func addStep(_ running: RunningPlan, _ step: String) async {
        guard running.run > 0 else { return }
        await updateRun(running.run) { $0.timeline.append(.init(at: Date(), step: step)) }
    }

    private func finishRun(_ running: RunningPlan, outcome: String, by: String, step: String) async {
        var id = running.run
        if id == 0, let recording = recordingRuns[running.startedAt] {
            guard recording.run > 0 else {
                // Its record is still being written: `planStart` closes it once it is.
                recordingRuns[running.startedAt]?.end = (outcome, by, step)
                return
            }
            id = recording.run
            recordingRuns[running.startedAt] = nil
        }
        guard id > 0 else { return }
        await updateRun(id) { run in
            run.outcome = outcome
            run.stoppedAt = Date()
            run.stoppedBy = by
            run.timeline.append(.init(at: Date(), step: step))
        }
    }

    private func updateRun(_ id: Int64, _ change: (inout PlanRunRecord) -> Void) async {
        let found: PlanRunRecord?
        do { found = try await store.planRun(id: id) } catch {
            logger.error("plan run not updated: it cannot be read", metadata: ["error": "\(error)"])
            return
        }
        guard var run = found else { return }
        change(&run)
        let updated = run
        await log("plan run") { () throws(StoreError) in _ = try await self.store.savePlanRun(updated) }
    }

    // MARK: - Telling people

    private func planEvent(_ plan: Plan, running: RunningPlan, event: String) -> Event {
        Event(
            event: event, zones: running.zones, by: running.by, plan: plan.name, title: plan.title, drill: running.drill,
            tasks: plan.notifications.map { PlanTask(audience: $0.audience, task: $0.task) })
    }

    /// To subscribers (each with its own task) and to the notifier command, off the audio path.
    private func announce(_ plan: Plan, running: RunningPlan, event name: String) {
        let event = planEvent(plan, running: running, event: name)
        events.publish(event)
        if let config = config.notifier { Notifier(config: config, logger: logger).send(event) }
    }

    private func info(_ running: RunningPlan) -> ActivePlanInfo {
        ActivePlanInfo(
            plan: running.name, title: plans[running.name]?.title ?? running.name, drill: running.drill, zones: running.zones,
            by: running.by, startedAt: running.startedAt, cycle: running.cycle, play: running.play, run: running.run)
    }

    // MARK: - Audio

    /// The alarm steps alone: what sounds until the full cycle is decoded; nil for a plan without
    /// an alarm step.
    func alarmOnly(_ plan: Plan) async -> PCMBuffer? {
        var samples: [Float] = []
        for case .alarm(let clip, let seconds) in plan.intro + plan.steps {
            samples += Self.fit(await alarmAudio(clip), seconds: seconds).samples
        }
        return samples.isEmpty ? nil : PCMBuffer(format: Self.planFormat, samples: samples)
    }

    /// An alarm clip's audio at its library loudness: from memory, or decoded now when the cache
    /// warmer has not reached it yet (a plan resumed or started just after start). The synthesized
    /// stand-in sounds only for a clip that cannot be read.
    func alarmAudio(_ id: String) async -> PCMBuffer {
        if let decoded = emergencyAudio[id] { return decoded }
        guard let clip = library.clips[id] else { return fallbackAlarm }
        let library = self.library
        let renderer = self.renderer
        do {
            let audio = try await offPoolThrowing { () throws(AudioError) in
                guard case .file(let path) = try library.audio(for: clip, renderer: renderer) else {
                    throw AudioError("clip `\(id)` has no file")
                }
                return try PCMBuffer.decode(path: path, to: Self.planFormat, maxSeconds: 120)
            }
            emergencyAudio[id] = audio
            return audio
        } catch {
            logger.error("alarm clip unreadable; the synthesized alarm stands in", metadata: ["clip": "\(id)", "reason": "\(error.message)"])
            return fallbackAlarm
        }
    }

    /// One plan's full audio, prepared now and kept: for a plan without an alarm started before
    /// `preparePlans` reached it.
    private func prepare(_ plan: Plan) async throws(WireError) -> PlanAudio {
        let alarms = emergencyAudio
        let fallback = fallbackAlarm
        let library = self.library
        let renderer = self.renderer
        do {
            let audio = try await offPoolThrowing { () throws(AudioError) in
                try Self.render(plan, alarms: alarms, fallback: fallback, library: library, renderer: renderer)
            }
            planAudio[plan.name] = audio
            return audio
        } catch {
            throw WireError(.badAudio, "the audio of plan `\(plan.name)` cannot be prepared: \(error.message)")
        }
    }

    /// Decodes every plan's cycle into memory, off the pool. Called after the alarms are decoded,
    /// at start and after each reload.
    func preparePlans() async {
        let plans = self.plans
        let alarms = emergencyAudio
        let fallback = fallbackAlarm
        let library = self.library
        let renderer = self.renderer
        let logger = self.logger
        let prepared = await offPool { () -> [String: PlanAudio] in
            var result: [String: PlanAudio] = [:]
            for plan in plans.values {
                do throws(AudioError) {
                    result[plan.name] = try Self.render(plan, alarms: alarms, fallback: fallback, library: library, renderer: renderer)
                } catch {
                    logger.error("plan audio could not be prepared; its alarm alone will sound", metadata: ["plan": "\(plan.name)", "error": "\(error.message)"])
                }
            }
            return result
        }
        planAudio = prepared
        logger.info("plans ready", metadata: ["plans": "\(prepared.keys.sorted())"])
    }

    private static func render(
        _ plan: Plan, alarms: [String: PCMBuffer], fallback: PCMBuffer, library: Library, renderer: Renderer
    ) throws(AudioError) -> PlanAudio {
        func clipAudio(_ id: String) throws(AudioError) -> PCMBuffer {
            guard let clip = library.clips[id] else { throw AudioError("no clip `\(id)`") }
            guard case .file(let path) = try library.audio(for: clip, renderer: renderer) else { throw AudioError("`\(id)` has no file") }
            return try PCMBuffer.decode(path: path, to: planFormat, maxSeconds: 300)
        }
        let gap = PCMBuffer.silence(seconds: 0.6, format: planFormat)
        let prefix = library.clips["msg.drill.prefix"] != nil ? try clipAudio("msg.drill.prefix") : nil
        /// The steps as heard, and as heard in a drill.
        func sound(_ steps: [PlanStep]) throws(AudioError) -> (normal: [PCMBuffer], drill: [PCMBuffer]) {
            var normal: [PCMBuffer] = []
            var drill: [PCMBuffer] = []
            let drillLead = prefix.map { [$0, gap] } ?? []
            for step in steps {
                switch step {
                case .alarm(let clip, let seconds):
                    let audio = [fit(alarms[clip] ?? fallback, seconds: seconds), gap]
                    normal += audio
                    drill += audio
                case .message(let clip, let times):
                    let message = try clipAudio(clip)
                    for _ in 0..<times {
                        normal += [message, gap]
                        drill += drillLead + [message, gap]
                    }
                case .say(let text, let times):
                    let speech = try renderer.speak(text, voice: "zh").converted(to: planFormat)
                    for _ in 0..<times {
                        normal += [speech, gap]
                        drill += drillLead + [speech, gap]
                    }
                case .pause(let seconds):
                    let silence = PCMBuffer.silence(seconds: seconds, format: planFormat)
                    normal.append(silence)
                    drill.append(silence)
                }
            }
            return (normal, drill)
        }
        let intro = try sound(plan.intro)
        let cycle = try sound(plan.steps)
        return PlanAudio(normal: cycle.normal, drill: cycle.drill, intro: intro.normal, drillIntro: intro.drill)
    }

    /// `audio` looped or cut to `seconds`.
    static func fit(_ audio: PCMBuffer, seconds: Double) -> PCMBuffer {
        let wanted = Int(seconds * Double(audio.format.sampleRate)) * audio.format.channels
        guard !audio.samples.isEmpty else { return PCMBuffer.silence(seconds: seconds, format: audio.format) }
        var samples: [Float] = []
        samples.reserveCapacity(wanted)
        while samples.count < wanted { samples += audio.samples.prefix(wanted - samples.count) }
        return PCMBuffer(format: audio.format, samples: samples)
    }
}
