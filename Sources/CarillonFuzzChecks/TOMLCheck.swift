import CarillonTOML

/// Any bytes as a TOML document. What parses is walked, and what the package writes back must read
/// back the same: every key as `TOML.formatKey` quotes it (error messages and `--check-config` name
/// keys that way), and every date, time and date-time as its `description` prints it.
enum TOMLCheck {
    static func run(_ input: [UInt8]) throws(FuzzFinding) {
        let table: TOMLTable
        do { table = try TOML.parse(utf8: input, file: "fuzz.toml") } catch {
            guard error.position.line >= 1, error.position.column >= 1 else { throw FuzzFinding("error at \(error.position)") }
            _ = error.description
            return
        }
        try walk(table)
    }

    private static func walk(_ table: TOMLTable) throws(FuzzFinding) {
        for entry in table.entries {
            let written = TOML.formatKey(entry.key) + " = 1"
            guard let again = try? TOML.parse(written, file: "key.toml"), again.keys == [entry.key] else {
                throw FuzzFinding("the key \(entry.key.debugDescription) is written as `\(written)`, which does not read back")
            }
            try walk(entry.node)
        }
    }

    private static func walk(_ node: TOMLNode) throws(FuzzFinding) {
        switch node.value {
        case .table(let table): try walk(table)
        case .array(let nodes): for node in nodes { try walk(node) }
        case .date(let date): try rereads(node.value, "\(date)")
        case .time(let time): try rereads(node.value, "\(time)")
        case .dateTime(let dateTime): try rereads(node.value, "\(dateTime)")
        case .string, .integer, .float, .boolean: break
        }
    }

    private static func rereads(_ value: TOMLNode.Value, _ text: String) throws(FuzzFinding) {
        guard let again = try? TOML.parse("v = \(text)", file: "value.toml"), again["v"]?.value == value else {
            throw FuzzFinding("\(value) is written as `\(text)`, which does not read back the same")
        }
    }
}
