/// The rotation of safety tips per category, saved across restarts.
public struct RotationState: Sendable, Codable, Hashable {
    /// Per category: the clip ids played in the current cycle, in the order they last played.
    public var played: [String: [String]]
    /// `YYYY-MM-DD|category` to the day's reminder of that category; only recent days are kept.
    public var today: [String: String]

    /// An empty state: every category starts a new cycle.
    public init() {
        played = [:]
        today = [:]
    }
}

/// What the rotation needs to know of a clip: its id, its season and its grade bands.
public struct RotationTip: Sendable, Hashable {
    /// The clip id, e.g. `tip.fire.012`.
    public var id: String
    /// When it may play.
    public var season: ClipSeason
    /// Who it is written for.
    public var grades: Set<GradeBand>

    /// A tip for everyone, in season all year unless `season` says otherwise.
    public init(id: String, season: ClipSeason = .all, grades: Set<GradeBand> = GradeBand.all) {
        self.id = id
        self.season = season
        self.grades = grades
    }

    /// The clip's id, season and bands.
    public init(_ clip: Clip) {
        self.init(id: clip.id, season: clip.season, grades: clip.grades)
    }
}

/// Chooses the tip for `tip:today` and `tip:next` slots, and the clip for `culture:next`.
///
/// A category's pool is its clips for at least one of the school's grade bands, in id order. A cycle plays every
/// tip of the pool once; a tip plays on a date only in its season. The next tip is an unplayed one in season,
/// those tagged with the current season first (their window is short), then in pool order. When every tip in
/// season has played but some out of season have not, the cycle waits for them: the slot repeats the tip in
/// season played longest ago. When the whole pool has played, a new cycle starts, never with the tip just played
/// if there are two candidates or more. Played ids no longer in the pool (after a library update) are ignored.
public enum TipRotation {
    /// How many days either side of the current one `today` entries are kept.
    static let keptDays = 14

    /// The tip for a slot: the day's reminder for `tip:today`, a new tip for `tip:next` and `culture:next`.
    ///
    /// Returns nil for an action that is no rotation slot, and when no tip of the pool is in season on `date`.
    public static func pick(
        _ action: ScheduledAction, category: String, on date: LocalDate, pool: [RotationTip],
        grades: Set<GradeBand> = GradeBand.all, state: inout RotationState
    ) -> String? {
        let eligible = pool.filter { !$0.grades.isDisjoint(with: grades) }.sorted { $0.id < $1.id }
        switch action {
        case .tipToday: return today(category: category, on: date, eligible: eligible, state: &state)
        case .tipNext, .cultureNext: return next(category: category, on: date, eligible: eligible, state: &state)
        case .play, .say: return nil
        }
    }

    /// The day's reminder for a category: the same tip at every slot that day; a new day takes the next unplayed one.
    ///
    /// Every candidate counts as in season and for every band. Returns nil when there are no candidates. A day's
    /// tip that is no longer a candidate is replaced.
    public static func today(
        category: String, on date: LocalDate, candidates: [String], state: inout RotationState
    ) -> String? {
        today(category: category, on: date, eligible: candidates.map { RotationTip(id: $0) }, state: &state)
    }

    /// A new tip at each slot; nil when there are no candidates. Every candidate counts as in season.
    public static func next(category: String, candidates: [String], state: inout RotationState) -> String? {
        // Any date will do: every candidate is in season all year.
        let anyDate = LocalDate(daysSince1970: 0)
        return next(category: category, on: anyDate, eligible: candidates.map { RotationTip(id: $0) }, state: &state)
    }

    private static func today(
        category: String, on date: LocalDate, eligible: [RotationTip], state: inout RotationState
    ) -> String? {
        let key = "\(date)|\(category)"
        if let chosen = state.today[key], eligible.contains(where: { $0.id == chosen && $0.season.holds(date) }) {
            return chosen
        }
        guard let chosen = next(category: category, on: date, eligible: eligible, state: &state) else { return nil }
        state.today[key] = chosen
        state.today = state.today.filter { entry, _ in
            guard let bar = entry.firstIndex(of: "|"), let day = LocalDate(String(entry[..<bar])) else { return false }
            return abs(date.distance(to: day)) <= keptDays
        }
        return chosen
    }

    /// `eligible` is the pool in order: tips of the school's bands, any season.
    private static func next(
        category: String, on date: LocalDate, eligible: [RotationTip], state: inout RotationState
    ) -> String? {
        let season = ClipSeason(of: date)
        // The season's own tips first: an all-year tip can wait, a summer one cannot.
        let inSeason = eligible.filter { $0.season == season } + eligible.filter { $0.season == .all }
        guard !inSeason.isEmpty else { return nil }
        let ids = Set(eligible.map(\.id))
        var played = (state.played[category] ?? []).filter(ids.contains)
        let seen = Set(played)
        if let fresh = inSeason.first(where: { !seen.contains($0.id) }) {
            played.append(fresh.id)
            state.played[category] = played
            return fresh.id
        }
        if seen.count < ids.count {
            // Out-of-season tips still owe their play: the cycle goes on, repeating the in-season tip played
            // longest ago (moved to the end, so that the next forced repeat takes another).
            let inSeasonIDs = Set(inSeason.map(\.id))
            guard let index = played.firstIndex(where: inSeasonIDs.contains) else { return nil }
            let chosen = played.remove(at: index)
            played.append(chosen)
            state.played[category] = played
            return chosen
        }
        // The whole pool has played: a new cycle, not starting with the tip just played.
        let last = played.last
        let chosen = (inSeason.first { $0.id != last } ?? inSeason[0]).id
        state.played[category] = [chosen]
        return chosen
    }
}
