/// Entry points for parsing TOML 1.0 documents.
public enum TOML {
    /// Parses a whole document. `file` is used only in error messages.
    public static func parse(_ text: String, file: String) throws(TOMLError) -> TOMLTable {
        try parse(utf8: Array(text.utf8), file: file)
    }

    /// Parses a document given as raw bytes, rejecting invalid UTF-8 with its position; a leading BOM is ignored.
    public static func parse(utf8 bytes: [UInt8], file: String) throws(TOMLError) -> TOMLTable {
        var bytes = bytes
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        if let bad = firstInvalidUTF8Offset(bytes) {
            var lines = LineMap(bytes)
            let hex = String(bytes[bad], radix: 16, uppercase: true)
            throw TOMLError(
                file: file, position: lines.position(bad),
                message: "invalid UTF-8 byte 0x\(hex); TOML documents must be UTF-8 encoded")
        }
        var parser = Parser(bytes: bytes, file: file)
        return try parser.parseDocument()
    }

    /// A key as it would be written in TOML: bare when possible, otherwise a quoted basic string.
    public static func formatKey(_ key: String) -> String {
        if !key.isEmpty && key.utf8.allSatisfy(isBareKeyByte) { return key }
        var quoted = "\""
        for scalar in key.unicodeScalars {
            switch scalar {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            case "\n": quoted += "\\n"
            case "\t": quoted += "\\t"
            case "\r": quoted += "\\r"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                quoted += "\\u" + pad(hex: scalar.value, 4)
            default: quoted.unicodeScalars.append(scalar)
            }
        }
        return quoted + "\""
    }

    /// A dotted key path such as `a."c d".e`, each part formatted with `formatKey`.
    public static func formatKeyPath(_ keys: [String]) -> String {
        keys.map(formatKey).joined(separator: ".")
    }
}

/// Whether `byte` may appear in a bare key: `A-Z a-z 0-9 _ -`.
func isBareKeyByte(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
        UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
        true
    default: false
    }
}

/// Upper-case hexadecimal, zero-padded to `width` digits.
func pad(hex value: UInt32, _ width: Int) -> String {
    let digits = String(value, radix: 16, uppercase: true)
    return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
}

/// The offset of the first byte that breaks UTF-8 well-formedness, or nil if the bytes are valid.
func firstInvalidUTF8Offset(_ bytes: [UInt8]) -> Int? {
    var k = 0
    let n = bytes.count
    func isContinuation(_ j: Int, _ low: UInt8 = 0x80, _ high: UInt8 = 0xBF) -> Bool {
        j < n && bytes[j] >= low && bytes[j] <= high
    }
    while k < n {
        let lead = bytes[k]
        switch lead {
        case 0x00...0x7F:
            k += 1
        case 0xC2...0xDF:
            guard isContinuation(k + 1) else { return k }
            k += 2
        case 0xE0...0xEF:
            let low: UInt8 = lead == 0xE0 ? 0xA0 : 0x80
            let high: UInt8 = lead == 0xED ? 0x9F : 0xBF
            guard isContinuation(k + 1, low, high), isContinuation(k + 2) else { return k }
            k += 3
        case 0xF0...0xF4:
            let low: UInt8 = lead == 0xF0 ? 0x90 : 0x80
            let high: UInt8 = lead == 0xF4 ? 0x8F : 0xBF
            guard isContinuation(k + 1, low, high), isContinuation(k + 2), isContinuation(k + 3) else { return k }
            k += 4
        default:
            return k
        }
    }
    return nil
}

/// Maps byte offsets to 1-based line and column; amortized O(1) for offsets requested in increasing order.
struct LineMap {
    private let bytes: [UInt8]
    private let lineStarts: [Int]
    private var cacheLine = 0
    private var cacheOffset = 0
    private var cacheColumn = 1

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        var starts = [0]
        for (offset, byte) in bytes.enumerated() where byte == 0x0A { starts.append(offset + 1) }
        lineStarts = starts
    }

    mutating func position(_ offset: Int) -> TOMLPosition {
        let line = lineIndex(of: offset)
        var column = 1
        var from = lineStarts[line]
        if line == cacheLine && offset >= cacheOffset {
            column = cacheColumn
            from = cacheOffset
        }
        let end = min(offset, bytes.count)
        while from < end {
            if bytes[from] & 0xC0 != 0x80 { column += 1 }
            from += 1
        }
        cacheLine = line
        cacheOffset = offset
        cacheColumn = column
        return TOMLPosition(line: line + 1, column: column)
    }

    private func lineIndex(of offset: Int) -> Int {
        if offset >= lineStarts[cacheLine] && (cacheLine + 1 == lineStarts.count || offset < lineStarts[cacheLine + 1]) {
            return cacheLine
        }
        var low = 0
        var high = lineStarts.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if lineStarts[middle] <= offset { low = middle } else { high = middle - 1 }
        }
        return low
    }
}
