public import CarillonProtocol
import NIOCore

/// What the server reads of a request line on the event loop, before the connection's task, the
/// dispatcher or any JSON decoder sees it: whether it can be a request at all, and which command it
/// names. Bytes only, no allocation but the name.
///
/// Neither answer changes what a request means: a line that passes goes to the dispatcher, which
/// decodes it whole and checks it as before. The first decides that a line that is not a JSON
/// object is refused at once; the second only decides which lane a request waits in.
@_spi(Fuzzing) public enum RequestTriage {
    /// The answer to every line that is not a JSON object, encoded once.
    static let notAnObject: [UInt8] = Dispatcher.encodeLine(
        .failure(nil, WireError(.malformedRequest, "not a request: not a JSON object")))

    /// Whether `line`, stripped of JSON whitespace, begins with `{` and ends with `}`. A line that
    /// does not cannot decode as a request (`JSONDecoder` would refuse it as well, at a hundred
    /// times the cost).
    public static func isObjectShaped(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var start = 0
        var end = bytes.count
        while start < end, isWhitespace(bytes[start]) { start += 1 }
        while end > start, isWhitespace(bytes[end - 1]) { end -= 1 }
        return end - start >= 2 && bytes[start] == UInt8(ascii: "{") && bytes[end - 1] == UInt8(ascii: "}")
    }

    static func isObjectShaped(_ line: ByteBuffer) -> Bool {
        line.withUnsafeReadableBytes { isObjectShaped($0) }
    }

    /// The value of the top-level `cmd` member if it is a string without escapes; nil otherwise.
    /// Lenient: it skips other members' values by their brackets and quotes without checking them,
    /// so a line it names a command for may still be malformed (the dispatcher says so).
    public static func commandName(_ bytes: UnsafeRawBufferPointer) -> String? {
        var index = 0
        let count = bytes.count
        func skipWhitespace() { while index < count, isWhitespace(bytes[index]) { index += 1 } }
        /// A string's contents without its quotes, as a range; nil if it has escapes or no end.
        func plainString() -> Range<Int>? {
            guard index < count, bytes[index] == UInt8(ascii: "\"") else { return nil }
            index += 1
            let start = index
            while index < count, bytes[index] != UInt8(ascii: "\"") {
                if bytes[index] == UInt8(ascii: "\\") { return nil }
                index += 1
            }
            guard index < count else { return nil }
            index += 1
            return start..<(index - 1)
        }
        /// Skips one value: a string (escapes honoured), a bracketed value, or a bare literal.
        func skipValue() -> Bool {
            var depth = 0
            var inString = false
            while index < count {
                let byte = bytes[index]
                if inString {
                    if byte == UInt8(ascii: "\\") {
                        index += 2
                        continue
                    }
                    if byte == UInt8(ascii: "\"") { inString = false }
                } else {
                    switch byte {
                    case UInt8(ascii: "\""): inString = true
                    case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                    case UInt8(ascii: "}"), UInt8(ascii: "]"):
                        if depth == 0 { return true }
                        depth -= 1
                    case UInt8(ascii: ","): if depth == 0 { return true }
                    default: break
                    }
                }
                index += 1
            }
            return false
        }
        skipWhitespace()
        guard index < count, bytes[index] == UInt8(ascii: "{") else { return nil }
        index += 1
        while true {
            skipWhitespace()
            guard let key = plainString() else { return nil }
            skipWhitespace()
            guard index < count, bytes[index] == UInt8(ascii: ":") else { return nil }
            index += 1
            skipWhitespace()
            if key.count == 3, bytes[key.lowerBound] == UInt8(ascii: "c"), bytes[key.lowerBound + 1] == UInt8(ascii: "m"),
                bytes[key.lowerBound + 2] == UInt8(ascii: "d")
            {
                guard let name = plainString() else { return nil }
                return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[name]), as: UTF8.self)
            }
            guard skipValue(), index < count, bytes[index] == UInt8(ascii: ",") else { return nil }
            index += 1
        }
    }

    static func commandName(_ line: ByteBuffer) -> String? {
        line.withUnsafeReadableBytes { commandName($0) }
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }
}
