/// A stable error code. Clients match on these; the message is for people.
public enum ErrorCode: String, Sendable, Hashable, Codable, CaseIterable {
    /// The line is not a JSON object with a string `cmd`.
    case malformedRequest = "malformed-request"
    /// The line is longer than the server accepts; it was discarded unread.
    case lineTooLong = "line-too-long"
    /// No command has that name.
    case unknownCommand = "unknown-command"
    /// The arguments are missing, of the wrong type or out of range.
    case invalidArguments = "invalid-arguments"
    /// The library has no clip with that id.
    case unknownClip = "unknown-clip"
    /// The school has no zone with that name.
    case unknownZone = "unknown-zone"
    /// No play, plan or other object with that id.
    case notFound = "not-found"
    /// The caller's role does not allow the command, or the zones asked for are not theirs.
    case permissionDenied = "permission-denied"
    /// On TCP: no `auth` yet, or a wrong token. Only `hello` and `auth` are answered before it.
    case unauthenticated = "unauthenticated"
    /// Too many failed logins from this address; wait the seconds the message names.
    case rateLimited = "rate-limited"
    /// The daemon serves as many connections as it allows; try again later.
    case tooManyConnections = "too-many-connections"
    /// The clip's audio cannot be read or decoded.
    case badAudio = "bad-audio"
    /// Every zone asked for is held at the same level by a play that may not be queued behind: a shout.
    case busy = "busy"
    /// The same audio, or the same id, is already in the library.
    case duplicate = "duplicate"
    /// The outputs needed are down; see `status`.
    case outputUnavailable = "output-unavailable"
    /// The protocol versions offered in `hello` are not spoken here.
    case unsupportedProtocol = "unsupported-protocol"
    /// A bundle that is not genuine, current and for this school, or whose content does not check;
    /// the message says which. Nothing of it was applied.
    case badBundle = "bad-bundle"
    /// A bundle or schedule whose version is not above the highest this school has held.
    case staleVersion = "stale-version"
    /// The daemon failed; the request may not have been carried out.
    case `internal` = "internal"
}

/// An error reply: `{"code":"unknown-clip","message":"no clip `bell.x` in the library"}`.
public struct WireError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    public var code: ErrorCode
    public var message: String

    public init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(message) [\(code.rawValue)]" }
}
