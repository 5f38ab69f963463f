// A recursive-descent TOML 1.0 parser over UTF-8 bytes. Tables stay mutable (`ParsedTable`) while the
// document is read so the redefinition rules can be checked, and become `TOMLTable` values at the end.

/// A table under construction, with how it came to exist (which decides what may still extend it).
final class ParsedTable {
    enum Origin {
        /// Created as a super-table of a header (`a` in `[a.b]`); may later get its own `[a]` header once.
        case implicit
        /// Defined by a `[header]` or as an element of `[[header]]`; closed to dotted keys from elsewhere.
        case header
        /// Created by a dotted key (`a` in `a.b = 1`); headers may add sub-tables but not redefine it.
        case dotted
        /// An inline table being read; frozen into a `TOMLTable` when its `}` is reached.
        case inline
    }

    var origin: Origin
    var position: TOMLPosition
    let depth: Int
    var entries: [ParsedEntry] = []
    var indexByKey: [String: Int] = [:]

    init(origin: Origin, position: TOMLPosition, depth: Int) {
        self.origin = origin
        self.position = position
        self.depth = depth
    }

    func append(_ key: String, _ keyPosition: TOMLPosition, _ value: ParsedValue) {
        indexByKey[key] = entries.count
        entries.append(ParsedEntry(key: key, keyPosition: keyPosition, value: value))
    }
}

/// An array created by `[[header]]`, to which later headers append.
final class ParsedTableArray {
    let position: TOMLPosition
    var tables: [ParsedTable]

    init(position: TOMLPosition, first: ParsedTable) {
        self.position = position
        self.tables = [first]
    }
}

enum ParsedValue {
    /// A finished value: a scalar, a static array or an inline table. Immutable.
    case node(TOMLNode)
    case table(ParsedTable)
    case tableArray(ParsedTableArray)
}

struct ParsedEntry {
    var key: String
    var keyPosition: TOMLPosition
    var value: ParsedValue
}

/// One part of a possibly dotted key, with the offset of its first byte.
struct KeyPart {
    let name: String
    let offset: Int
}

private enum Byte {
    static let tab: UInt8 = 0x09
    static let lineFeed: UInt8 = 0x0A
    static let carriageReturn: UInt8 = 0x0D
    static let space: UInt8 = 0x20
    static let quote = UInt8(ascii: "\"")
    static let apostrophe = UInt8(ascii: "'")
    static let hash = UInt8(ascii: "#")
    static let backslash = UInt8(ascii: "\\")
    static let dot = UInt8(ascii: ".")
    static let comma = UInt8(ascii: ",")
    static let equals = UInt8(ascii: "=")
    static let colon = UInt8(ascii: ":")
    static let plus = UInt8(ascii: "+")
    static let minus = UInt8(ascii: "-")
    static let underscore = UInt8(ascii: "_")
    static let openBracket = UInt8(ascii: "[")
    static let closeBracket = UInt8(ascii: "]")
    static let openBrace = UInt8(ascii: "{")
    static let closeBrace = UInt8(ascii: "}")
    static let zero = UInt8(ascii: "0")
    static let nine = UInt8(ascii: "9")
}

private func isDigit(_ byte: UInt8) -> Bool { byte >= Byte.zero && byte <= Byte.nine }

