import CarillonProtocol
import Foundation
import NIOPosix

/// Encodes values byte for byte as `Wire.encoder()` does (compact, snake_case keys sorted by their
/// UTF-8 bytes, ISO 8601 dates, `/` unescaped), several times faster.
///
/// `JSONEncoder` builds a dictionary per object, converts every key again on every call and casts
/// every nested value to several types: that was a third of the daemon's CPU under 100 clients
/// asking `status`. Here values become records in one array and bytes in one arena; keys are
/// converted once per thread (by `JSONEncoder` itself, so the rule cannot drift).
///
/// It covers what the wire types use: keyed, unkeyed and single-value containers of numbers,
/// strings, booleans, dates and nested values, including a type that opens its keyed container
/// twice. Anything else (dictionaries, `Data`, `URL`, `Decimal`, super-encoders, a nested
/// container opened twice for one key, a value that reads its coding path, 128-bit integers)
/// makes `encode` return nil, and the caller uses `JSONEncoder`: the output never differs, only
/// the cost.
@_spi(Fuzzing) public enum WireJSON {
    /// The JSON of `value`, without a newline; nil when only `JSONEncoder` can say (including every
    /// case where it would throw). SPI for the fuzz target, which checks it against `JSONEncoder`.
    public static func encode<T: Encodable>(_ value: T) -> [UInt8]? {
        let state = WireJSONState(cache: WireJSONCache.current)
        let root = state.newNode()
        do { try state.encode(value, into: root) } catch { return nil }
        // A top-level value that encodes nothing is an error in JSONEncoder.
        guard !state.unsupported, state.nodes[root].kind != .unset else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(state.arena.count + 16 * state.nodes.count)
        guard state.write(root, into: &out, depth: 0) else { return nil }
        return out
    }
}

/// What one thread remembers between calls. Never shared: each thread has its own, so no lock.
final class WireJSONCache: @unchecked Sendable {
    private static let perThread = ThreadSpecificVariable<WireJSONCache>()

    static var current: WireJSONCache {
        if let cache = perThread.currentValue { return cache }
        let cache = WireJSONCache()
        perThread.currentValue = cache
        return cache
    }

    /// How a type is encoded.
    enum Treatment {
        /// Its own `encode(to:)`.
        case plain
        /// As `.iso8601` does.
        case date
        /// Left to JSONEncoder, which treats it specially.
        case unsupported
    }

    /// Keys come from types' `CodingKeys` and types are the wire's: bounded sets. The caps only
    /// guard against a type that makes up keys.
    private static let limit = 4096
    // Only this thread touches these: dynamic exclusivity checks would cost more than the lookups.
    @exclusivity(unchecked) private var keys: [String: [UInt8]] = [:]
    @exclusivity(unchecked) private var treatments: [ObjectIdentifier: Treatment] = [:]
    /// `status` repeats its start time: its text is kept.
    @exclusivity(unchecked) private var lastDate: (date: Date, text: String)?

    /// `key` as `Wire.encoder()` writes it (snake case), unescaped UTF-8; nil if it cannot say.
    func converted(_ key: String) -> [UInt8]? {
        if let hit = keys[key] { return hit }
        // Asking JSONEncoder keeps its exact rule (word splits, Unicode case mapping).
        guard let data = try? Wire.encoder().encode(KeyProbe(key: key)),
            let object = try? JSONDecoder().decode([String: Int].self, from: data), object.count == 1,
            let converted = object.keys.first
        else { return nil }
        let bytes = Array(converted.utf8)
        if keys.count < Self.limit { keys[key] = bytes }
        return bytes
    }

    func treatment<T>(of type: T.Type) -> Treatment {
        let id = ObjectIdentifier(type)
        if let known = treatments[id] { return known }
        let found: Treatment
        if type == Date.self {
            found = .date
        } else if type == Data.self || type == URL.self || type == Decimal.self || type is any WireJSONDictionaryMarker.Type {
            found = .unsupported
        } else {
            found = .plain
        }
        if treatments.count < Self.limit { treatments[id] = found }
        return found
    }

