/// A priority level: who may cut whom in a zone. Declared from lowest to highest.
public enum Level: String, Sendable, Hashable, Codable, CaseIterable, Comparable, CustomStringConvertible {
    /// Background music; ducked or cut by everything else.
    case background
    /// Scheduled tips, manual play, text read aloud.
    case announcement
    /// Scheduled and manual bells.
    case bell
    /// Live voice from a teacher.
    case shout
    /// Emergency plans and the emergency microphone.
    case emergency

    private var rank: Int {
        switch self {
        case .background: 0
        case .announcement: 1
        case .bell: 2
        case .shout: 3
        case .emergency: 4
        }
    }

    public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rank < rhs.rank }

    public var description: String { rawValue }
}
