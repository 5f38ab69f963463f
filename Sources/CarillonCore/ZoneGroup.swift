import Foundation

/// A named set of the school's zones, from `[[zone_group]]`: `初一年级` for the classrooms of grade 7.
/// Usable wherever a zone name is: requests, schedule events, plans, a caller's zone limits.
public struct ZoneGroup: Sendable, Hashable {
    public var name: String
    /// The zones, as listed, each once; never a group and never `all`.
    public var zones: [ZoneName]

    public init(name: String, zones: [ZoneName]) {
        self.name = name
        self.zones = zones
    }

    /// The longest group name, in characters.
    public static let maxNameCharacters = 64

    /// Whether `name` may name a group: 1 to 64 characters, no comma (the client splits `--zones` at
    /// commas), no control characters, no space at either end, and not `all`.
    public static func isShapedLikeName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= maxNameCharacters && name == name.trimmingCharacters(in: .whitespaces)
            && !name.contains(",") && name != ZoneName.all.rawValue
            && !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
    }
}

/// The school's zone groups, and the one place where a group name becomes its zones.
public struct ZoneGroups: Sendable, Hashable {
    /// In config order.
    public let groups: [ZoneGroup]
    private let byName: [String: [ZoneName]]

    /// Groups already checked with `problems(_:zones:)`; a later group of the same name is ignored.
    public init(_ groups: [ZoneGroup] = []) {
        self.groups = groups
        byName = Dictionary(groups.map { ($0.name, $0.zones) }, uniquingKeysWith: { first, _ in first })
    }

    public var isEmpty: Bool { groups.isEmpty }

    /// `; the zone groups are `a`, `b`` for an error message, or nothing when there are none.
    public var listed: String {
        groups.isEmpty ? "" : "; the zone groups are " + groups.map { "`\($0.name)`" }.joined(separator: ", ")
    }

    /// The zones of the group `name`, or nil when there is no such group.
    public func zones(of name: String) -> [ZoneName]? { byName[name] }

    /// Replaces each group name by its zones and keeps every other name (zones, `all`, unknown names,
    /// which the caller reports); each name comes out once, in the order first met.
    public func expand(_ names: [ZoneName]) -> [ZoneName] {
        guard !byName.isEmpty else { return names }
        var seen: Set<ZoneName> = []
        var result: [ZoneName] = []
        for name in names {
            for zone in byName[name.rawValue] ?? [name] where seen.insert(zone).inserted { result.append(zone) }
        }
        return result
    }

    /// `expand` for the wire's plain strings.
    public func expand(_ names: [String]) -> [String] {
        guard !byName.isEmpty else { return names }
        return expand(names.map { ZoneName($0) }).map(\.rawValue)
    }

    /// What is wrong with a list of groups against the school's zones, each problem with the index of
    /// its group and the key it is about (`name` or `zones`). Empty when they can be used.
    public static func problems(_ groups: [ZoneGroup], zones: [ZoneName]) -> [ZoneGroupProblem] {
        var problems: [ZoneGroupProblem] = []
        var names: Set<String> = []
        let known = zones.map(\.rawValue).joined(separator: ", ")
        for (index, group) in groups.enumerated() {
            let name = group.name
            if name.trimmingCharacters(in: .whitespaces).isEmpty {
                problems.append(.init(index, "name", "a zone group needs a name"))
            } else if name == ZoneName.all.rawValue {
                problems.append(.init(index, "name", "`all` already means every zone; name the group otherwise"))
            } else if !ZoneGroup.isShapedLikeName(name) && name.count <= ZoneGroup.maxNameCharacters {
                problems.append(
                    .init(
                        index, "name",
                        "zone group name `\(name)` must not hold a comma or control characters, nor start or end with a space"
                    ))
            } else if name.count > ZoneGroup.maxNameCharacters {
                problems.append(
                    .init(
                        index, "name",
                        "zone group name `\(name)` is longer than \(ZoneGroup.maxNameCharacters) characters"))
            } else if zones.contains(ZoneName(name)) {
                problems.append(.init(index, "name", "zone group `\(name)` has the name of a zone"))
            } else if !names.insert(name).inserted {
                problems.append(.init(index, "name", "zone group `\(name)` is declared twice"))
            }
            if group.zones.isEmpty {
                problems.append(.init(index, "zones", "zone group `\(name)` lists no zones"))
            }
            var listed: Set<ZoneName> = []
            for zone in group.zones {
                if zone == .all {
                    problems.append(
                        .init(index, "zones", "zone group `\(name)` lists `all`; list the zones themselves"))
                } else if !zones.contains(zone) {
                    let nested = groups.contains { $0.name == zone.rawValue }
                    problems.append(
                        .init(
                            index, "zones",
                            nested
                                ? "zone group `\(name)` lists the group `\(zone)`; a group lists zones only"
                                : "zone group `\(name)` lists `\(zone)`, which is not a zone; the zones are \(known)"))
                } else if !listed.insert(zone).inserted {
                    problems.append(.init(index, "zones", "zone group `\(name)` lists `\(zone)` twice"))
                }
            }
        }
        return problems
    }
}

/// One problem of a `[[zone_group]]`: which group, which key, and what is wrong.
public struct ZoneGroupProblem: Sendable, Hashable, CustomStringConvertible {
    public var index: Int
    public var key: String
    public var message: String

    public init(_ index: Int, _ key: String, _ message: String) {
        self.index = index
        self.key = key
        self.message = message
    }

    public var description: String { message }
}

extension Array where Element == ZoneName {
    /// Expands zone groups and `all`, and checks every name against the school's zones; returns them
    /// in the school's order.
    public func resolved(against known: [ZoneName], groups: ZoneGroups) throws(ZoneError) -> [ZoneName] {
        try groups.expand(self).resolved(against: known)
    }
}
