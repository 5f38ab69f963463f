import CarillonCore
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

    /// A decoder for requests and responses. Dates are ISO 8601 date-times, strictly: the day must
    /// exist and the year have four digits, where Foundation's own parser reads `2026-02-30` as
    /// March 2 and accepts five-digit years.
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = date(text) else {
                throw DecodingError.dataCorruptedError(
                    in: container,
                    debugDescription: "`\(text)` is not a date and time such as 2026-10-09T07:50:00+08:00 on a day that exists")
            }
            return date
        }
        return decoder
    }

    /// An ISO 8601 date-time, `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, whose every field is in
    /// range (a day that exists, hours to 23, an offset within ±23:59); nil otherwise. Foundation's
    /// parsers alone roll `2026-02-30` over to March 2 and `T25:00` over to the next day.
    public static func date(_ text: String) -> Date? {
        let b = Array(text.utf8)
        func number(_ at: Int, _ count: Int) -> Int? {
            guard at + count <= b.count else { return nil }
            var value = 0
            for byte in b[at..<at + count] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        func byte(_ at: Int, _ expected: Character) -> Bool { at < b.count && b[at] == expected.asciiValue }
        guard b.count >= 20, byte(4, "-"), byte(7, "-"), byte(10, "T"), byte(13, ":"), byte(16, ":"),
            let year = number(0, 4), let month = number(5, 2), let day = number(8, 2), LocalDate(year: year, month: month, day: day) != nil,
            let hour = number(11, 2), hour <= 23, let minute = number(14, 2), minute <= 59, let second = number(17, 2), second <= 59
        else { return nil }
        var k = 19
        if byte(k, ".") {
            k += 1
            let digits = k
            while k < b.count, number(k, 1) != nil { k += 1 }
            guard k > digits else { return nil }
        }
        if byte(k, "Z") {
            guard k + 1 == b.count else { return nil }
        } else {
            guard byte(k, "+") || byte(k, "-"), k + 6 == b.count, byte(k + 3, ":"), let hours = number(k + 1, 2), hours <= 23,
                let minutes = number(k + 4, 2), minutes <= 59
            else { return nil }
        }
        return try? Date(text, strategy: .iso8601)
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
