@testable import CarillonAudio
import CarillonControl
import CarillonProtocol
@testable import CarillonStation
import CarillonStore
import CarillonTesting
import Foundation
import Logging
import Testing

@Suite("docs/PROTOCOL.md matches the code")
struct ProtocolDocumentationTests {
    let protocolDoc: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return (try? String(contentsOf: root.appendingPathComponent("docs/PROTOCOL.md"), encoding: .utf8)) ?? ""
    }()

    @Test("the daemon's command table holds every command of the protocol, and each has its section")
    func everyCommandDocumented() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("catalog.toml", "")
        let station = try Station(
            config: StationConfig.parse([], file: "/tmp/carillon.toml"), library: Library.load(directory: directory.path),
            engine: AudioEngine(outputs: [], onEvent: { _ in }), store: Store.inMemory(),
            renderer: Renderer(cacheDirectory: directory.file("cache"), loudnessTarget: -18), logger: Logger(label: "test"))
        let table = Commands.table(station: station)
        #expect(table.names == CommandName.allCases.map(\.rawValue).sorted())
        let headings = protocolDoc.split(separator: "\n").filter { $0.hasPrefix("### ") }
        for name in table.names {
            #expect(headings.contains { $0.contains("`\(name)`") }, "PROTOCOL.md has no section for `\(name)`")
        }
    }

    @Test("every error code is in the table of error codes", arguments: ErrorCode.allCases)
    func everyErrorCodeDocumented(code: ErrorCode) {
        #expect(protocolDoc.contains("| `\(code.rawValue)` |"), "PROTOCOL.md does not list `\(code.rawValue)`")
    }
}
