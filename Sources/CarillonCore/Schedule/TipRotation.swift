/// The rotation of safety tips per category, saved across restarts.
public struct RotationState: Sendable, Codable, Hashable {
    /// Per category: the clip ids played in the current cycle, in order.
    public var played: [String: [String]]
    /// `YYYY-MM-DD|category` to the day's reminder of that category; only recent days are kept.
    public var today: [String: String]

    /// An empty state: every category starts a new cycle.
    public init() {
        played = [:]
        today = [:]
    }
}

/// Chooses the tip for `tip:today` and `tip:next` slots.
///
/// The candidates of a category are its clip ids in the order to play them (the caller filters them by season and
/// grade). The next tip is the first candidate not yet played in the category's cycle; when all have been
/// played, a new cycle starts, which never begins with the tip just played if there are two candidates or more.
/// Played ids that are no longer candidates (after a library or schedule update) are ignored.
public enum TipRotation {
    /// How many days either side of the current one `today` entries are kept.
    static let keptDays = 14

    /// The day's reminder for a category: the same tip at every slot that day; a new day takes the next unplayed one.
    ///
    /// Returns nil when there are no candidates. A day's tip that is no longer a candidate is replaced.
    public static func today(
        category: String, on date: LocalDate, candidates: [String], state: inout RotationState
    ) -> String? {
        let key = "\(date)|\(category)"
        if let chosen = state.today[key], candidates.contains(chosen) { return chosen }
        guard let chosen = next(category: category, candidates: candidates, state: &state) else { return nil }
        state.today[key] = chosen
        state.today = state.today.filter { entry, _ in
            guard let bar = entry.firstIndex(of: "|"), let day = LocalDate(String(entry[..<bar])) else { return false }
            return abs(date.distance(to: day)) <= keptDays
        }
        return chosen
    }

    /// A new tip at each slot; nil when there are no candidates.
    public static func next(category: String, candidates: [String], state: inout RotationState) -> String? {
        guard !candidates.isEmpty else { return nil }
        var played = state.played[category] ?? []
        let seen = Set(played)
        if let fresh = candidates.first(where: { !seen.contains($0) }) {
            played.append(fresh)
            state.played[category] = played
            return fresh
        }
        // Every candidate has been played: a new cycle, not starting with the tip just played.
        let last = played.last
        let chosen = candidates.first { $0 != last } ?? candidates[0]
        state.played[category] = [chosen]
        return chosen
    }
}
