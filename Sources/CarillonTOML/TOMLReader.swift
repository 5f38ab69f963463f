/// Reads one table into a caller's config type: typed getters with positioned errors, and `finish()` to reject unknown keys.
///
/// Each getter marks its key as read. Call `finish()` after reading every key the type knows, and on every
/// nested reader too, so that misspelt keys are reported instead of silently ignored.
public struct TOMLReader: Sendable {
    /// The table being read.
    public let table: TOMLTable
    /// The file name used in errors.
    public let file: String
    /// The key path of the table, e.g. `station` or `output[0]`; empty for the root table.
    public let path: String
    /// How messages name this table: `the top-level table`, `[station]` or `[[output]]`.
    public let tableName: String
    private var readKeys: Set<String> = []
    private var requestedKeys: [String] = []
    private var requestedSet: Set<String> = []

    /// Wraps `table`; `path` is the table's key path as used in messages, empty for the root table.
    public init(_ table: TOMLTable, file: String, path: String = "") {
        self.init(table, file: file, path: path, tableName: path.isEmpty ? "the top-level table" : "[\(headerName(path))]")
    }

    private init(_ table: TOMLTable, file: String, path: String, tableName: String) {
        self.table = table
        self.file = file
        self.path = path
        self.tableName = tableName
    }

    // MARK: Looking at keys without reading them

    /// Whether the table has `key`; does not mark it as read.
    public func contains(_ key: String) -> Bool { table[key] != nil }

    /// The table's keys in document order.
    public var keys: [String] { table.keys }

    /// The full key path of `key` for messages, e.g. `output[0].device`.
    public func keyPath(_ key: String) -> String {
        path.isEmpty ? TOML.formatKey(key) : path + "." + TOML.formatKey(key)
    }

    /// Where `key` was written, or where the table was opened if the key is absent.
    public func position(of key: String) -> TOMLPosition {
        table.entry(for: key)?.keyPosition ?? table.position
    }

    /// Where the value of `key` starts, or where the table was opened if the key is absent.
    public func valuePosition(of key: String) -> TOMLPosition {
        table[key]?.position ?? table.position
    }

    /// An error at the value of `key` (at the table when `key` is nil or absent), for callers' own semantic checks.
    public func error(_ message: String, at key: String? = nil) -> TOMLError {
        TOMLError(file: file, position: key.map(valuePosition(of:)) ?? table.position, message: message)
    }

    /// An error at an explicit position, e.g. an array element's.
    public func error(_ message: String, at position: TOMLPosition) -> TOMLError {
        TOMLError(file: file, position: position, message: message)
    }

    // MARK: Reading values

    /// The raw node for `key`, marking the key as read; nil if absent.
    public mutating func node(_ key: String) -> TOMLNode? {
        if requestedSet.insert(key).inserted { requestedKeys.append(key) }
        readKeys.insert(key)
        return table[key]
    }

    /// The string at `key`; nil if absent, an error if it is another type.
    public mutating func string(_ key: String) throws(TOMLError) -> String? {
        try read(key, "a string") { if case .string(let value) = $0 { value } else { nil } }
    }

    /// The string at `key`; an error if absent or another type.
    public mutating func requiredString(_ key: String) throws(TOMLError) -> String {
        guard let value = try string(key) else { throw missing(key) }
        return value
    }

    /// The integer at `key`; nil if absent, an error if it is another type (floats are not truncated).
    public mutating func integer(_ key: String) throws(TOMLError) -> Int? {
        try read(key, "an integer") { if case .integer(let value) = $0 { Int(value) } else { nil } }
    }

    /// The integer at `key`; an error if absent or another type.
    public mutating func requiredInteger(_ key: String) throws(TOMLError) -> Int {
        guard let value = try integer(key) else { throw missing(key) }
        return value
    }

    /// The number at `key` as a Double; accepts integers too, since `gain = 1` should mean 1.0.
    public mutating func double(_ key: String) throws(TOMLError) -> Double? {
        try read(key, "a number") {
            switch $0 {
            case .float(let value): value
            case .integer(let value): Double(value)
            default: nil
            }
        }
    }

    /// The number at `key` as a Double; an error if absent or not a number.
    public mutating func requiredDouble(_ key: String) throws(TOMLError) -> Double {
        guard let value = try double(key) else { throw missing(key) }
        return value
    }

    /// The boolean at `key`; nil if absent, an error if it is another type.
    public mutating func bool(_ key: String) throws(TOMLError) -> Bool? {
        try read(key, "a boolean") { if case .boolean(let value) = $0 { value } else { nil } }
    }

    /// The boolean at `key`; an error if absent or another type.
    public mutating func requiredBool(_ key: String) throws(TOMLError) -> Bool {
        guard let value = try bool(key) else { throw missing(key) }
        return value
    }

    /// The local date at `key`; nil if absent, an error if it is another type.
    public mutating func date(_ key: String) throws(TOMLError) -> TOMLDate? {
        try read(key, "a local date") { if case .date(let value) = $0 { value } else { nil } }
    }

    /// The local date at `key`; an error if absent or another type.
    public mutating func requiredDate(_ key: String) throws(TOMLError) -> TOMLDate {
        guard let value = try date(key) else { throw missing(key) }
        return value
    }

    /// The local time at `key`; nil if absent, an error if it is another type.
    public mutating func time(_ key: String) throws(TOMLError) -> TOMLTime? {
        try read(key, "a local time") { if case .time(let value) = $0 { value } else { nil } }
    }

