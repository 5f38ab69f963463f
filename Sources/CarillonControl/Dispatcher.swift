public import CarillonProtocol
public import Foundation

/// One command of the table: its wire name, the role it needs, whether it is audited, and its
/// handler. Permission, argument decoding and zone limits are checked here, before any handler runs.
public struct CommandSpec: Sendable {
    public let name: String
    /// The least role that may run it; nil for `hello`, which anyone may send, even before `auth`.
    public let role: Role?
    /// State-changing commands are written to the audit log, refusals included.
    public let audited: Bool
    /// Turns zone group names into their zones before the caller's zone limits are checked; set by
    /// `expandingZones(with:)`.
    var expandZones: ZoneExpander?
    /// Its requests are read and run ahead of ordinary ones on the control socket; set by
    /// `inEmergencyLane()`. Scheduling only: its role and arguments are checked as any command's.
    public private(set) var isEmergency = false
    let run: @Sendable (_ line: Data, _ head: ParsedHead, _ session: any ControlSession, _ audit: Auditor, _ expand: ZoneExpander?) async -> Dispatcher.Answer

    init(
        name: String, role: Role?, audited: Bool,
        run: @escaping @Sendable (Data, ParsedHead, any ControlSession, Auditor, ZoneExpander?) async -> Dispatcher.Answer
    ) {
        self.name = name
        self.role = role
        self.audited = audited
        self.run = run
    }

    /// The command with zone group names in its arguments' `zones` replaced by their zones (see
    /// `ZoneTargeting`), so that zone limits and handlers see zones only, whichever transport it came by.
    public func expandingZones(with expand: @escaping ZoneExpander) -> CommandSpec {
        var spec = self
        spec.expandZones = expand
        return spec
    }

    /// The command with its requests in the emergency lane: a connection's task serving one runs
    /// ahead of the other connections' ordinary work on its event loop (see `LoopLanes`).
    public func inEmergencyLane() -> CommandSpec {
        var spec = self
        spec.isEmergency = true
        return spec
    }

    /// Declares a command whose arguments decode as `A` and whose result encodes as `R`.
    public static func command<A: Codable & Sendable, R: Codable & Sendable>(
        _ name: CommandName, role: Role?, audited: Bool = false, arguments: A.Type,
        handler: @escaping @Sendable (A, Peer) async throws(WireError) -> R
    ) -> CommandSpec {
        CommandSpec(name: name.rawValue, role: role, audited: audited) { line, head, session, audit, expand in
            let peer = session.peer
            let id = head.id
            let args: A
            switch await admitted(
                A.self, line: line, head: head, name: name, role: role, audited: audited, peer: peer, audit: audit, expand: expand)
            {
            case .success(let admitted): args = admitted
            case .failure(let refusal): return Dispatcher.Answer(reply: refusal.reply, isBadLine: true)
            }
            let outcome: Result<R, WireError>
            do throws(WireError) { outcome = .success(try await handler(args, peer)) } catch { outcome = .failure(error) }
            if audited { await audit(peer, name.rawValue, Dispatcher.json(args), outcome.map { Optional(Dispatcher.json($0)) }) }
            switch outcome {
            case .success(let result): return Dispatcher.Answer(reply: Dispatcher.encodeLine(Response.success(id, result)))
            case .failure(let error): return Dispatcher.Answer(reply: Dispatcher.encodeLine(.failure(id, error)))
            }
        }
    }

