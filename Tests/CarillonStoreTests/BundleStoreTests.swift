import CarillonCore
import CarillonStore
import Foundation
import Testing

@Suite("Schedules and bundles: one sequence of versions, history and rollback")
struct BundleStoreTests {
    static func record(_ version: Int) -> BundleRecord {
        BundleRecord(
            version: version, digest: String(repeating: "\(version % 10)", count: 64), key: "k", issuedAt: Date(),
            expiresAt: Date().addingTimeInterval(60), manifest: "{}", appliedAt: Date(), appliedBy: "bureau")
    }

    static func clip(_ id: String) -> CatalogEntry {
        CatalogEntry(clip: Clip(id: id, category: .tip, title: id, source: .file("/x/\(id).flac"), subject: "fire"), origin: "bundle")
    }

    @Test func bundlesAndSchedulesShareTheFloorAndRollbackNeverLowersIt() async throws {
        let store = try Store.inMemory()
        try await store.applySchedule(version: 3, text: "v3", source: "file")
        try await store.applyBundle(Self.record(5), schedule: "v5", plans: ["flood": "p5"], clips: [Self.clip("tip.fire.a")])
        try await store.applyBundle(Self.record(6), schedule: nil, plans: ["flood": "p6", "gas": "g6"], clips: [])
        #expect(try store.versionFloor() == 6)
        #expect(try store.currentSchedule()?.version == 5)
        #expect(try store.bundlePlans().mapValues(\.text) == ["flood": "p6", "gas": "g6"])
        #expect(try store.importedClips().map(\.clip.id) == ["tip.fire.a"])

        // A stale version is refused by both ways in, and changes nothing.
        await #expect(throws: StoreError.self) { try await store.applySchedule(version: 6, text: "x", source: "admin") }
        await #expect(throws: StoreError.self) {
            try await store.applyBundle(Self.record(4), schedule: nil, plans: [:], clips: [])
        }
        do {
            try await store.applyBundle(Self.record(6), schedule: nil, plans: [:], clips: [])
            Issue.record("version 6 twice was accepted")
        } catch { #expect(error.kind == .staleVersion) }

        // Back to 5: bundle 6's plans go, the floor stays.
        let moved = try await store.rollback(to: nil)
        #expect(moved.from == 6 && moved.to == 5)
        #expect(try store.bundlePlans().mapValues(\.text) == ["flood": "p5"])
        #expect(try store.currentSchedule()?.version == 5)
        #expect(try store.versionFloor() == 6)
        let history = try store.versionHistory()
        #expect(history.map(\.version) == [6, 5, 3])
        #expect(history.map { $0.rolledBackAt != nil } == [true, false, false])
        #expect(history.map(\.hasBundle) == [true, true, false])
        #expect(history.map(\.hasSchedule) == [false, true, true])

        // Back to 3, then nothing is left below.
        _ = try await store.rollback(to: 3)
        #expect(try store.currentSchedule()?.version == 3)
        #expect(try store.bundlePlans().isEmpty)
        do {
            _ = try await store.rollback(to: nil)
            Issue.record("rolled back below the only version")
        } catch { #expect(error.description.contains("nothing to go back to")) }
        // A rolled-back version is not a target: forward is only by a new version.
        do {
            _ = try await store.rollback(to: 5)
            Issue.record("rolled back up to a rolled-back version")
        } catch { #expect(error.description.contains("not one to go back to")) }
        try await store.applySchedule(version: 7, text: "v7", source: "admin")
        #expect(try store.currentSchedule()?.version == 7)
    }

    @Test func aBundleMayNotReplaceAClipItDoesNotOwnAndFailsWhole() async throws {
        let store = try Store.inMemory()
        try await store.insertImported(
            CatalogEntry(clip: Clip(id: "tip.fire.a", category: .tip, title: "mine", source: .file("/x/a.flac"), subject: "fire"), origin: "imported"))
        do {
            try await store.applyBundle(Self.record(2), schedule: "v2", plans: ["p": "t"], clips: [Self.clip("tip.fire.b"), Self.clip("tip.fire.a")])
            Issue.record("a bundle replaced an imported clip")
        } catch { #expect(error.kind == .conflict) }
        #expect(try store.versionFloor() == 0)
        #expect(try store.currentSchedule() == nil)
        #expect(try store.importedClips().map(\.clip.id) == ["tip.fire.a"])
        #expect(try store.bundles().isEmpty)
    }
}
