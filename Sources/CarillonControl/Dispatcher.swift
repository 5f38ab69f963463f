public import CarillonProtocol
public import Foundation

/// One command of the table: its wire name and its handler, which takes and returns JSON.
public struct CommandSpec: Sendable {
    public let name: String
    let run: @Sendable (_ line: Data, _ id: RequestID?, _ peer: Peer) async -> Data

    /// Declares a command whose arguments decode as `A` and whose result encodes as `R`.
    public static func command<A: Codable & Sendable, R: Codable & Sendable>(
        _ name: CommandName, arguments: A.Type,
        handler: @escaping @Sendable (A, Peer) async throws(WireError) -> R
    ) -> CommandSpec {
        CommandSpec(name: name.rawValue) { line, id, peer in
            let request: Request<A>
            do {
                request = try Wire.decoder().decode(Request<A>.self, from: line)
            } catch {
                return Dispatcher.encode(.failure(id, WireError(.invalidArguments, Dispatcher.explain(error))))
            }
            do throws(WireError) {
                let result = try await handler(request.args, peer)
                return Dispatcher.encode(Response.success(id, result))
            } catch {
                return Dispatcher.encode(.failure(id, error))
            }
        }
    }
}

/// Turns request lines into response lines through the command table. Knows no transport.
public struct Dispatcher: Sendable {
    private let commands: [String: CommandSpec]

    public init(_ commands: [CommandSpec]) {
        self.commands = Dictionary(commands.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The command names, for docs checks.
    public var names: [String] { commands.keys.sorted() }

    /// Answers one request line with one response line (without its newline).
    public func respond(to line: Data, from peer: Peer) async -> Data {
        let head: RequestHead
        do {
            head = try Wire.decoder().decode(RequestHead.self, from: line)
        } catch {
            let id = try? Wire.decoder().decode(IDOnly.self, from: line).id
            return Self.encode(.failure(id, WireError(.malformedRequest, "not a request: \(Self.explain(error))")))
        }
        guard let command = commands[head.cmd] else {
            return Self.encode(.failure(head.id, WireError(.unknownCommand, "unknown command `\(head.cmd)`")))
        }
        return await command.run(line, head.id, peer)
    }

    /// The reply to a line over the limit.
    public static func overlongReply(limit: Int) -> Data {
        encode(.failure(nil, WireError(.lineTooLong, "request line longer than \(limit) bytes; discarded")))
    }

    static func encode<R>(_ response: Response<R>) -> Data {
        // Encoding our own Codable values cannot fail; fall back to a fixed line rather than crash.
        (try? Wire.encoder().encode(response))
            ?? Data(#"{"ok":false,"error":{"code":"internal","message":"cannot encode the response"}}"#.utf8)
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
