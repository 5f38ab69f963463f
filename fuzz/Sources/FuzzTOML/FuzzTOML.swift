import CLibFuzzer
import CarillonTOML

/// Any bytes as a TOML document. What parses is walked, and what the package writes back must read
/// back the same: every key as `TOML.formatKey` quotes it (error messages and `--check-config` name
/// keys that way), and every date, time and date-time as its `description` prints it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    do {
        walk(try TOML.parse(utf8: bytes, file: "fuzz.toml"))
    } catch {
        precondition(error.position.line >= 1 && error.position.column >= 1, "error at \(error.position)")
        _ = error.description
    }
    return 0
}

private func walk(_ table: TOMLTable) {
    for entry in table.entries {
        let written = TOML.formatKey(entry.key) + " = 1"
        guard let again = try? TOML.parse(written, file: "key.toml"), again.keys == [entry.key] else {
            fatalError("the key \(entry.key.debugDescription) is written as `\(written)`, which does not read back")
        }
        walk(entry.node)
    }
}

private func walk(_ node: TOMLNode) {
    switch node.value {
    case .table(let table): walk(table)
    case .array(let nodes): nodes.forEach(walk)
    case .date(let date): rereads(node.value, "\(date)")
    case .time(let time): rereads(node.value, "\(time)")
    case .dateTime(let dateTime): rereads(node.value, "\(dateTime)")
    case .string, .integer, .float, .boolean: break
    }
}

private func rereads(_ value: TOMLNode.Value, _ text: String) {
    guard let again = try? TOML.parse("v = \(text)", file: "value.toml"), again["v"]?.value == value else {
        fatalError("\(value) is written as `\(text)`, which does not read back the same")
    }
}

/// The executable's entry: SwiftPM links `main` to `FuzzTOML_main`; libFuzzer parses the arguments.
@_cdecl("FuzzTOML_main")
public func run(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzz)
}
