import CarillonTOML
import Testing

let testFile = "test.toml"

/// Parses `text` as `test.toml`.
func parse(_ text: String) throws(TOMLError) -> TOMLTable {
    try TOML.parse(text, file: testFile)
}

/// The value of `v` in the one-line document `v = <literal>`.
func value(_ literal: String) throws(TOMLError) -> TOMLNode.Value? {
    try parse("v = \(literal)")["v"]?.value
}

/// The error that parsing `text` throws; records an issue if it parses.
func parseError(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> TOMLError? {
    do {
        let table = try TOML.parse(text, file: testFile)
        Issue.record("expected a parse error, but parsed \(render(table))", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

/// Expects parsing `text` to fail at `line`:`column` with a message containing `fragment`.
func expectError(
    _ text: String, line: Int, column: Int, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation
) {
    guard let error = parseError(text, sourceLocation: sourceLocation) else { return }
    #expect(error.position == TOMLPosition(line: line, column: column), "\(error)", sourceLocation: sourceLocation)
    #expect(error.message.contains(fragment), "\(error)", sourceLocation: sourceLocation)
}

/// Follows a path of keys through nested tables.
func lookup(_ table: TOMLTable, _ keys: String...) -> TOMLNode? {
    var node: TOMLNode? = TOMLNode(.table(table), at: table.position)
    for key in keys {
        guard case .table(let inner)? = node?.value else { return nil }
        node = inner[key]
    }
    return node
}

/// A compact, type-revealing rendering: strings quoted, integers bare, floats with a point, keys in document order.
func render(_ table: TOMLTable) -> String {
    "{" + table.entries.map { "\(TOML.formatKey($0.key)): \(render($0.node))" }.joined(separator: ", ") + "}"
}

/// Renders one node as `render(_: TOMLTable)` does.
func render(_ node: TOMLNode) -> String {
    switch node.value {
    case .string(let string): quote(string)
    case .integer(let integer): "\(integer)"
    case .float(let float): float.isNaN ? (float.sign == .minus ? "-nan" : "nan") : "\(float)"
    case .boolean(let bool): "\(bool)"
    case .dateTime(let dateTime): dateTime.description
    case .date(let date): date.description
    case .time(let time): time.description
    case .array(let elements): "[" + elements.map(render).joined(separator: ", ") + "]"
    case .table(let table): render(table)
    }
}

/// Parses and renders, so a test can state a whole document's meaning in one line.
func rendered(_ text: String) throws(TOMLError) -> String {
    render(try parse(text))
}

func pos(_ line: Int, _ column: Int) -> TOMLPosition {
    TOMLPosition(line: line, column: column)
}

/// A string as a TOML basic string, escaping only what must be escaped.
func quote(_ string: String) -> String {
    var result = "\""
    for scalar in string.unicodeScalars {
        switch scalar {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        case "\n": result += "\\n"
        case "\t": result += "\\t"
        case _ where scalar.value < 0x20 || scalar.value == 0x7F:
            let hex = String(scalar.value, radix: 16, uppercase: true)
            result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: result.unicodeScalars.append(scalar)
        }
    }
    return result + "\""
}