    /// What `.iso8601` writes for `date` inside JSONEncoder.
    func iso8601(_ date: Date) -> String {
        if let last = lastDate, last.date == date { return last.text }
        let text = date.formatted(.iso8601)
        lastDate = (date, text)
        return text
    }

    /// `{"<key>":0}` with `key` as a coding key, so the encoder converts it.
    private struct KeyProbe: Encodable {
        let key: String
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: WireJSONKey.self)
            try container.encode(0, forKey: WireJSONKey(stringValue: key))
        }
    }
}

/// A coding key made of a string.
private struct WireJSONKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// Any `Dictionary`: `JSONEncoder` writes some of them with their keys unconverted, so they are left to it.
protocol WireJSONDictionaryMarker {}
extension Dictionary: WireJSONDictionaryMarker {}

/// One value being encoded: a scalar already in its final bytes, or a container whose members
/// are linked records, an object's sorted by key when written.
struct WireJSONNode {
    enum Kind: UInt8 {
        /// Nothing encoded (yet): written as `{}`, as JSONEncoder does for a nested value.
        case unset
        case scalar
        case object
        case array
    }

    var kind = Kind.unset
    /// A scalar's bytes in the arena.
    var start = 0
    var end = 0
    var firstChild = -1
    var lastChild = -1
    var next = -1
    var childCount = 0
    /// An object member's key, an index into `keys`.
    var key = -1
}

/// The state of one `encode` call, used by one thread. Its arrays are not checked for exclusive
/// access at run time: those checks were a third of the encoder's time, and no access here
/// overlaps another (each mutation computes its indices first).
final class WireJSONState {
    let cache: WireJSONCache
    @exclusivity(unchecked) var nodes: [WireJSONNode] = []
    /// Every scalar's final bytes, back to back.
    @exclusivity(unchecked) var arena: [UInt8] = []
    /// Converted keys of object members, unescaped.
    @exclusivity(unchecked) var keys: [[UInt8]] = []
    /// Set when the value used something this encoder does not reproduce.
    @exclusivity(unchecked) var unsupported = false

    /// `JSONEncoder` refuses deeper nesting; past this depth the caller lets it decide.
    static let maxDepth = 500

    init(cache: WireJSONCache) {
        self.cache = cache
        nodes.reserveCapacity(32)
        arena.reserveCapacity(512)
        keys.reserveCapacity(32)
    }

    func newNode() -> Int {
        nodes.append(WireJSONNode())
        return nodes.count - 1
    }

    /// A new member of the object or array `parent`; `key` for an object's.
    func appendChild(to parent: Int, key: [UInt8]?) -> Int {
        var node = WireJSONNode()
        if let key {
            keys.append(key)
            node.key = keys.count - 1
        }
        nodes.append(node)
        let child = nodes.count - 1
        if nodes[parent].lastChild >= 0 {
            nodes[nodes[parent].lastChild].next = child
        } else {
            nodes[parent].firstChild = child
        }
        nodes[parent].lastChild = child
        nodes[parent].childCount += 1
        return child
    }

    func key<Key: CodingKey>(_ key: Key) -> [UInt8] {
        if let bytes = cache.converted(key.stringValue) { return bytes }
        unsupported = true
        return []
    }

    /// Whether the object `parent` has a member named `key` already.
    func hasMember(_ parent: Int, key: [UInt8]) -> Bool {
        var child = nodes[parent].firstChild
        while child >= 0 {
            if keys[nodes[child].key] == key { return true }
            child = nodes[child].next
        }
        return false
    }

    /// Makes `node` an object or an array; false if it already holds something else.
    func open(_ node: Int, as kind: WireJSONNode.Kind) -> Bool {
        switch nodes[node].kind {
        case .unset:
            nodes[node].kind = kind
            return true
        case kind:
            // Opened again (a type encoding another into the same container): the same container.
            return true
        default:
            unsupported = true
            return false
        }
    }