    /// Declares a command that takes the connection over, as `events` and `shout` do: the handler
    /// answers through `session.accept` and then streams; a refusal before that is answered for it.
    public static func stream<A: Codable & Sendable>(
        _ name: CommandName, role: Role, audited: Bool = false, arguments: A.Type,
        handler: @escaping @Sendable (A, any ControlSession) async throws(WireError) -> Void
    ) -> CommandSpec {
        CommandSpec(name: name.rawValue, role: role, audited: audited) { line, head, session, audit, expand in
            let peer = session.peer
            let id = head.id
            let args: A
            switch await admitted(
                A.self, line: line, head: head, name: name, role: role, audited: audited, peer: peer, audit: audit, expand: expand)
            {
            case .success(let admitted): args = admitted
            case .failure(let refusal): return Dispatcher.Answer(reply: refusal.reply, isBadLine: true)
            }
            session.begin(id)
            do throws(WireError) {
                try await handler(args, session)
                if audited { await audit(peer, name.rawValue, Dispatcher.json(args), .success(nil)) }
                return Dispatcher.Answer(reply: nil)
            } catch {
                if audited { await audit(peer, name.rawValue, Dispatcher.json(args), .failure(error)) }
                // Refused before it was accepted: the refusal is the answer.
                return Dispatcher.Answer(reply: session.wasAccepted ? nil : Dispatcher.encodeLine(.failure(id, error)))
            }
        }
    }

    /// A refusal before the handler ran: the response line to send.
    struct Refusal: Error { let reply: [UInt8] }

    /// Runs `admit`, and turns its refusal into the response line, audited when the command is.
    static func admitted<A: Codable & Sendable>(
        _ type: A.Type, line: Data, head: ParsedHead, name: CommandName, role: Role?, audited: Bool, peer: Peer,
        audit: Auditor, expand: ZoneExpander?
    ) async -> Result<A, Refusal> {
        do throws(WireError) {
            return .success(try admit(A.self, line: line, head: head, command: name.rawValue, role: role, peer: peer, expand: expand))
        } catch {
            if audited { await audit(peer, name.rawValue, "{}", .failure(error)) }
            return .failure(Refusal(reply: Dispatcher.encodeLine(.failure(head.id, error))))
        }
    }

    /// The checks every command passes, in this order: who may run it, its arguments, its zones.
    static func admit<A: Codable & Sendable>(
        _ type: A.Type, line: Data, head: ParsedHead, command: String, role: Role?, peer: Peer, expand: ZoneExpander? = nil
    ) throws(WireError) -> A {
        if let role {
            guard let identity = peer.identity else {
                throw WireError(.unauthenticated, "send `auth` with your token first")
            }
            guard identity.role.permits(role) else {
                throw WireError(.permissionDenied, "`\(command)` needs the \(role) role; \(identity.name) is \(identity.role)")
            }
        }
        var args: A
        if head.isPlain, let empty = Empty() as? A {
            // A plain line's `args` is absent, null or `{}`: JSONDecoder would give `Empty()` too.
            args = empty
        } else {
            do { args = try Wire.decoder().decode(Request<A>.self, from: line).args } catch {
                throw WireError(.invalidArguments, Dispatcher.explain(error))
            }
        }
        if let expand, var scoped = args as? any ZoneTargeting, let zones = scoped.zones {
            scoped.zones = expand(zones)
            if let expanded = scoped as? A { args = expanded }
        }
        if let allowed = peer.identity?.zones, var scoped = args as? any ZoneTargeting {
            let asked = scoped.zones ?? ["all"]
            if asked == ["all"] {
                scoped.zones = allowed
            } else if let outside = asked.first(where: { !allowed.contains($0) }) {
                throw WireError(
                    .permissionDenied,
                    "\(peer.name) may use zones \(allowed.joined(separator: ", ")) only, not `\(outside)`")
            }
            // The cast back cannot fail: `scoped` is `args` with its zones narrowed.
            if let narrowed = scoped as? A { args = narrowed }
        }
        return args
    }
}

/// What the dispatcher read of a request line before its command runs.
struct ParsedHead: Sendable {
    var id: RequestID?
    /// The line was read by `RequestScanner`: only `id`, `cmd`, and `args` absent, null or `{}`.
    var isPlain: Bool
}

/// Replaces zone group names by their zones; other names pass through unchanged. Called on any thread.
public typealias ZoneExpander = @Sendable ([String]) -> [String]

/// Writes one audit entry: who, the command, its arguments as JSON, and its result as JSON or its error.
public typealias Auditor = @Sendable (Peer, String, String, Result<String?, WireError>) async -> Void

