import CarillonTesting
import Foundation
import Testing

@testable import CarillonStation

@Suite("Shout recordings are kept `keep_shouts_days`")
struct ShoutArchiveTests {
    @Test("recordings last written before the cutoff are removed, newer ones and other files kept; 0 keeps all")
    func prune() throws {
        let directory = try TemporaryDirectory("carillon-shouts")
        defer { directory.remove() }
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let files = FileManager.default
        // Written 100, 91, 89 and 1 days before `now`, and a file that is not a recording.
        for (name, daysAgo) in [
            ("shout-20261009-080000-1.flac", 100.0), ("shout-20261018-080000-2.flac", 91), ("shout-20261020-080000-3.flac", 89),
            ("shout-20270114-080000-4.flac", 1), ("notes.txt", 400),
        ] {
            try directory.write(name, "x")
            try files.setAttributes([.modificationDate: now.addingTimeInterval(-daysAgo * 86400)], ofItemAtPath: directory.file(name))
        }
        #expect(ShoutArchive.prune(directory: directory.path, keepDays: 0, now: now).isEmpty)
        let removed = ShoutArchive.prune(directory: directory.path, keepDays: 90, now: now)
        #expect(removed == ["shout-20261009-080000-1.flac", "shout-20261018-080000-2.flac"])
        #expect(try files.contentsOfDirectory(atPath: directory.path).sorted() == ["notes.txt", "shout-20261020-080000-3.flac", "shout-20270114-080000-4.flac"])
        // A directory that does not exist yet (no shout so far) is no error.
        #expect(ShoutArchive.prune(directory: directory.file("none"), keepDays: 90, now: now).isEmpty)
    }

    @Test("`station.keep_shouts_days`: 90 unless set, 0 to 3650")
    func config() throws {
        func parse(_ station: String) throws -> StationConfig {
            try StationConfig.parse(Array("[station]\n\(station)\n".utf8), file: "/etc/carillon/carillon.toml")
        }
        #expect(try parse("").keepShoutsDays == 90)
        #expect(try parse("keep_shouts_days = 0").keepShoutsDays == 0)
        #expect(try parse("keep_shouts_days = 365").keepShoutsDays == 365)
        #expect(throws: (any Error).self) { try parse("keep_shouts_days = 3651") }
        #expect(throws: (any Error).self) { try parse("keep_shouts_days = -1") }
        #expect(throws: (any Error).self) { try parse("keep_shouts_days = 1.5") }
    }
}
