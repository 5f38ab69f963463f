public import CarillonProtocol
public import Foundation

/// The head of a request read without `JSONDecoder`. SPI for the fuzz target, which checks it
/// against `JSONDecoder`.
@_spi(Fuzzing) public struct PlainRequest: Sendable, Hashable {
    public var id: RequestID?
    public var cmd: String
}

/// Reads the commonest request shape, `{"id":7,"cmd":"status"}`, without `JSONDecoder`: two
/// decoder runs per request (the head, then the arguments) were 7 % of the daemon's CPU under
/// 100 clients asking `status`.
///
/// It accepts one JSON object whose members are only `id` (an integer that fits in Int64, a string
/// of printable ASCII without escapes, or null), `cmd` (such a string) and `args` (null or `{}`),
/// each at most once, with JSON whitespace anywhere between tokens. For every such line
/// `JSONDecoder` gives the same head and decodes arguments of type `Empty`, so the answer is the
/// same; every other line returns nil and goes through `JSONDecoder` as before, errors included.
@_spi(Fuzzing) public enum RequestScanner {
    /// The head of `line` if it has the plain shape; nil for any other line.
    public static func scan(_ line: Data) -> PlainRequest? {
        line.withUnsafeBytes { scan($0) }
    }

    static func scan(_ bytes: UnsafeRawBufferPointer) -> PlainRequest? {
        var scanner = Cursor(bytes: bytes)
        return scanner.request()
    }

    private struct Cursor {
        let bytes: UnsafeRawBufferPointer
        var index = 0

        private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

        private mutating func skipWhitespace() {
            while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
        }

        private mutating func take(_ byte: UInt8) -> Bool {
            guard current == byte else { return false }
            index += 1
            return true
        }

        private mutating func take(_ word: StaticString) -> Bool {
            let count = word.utf8CodeUnitCount
            guard bytes.count - index >= count else { return false }
            let matches = word.withUTF8Buffer { expected in
                (0..<count).allSatisfy { bytes[index + $0] == expected[$0] }
            }
            if matches { index += count }
            return matches
        }

        /// A string of printable ASCII without escapes; nil for any other string or value.
        private mutating func plainString() -> String? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = index
            while let byte = current, byte >= 0x20, byte <= 0x7E, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") {
                index += 1
            }
            let end = index
            guard take(UInt8(ascii: "\"")) else { return nil }
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
        }

        /// An integer literal of at most 18 digits (so it fits in Int64), not `-0`.
        private mutating func integer() -> Int64? {
            let negative = take(UInt8(ascii: "-"))
            guard let first = current, first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9") else { return nil }
            var value: Int64 = 0
            var digits = 0
            while let byte = current, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                // JSON forbids leading zeros.
                if digits == 1 && value == 0 { return nil }
                // Checked before the arithmetic: 18 digits always fit, a 19th could overflow and trap.
                guard digits < 18 else { return nil }
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
                digits += 1
                index += 1
            }
            if negative {
                guard value != 0 else { return nil }
                value = -value
            }
            return value
        }

        mutating func request() -> PlainRequest? {
            var id: RequestID?
            var cmd: String?
            var seenID = false
            var seenArgs = false
            skipWhitespace()
            guard take(UInt8(ascii: "{")) else { return nil }
            skipWhitespace()
            if !take(UInt8(ascii: "}")) {
                while true {
                    guard let key = plainString() else { return nil }
                    skipWhitespace()
                    guard take(UInt8(ascii: ":")) else { return nil }
                    skipWhitespace()
                    switch key {
                    case "id":
                        guard !seenID else { return nil }
                        seenID = true
                        if current == UInt8(ascii: "\"") {
                            guard let string = plainString() else { return nil }
                            id = .string(string)
                        } else if take("null") {
                            id = nil
                        } else {
                            guard let number = integer() else { return nil }
                            id = .number(number)
                        }
                    case "cmd":
                        guard cmd == nil, let name = plainString() else { return nil }
                        cmd = name
                    case "args":
                        guard !seenArgs else { return nil }
                        seenArgs = true
                        if !take("null") {
                            guard take(UInt8(ascii: "{")) else { return nil }
                            skipWhitespace()
                            guard take(UInt8(ascii: "}")) else { return nil }
                        }
                    default:
                        return nil
                    }
                    skipWhitespace()
                    if take(UInt8(ascii: ",")) {
                        skipWhitespace()
                        continue
                    }
                    guard take(UInt8(ascii: "}")) else { return nil }
                    break
                }
            }
            skipWhitespace()
            guard index == bytes.count, let cmd else { return nil }
            return PlainRequest(id: id, cmd: cmd)
        }
    }
}