/// Turns request lines into response lines through the command table. Knows no transport.
public struct Dispatcher: Sendable {
    private let commands: [String: CommandSpec]
    private let audit: Auditor

    /// - Parameter audit: receives every audited command, after its handler ran.
    public init(_ commands: [CommandSpec], audit: @escaping Auditor = { _, _, _, _ in }) {
        self.commands = Dictionary(commands.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.audit = audit
    }

    /// The command names, for docs checks.
    public var names: [String] { commands.keys.sorted() }

    /// Each command's required role (nil: anyone), for docs checks and the permission matrix.
    public var roles: [String: Role?] { commands.mapValues(\.role) }

    /// The commands that change state: the audited ones. The console asks its CSRF token of these.
    public var stateChanging: Set<String> { Set(commands.values.filter(\.audited).map(\.name)) }

    /// The commands in the emergency lane.
    public var emergency: Set<String> { Set(commands.values.filter(\.isEmergency).map(\.name)) }

    /// The success line a streaming command's `accept` sends, for transports of other modules.
    public static func acceptance<R: Encodable & Sendable>(_ id: RequestID?, _ result: R) -> Data {
        Data(encodeLine(Response.success(id, AnyEncodable(result))))
    }

    /// Answers one request line; nil when a streaming command wrote its own replies.
    public func respond(to line: Data, session: any ControlSession) async -> Data? {
        await reply(to: line, session: session).map { Data($0) }
    }

    /// Answers one request line with the response line's bytes, without its newline; nil when a
    /// streaming command wrote its own replies.
    func reply(to line: Data, session: any ControlSession) async -> [UInt8]? {
        await answer(to: line, session: session).reply
    }

    /// A response line, and whether the request was refused before any command ran.
    struct Answer: Sendable {
        /// Nil when a streaming command wrote its own replies.
        var reply: [UInt8]?
        /// Malformed, an unknown command, or refused by the checks every command passes (role,
        /// arguments, zones): it counts against the connection's bad-line budget.
        var isBadLine = false
    }

    /// Answers one request line; see `reply(to:session:)`.
    func answer(to line: Data, session: any ControlSession) async -> Answer {
        let name: String
        let head: ParsedHead
        if !line.withUnsafeBytes(RequestTriage.isObjectShaped) {
            return Answer(reply: RequestTriage.notAnObject, isBadLine: true)
        }
        if let plain = RequestScanner.scan(line) {
            name = plain.cmd
            head = ParsedHead(id: plain.id, isPlain: true)
        } else {
            do {
                let decoded = try Wire.decoder().decode(RequestHead.self, from: line)
                name = decoded.cmd
                head = ParsedHead(id: decoded.id, isPlain: false)
            } catch {
                let id = try? Wire.decoder().decode(IDOnly.self, from: line).id
                return Answer(
                    reply: Self.encodeLine(.failure(id, WireError(.malformedRequest, "not a request: \(Self.explain(error))"))),
                    isBadLine: true)
            }
        }
        guard let command = commands[name] else {
            // Before `auth`, a TCP client learns nothing, not even which commands exist.
            if session.peer.identity == nil {
                return Answer(
                    reply: Self.encodeLine(.failure(head.id, WireError(.unauthenticated, "send `auth` with your token first"))),
                    isBadLine: true)
            }
            return Answer(
                reply: Self.encodeLine(.failure(head.id, WireError(.unknownCommand, "unknown command `\(name)`"))), isBadLine: true)
        }
        return await command.run(line, head, session, audit, command.expandZones)
    }

    /// Answers one line for a peer that cannot stream: for tests and tools.
    public func respond(to line: Data, from peer: Peer) async -> Data {
        await respond(to: line, session: DetachedSession(peer: peer))
            ?? Self.encode(.failure(nil, WireError(.internal, "a streaming command needs a connection")))
    }

    /// The reply to a line over the limit.
    public static func overlongReply(limit: Int) -> Data {
        Data(overlongLine(limit: limit))
    }

    static func overlongLine(limit: Int) -> [UInt8] {
        encodeLine(.failure(nil, WireError(.lineTooLong, "request line longer than \(limit) bytes; discarded")))
    }

    /// One response line, without its newline.
    public static func encode<R>(_ response: Response<R>) -> Data {
        Data(encodeLine(response))
    }

    /// One response line's bytes, without its newline.
    static func encodeLine<R>(_ response: Response<R>) -> [UInt8] {
        if let bytes = WireJSON.encode(response) { return bytes }
        // Encoding our own Codable values cannot fail; fall back to a fixed line rather than crash.
        return (try? Wire.encoder().encode(response)).map { Array($0) }
            ?? Array(#"{"ok":false,"error":{"code":"internal","message":"cannot encode the response"}}"#.utf8)
    }

    /// `value` as `Wire.encoder()` writes it.
    static func wireJSON<T: Encodable>(_ value: T) throws -> [UInt8] {
        if let bytes = WireJSON.encode(value) { return bytes }
        return Array(try Wire.encoder().encode(value))
    }

    static func json<T: Encodable>(_ value: T) -> String {
        (try? wireJSON(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// A short, human explanation of a JSON decoding failure.
    static func explain(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return keys.isEmpty ? "" : " at `\(keys.joined(separator: "."))`"
        }
        switch error {
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "invalid JSON" : "invalid value\(path(context))"
        case .keyNotFound(let key, let context):
            return "missing `\(key.stringValue)`\(path(context))"
        case .typeMismatch(let type, let context):
            return "expected \(Self.typeName(type))\(path(context))"
        case .valueNotFound(let type, let context):
            return "expected \(Self.typeName(type))\(path(context)), found null"
        @unknown default:
            return "invalid request"
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type: "an integer"
        case is Double.Type: "a number"
        case is Bool.Type: "a boolean"
        case is [String].Type: "an array of strings"
        default: "a \(type)"
        }
    }

    private struct IDOnly: Decodable { var id: RequestID? }
}

/// The connection as a command sees it: who is there, and, for streaming commands, the lines in
/// both directions. One task drives a session at a time; `writer` may be used from any task.
public protocol ControlSession: AnyObject {
    var peer: Peer { get set }
    /// Writes lines from any task, in order with the session's own writes.
    var writer: LineWriter { get }
    /// Marks the start of a streaming command answering request `id`.
    func begin(_ id: RequestID?)
    /// Whether `accept` was called for the current streaming command.
    var wasAccepted: Bool { get }
    /// Answers the streaming command's request with success; its stream follows.
    func accept<R: Encodable & Sendable>(_ result: R) async throws(WireError)
    /// The next line the client sent, nil once it closed; an over-long line is an error.
    func nextLine() async throws(WireError) -> Data?
}

/// Writes whole lines to one connection; safe from any task.
public struct LineWriter: Sendable {
    let write: @Sendable (Data) async throws -> Void
    /// Closes the connection, e.g. when a shout's stream times out.
    public let close: @Sendable () -> Void

    public init(write: @escaping @Sendable (Data) async throws -> Void, close: @escaping @Sendable () -> Void) {
        self.write = write
        self.close = close
    }

    /// Writes one value as one JSON line.
    public func send<T: Encodable>(_ value: T) async throws {
        try await write(Data(try Dispatcher.wireJSON(value)))
    }
}

/// A session with no connection behind it: streaming commands are refused.
final class DetachedSession: ControlSession {
    var peer: Peer
    init(peer: Peer) { self.peer = peer }
    var writer: LineWriter { LineWriter(write: { _ in throw WireError(.internal, "no connection") }, close: {}) }
    func begin(_ id: RequestID?) {}
    var wasAccepted: Bool { false }
    func accept<R: Encodable & Sendable>(_ result: R) async throws(WireError) {
        throw WireError(.internal, "a streaming command needs a connection")
    }
    func nextLine() async throws(WireError) -> Data? { nil }
}
