/// What a caller may do. `viewer` < `teacher` < `leader` < `admin`; `bureau` is the education
/// bureau's account: it reads what a viewer reads, and holds the bureau's own commands.
public enum Role: String, Sendable, Hashable, Codable, CaseIterable, Comparable, CustomStringConvertible {
    /// Reads status, the library, the schedule and the play log.
    case viewer
    /// Plays clips, speaks text and shouts live, in the zones they are allowed.
    case teacher
    /// Starts and stops emergency plans and drills; stops any play.
    case leader
    /// Manages the library, the schedule, backups and the audit log.
    case admin
    /// Pushes signed bundles and pulls statistics.
    case bureau

    /// Whether a caller with this role may run a command that requires `required`.
    ///
    /// `admin` may do everything; `bureau` may do what a viewer may and its own commands.
    public func permits(_ required: Role) -> Bool {
        switch (self, required) {
        case (.admin, _): true
        case (.bureau, .bureau), (.bureau, .viewer): true
        case (.bureau, _), (_, .bureau): false
        default: rank >= required.rank
        }
    }

    private var rank: Int {
        switch self {
        case .viewer: 0
        case .teacher: 1
        case .leader: 2
        case .admin: 3
        case .bureau: 0
        }
    }

    /// Orders by what the role may do, for "the highest role wins"; `bureau` sorts with `viewer`,
    /// after it, since it permits neither teacher's nor leader's commands.
    public static func < (lhs: Role, rhs: Role) -> Bool {
        lhs.rank != rhs.rank ? lhs.rank < rhs.rank : (lhs == .viewer && rhs == .bureau)
    }

    public var description: String { rawValue }
}
