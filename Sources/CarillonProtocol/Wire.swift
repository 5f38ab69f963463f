public import Foundation

/// The protocol version this build speaks. A `hello` negotiates it.
public let protocolVersion = 1

/// The default longest request line, in bytes. Longer lines are refused with `line-too-long`.
public let defaultMaxLineBytes = 64 * 1024

/// JSON coders with the wire's conventions: snake_case keys, ISO 8601 dates.
public enum Wire {
    /// An encoder for one line: compact JSON, no newline inside (strings escape theirs).
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}

/// A request id chosen by the client and echoed in the response: a number or a string.
public enum RequestID: Sendable, Hashable, Codable, CustomStringConvertible {
    case number(Int64)
    case string(String)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int64.self) {
            self = .number(number)
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .number(let n): try container.encode(n)
        case .string(let s): try container.encode(s)
        }
    }

    public var description: String {
        switch self {
        case .number(let n): "\(n)"
        case .string(let s): s
        }
    }
}

/// The part of every request that says what it is: read first, before the arguments.
public struct RequestHead: Sendable, Decodable {
    public var id: RequestID?
    public var cmd: String
}

/// A whole request: `{"id":1,"cmd":"play","args":{…}}`. `args` may be omitted when a command has none.
public struct Request<Args: Codable & Sendable>: Sendable, Codable {
    public var id: RequestID?
    public var cmd: String
    public var args: Args

    public init(id: RequestID?, cmd: String, args: Args) {
        self.id = id
        self.cmd = cmd
        self.args = args
    }

    enum CodingKeys: String, CodingKey { case id, cmd, args }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decodeIfPresent(RequestID.self, forKey: .id)
        cmd = try container.decode(String.self, forKey: .cmd)
        if let args = try container.decodeIfPresent(Args.self, forKey: .args) {
            self.args = args
        } else {
            // A command without arguments decodes them from an empty object.
            self.args = try Args(from: EmptyObjectDecoder())
        }
    }
}

/// The part of every response a client reads first.
public struct ResponseHead: Sendable, Decodable {
    public var id: RequestID?
    public var ok: Bool
    public var error: WireError?
}

/// A whole response: `{"id":1,"ok":true,"result":{…}}` or `{"id":1,"ok":false,"error":{…}}`.
public struct Response<Result: Codable & Sendable>: Sendable, Codable {
    public var id: RequestID?
    public var ok: Bool
    public var result: Result?
    public var error: WireError?

    public static func success(_ id: RequestID?, _ result: Result) -> Response {
        Response(id: id, ok: true, result: result, error: nil)
    }
}

extension Response where Result == Empty {
    /// A refusal: the request changed nothing.
    public static func failure(_ id: RequestID?, _ error: WireError) -> Response {
        Response(id: id, ok: false, result: nil, error: error)
    }
}

/// Arguments or a result with no fields: `{}`.
public struct Empty: Sendable, Codable, Hashable {
    public init() {}
}

/// Decodes a type from `{}`: for commands whose arguments are all optional.
private struct EmptyObjectDecoder: Decoder {
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] = [:]
    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(EmptyKeyed<Key>())
    }
    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw DecodingError.typeMismatch([Any].self, .init(codingPath: [], debugDescription: "expected an array"))
    }
    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        throw DecodingError.typeMismatch(Any.self, .init(codingPath: [], debugDescription: "expected a value"))
    }

    struct EmptyKeyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
        var codingPath: [any CodingKey] = []
        var allKeys: [Key] = []
        func contains(_ key: Key) -> Bool { false }
        func decodeNil(forKey key: Key) throws -> Bool { true }
        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            throw DecodingError.keyNotFound(key, .init(codingPath: [], debugDescription: "missing argument `\(key.stringValue)`"))
        }
        func nestedContainer<N: CodingKey>(keyedBy type: N.Type, forKey key: Key) throws -> KeyedDecodingContainer<N> {
            throw DecodingError.keyNotFound(key, .init(codingPath: [], debugDescription: "missing argument `\(key.stringValue)`"))
        }
        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            throw DecodingError.keyNotFound(key, .init(codingPath: [], debugDescription: "missing argument `\(key.stringValue)`"))
        }
        func superDecoder() throws -> any Decoder { EmptyObjectDecoder() }
        func superDecoder(forKey key: Key) throws -> any Decoder { EmptyObjectDecoder() }
    }
}
