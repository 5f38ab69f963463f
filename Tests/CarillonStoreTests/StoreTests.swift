import CarillonStore
import Foundation
import Testing

@Suite("The play log")
struct StoreTests {
    @Test("a play is recorded when requested, started and ended")
    func lifecycle() async throws {
        let store = try Store.inMemory()
        #expect(try store.lastPlayID() == 0)
        let requested = Date(timeIntervalSince1970: 1_790_000_000.25)
        try await store.recordRequested(
            PlayRecord(
                id: 1, clip: "bell.start", zones: ["teaching", "playground"], level: "bell", source: "schedule",
                requestedBy: "scheduler", requestedAt: requested))
        try await store.recordStarted(
            id: 1, firstSampleAt: requested.addingTimeInterval(0.002), audibleAt: requested.addingTimeInterval(0.032),
            latency: .microseconds(2100))
        try await store.recordEnded(id: 1, at: requested.addingTimeInterval(5), outcome: "finished", detail: nil)

        let plays = try await store.recentPlays(limit: 10)
        let play = try #require(plays.first)
        #expect(plays.count == 1)
        #expect(play.zones == ["teaching", "playground"])
        #expect(play.requestedAt == requested)
        #expect(play.latency == .microseconds(2100))
        // Times are kept to the microsecond.
        #expect(abs(try #require(play.audibleAt).timeIntervalSince(requested) - 0.032) < 1e-6)
        #expect(play.outcome == "finished")
        #expect(try store.lastPlayID() == 1)
    }

    @Test("the database file is in WAL mode and keeps its rows across reopening")
    func fileDatabase() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("carillon-store-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("carillon.sqlite").path
        do {
            let store = try Store.open(path: path)
            #expect(try store.journalMode() == "wal")
            try await store.recordRequested(
                PlayRecord(
                    id: 41, clip: "x", zones: ["main"], level: "announcement", source: "manual", requestedBy: "unix",
                    requestedAt: Date()))
        }
        let reopened = try Store.open(path: path)
        #expect(try reopened.lastPlayID() == 41)
    }

    @Test("a file that is not a database is refused with its path")
    func notADatabase() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("carillon-junk-\(UUID()).sqlite").path
        try Data(repeating: 0x42, count: 8192).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect {
            try Store.open(path: path)
        } throws: { error in
            "\(error)".contains(path)
        }
    }
}