    /// The local time at `key`; an error if absent or another type.
    public mutating func requiredTime(_ key: String) throws(TOMLError) -> TOMLTime {
        guard let value = try time(key) else { throw missing(key) }
        return value
    }

    /// The offset or local date-time at `key`; nil if absent. Check `offsetSeconds` if only one kind makes sense.
    public mutating func dateTime(_ key: String) throws(TOMLError) -> TOMLDateTime? {
        try read(key, "a date-time") { if case .dateTime(let value) = $0 { value } else { nil } }
    }

    /// The offset or local date-time at `key`; an error if absent or another type.
    public mutating func requiredDateTime(_ key: String) throws(TOMLError) -> TOMLDateTime {
        guard let value = try dateTime(key) else { throw missing(key) }
        return value
    }

    /// The elements of the array at `key`; nil if absent, an error if it is not an array.
    public mutating func array(_ key: String) throws(TOMLError) -> [TOMLNode]? {
        try read(key, "an array") { if case .array(let value) = $0 { value } else { nil } }
    }

    /// The array at `key` as strings; nil if absent, an error at the first element that is not a string.
    public mutating func stringArray(_ key: String) throws(TOMLError) -> [String]? {
        guard let elements = try read(key, "an array of strings", { if case .array(let value) = $0 { value } else { nil } })
        else { return nil }
        var strings: [String] = []
        strings.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            guard case .string(let value) = element.value else {
                throw wrongType("\(keyPath(key))[\(index)]", expected: "a string", element)
            }
            strings.append(value)
        }
        return strings
    }

    /// The array at `key` as strings; an error if absent, not an array, or holding a non-string.
    public mutating func requiredStringArray(_ key: String) throws(TOMLError) -> [String] {
        guard let value = try stringArray(key) else { throw missing(key) }
        return value
    }

    /// A reader for the sub-table at `key`; nil if absent, an error if it is not a table. Call `finish()` on it too.
    public mutating func table(_ key: String) throws(TOMLError) -> TOMLReader? {
        guard let table = try read(key, "a table", { if case .table(let value) = $0 { value } else { nil } }) else {
            return nil
        }
        let path = keyPath(key)
        return TOMLReader(table, file: file, path: path, tableName: "[\(headerName(path))]")
    }

    /// A reader for the sub-table at `key`; an error if absent or not a table.
    public mutating func requiredTable(_ key: String) throws(TOMLError) -> TOMLReader {
        guard let value = try table(key) else { throw missing(key) }
        return value
    }

    /// Readers for each table of the `[[key]]` array (or an inline array of tables); empty if absent.
    public mutating func tableArray(_ key: String) throws(TOMLError) -> [TOMLReader] {
        guard
            let elements = try read(key, "an array of tables", { if case .array(let value) = $0 { value } else { nil } })
        else { return [] }
        let path = keyPath(key)
        var readers: [TOMLReader] = []
        readers.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            guard case .table(let table) = element.value else {
                throw wrongType("\(path)[\(index)]", expected: "a table", element)
            }
            readers.append(TOMLReader(table, file: file, path: "\(path)[\(index)]", tableName: "[[\(headerName(path))]]"))
        }
        return readers
    }

    // MARK: Finishing

    /// Throws for the earliest key (in document order) that no getter read: "unknown key `foo` in [station]".
    public func finish() throws(TOMLError) {
        var unknown: TOMLTable.Entry?
        for entry in table.entries where !readKeys.contains(entry.key) {
            if let earliest = unknown, earliest.keyPosition <= entry.keyPosition { continue }
            unknown = entry
        }
        guard let unknown else { return }
        var message = "unknown key `\(TOML.formatKey(unknown.key))` in \(tableName)"
        if !requestedKeys.isEmpty {
            let known = requestedKeys.map { "`\(TOML.formatKey($0))`" }
            message += known.count == 1 ? "; expected \(known[0])" : "; expected one of \(known.joined(separator: ", "))"
        }
        throw TOMLError(file: file, position: unknown.keyPosition, message: message)
    }

    // MARK: Private

    private mutating func read<T>(
        _ key: String, _ expected: String, _ extract: (TOMLNode.Value) -> T?
    ) throws(TOMLError) -> T? {
        guard let node = node(key) else { return nil }
        guard let value = extract(node.value) else { throw wrongType(keyPath(key), expected: expected, node) }
        return value
    }

    private func wrongType(_ keyPath: String, expected: String, _ node: TOMLNode) -> TOMLError {
        let found = node.typeDescription
        return TOMLError(file: file, position: node.position, message: "expected \(expected) for `\(keyPath)`, found \(found)")
    }

    private func missing(_ key: String) -> TOMLError {
        TOMLError(file: file, position: table.position, message: "missing key `\(TOML.formatKey(key))` in \(tableName)")
    }
}

/// A key path with array indices removed, as it appears in a header: `output[0].filter` becomes `output.filter`.
private func headerName(_ path: String) -> String {
    var result = ""
    var inQuotes = false
    var skippingIndex = false
    var previous: Character = " "
    for character in path {
        if skippingIndex {
            if character == "]" { skippingIndex = false }
            continue
        }
        if character == "\"" && previous != "\\" { inQuotes.toggle() }
        if character == "[" && !inQuotes {
            skippingIndex = true
            continue
        }
        result.append(character)
        previous = character
    }
    return result
}
