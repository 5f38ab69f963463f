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
        let store = try Store.inMemory()
        let renderer = Renderer(cacheDirectory: directory.file("cache"), loudnessTarget: -18)
        let station = try Station(
            config: StationConfig.parse([], file: "/tmp/carillon.toml"), library: Library.load(directory: directory.path),
            engine: AudioEngine(outputs: [], onEvent: { _ in }), store: store, renderer: renderer, logger: Logger(label: "test"))
        let desk = try AnnouncementDesk(station: station, store: store, renderer: renderer, logger: Logger(label: "test"), timer: WakeTimer())
        // The server adds `auth`, as the daemon does.
        let table = Commands.table(station: station, announcements: desk) + [.auth(access: AccessControl(AccessPolicy()), limiter: LoginLimiter())]
        #expect(table.map(\.name).sorted() == CommandName.allCases.map(\.rawValue).sorted())
        let sections = Self.sections(of: protocolDoc)
        for command in table {
            guard let section = sections.first(where: { $0.heading.contains("`\(command.name)`") }) else {
                Issue.record("PROTOCOL.md has no section for `\(command.name)`")
                continue
            }
            // Each section states the role the table requires, so the doc cannot drift from the code.
            let role = command.role.map { "`\($0.rawValue)`" } ?? "anyone"
            #expect(section.body.contains("Role: \(role)"), "the section of `\(command.name)` must say `Role: \(role)`")
        }
    }

    /// `### ` headings and the text under each, to the next heading.
    static func sections(of document: String) -> [(heading: String, body: String)] {
        var result: [(heading: String, body: String)] = []
        for line in document.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("### ") {
                result.append((String(line), ""))
            } else if line.hasPrefix("## ") {
                result.append(("", ""))
            } else if !result.isEmpty {
                result[result.count - 1].body += line + "\n"
            }
        }
        return result
    }

    @Test("every error code is in the table of error codes", arguments: ErrorCode.allCases)
    func everyErrorCodeDocumented(code: ErrorCode) {
        #expect(protocolDoc.contains("| `\(code.rawValue)` |"), "PROTOCOL.md does not list `\(code.rawValue)`")
    }
}