    // MARK: Scalars

    private func setScalar(_ node: Int, start: Int) {
        // A second value in one slot is a programming error JSONEncoder traps on.
        if nodes[node].kind != .unset { unsupported = true }
        nodes[node].kind = .scalar
        nodes[node].start = start
        nodes[node].end = arena.count
    }

    func setLiteral(_ node: Int, _ text: StaticString) {
        let start = arena.count
        text.withUTF8Buffer { arena.append(contentsOf: $0) }
        setScalar(node, start: start)
    }

    func setBool(_ node: Int, _ value: Bool) { setLiteral(node, value ? "true" : "false") }

    func setInteger<I: FixedWidthInteger>(_ node: Int, _ value: I) {
        let start = arena.count
        if value == 0 {
            arena.append(UInt8(ascii: "0"))
        } else {
            if I.isSigned && value < 0 { arena.append(UInt8(ascii: "-")) }
            // Digits of the magnitude, least significant first, then reversed in place.
            let digits = arena.count
            var rest = value.magnitude
            while rest != 0 {
                let (quotient, remainder) = rest.quotientAndRemainder(dividingBy: 10)
                arena.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: remainder))
                rest = quotient
            }
            arena[digits..<arena.count].reverse()
        }
        setScalar(node, start: start)
    }

    /// As `JSONEncoder`: the shortest description, without a trailing `.0`; non-finite values throw.
    func setFloating<F: BinaryFloatingPoint & CustomStringConvertible>(_ node: Int, _ value: F) throws {
        guard value.isFinite else {
            throw EncodingError.invalidValue(value, .init(codingPath: [], debugDescription: "not a finite number"))
        }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        let start = arena.count
        arena.append(contentsOf: text.utf8)
        setScalar(node, start: start)
    }

    func setString(_ node: Int, _ value: String) {
        let start = arena.count
        Self.appendQuoted(value, to: &arena)
        setScalar(node, start: start)
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// A JSON string as `JSONEncoder` escapes it with `.withoutEscapingSlashes`: `"`, `\` and the
    /// control characters below 0x20 only; everything else, non-ASCII included, as it is.
    static func appendQuoted(_ string: String, to out: inout [UInt8]) {
        var string = string
        string.withUTF8 { appendQuoted(bytes: $0, to: &out) }
    }

    static func appendQuoted(bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var plain = 0
        for index in bytes.indices {
            let byte = bytes[index]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            // Copy the run of plain bytes before it, then the escape.
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[plain..<index]))
            plain = index + 1
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x08: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            default:
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0xF)])
            }
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[plain..<bytes.count]))
        out.append(UInt8(ascii: "\""))
    }

    // MARK: Nested values

    /// `value` into `node`, as `JSONEncoder.wrapGeneric` treats it.
    func encode<T: Encodable>(_ value: T, into node: Int) throws {
        switch cache.treatment(of: T.self) {
        case .plain:
            try value.encode(to: WireJSONEncoder(state: self, node: node))
        case .date:
            // `T` is `Date` here; an Optional<Date> arrives through Optional's own encode(to:).
            guard let date = value as? Date else {
                unsupported = true
                return
            }
            setString(node, cache.iso8601(date))
        case .unsupported:
            unsupported = true
        }
    }

    // MARK: Writing

    /// Writes `node`; false if it is nested too deep.
    func write(_ index: Int, into out: inout [UInt8], depth: Int) -> Bool {
        let node = nodes[index]
        switch node.kind {
        case .unset:
            out.append(contentsOf: [UInt8(ascii: "{"), UInt8(ascii: "}")])
        case .scalar:
            out.append(contentsOf: arena[node.start..<node.end])
        case .array:
            guard depth < Self.maxDepth else { return false }
            out.append(UInt8(ascii: "["))
            var child = node.firstChild
            while child >= 0 {
                if child != node.firstChild { out.append(UInt8(ascii: ",")) }
                guard write(child, into: &out, depth: depth + 1) else { return false }
                child = nodes[child].next
            }
            out.append(UInt8(ascii: "]"))
        case .object:
            guard depth < Self.maxDepth else { return false }
            out.append(UInt8(ascii: "{"))
            var members: [Int] = []
            members.reserveCapacity(node.childCount)
            var child = node.firstChild
            while child >= 0 {
                members.append(child)
                child = nodes[child].next
            }
            // By key bytes; equal keys by position, so the last of a run is the one kept, as in
            // JSONEncoder's dictionary.
            members.sort { a, b in
                let keyA = keys[nodes[a].key]
                let keyB = keys[nodes[b].key]
                if keyA == keyB { return a < b }
                return keyA.lexicographicallyPrecedes(keyB)
            }
            var first = true
            for (position, member) in members.enumerated() {
                let key = keys[nodes[member].key]
                if position + 1 < members.count, keys[nodes[members[position + 1]].key] == key { continue }
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                key.withUnsafeBufferPointer { Self.appendQuoted(bytes: $0, to: &out) }
                out.append(UInt8(ascii: ":"))
                guard write(member, into: &out, depth: depth + 1) else { return false }
            }
            out.append(UInt8(ascii: "}"))
        }
        return true
    }
}

