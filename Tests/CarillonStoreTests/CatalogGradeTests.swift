import CarillonCore
import CarillonStore
import Foundation
import GRDB
import Testing

@Suite("The catalog's grade bands")
struct CatalogGradeTests {
    @Test("a clip's grade bands are stored as a set and read back")
    func roundTrip() async throws {
        let store = try Store.inMemory()
        let clip = Clip(
            id: "tip.fire.900", category: .tip, title: "消防安全 900", source: .speech(text: "不玩火。", voice: "zh"),
            subject: "fire", grades: [.juniorMiddle, .upperPrimary], season: .winter)
        try await store.insertImported(CatalogEntry(clip: clip, origin: "imported"))
        let read = try #require(try store.importedClips().first?.clip)
        #expect(read.grades == [.upperPrimary, .juniorMiddle])
        #expect(read.season == .winter)
    }

    @Test("v7 turns the old single grade names of a database into their bands")
    func migration() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("grades-\(UUID()).sqlite").path
        defer {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        do {
            _ = try Store.open(path: path)
        }
        // Back to the database as a 2026 daemon left it: the migration not yet run, single names in `grade`.
        do {
            let queue = try DatabaseQueue(path: path)
            try await queue.write { db in
                try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v7-clip-grade-bands'")
                for (id, grade) in [("a", "primary"), ("b", "middle"), ("c", "high"), ("d", "all")] {
                    try db.execute(
                        sql: """
                            INSERT INTO clip (id, category, title, language, origin, kind, source, subject, grade,
                                              season, gain_db, added_at)
                            VALUES (?, 'tip', 't', 'zh-CN', 'imported', 'speech', 'zh:不玩火。', 'fire', ?, 'all', 0, 0)
                            """,
                        arguments: ["tip.fire.\(id)", grade])
                }
            }
        }
        let store = try Store.open(path: path)
        let grades = Dictionary(uniqueKeysWithValues: try store.importedClips().map { ($0.clip.id, $0.clip.grades) })
        #expect(grades["tip.fire.a"] == [.lowerPrimary, .upperPrimary])
        #expect(grades["tip.fire.b"] == [.juniorMiddle])
        #expect(grades["tip.fire.c"] == [.juniorMiddle])
        #expect(grades["tip.fire.d"] == GradeBand.all)
    }
}
