/// An earthquake-style countdown, as heard: the alarm, then "地震预警，还有N秒" at steps chosen
/// for speech, down to the event, when the plan takes over. Pure: the Station renders it.
public struct Countdown: Sendable, Hashable {
    /// Seconds-before at which a cue may be spoken. Far out, every ten seconds; near, every five,
    /// then every second, where only the number fits.
    public static let steps = [60, 50, 40, 30, 20, 15, 10, 5, 4, 3, 2, 1]
    /// The alarm sounds at least this long before the first cue, and at most `longestAlarm`.
    public static let shortestAlarm = 1.5
    public static let longestAlarm = 5.0

    /// One spoken cue.
    public struct Cue: Sendable, Hashable {
        /// Seconds from the countdown's start.
        public var at: Double
        /// The seconds it announces.
        public var remaining: Int
        /// What is said.
        public var text: String
    }

    /// Seconds of alarm from the start.
    public var alarm: Double
    public var cues: [Cue]
    /// The whole countdown's length: the event comes at its end.
    public var length: Double

    /// The countdown for an event `remaining` seconds away; nil when it is too near for one (the
    /// plan's own alarm starts at once).
    public init?(remaining: Double) {
        guard remaining.isFinite, remaining >= Self.shortestAlarm + 1 else { return nil }
        let spoken = Self.steps.filter { Double($0) <= remaining - Self.shortestAlarm }
        guard let first = spoken.first else { return nil }
        alarm = min(Self.longestAlarm, remaining - Double(first))
        length = remaining
        cues = spoken.enumerated().map { index, step in
            Cue(at: remaining - Double(step), remaining: step, text: index == 0 || step >= 10 ? Self.phrase(step) : Self.number(step))
        }
    }

    /// The full warning, e.g. `地震预警，还有15秒`.
    public static func phrase(_ seconds: Int) -> String { "地震预警，还有\(seconds)秒" }

    /// A step below ten said as the number alone: a second holds no more.
    public static func number(_ seconds: Int) -> String {
        let digits = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"]
        return (0..<10).contains(seconds) ? digits[seconds] : "\(seconds)"
    }

    /// Every text a countdown may say: rendered ahead of time, so an alert waits for no speech.
    public static var allTexts: [String] {
        steps.map(phrase) + steps.filter { $0 < 10 }.map(number)
    }
}
