@testable import CarillonFuzzChecks
import Foundation
import Testing

/// Every file of every fuzz target's corpus (fuzz/corpus/<target>), the crash inputs found by
/// fuzzing included (named `crash-…`), fed to the same entry point the fuzzer drives. A crash ends
/// the test process, so a regression fails `make test` without a fuzzing build.
@Suite("The fuzz corpora replay clean")
struct CorpusTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("fuzz/corpus")

    static func inputs(_ target: FuzzTarget) throws -> [URL] {
        let directory = corpus.appendingPathComponent(target.rawValue)
        return try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { !$0.lastPathComponent.hasPrefix(".") }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    @Test("each target's corpus", arguments: FuzzTarget.allCases)
    func replay(_ target: FuzzTarget) throws {
        let files = try Self.inputs(target)
        #expect(files.count >= 3, "fuzz/corpus/\(target.rawValue) holds \(files.count) inputs")
        for file in files {
            let input = try [UInt8](Data(contentsOf: file))
            #expect(throws: Never.self, "\(target.rawValue)/\(file.lastPathComponent)") { try target.run(input) }
        }
    }

    @Test("every crash input found by fuzzing is kept in its corpus")
    func crashesKept() throws {
        let crashes = try FuzzTarget.allCases.flatMap { try Self.inputs($0) }.filter { $0.lastPathComponent.hasPrefix("crash-") }
        // The request id overflow of issue 18 (fuzz-protocol), in three forms.
        #expect(crashes.filter { $0.path.contains("/protocol/") }.count >= 3, "\(crashes.map(\.lastPathComponent))")
    }

    @Test("the city seeds reach past the signature: alerts admitted, one not addressed here, notices read")
    func citySeeds() throws {
        func outcomes(_ name: String) throws -> [String] {
            try CityCheck.outcomes([UInt8](Data(contentsOf: Self.corpus.appendingPathComponent("city/\(name)"))))
        }
        #expect(try outcomes("quake-countdown.json").first == "admitted")
        #expect(try outcomes("message-drill.json").first == "admitted")
        // A bare alert: refused as an envelope, admitted once signed with the fixed key.
        #expect(try outcomes("bare-clip-alert.json") == ["malformed", "admitted"])
        #expect(try outcomes("not-for-us.json").first == "not-for-us")
        #expect(try outcomes("notice-inline.json").last == "notice")
        #expect(try outcomes("notice-url.json").last == "notice")
    }
}
