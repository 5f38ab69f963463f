/// The name of a zone: a group of speakers wired to one output or one channel of it.
public struct ZoneName: RawRepresentable, Sendable, Hashable, Codable, Comparable, CustomStringConvertible,
    ExpressibleByStringLiteral
{
    public let rawValue: String

    /// `all` in a request means every zone of the school.
    public static let all: ZoneName = "all"

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public static func < (lhs: ZoneName, rhs: ZoneName) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { rawValue }

    /// Whether the name is usable in config and on the wire: lower-case letters, digits, `-` and `_`.
    public var isWellFormed: Bool {
        guard let first = rawValue.unicodeScalars.first, ("a"..."z").contains(first) else { return false }
        return rawValue.count <= 64
            && rawValue.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" }
    }
}

/// Why a set of requested zones cannot be resolved.
public struct ZoneError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The zones that the school does not have.
    public let unknown: [ZoneName]
    public init(unknown: [ZoneName]) { self.unknown = unknown }
    public var description: String {
        "unknown zone\(unknown.count == 1 ? "" : "s") " + unknown.map { "`\($0)`" }.joined(separator: ", ")
    }
}

extension Array where Element == ZoneName {
    /// Expands `all` and checks every name against the school's zones; returns them in the school's order.
    public func resolved(against known: [ZoneName]) throws(ZoneError) -> [ZoneName] {
        if isEmpty || contains(.all) { return known }
        let unknown = filter { !known.contains($0) }
        guard unknown.isEmpty else { throw ZoneError(unknown: unknown) }
        return known.filter { contains($0) }
    }
}
