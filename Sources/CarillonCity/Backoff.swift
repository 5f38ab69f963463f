/// Reconnect delays: exponential, capped, with full jitter (each delay is uniform in 0…the
/// exponential bound), so that 2,000 schools cut off by one broker restart come back spread over
/// the window instead of in one second. Pure: the random numbers are a parameter.
public struct Backoff: Sendable, Hashable {
    /// The bound of the first delay.
    public var base: Duration
    /// No bound grows beyond this.
    public var cap: Duration
    /// Failures since the last success.
    public private(set) var attempt = 0

    public init(base: Duration = .milliseconds(500), cap: Duration = .seconds(60)) {
        self.base = base
        self.cap = cap
    }

    /// The bound for the current attempt: `base · 2^attempt`, at most `cap`.
    public var bound: Duration {
        // 2^20 · base is past any cap in use; stop doubling there so nothing overflows.
        var bound = base
        for _ in 0..<min(attempt, 20) {
            bound = bound * 2
            if bound >= cap { return cap }
        }
        return min(bound, cap)
    }

    /// The next delay, uniform in 0…bound, and one more attempt counted.
    public mutating func next<R: RandomNumberGenerator>(using generator: inout R) -> Duration {
        let bound = self.bound
        attempt += 1
        let milliseconds = max(bound.components.seconds * 1000 + bound.components.attoseconds / 1_000_000_000_000_000, 0)
        return .milliseconds(Int64.random(in: 0...milliseconds, using: &generator))
    }

    /// The next delay from the system's generator.
    public mutating func next() -> Duration {
        var generator = SystemRandomNumberGenerator()
        return next(using: &generator)
    }

    /// A connection held: the next failure starts from `base` again.
    public mutating func reset() { attempt = 0 }
}