private func isLetter(_ byte: UInt8) -> Bool {
    (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
}

/// Control characters TOML forbids in comments and strings (tab is allowed; newlines are handled separately).
private func isForbiddenControl(_ byte: UInt8) -> Bool {
    (byte < 0x20 && byte != Byte.tab) || byte == 0x7F
}

/// Bytes that can continue a number, boolean or date-time token.
private func isTokenByte(_ byte: UInt8) -> Bool {
    isDigit(byte) || isLetter(byte) || byte == Byte.underscore || byte == Byte.plus || byte == Byte.minus
        || byte == Byte.dot || byte == Byte.colon
}

private func hexValue(_ byte: UInt8) -> UInt32? {
    switch byte {
    case Byte.zero...Byte.nine: UInt32(byte - Byte.zero)
    case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
    case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
    default: nil
    }
}

private func appendUTF8(_ scalar: UInt32, to buffer: inout [UInt8]) {
    switch scalar {
    case 0..<0x80:
        buffer.append(UInt8(scalar))
    case 0x80..<0x800:
        buffer.append(UInt8(0xC0 | (scalar >> 6)))
        buffer.append(UInt8(0x80 | (scalar & 0x3F)))
    case 0x800..<0x10000:
        buffer.append(UInt8(0xE0 | (scalar >> 12)))
        buffer.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
        buffer.append(UInt8(0x80 | (scalar & 0x3F)))
    default:
        buffer.append(UInt8(0xF0 | (scalar >> 18)))
        buffer.append(UInt8(0x80 | ((scalar >> 12) & 0x3F)))
        buffer.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
        buffer.append(UInt8(0x80 | (scalar & 0x3F)))
    }
}

private func daysInMonth(_ month: Int, year: Int) -> Int {
    switch month {
    case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
    case 4, 6, 9, 11: 30
    default: 31
    }
}

struct Parser {
    /// Tables and arrays may nest this deep; deeper input is rejected instead of exhausting the stack.
    static let maxDepth = 128

    private let bytes: [UInt8]
    private let file: String
    private var i = 0
    private var lines: LineMap
    private let root: ParsedTable
    private var current: ParsedTable
    private var currentPath: [String] = []

    init(bytes: [UInt8], file: String) {
        self.bytes = bytes
        self.file = file
        self.lines = LineMap(bytes)
        self.root = ParsedTable(origin: .header, position: .start, depth: 0)
        self.current = root
    }

    // MARK: Document structure

    mutating func parseDocument() throws(TOMLError) -> TOMLTable {
        while true {
            skipSpaces()
            guard i < bytes.count else { break }
            switch bytes[i] {
            case Byte.hash:
                try skipComment()
            case Byte.lineFeed, Byte.carriageReturn:
                try consumeNewline()
            case Byte.openBracket:
                try parseHeader()
                try expectEndOfLine(after: "the table header")
            default:
                try parseKeyValue(into: current, path: currentPath)
                try expectEndOfLine(after: "the value")
            }
        }
        return Parser.build(root)
    }

    private mutating func skipSpaces() {
        while i < bytes.count && (bytes[i] == Byte.space || bytes[i] == Byte.tab) { i += 1 }
    }

    /// Skips a comment up to, not including, its newline.
    private mutating func skipComment() throws(TOMLError) {
        i += 1
        while i < bytes.count {
            let byte = bytes[i]
            if byte == Byte.lineFeed { return }
            if byte == Byte.carriageReturn {
                if i + 1 < bytes.count && bytes[i + 1] == Byte.lineFeed { return }
                throw error(at: i, "a carriage return must be followed by a line feed")
            }
            if isForbiddenControl(byte) {
                throw error(at: i, "\(describe(i)) is not allowed in a comment")
            }
            i += 1
        }
    }

    private mutating func consumeNewline() throws(TOMLError) {
        if bytes[i] == Byte.lineFeed {
            i += 1
        } else if i + 1 < bytes.count && bytes[i + 1] == Byte.lineFeed {
            i += 2
        } else {
            throw error(at: i, "a carriage return must be followed by a line feed")
        }
    }

    private mutating func expectEndOfLine(after what: String) throws(TOMLError) {
        skipSpaces()
        guard i < bytes.count else { return }
        switch bytes[i] {
        case Byte.hash:
            try skipComment()
            if i < bytes.count { try consumeNewline() }
        case Byte.lineFeed, Byte.carriageReturn:
            try consumeNewline()
        default:
            throw error(at: i, "expected a newline after \(what), found \(describe(i))")
        }
    }

    /// Skips whitespace, comments and newlines between array elements.
    private mutating func skipArrayTrivia() throws(TOMLError) {
        while true {
            skipSpaces()
            guard i < bytes.count else { return }
            switch bytes[i] {
            case Byte.hash: try skipComment()
            case Byte.lineFeed, Byte.carriageReturn: try consumeNewline()
            default: return
            }
        }
    }

    // MARK: Keys

    private mutating func parseKey() throws(TOMLError) -> [KeyPart] {
        var parts: [KeyPart] = []
        while true {
            skipSpaces()
            let start = i
            guard i < bytes.count else { throw error(at: i, "expected a key, found end of file") }
            let byte = bytes[i]
            let name: String
            if isBareKeyByte(byte) {
                while i < bytes.count && isBareKeyByte(bytes[i]) { i += 1 }
                name = decode(start, i)
            } else if byte == Byte.quote || byte == Byte.apostrophe {
                if isTripleQuote(at: i) {
                    throw error(at: i, "expected a key, found a multi-line string; keys must be bare or single-line strings")
                }
                name = byte == Byte.quote ? try parseBasicString() : try parseLiteralString()
            } else {
                var message = "expected a key, found \(describe(i))"
                if byte >= 0x80 { message += "; keys with non-ASCII characters must be quoted" }
                throw error(at: i, message)
            }
            parts.append(KeyPart(name: name, offset: start))
            skipSpaces()
            guard i < bytes.count && bytes[i] == Byte.dot else { return parts }
            i += 1
        }
    }

    private mutating func parseKeyValue(into table: ParsedTable, path: [String]) throws(TOMLError) {
        let parts = try parseKey()
        guard i < bytes.count && bytes[i] == Byte.equals else {
            let key = TOML.formatKeyPath(parts.map(\.name))
            throw error(at: i, "expected `=` after the key `\(key)`, found \(describe(i))")
        }
        i += 1
        skipSpaces()

        // Key paths are only needed for messages and nested inline tables, so they are built lazily.
        var target = table
        for index in 0..<parts.count - 1 {
            target = try descendForDottedKey(from: target, parts, index, under: path)
        }
        let last = parts[parts.count - 1]
        if let existing = target.indexByKey[last.name] {
            let name = keyPath(path, parts, through: parts.count - 1)
            throw error(
                at: last.offset,
                "duplicate key `\(name)`: it is already defined at \(target.entries[existing].keyPosition.prose)")
        }
        let keyPosition = position(last.offset)
        let opensCollection = i < bytes.count && (bytes[i] == Byte.openBrace || bytes[i] == Byte.openBracket)
        let valuePath = opensCollection ? path + parts.map(\.name) : path
        let node = try parseValue(path: valuePath, depth: target.depth + 1)
        target.append(last.name, keyPosition, .node(node))
    }

    /// The formatted key path of `base` followed by `parts[0...index]`.
    private func keyPath(_ base: [String], _ parts: [KeyPart], through index: Int) -> String {
        TOML.formatKeyPath(base + parts[0...index].map(\.name))
    }

    /// Follows or creates the table named by `parts[index]`, a non-final part of a dotted key.
    private mutating func descendForDottedKey(
        from table: ParsedTable, _ parts: [KeyPart], _ index: Int, under base: [String]
    ) throws(TOMLError) -> ParsedTable {
        let part = parts[index]
        if let existing = table.indexByKey[part.name] {
            switch table.entries[existing].value {
            case .table(let sub) where sub.origin == .dotted:
                return sub
            case .table(let sub):
                let how = sub.origin == .implicit ? "created by the header" : "defined by its own header"
                throw error(
                    at: part.offset,
                    "cannot add keys to table `\(keyPath(base, parts, through: index))` with a dotted key here: "
                        + "it was \(how) at \(sub.position.prose); keys of a table must be written under its own header")
            case .tableArray(let array):
                let name = keyPath(base, parts, through: index)
                throw error(
                    at: part.offset,
                    "cannot add keys to `\(name)` with a dotted key: it is an array of tables defined at "
                        + "\(array.position.prose); use a [[\(name)]] header")
            case .node(let node):
                throw error(at: part.offset, conflictMessage(keyPath(base, parts, through: index), node))
            }
        }
        try checkDepth(table.depth + 1, at: part.offset)
        let sub = ParsedTable(origin: .dotted, position: position(part.offset), depth: table.depth + 1)
        table.append(part.name, sub.position, .table(sub))
        return sub
    }

    /// Describes why an existing finished value cannot be used as a table.
    private func conflictMessage(_ name: String, _ node: TOMLNode) -> String {
        if case .table = node.value {
            return "cannot add keys to inline table `\(name)` defined at \(node.position.prose): inline tables are complete where they are written"
        }
        return "cannot use `\(name)` as a table: it is already defined as \(node.typeDescription) at \(node.position.prose)"
    }

    // MARK: Table headers

    private mutating func parseHeader() throws(TOMLError) {
        let start = i
        let headerPosition = position(start)
        let isArray = i + 1 < bytes.count && bytes[i + 1] == Byte.openBracket
        i += isArray ? 2 : 1
        let parts = try parseKey()
        let closing = isArray ? "`]]` to close the array-of-tables header" : "`]` to close the table header"
        guard i < bytes.count && bytes[i] == Byte.closeBracket else {
            throw error(at: i, "expected \(closing), found \(describe(i))")
        }
        i += 1
        if isArray {
            guard i < bytes.count && bytes[i] == Byte.closeBracket else {
                throw error(at: i, "expected \(closing), found \(describe(i))")
            }
            i += 1
        }

        var table = root
        var path: [String] = []
        for part in parts.dropLast() {
            path.append(part.name)
            table = try descendForHeader(from: table, part, path: path, headerPosition: headerPosition)
        }
        let last = parts[parts.count - 1]
        path.append(last.name)
        if isArray {
            current = try appendArrayTable(in: table, last, path: path, headerPosition: headerPosition)
        } else {
            current = try defineTable(in: table, last, path: path, headerPosition: headerPosition)
        }
        currentPath = path
    }

    /// Follows or creates a super-table named in a header; arrays of tables lead to their last element.
    private mutating func descendForHeader(
        from table: ParsedTable, _ part: KeyPart, path: [String], headerPosition: TOMLPosition
    ) throws(TOMLError) -> ParsedTable {
        if let index = table.indexByKey[part.name] {
            switch table.entries[index].value {
            case .table(let sub): return sub
            case .tableArray(let array): return array.tables[array.tables.count - 1]
            case .node(let node): throw error(at: part.offset, conflictMessage(TOML.formatKeyPath(path), node))
            }
        }
        try checkDepth(table.depth + 1, at: part.offset)
        let sub = ParsedTable(origin: .implicit, position: headerPosition, depth: table.depth + 1)
        table.append(part.name, headerPosition, .table(sub))
        return sub
    }

    private mutating func defineTable(
        in parent: ParsedTable, _ part: KeyPart, path: [String], headerPosition: TOMLPosition
    ) throws(TOMLError) -> ParsedTable {
        func name() -> String { TOML.formatKeyPath(path) }  // only for messages
        if let index = parent.indexByKey[part.name] {
            switch parent.entries[index].value {
            case .table(let table):
                switch table.origin {
                case .implicit:
                    table.origin = .header
                    table.position = headerPosition
                    parent.entries[index].keyPosition = headerPosition
                    return table
                case .header, .inline:
                    throw error(at: part.offset, "table `\(name())` is already defined at \(table.position.prose)")
                case .dotted:
                    throw error(
                        at: part.offset, "table `\(name())` is already defined by dotted keys at \(table.position.prose)")
                }
            case .tableArray(let array):
                throw error(
                    at: part.offset,
                    "cannot define `\(name())` as a table: it is already an array of tables defined at "
                        + "\(array.position.prose); use [[\(name())]] to add an element")
            case .node(let node):
                if case .table = node.value {
                    throw error(
                        at: part.offset, "table `\(name())` is already defined as an inline table at \(node.position.prose)")
                }
                throw error(
                    at: part.offset,
                    "cannot define `\(name())` as a table: it is already defined as \(node.typeDescription) at \(node.position.prose)")
            }
        }
        try checkDepth(parent.depth + 1, at: part.offset)
        let table = ParsedTable(origin: .header, position: headerPosition, depth: parent.depth + 1)
        parent.append(part.name, headerPosition, .table(table))
        return table
    }

    private mutating func appendArrayTable(
        in parent: ParsedTable, _ part: KeyPart, path: [String], headerPosition: TOMLPosition
    ) throws(TOMLError) -> ParsedTable {
        func name() -> String { TOML.formatKeyPath(path) }  // only for messages
        try checkDepth(parent.depth + 1, at: part.offset)
        let element = ParsedTable(origin: .header, position: headerPosition, depth: parent.depth + 1)
        if let index = parent.indexByKey[part.name] {
            switch parent.entries[index].value {
            case .tableArray(let array):
                array.tables.append(element)
                return element
            case .table(let table):
                let how = table.origin == .dotted ? "by dotted keys " : ""
                throw error(
                    at: part.offset,
                    "cannot define `\(name())` as an array of tables: it is already defined as a table \(how)at \(table.position.prose)")
            case .node(let node):
                if case .array = node.value {
                    throw error(
                        at: part.offset,
                        "cannot append to `\(name())` with [[\(name())]]: it is a static array defined at \(node.position.prose)")
                }
                let what = if case .table = node.value { "an inline table" } else { node.typeDescription }
                throw error(
                    at: part.offset,
                    "cannot define `\(name())` as an array of tables: it is already defined as \(what) at \(node.position.prose)")
            }
        }
        parent.append(part.name, headerPosition, .tableArray(ParsedTableArray(position: headerPosition, first: element)))
        return element
    }

    private mutating func checkDepth(_ depth: Int, at offset: Int) throws(TOMLError) {
        if depth > Parser.maxDepth {
            throw error(at: offset, "tables and arrays are nested more than \(Parser.maxDepth) levels deep")
        }
    }

    // MARK: Values

    private mutating func parseValue(path: [String], depth: Int) throws(TOMLError) -> TOMLNode {
        let start = i
        guard i < bytes.count else { throw error(at: i, "expected a value, found end of file") }
        let valuePosition = position(start)
        let byte = bytes[i]
        let value: TOMLNode.Value
        switch byte {
        case Byte.quote:
            value = .string(isTripleQuote(at: i) ? try parseMultilineString(literal: false) : try parseBasicString())
        case Byte.apostrophe:
            value = .string(isTripleQuote(at: i) ? try parseMultilineString(literal: true) : try parseLiteralString())
        case Byte.openBracket:
            try checkDepth(depth, at: start)
            value = .array(try parseArray(path: path, depth: depth, opened: valuePosition))
        case Byte.openBrace:
            try checkDepth(depth, at: start)
            value = .table(try parseInlineTable(path: path, depth: depth, opened: valuePosition))
        case _ where isDigit(byte) || isLetter(byte) || byte == Byte.plus || byte == Byte.minus:
            value = try parseBareValue()
        default:
            throw error(at: i, "expected a value, found \(describe(i))")
        }
        return TOMLNode(value, at: valuePosition)
    }

    private mutating func parseArray(path: [String], depth: Int, opened: TOMLPosition) throws(TOMLError) -> [TOMLNode] {
        i += 1
        var elements: [TOMLNode] = []
        while true {
            try skipArrayTrivia()
            guard i < bytes.count else {
                throw error(at: i, "expected `]` to close the array opened at \(opened.prose), found end of file")
            }
            if bytes[i] == Byte.closeBracket {
                i += 1
                return elements
            }
            elements.append(try parseValue(path: path, depth: depth + 1))
            try skipArrayTrivia()
            guard i < bytes.count else {
                throw error(at: i, "expected `]` to close the array opened at \(opened.prose), found end of file")
            }
            switch bytes[i] {
            case Byte.comma:
                i += 1
            case Byte.closeBracket:
                i += 1
                return elements
            default:
                throw error(at: i, "expected `,` or `]` after an array element, found \(describe(i))")
            }
        }
    }

    private mutating func parseInlineTable(path: [String], depth: Int, opened: TOMLPosition) throws(TOMLError) -> TOMLTable {
        i += 1
        let table = ParsedTable(origin: .inline, position: opened, depth: depth)
        skipSpaces()
        if i < bytes.count && bytes[i] == Byte.closeBrace {
            i += 1
            return TOMLTable(position: opened)
        }
        while true {
            skipSpaces()
            if i < bytes.count && (bytes[i] == Byte.lineFeed || bytes[i] == Byte.carriageReturn) {
                throw error(at: i, "expected a key, found a newline; an inline table must be written on one line")
            }
            if i < bytes.count && bytes[i] == Byte.closeBrace {
                throw error(at: i, "expected a key after `,`, found `}`; inline tables cannot have a trailing comma")
            }
            try parseKeyValue(into: table, path: path)
            skipSpaces()
            guard i < bytes.count else {
                throw error(at: i, "expected `}` to close the inline table opened at \(opened.prose), found end of file")
            }
            switch bytes[i] {
            case Byte.comma:
                i += 1
            case Byte.closeBrace:
                i += 1
                return Parser.build(table)
            case Byte.lineFeed, Byte.carriageReturn:
                throw error(at: i, "expected `,` or `}`, found a newline; an inline table must be written on one line")
            default:
                throw error(at: i, "expected `,` or `}` in the inline table, found \(describe(i))")
            }
        }
    }

    // MARK: Strings

    private func isTripleQuote(at offset: Int) -> Bool {
        offset + 2 < bytes.count && bytes[offset + 1] == bytes[offset] && bytes[offset + 2] == bytes[offset]
    }

    private mutating func parseBasicString() throws(TOMLError) -> String {
        let open = i
        i += 1
        var buffer: [UInt8] = []
        var runStart = i
        while true {
            guard i < bytes.count else {
                throw error(at: open, "unterminated string: expected a closing `\"` before the end of the file")
            }
            let byte = bytes[i]
            switch byte {
            case Byte.quote:
                let text: String
                if buffer.isEmpty {
                    text = decode(runStart, i)
                } else {
                    buffer.append(contentsOf: bytes[runStart..<i])
                    text = String(decoding: buffer, as: UTF8.self)
                }
                i += 1
                return text
            case Byte.backslash:
                buffer.append(contentsOf: bytes[runStart..<i])
                try parseEscape(into: &buffer)
                runStart = i
            case Byte.lineFeed, Byte.carriageReturn:
                throw error(
                    at: open,
                    "unterminated string: expected a closing `\"` before the end of the line; use `\"\"\"` for a multi-line string")
            default:
                if isForbiddenControl(byte) { throw controlCharacterError(at: i) }
                i += 1
            }
        }
    }

    private mutating func parseLiteralString() throws(TOMLError) -> String {
        let open = i
        i += 1
        let start = i
        while true {
            guard i < bytes.count else {
                throw error(at: open, "unterminated string: expected a closing `'` before the end of the file")
            }
            let byte = bytes[i]
            switch byte {
            case Byte.apostrophe:
                let text = decode(start, i)
                i += 1
                return text
            case Byte.lineFeed, Byte.carriageReturn:
                throw error(
                    at: open,
                    "unterminated string: expected a closing `'` before the end of the line; use `'''` for a multi-line string")
            default:
                if isForbiddenControl(byte) { throw controlCharacterError(at: i) }
                i += 1
            }
        }
    }

    /// Reads `"""…"""` or `'''…'''`: trims a newline right after the opening delimiter, normalizes CRLF to LF,
    /// and (basic only) handles escapes and line-ending backslashes.
    private mutating func parseMultilineString(literal: Bool) throws(TOMLError) -> String {
        let open = i
        let delimiter = bytes[i]
        let closing = literal ? "`'''`" : "`\"\"\"`"
        i += 3
        if i < bytes.count && bytes[i] == Byte.lineFeed {
            i += 1
        } else if i + 1 < bytes.count && bytes[i] == Byte.carriageReturn && bytes[i + 1] == Byte.lineFeed {
            i += 2
        }
        var buffer: [UInt8] = []
        while true {
            guard i < bytes.count else {
                throw error(at: open, "unterminated multi-line string: expected a closing \(closing) before the end of the file")
            }
            let byte = bytes[i]
            switch byte {
            case delimiter:
                var count = 0
                while i + count < bytes.count && bytes[i + count] == delimiter { count += 1 }
                if count < 3 {
                    buffer.append(contentsOf: repeatElement(delimiter, count: count))
                    i += count
                } else if count <= 5 {
                    buffer.append(contentsOf: repeatElement(delimiter, count: count - 3))
                    i += count
                    return String(decoding: buffer, as: UTF8.self)
                } else {
                    throw error(
                        at: i,
                        "too many quotes: a multi-line string may contain at most two consecutive quotes, "
                            + "plus up to two right before its closing \(closing)")
                }
            case Byte.backslash where !literal:
                var next = i + 1
                while next < bytes.count && (bytes[next] == Byte.space || bytes[next] == Byte.tab) { next += 1 }
                let atLineEnd =
                    next < bytes.count
                    && (bytes[next] == Byte.lineFeed
                        || (bytes[next] == Byte.carriageReturn && next + 1 < bytes.count && bytes[next + 1] == Byte.lineFeed))
                if atLineEnd {
                    i = next
                    try skipLineEndingBackslashWhitespace()
                } else {
                    try parseEscape(into: &buffer)
                }
            case Byte.lineFeed:
                buffer.append(Byte.lineFeed)
                i += 1
            case Byte.carriageReturn:
                guard i + 1 < bytes.count && bytes[i + 1] == Byte.lineFeed else {
                    throw error(at: i, "a carriage return must be followed by a line feed")
                }
                buffer.append(Byte.lineFeed)
                i += 2
            default:
                if isForbiddenControl(byte) { throw controlCharacterError(at: i) }
                buffer.append(byte)
                i += 1
            }
        }
    }

    /// After a line-ending backslash, skips all whitespace and newlines up to the next other character.
    private mutating func skipLineEndingBackslashWhitespace() throws(TOMLError) {
        while i < bytes.count {
            switch bytes[i] {
            case Byte.space, Byte.tab, Byte.lineFeed:
                i += 1
            case Byte.carriageReturn:
                guard i + 1 < bytes.count && bytes[i + 1] == Byte.lineFeed else {
                    throw error(at: i, "a carriage return must be followed by a line feed")
                }
                i += 2
            default:
                return
            }
        }
    }

    private mutating func parseEscape(into buffer: inout [UInt8]) throws(TOMLError) {
        let start = i
        i += 1
        guard i < bytes.count else {
            throw error(at: start, "unterminated string: expected an escape character after `\\`, found end of file")
        }
        let byte = bytes[i]
        i += 1
        switch byte {
        case UInt8(ascii: "b"): buffer.append(0x08)
        case UInt8(ascii: "t"): buffer.append(0x09)
        case UInt8(ascii: "n"): buffer.append(0x0A)
        case UInt8(ascii: "f"): buffer.append(0x0C)
        case UInt8(ascii: "r"): buffer.append(0x0D)
        case Byte.quote: buffer.append(Byte.quote)
        case Byte.backslash: buffer.append(Byte.backslash)
        case UInt8(ascii: "u"): try parseUnicodeEscape(start: start, digits: 4, into: &buffer)
        case UInt8(ascii: "U"): try parseUnicodeEscape(start: start, digits: 8, into: &buffer)
        default:
            let escape = byte > 0x20 && byte < 0x7F ? "`\\\(Character(Unicode.Scalar(byte)))`" : "`\\` followed by \(describe(i - 1))"
            throw error(
                at: start,
                "invalid escape \(escape); expected one of \\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX \\UXXXXXXXX")
        }
    }

    private mutating func parseUnicodeEscape(start: Int, digits: Int, into buffer: inout [UInt8]) throws(TOMLError) {
        var scalar: UInt32 = 0
        for _ in 0..<digits {
            guard i < bytes.count, let digit = hexValue(bytes[i]) else {
                let letter = digits == 4 ? "u" : "U"
                throw error(at: start, "invalid escape: `\\\(letter)` must be followed by exactly \(digits) hexadecimal digits")
            }
            scalar = scalar << 4 | digit
            i += 1
        }
        guard scalar < 0xD800 || (scalar > 0xDFFF && scalar <= 0x10FFFF) else {
            throw error(
                at: start,
                "invalid escape `\(decode(start, i))`: U+\(pad(hex: scalar, 4)) is not a Unicode scalar value")
        }
        appendUTF8(scalar, to: &buffer)
    }

    private mutating func controlCharacterError(at offset: Int) -> TOMLError {
        let code = pad(hex: UInt32(bytes[offset]), 4)
        return error(at: offset, "\(describe(offset)) is not allowed in a string; write it as the escape \\u\(code)")
    }

    // MARK: Numbers, booleans, dates and times

    /// Reads an unquoted scalar: boolean, integer, float, date, time or date-time.
    private mutating func parseBareValue() throws(TOMLError) -> TOMLNode.Value {
        let start = i
        while i < bytes.count && isTokenByte(bytes[i]) { i += 1 }
        // A date followed by a space and a time is one date-time: `1979-05-27 07:32:00`.
        if i - start == 10 && startsLikeDate(start, i) && i + 3 < bytes.count && bytes[i] == Byte.space
            && isDigit(bytes[i + 1]) && isDigit(bytes[i + 2]) && bytes[i + 3] == Byte.colon
        {
            i += 1
            while i < bytes.count && isTokenByte(bytes[i]) { i += 1 }
        }
        let token = decode(start, i)
        switch token {
        case "true": return .boolean(true)
        case "false": return .boolean(false)
        case "inf", "+inf": return .float(.infinity)
        case "-inf": return .float(-.infinity)
        case "nan", "+nan": return .float(.nan)
        case "-nan": return .float(-.nan)
        default: break
        }
        if startsLikeDate(start, i) { return try parseDateOrDateTime(start, i, token) }
        if i - start >= 3 && isDigit(bytes[start]) && isDigit(bytes[start + 1]) && bytes[start + 2] == Byte.colon {
            var k = start
            let time = try parseTime(&k, i, token, start: start)
            guard k == i else {
                throw error(at: start, "invalid local time `\(token)`: a time without a date cannot have an offset or other suffix")
            }
            return .time(time)
        }
        if isLetter(bytes[start]) {
            let lowered = token.lowercased()
            let hint =
                switch lowered {
                case "true", "false": "booleans are written in lower case, `true` or `false`"
                case "inf", "+inf", "-inf", "nan", "+nan", "-nan": "`inf` and `nan` are written in lower case"
                default: "expected a string, number, boolean, date, time, array or inline table; strings must be quoted"
                }
            throw error(at: start, "invalid value `\(token)`: \(hint)")
        }
        return try parseNumber(start, i, token)
    }

    private func startsLikeDate(_ start: Int, _ end: Int) -> Bool {
        end - start >= 5 && isDigit(bytes[start]) && isDigit(bytes[start + 1]) && isDigit(bytes[start + 2])
            && isDigit(bytes[start + 3]) && bytes[start + 4] == Byte.minus
    }

    private func digits(_ offset: Int, _ count: Int, end: Int) -> Int? {
        guard offset + count <= end else { return nil }
        var value = 0
        for k in offset..<offset + count {
            guard isDigit(bytes[k]) else { return nil }
            value = value * 10 + Int(bytes[k] - Byte.zero)
        }
        return value
    }

    private mutating func parseDateOrDateTime(_ start: Int, _ end: Int, _ token: String) throws(TOMLError) -> TOMLNode.Value {
        guard let year = digits(start, 4, end: end), bytes[start + 4] == Byte.minus,
            let month = digits(start + 5, 2, end: end), start + 7 < end, bytes[start + 7] == Byte.minus,
            let day = digits(start + 8, 2, end: end)
        else {
            throw error(at: start, "invalid date `\(token)`: expected the form YYYY-MM-DD")
        }
        guard (1...12).contains(month) else {
            throw error(at: start, "invalid date `\(token)`: the month must be between 01 and 12")
        }
        let lastDay = daysInMonth(month, year: year)
        guard (1...lastDay).contains(day) else {
            throw error(at: start, "invalid date `\(token)`: the day must be between 01 and \(lastDay) for that month")
        }
        let date = TOMLDate(year: year, month: month, day: day)
        var k = start + 10
        if k == end { return .date(date) }
        guard bytes[k] == UInt8(ascii: "T") || bytes[k] == UInt8(ascii: "t") || bytes[k] == Byte.space else {
            throw error(at: start, "invalid date-time `\(token)`: expected `T` or a space between the date and the time")
        }
        k += 1
        let time = try parseTime(&k, end, token, start: start)
        if k == end { return .dateTime(TOMLDateTime(date: date, time: time)) }
        let offsetSeconds: Int
        switch bytes[k] {
        case UInt8(ascii: "Z") where k + 1 == end, UInt8(ascii: "z") where k + 1 == end:
            offsetSeconds = 0
        case Byte.plus, Byte.minus:
            guard k + 6 == end, let hours = digits(k + 1, 2, end: end), bytes[k + 3] == Byte.colon,
                let minutes = digits(k + 4, 2, end: end)
            else {
                throw error(at: start, "invalid date-time `\(token)`: expected an offset of the form +HH:MM or -HH:MM")
            }
            guard hours <= 23, minutes <= 59 else {
                throw error(at: start, "invalid date-time `\(token)`: the offset must be between -23:59 and +23:59")
            }
            offsetSeconds = (bytes[k] == Byte.minus ? -1 : 1) * (hours * 3600 + minutes * 60)
        default:
            throw error(at: start, "invalid date-time `\(token)`: expected `Z` or an offset such as +02:00 after the time")
        }
        return .dateTime(TOMLDateTime(date: date, time: time, offsetSeconds: offsetSeconds))
    }

    /// Reads `HH:MM:SS[.fraction]` at `k`, advancing it.
    private mutating func parseTime(_ k: inout Int, _ end: Int, _ token: String, start: Int) throws(TOMLError) -> TOMLTime {
        guard let hour = digits(k, 2, end: end), k + 2 < end, bytes[k + 2] == Byte.colon,
            let minute = digits(k + 3, 2, end: end)
        else {
            throw error(at: start, "invalid time in `\(token)`: expected the form HH:MM:SS")
        }
        guard k + 5 < end, bytes[k + 5] == Byte.colon, let second = digits(k + 6, 2, end: end) else {
            throw error(at: start, "invalid time in `\(token)`: expected the form HH:MM:SS; TOML 1.0 requires seconds")
        }
        guard hour <= 23 else { throw error(at: start, "invalid time in `\(token)`: the hour must be between 00 and 23") }
        guard minute <= 59 else { throw error(at: start, "invalid time in `\(token)`: the minute must be between 00 and 59") }
        guard second <= 60 else { throw error(at: start, "invalid time in `\(token)`: the second must be between 00 and 60") }
        k += 8
        var nanosecond = 0
        if k < end && bytes[k] == Byte.dot {
            k += 1
            let fractionStart = k
            while k < end && isDigit(bytes[k]) {
                if k - fractionStart < 9 { nanosecond = nanosecond * 10 + Int(bytes[k] - Byte.zero) }
                k += 1
            }
            guard k > fractionStart else {
                throw error(at: start, "invalid time in `\(token)`: expected digits after the decimal point")
            }
            for _ in min(k - fractionStart, 9)..<9 { nanosecond *= 10 }
        }
        return TOMLTime(hour: hour, minute: minute, second: second, nanosecond: nanosecond)
    }

    /// Checks that `start..<end` is digits with single underscores only between digits.
    private mutating func checkDigits(
        _ start: Int, _ end: Int, _ token: String, at offset: Int, isDigit valid: (UInt8) -> Bool
    ) throws(TOMLError) {
        for k in start..<end where bytes[k] == Byte.underscore {
            guard k > start, k + 1 < end, valid(bytes[k - 1]), valid(bytes[k + 1]) else {
                throw error(at: offset, "invalid number `\(token)`: an underscore must be between two digits")
            }
        }
    }

    private mutating func parseNumber(_ start: Int, _ end: Int, _ token: String) throws(TOMLError) -> TOMLNode.Value {
        var k = start
        let hasSign = bytes[k] == Byte.plus || bytes[k] == Byte.minus
        let negative = bytes[k] == Byte.minus
        if hasSign { k += 1 }

        if k + 1 < end && bytes[k] == Byte.zero
            && (bytes[k + 1] == UInt8(ascii: "x") || bytes[k + 1] == UInt8(ascii: "o") || bytes[k + 1] == UInt8(ascii: "b"))
        {
            return .integer(try parseRadixInteger(start, end, token, prefixAt: k, hasSign: hasSign))
        }

        let integerStart = k
        while k < end && (isDigit(bytes[k]) || bytes[k] == Byte.underscore) { k += 1 }
        let integerEnd = k
        guard integerEnd > integerStart, isDigit(bytes[integerStart]) else {
            throw error(at: start, "invalid number `\(token)`: expected a digit")
        }
        try checkDigits(integerStart, integerEnd, token, at: start, isDigit: isDigit)
        if integerEnd - integerStart > 1 && bytes[integerStart] == Byte.zero {
            throw error(at: start, "invalid number `\(token)`: leading zeros are not allowed")
        }

        if k == end {
            var value: Int64 = 0
            for index in integerStart..<integerEnd where bytes[index] != Byte.underscore {
                let digit = Int64(bytes[index] - Byte.zero)
                let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
                let (next, overflow2) =
                    negative ? shifted.subtractingReportingOverflow(digit) : shifted.addingReportingOverflow(digit)
                guard !overflow1 && !overflow2 else {
                    throw error(
                        at: start,
                        "integer `\(token)` does not fit in 64 bits; integers must be between "
                            + "-9223372036854775808 and 9223372036854775807")
                }
                value = next
            }
            return .integer(value)
        }

        if bytes[k] == Byte.dot {
            k += 1
            let fractionStart = k
            while k < end && (isDigit(bytes[k]) || bytes[k] == Byte.underscore) { k += 1 }
            guard k > fractionStart, isDigit(bytes[fractionStart]) else {
                throw error(at: start, "invalid number `\(token)`: expected digits after the decimal point")
            }
            try checkDigits(fractionStart, k, token, at: start, isDigit: isDigit)
        }
        if k < end && (bytes[k] == UInt8(ascii: "e") || bytes[k] == UInt8(ascii: "E")) {
            k += 1
            if k < end && (bytes[k] == Byte.plus || bytes[k] == Byte.minus) { k += 1 }
            let exponentStart = k
            while k < end && (isDigit(bytes[k]) || bytes[k] == Byte.underscore) { k += 1 }
            guard k > exponentStart, isDigit(bytes[exponentStart]) else {
                throw error(at: start, "invalid number `\(token)`: expected digits in the exponent")
            }
            try checkDigits(exponentStart, k, token, at: start, isDigit: isDigit)
        }
        guard k == end else {
            throw error(at: start, "invalid number `\(token)`: unexpected \(describe(k))")
        }
        var text = ""
        text.reserveCapacity(end - start)
        for index in start..<end where bytes[index] != Byte.underscore {
            text.unicodeScalars.append(Unicode.Scalar(bytes[index]))
        }
        guard let value = Double(text), value.isFinite else {
            throw error(at: start, "float `\(token)` is out of range for a 64-bit float")
        }
        return .float(value)
    }

    private mutating func parseRadixInteger(
        _ start: Int, _ end: Int, _ token: String, prefixAt k: Int, hasSign: Bool
    ) throws(TOMLError) -> Int64 {
        let (radix, name): (Int64, String) =
            switch bytes[k + 1] {
            case UInt8(ascii: "x"): (16, "hexadecimal")
            case UInt8(ascii: "o"): (8, "octal")
            default: (2, "binary")
            }
        if hasSign {
            throw error(at: start, "invalid integer `\(token)`: \(name) integers cannot have a sign")
        }
        let digitsStart = k + 2
        guard digitsStart < end else {
            throw error(at: start, "invalid integer `\(token)`: expected \(name) digits after the prefix")
        }
        func digitValue(_ byte: UInt8) -> Int64? {
            guard let value = hexValue(byte), Int64(value) < radix else { return nil }
            return Int64(value)
        }
        var value: Int64 = 0
        for index in digitsStart..<end where bytes[index] != Byte.underscore {
            guard let digit = digitValue(bytes[index]) else {
                throw error(at: start, "invalid integer `\(token)`: \(describe(index)) is not a valid \(name) digit")
            }
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: radix)
            let (next, overflow2) = shifted.addingReportingOverflow(digit)
            guard !overflow1 && !overflow2 else {
                throw error(at: start, "integer `\(token)` does not fit in 64 bits; the largest is 9223372036854775807")
            }
            value = next
        }
        try checkDigits(digitsStart, end, token, at: start) { digitValue($0) != nil }
        return value
    }

    // MARK: Helpers

    private func decode(_ start: Int, _ end: Int) -> String {
        String(decoding: bytes[start..<end], as: UTF8.self)
    }

    private mutating func position(_ offset: Int) -> TOMLPosition {
        lines.position(offset)
    }

    private mutating func error(at offset: Int, _ message: String) -> TOMLError {
        TOMLError(file: file, position: lines.position(offset), message: message)
    }

    /// Names the character at `offset` for an error message.
    private func describe(_ offset: Int) -> String {
        guard offset < bytes.count else { return "end of file" }
        let byte = bytes[offset]
        switch byte {
        case Byte.lineFeed: return "a newline"
        case Byte.carriageReturn: return "a carriage return"
        case Byte.tab: return "a tab"
        case Byte.space: return "a space"
        case _ where isForbiddenControl(byte): return "the control character U+\(pad(hex: UInt32(byte), 4))"
        case _ where byte < 0x80: return "`\(Character(Unicode.Scalar(byte)))`"
        default:
            var end = offset + 1
            while end < bytes.count && bytes[end] & 0xC0 == 0x80 { end += 1 }
            return "`\(decode(offset, end))`"
        }
    }

    // MARK: Freezing

    static func build(_ table: ParsedTable) -> TOMLTable {
        var result = TOMLTable(position: table.position)
        result.reserveCapacity(table.entries.count)
        for entry in table.entries {
            result.append(key: entry.key, keyPosition: entry.keyPosition, node: node(entry.value))
        }
        return result
    }

    private static func node(_ value: ParsedValue) -> TOMLNode {
        switch value {
        case .node(let node):
            node
        case .table(let table):
            TOMLNode(.table(build(table)), at: table.position)
        case .tableArray(let array):
            TOMLNode(.array(array.tables.map { TOMLNode(.table(build($0)), at: $0.position) }), at: array.position)
        }
    }
}

extension TOMLPosition {
    /// `line 3, column 5`, for messages that mention a second location.
    var prose: String { "line \(line), column \(column)" }
}
