/// An emergency plan, from `config/plans/NAME.toml`: what sounds, where, how long, and who is told
/// what. Pure data; the Station renders it into audio held in memory and runs it.
public struct Plan: Sendable, Hashable {
    /// The file's stem, e.g. `fire`: how `carillon plan start` names it.
    public var name: String
    /// For people, e.g. `火灾疏散`.
    public var title: String
    /// Where it sounds unless `plan start --zones` says otherwise; `[all]` by default.
    public var zones: [ZoneName]
    /// Played once, before the first cycle: an earthquake's "take cover" before the evacuation loop.
    public var intro: [PlanStep]
    /// One cycle, in order; the cycle repeats until the plan is stopped or `cycles` have run.
    public var steps: [PlanStep]
    /// How many cycles run; nil means until stopped.
    public var cycles: Int?
    /// Played once, at announcement level, when the plan is stopped by hand (a clip id).
    public var allClear: String?
    /// Played instead of `allClear` when a drill of the plan is stopped: each drill ends with its
    /// own words (a lockdown drill's end is not an evacuation drill's). nil: the library's
    /// `msg.drill.end`.
    public var drillAllClear: String?
    /// Who is told what when the plan starts.
    public var notifications: [PlanNotification]
    /// The file it came from, for messages.
    public var file: String

    public init(
        name: String, title: String, zones: [ZoneName] = [.all], intro: [PlanStep] = [], steps: [PlanStep], cycles: Int? = nil,
        allClear: String? = nil, drillAllClear: String? = nil, notifications: [PlanNotification] = [], file: String = ""
    ) {
        self.name = name
        self.title = title
        self.zones = zones
        self.intro = intro
        self.steps = steps
        self.cycles = cycles
        self.allClear = allClear
        self.drillAllClear = drillAllClear
        self.notifications = notifications
        self.file = file
    }
}

/// One step of a plan's cycle.
public enum PlanStep: Sendable, Hashable {
    /// An alarm clip (category `alarm`), looped or cut to `seconds`.
    case alarm(clip: String, seconds: Double)
    /// A library clip read aloud (a `message` from `text/emergency.toml`, or a recording), `times` over.
    case message(clip: String, times: Int)
    /// Text read aloud, `times` over.
    case say(text: String, times: Int)
    /// Silence.
    case pause(seconds: Double)
}

/// The task a role or a named group of staff is sent when a plan starts.
public struct PlanNotification: Sendable, Hashable {
    /// A role (`leader`, `teacher`, …) or a group name of the school's own (`class-teachers`,
    /// `security`, `nurse`).
    public var audience: String
    public var task: String

    public init(audience: String, task: String) {
        self.audience = audience
        self.task = task
    }
}

/// What a plan file is checked against.
public struct PlanContext: Sendable {
    /// The school's zones; nil skips the check.
    public var zones: [ZoneName]?
    /// The category of each library clip (`alarm`, `message`, …); nil skips the check.
    public var clipCategory: (@Sendable (String) -> ClipCategory?)?

    /// The school's zone groups; a plan may name one, and it is expanded when the plan starts.
    public var zoneGroups = ZoneGroups()
    /// Without the school's config (signing a bundle): any name shaped like a zone group's is taken for one.
    public var anyZoneGroup = false

    public init(
        zones: [ZoneName]? = nil, clipCategory: (@Sendable (String) -> ClipCategory?)? = nil, zoneGroups: ZoneGroups = ZoneGroups()
    ) {
        self.zones = zones
        self.zoneGroups = zoneGroups
        self.clipCategory = clipCategory
    }
}
