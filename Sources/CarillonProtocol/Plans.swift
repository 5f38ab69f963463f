public import Foundation

/// A plan as `plan.list` shows it.
public struct PlanInfo: Sendable, Codable, Hashable {
    public var name: String
    public var title: String
    public var zones: [String]
    /// Cycles it runs; absent means until stopped.
    public var cycles: Int?
    /// One cycle's length in seconds, once its audio is ready.
    public var cycleSeconds: Double?
    /// Whether its full audio is decoded in memory; until then the alarm alone stands in.
    public var ready: Bool
    public var tasks: [PlanTask]

    public init(name: String, title: String, zones: [String], cycles: Int?, cycleSeconds: Double?, ready: Bool, tasks: [PlanTask]) {
        self.name = name
        self.title = title
        self.zones = zones
        self.cycles = cycles
        self.cycleSeconds = cycleSeconds
        self.ready = ready
        self.tasks = tasks
    }
}

/// What one role or staff group is told when a plan starts.
public struct PlanTask: Sendable, Codable, Hashable {
    public var audience: String
    public var task: String
    public init(audience: String, task: String) {
        self.audience = audience
        self.task = task
    }
}

public struct PlanList: Sendable, Codable, Hashable {
    public var plans: [PlanInfo]
    public init(plans: [PlanInfo]) { self.plans = plans }
}

/// `plan.start`: one press starts it; there is no confirmation round trip.
public struct PlanStartArgs: Sendable, Codable, Hashable {
    public var plan: String
    /// Where; absent means the plan's own zones.
    public var zones: [String]?
    /// A drill: every message is prefixed with "this is a drill", and it is logged as one.
    public var drill: Bool?

    public init(plan: String, zones: [String]? = nil, drill: Bool? = nil) {
        self.plan = plan
        self.zones = zones
        self.drill = drill
    }
}

extension PlanStartArgs: ZoneTargeting {}

/// `plan.stop`: the active plan, or the named one if it is the active one.
public struct PlanStopArgs: Sendable, Codable, Hashable {
    public var plan: String?
    public init(plan: String? = nil) { self.plan = plan }
}

/// The plan that runs.
public struct ActivePlanInfo: Sendable, Codable, Hashable {
    public var plan: String
    public var title: String
    public var drill: Bool
    public var zones: [String]
    public var by: String
    public var startedAt: Date
    /// The cycle sounding now, from 1.
    public var cycle: Int
    /// Its current play, as in `status`.
    public var play: Int64?
    /// The plan-run number in the log; 0 when the run could not be recorded.
    public var run: Int64
    /// Only in `plan.start`'s answer: the plan sounds, but something about it could not be written
    /// to the data directory, e.g. its saved state, so that it will not resume after a restart.
    public var warning: String?
    /// Who was given a task and who has acknowledged it (`plan.ack`); absent when no paired person
    /// is in the plan's audiences.
    public var rollCall: [RollCallEntry]?

    public init(
        plan: String, title: String, drill: Bool, zones: [String], by: String, startedAt: Date, cycle: Int, play: Int64?,
        run: Int64, warning: String? = nil
    ) {
        self.plan = plan
        self.title = title
        self.drill = drill
        self.zones = zones
        self.by = by
        self.startedAt = startedAt
        self.cycle = cycle
        self.play = play
        self.run = run
        self.warning = warning
    }
}

/// `plan.status`: the active plan, if any.
public struct PlanStatus: Sendable, Codable, Hashable {
    public var active: ActivePlanInfo?
    public init(active: ActivePlanInfo?) { self.active = active }
}

/// One plan run, for `log.plans`.
public struct PlanRunInfo: Sendable, Codable, Hashable {
    public var run: Int64
    public var plan: String
    public var title: String
    public var drill: Bool
    public var zones: [String]
    public var startedAt: Date
    public var startedBy: String
    public var stoppedAt: Date?
    public var stoppedBy: String?
    /// `running`, `stopped`, `completed`, `superseded` or `interrupted`.
    public var outcome: String
    /// Each step of the run: `started`, `cycle 2`, `resumed after restart`, `stopped`, with its time.
    public var timeline: [PlanRunStep]
    /// The run's roll-call, as it stood when the run ended (or stands now); absent when empty.
    public var rollCall: [RollCallEntry]?

    public init(
        run: Int64, plan: String, title: String, drill: Bool, zones: [String], startedAt: Date, startedBy: String,
        stoppedAt: Date?, stoppedBy: String?, outcome: String, timeline: [PlanRunStep], rollCall: [RollCallEntry]? = nil
    ) {
        self.run = run
        self.plan = plan
        self.title = title
        self.drill = drill
        self.zones = zones
        self.startedAt = startedAt
        self.startedBy = startedBy
        self.stoppedAt = stoppedAt
        self.stoppedBy = stoppedBy
        self.outcome = outcome
        self.timeline = timeline
        self.rollCall = rollCall
    }
}

public struct PlanRunStep: Sendable, Codable, Hashable {
    public var at: Date
    public var step: String
    public init(at: Date, step: String) {
        self.at = at
        self.step = step
    }
}

/// `log.plans`: plan runs, newest first.
public struct PlanLogArgs: Sendable, Codable, Hashable {
    public var limit: Int?
    public init(limit: Int? = nil) { self.limit = limit }
}

public struct PlanLog: Sendable, Codable, Hashable {
    public var runs: [PlanRunInfo]
    public init(runs: [PlanRunInfo]) { self.runs = runs }
}
