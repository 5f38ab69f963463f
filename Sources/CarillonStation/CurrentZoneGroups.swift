import CarillonCore
import Synchronization

/// The school's zone groups as the running config has them, readable from any thread: the command
/// table expands group names with it before zone limits are checked. Replaced whole on reload.
final class CurrentZoneGroups: Sendable {
    private let groups: Mutex<ZoneGroups>

    init(_ groups: ZoneGroups) { self.groups = Mutex(groups) }

    func set(_ new: ZoneGroups) { groups.withLock { $0 = new } }

    /// `ZoneGroups.expand` with the groups of now.
    func expand(_ names: [String]) -> [String] { groups.withLock { $0.expand(names) } }
}
