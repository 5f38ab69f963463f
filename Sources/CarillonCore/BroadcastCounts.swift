/// What a school broadcast, counted as the city platform reports it (`stats`). The counters
/// overlap (a manual play of a bell is `instant` and `bells`), except `broadcasts` and `missed`,
/// which never share a play.
public struct BroadcastCounts: Sendable, Codable, Hashable {
    /// What went on the air: plays that sounded (wrote a sample, or finished), and one per plan or drill run.
    public var broadcasts: Int
    /// Plays a person asked for that sounded: `play`, `shout`, and `say` not from the schedule.
    public var instant: Int
    /// Safety-education plays that sounded (category `tip`).
    public var safety: Int
    /// Bells that sounded (category `bell`).
    public var bells: Int
    /// Emergency plan runs started, drills excluded.
    public var plans: Int
    /// Drill runs started.
    public var drills: Int
    /// Scheduled events logged as missed: past their grace window, they never sounded.
    public var missed: Int

    public init(
        broadcasts: Int = 0, instant: Int = 0, safety: Int = 0, bells: Int = 0, plans: Int = 0, drills: Int = 0, missed: Int = 0
    ) {
        self.broadcasts = broadcasts
        self.instant = instant
        self.safety = safety
        self.bells = bells
        self.plans = plans
        self.drills = drills
        self.missed = missed
    }

    /// The counters' names, in the order tables and CSV print them.
    public static let names = ["broadcasts", "instant", "safety", "bells", "plans", "drills", "missed"]

    /// The counters in the order of `names`.
    public var values: [Int] { [broadcasts, instant, safety, bells, plans, drills, missed] }

    /// Counter by counter sums, for a fleet's totals.
    public static func + (lhs: BroadcastCounts, rhs: BroadcastCounts) -> BroadcastCounts {
        BroadcastCounts(
            broadcasts: lhs.broadcasts + rhs.broadcasts, instant: lhs.instant + rhs.instant, safety: lhs.safety + rhs.safety,
            bells: lhs.bells + rhs.bells, plans: lhs.plans + rhs.plans, drills: lhs.drills + rhs.drills,
            missed: lhs.missed + rhs.missed)
    }
}