/// The `Encoder` handed to values' `encode(to:)`, for one node; also its single-value container.
/// A struct of two words: passing it as `any Encoder` allocates nothing.
struct WireJSONEncoder: Encoder, SingleValueEncodingContainer {
    let state: WireJSONState
    let node: Int

    /// Not kept: a value that reads it is left to JSONEncoder, so that it sees the real path.
    var codingPath: [any CodingKey] {
        state.unsupported = true
        return []
    }

    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        _ = state.open(node, as: .object)
        return KeyedEncodingContainer(WireJSONKeyedContainer<Key>(state: state, object: node))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        _ = state.open(node, as: .array)
        return WireJSONUnkeyedContainer(state: state, array: node)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { self }

    func encodeNil() throws { state.setLiteral(node, "null") }
    func encode(_ value: Bool) throws { state.setBool(node, value) }
    func encode(_ value: String) throws { state.setString(node, value) }
    func encode(_ value: Double) throws { try state.setFloating(node, value) }
    func encode(_ value: Float) throws { try state.setFloating(node, value) }
    func encode(_ value: Int) throws { state.setInteger(node, value) }
    func encode(_ value: Int8) throws { state.setInteger(node, value) }
    func encode(_ value: Int16) throws { state.setInteger(node, value) }
    func encode(_ value: Int32) throws { state.setInteger(node, value) }
    func encode(_ value: Int64) throws { state.setInteger(node, value) }
    func encode(_ value: UInt) throws { state.setInteger(node, value) }
    func encode(_ value: UInt8) throws { state.setInteger(node, value) }
    func encode(_ value: UInt16) throws { state.setInteger(node, value) }
    func encode(_ value: UInt32) throws { state.setInteger(node, value) }
    func encode(_ value: UInt64) throws { state.setInteger(node, value) }

    func encode<T: Encodable>(_ value: T) throws {
        // As JSONEncoder's single-value container: the value's own encoding, in this slot.
        if state.nodes[node].kind != .unset { state.unsupported = true }
        try state.encode(value, into: node)
    }
}

