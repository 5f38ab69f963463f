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

    /// The most a counter read from a school may hold: a thousand years of one play a second is
    /// 3 × 10^10, so anything past 10^12 is not a count.
    public static let maximum = 1_000_000_000_000

    private enum CodingKeys: String, CodingKey { case broadcasts, instant, safety, bells, plans, drills, missed }

    /// Reads the counters, each 0 to `maximum`: the bureau adds up what 2,000 schools send, and a
    /// school that sent a count near `Int.max` would otherwise overflow the sum and end the client.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func count(_ key: CodingKeys) throws -> Int {
            let value = try container.decode(Int.self, forKey: key)
            guard (0...Self.maximum).contains(value) else {
                throw DecodingError.dataCorruptedError(
                    forKey: key, in: container, debugDescription: "`\(key.stringValue)` must be 0 to \(Self.maximum), not \(value)")
            }
            return value
        }
        self.init(
            broadcasts: try count(.broadcasts), instant: try count(.instant), safety: try count(.safety), bells: try count(.bells),
            plans: try count(.plans), drills: try count(.drills), missed: try count(.missed))
    }

    /// Counter by counter sums, for a fleet's totals; a sum past `Int.max` stays there.
    public static func + (lhs: BroadcastCounts, rhs: BroadcastCounts) -> BroadcastCounts {
        func sum(_ a: Int, _ b: Int) -> Int {
            let (total, overflow) = a.addingReportingOverflow(b)
            return overflow ? (b > 0 ? Int.max : Int.min) : total
        }
        return BroadcastCounts(
            broadcasts: sum(lhs.broadcasts, rhs.broadcasts), instant: sum(lhs.instant, rhs.instant), safety: sum(lhs.safety, rhs.safety),
            bells: sum(lhs.bells, rhs.bells), plans: sum(lhs.plans, rhs.plans), drills: sum(lhs.drills, rhs.drills),
            missed: sum(lhs.missed, rhs.missed))
    }
}