struct WireJSONKeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let state: WireJSONState
    let object: Int

    var codingPath: [any CodingKey] {
        state.unsupported = true
        return []
    }

    private func member(_ key: Key) -> Int { state.appendChild(to: object, key: state.key(key)) }

    mutating func encodeNil(forKey key: Key) throws { state.setLiteral(member(key), "null") }
    mutating func encode(_ value: Bool, forKey key: Key) throws { state.setBool(member(key), value) }
    mutating func encode(_ value: String, forKey key: Key) throws { state.setString(member(key), value) }
    mutating func encode(_ value: Double, forKey key: Key) throws { try state.setFloating(member(key), value) }
    mutating func encode(_ value: Float, forKey key: Key) throws { try state.setFloating(member(key), value) }
    mutating func encode(_ value: Int, forKey key: Key) throws { state.setInteger(member(key), value) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { state.setInteger(member(key), value) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { state.setInteger(member(key), value) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { state.setInteger(member(key), value) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { state.setInteger(member(key), value) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { state.setInteger(member(key), value) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { state.setInteger(member(key), value) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { state.setInteger(member(key), value) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { state.setInteger(member(key), value) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { state.setInteger(member(key), value) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try state.encode(value, into: member(key))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        let name = state.key(key)
        // JSONEncoder merges into what the key already holds; that case is left to it.
        if state.hasMember(object, key: name) { state.unsupported = true }
        let nested = state.appendChild(to: object, key: name)
        _ = state.open(nested, as: .object)
        return KeyedEncodingContainer(WireJSONKeyedContainer<NestedKey>(state: state, object: nested))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let name = state.key(key)
        if state.hasMember(object, key: name) { state.unsupported = true }
        let nested = state.appendChild(to: object, key: name)
        _ = state.open(nested, as: .array)
        return WireJSONUnkeyedContainer(state: state, array: nested)
    }

    mutating func superEncoder() -> any Encoder { unsupportedEncoder() }
    mutating func superEncoder(forKey key: Key) -> any Encoder { unsupportedEncoder() }

    private func unsupportedEncoder() -> any Encoder {
        state.unsupported = true
        return WireJSONEncoder(state: state, node: state.newNode())
    }
}

struct WireJSONUnkeyedContainer: UnkeyedEncodingContainer {
    let state: WireJSONState
    let array: Int

    var codingPath: [any CodingKey] {
        state.unsupported = true
        return []
    }

    var count: Int { state.nodes[array].childCount }

    private func element() -> Int { state.appendChild(to: array, key: nil) }

    mutating func encodeNil() throws { state.setLiteral(element(), "null") }
    mutating func encode(_ value: Bool) throws { state.setBool(element(), value) }
    mutating func encode(_ value: String) throws { state.setString(element(), value) }
    mutating func encode(_ value: Double) throws { try state.setFloating(element(), value) }
    mutating func encode(_ value: Float) throws { try state.setFloating(element(), value) }
    mutating func encode(_ value: Int) throws { state.setInteger(element(), value) }
    mutating func encode(_ value: Int8) throws { state.setInteger(element(), value) }
    mutating func encode(_ value: Int16) throws { state.setInteger(element(), value) }
    mutating func encode(_ value: Int32) throws { state.setInteger(element(), value) }
    mutating func encode(_ value: Int64) throws { state.setInteger(element(), value) }
    mutating func encode(_ value: UInt) throws { state.setInteger(element(), value) }
    mutating func encode(_ value: UInt8) throws { state.setInteger(element(), value) }
    mutating func encode(_ value: UInt16) throws { state.setInteger(element(), value) }
    mutating func encode(_ value: UInt32) throws { state.setInteger(element(), value) }
    mutating func encode(_ value: UInt64) throws { state.setInteger(element(), value) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try state.encode(value, into: element())
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let nested = element()
        _ = state.open(nested, as: .object)
        return KeyedEncodingContainer(WireJSONKeyedContainer<NestedKey>(state: state, object: nested))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let nested = element()
        _ = state.open(nested, as: .array)
        return WireJSONUnkeyedContainer(state: state, array: nested)
    }

    mutating func superEncoder() -> any Encoder {
        state.unsupported = true
        return WireJSONEncoder(state: state, node: state.newNode())
    }
}
