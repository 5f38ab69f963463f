import CarillonCore
import CarillonStore
import Foundation
import Testing

@Suite("Booked announcements in the database")
struct AnnouncementStoreTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func announcement(_ content: Announcement.Content, in seconds: Double, zones: [String] = ["yard", "gate"])
        -> Announcement
    {
        Announcement(
            at: now.addingTimeInterval(seconds), content: content, zones: zones, createdBy: "uid 1000 (ann)@unix",
            createdAt: now)
    }

    @Test("a booking comes back whole, clip or text, earliest first")
    func roundTrip() async throws {
        let store = try Store.inMemory()
        let later = try #require(
            try await store.bookAnnouncement(announcement(.clip("tip.fire.012"), in: 600), maxPending: 10))
        let sooner = try #require(
            try await store.bookAnnouncement(
                announcement(.text("请到操场集合。", voice: "zh"), in: 60, zones: ["yard"]), maxPending: 10))
        let pending = try store.pendingAnnouncements()
        #expect(pending.map(\.id) == [sooner, later])
        #expect(pending[0].content == .text("请到操场集合。", voice: "zh"))
        #expect(
            pending[0].zones == ["yard"] && pending[0].state == .pending && pending[0].at == now.addingTimeInterval(60))
        #expect(pending[1].content == .clip("tip.fire.012") && pending[1].zones == ["yard", "gate"])
        #expect(pending[1].createdBy == "uid 1000 (ann)@unix" && pending[1].createdAt == now)
    }

    @Test("the cap counts pending ones only, inside the transaction")
    func cap() async throws {
        let store = try Store.inMemory()
        let first = try #require(try await store.bookAnnouncement(announcement(.clip("a"), in: 60), maxPending: 2))
        #expect(try await store.bookAnnouncement(announcement(.clip("b"), in: 60), maxPending: 2) != nil)
        #expect(try await store.bookAnnouncement(announcement(.clip("c"), in: 60), maxPending: 2) == nil, "full")
        #expect(try await store.finishAnnouncement(first, state: .cancelled, detail: "by t", at: now))
        #expect(try await store.bookAnnouncement(announcement(.clip("c"), in: 60), maxPending: 2) != nil, "room again")
    }

    @Test("an announcement leaves pending once: a second cancel, or a cancel after it played, changes nothing")
    func finishOnce() async throws {
        let store = try Store.inMemory()
        let id = try #require(try await store.bookAnnouncement(announcement(.clip("a"), in: 60), maxPending: 10))
        #expect(try await store.finishAnnouncement(id, state: .played, at: now.addingTimeInterval(60)))
        #expect(
            try await !store.finishAnnouncement(id, state: .cancelled, detail: "by t", at: now.addingTimeInterval(61)))
        #expect(
            try await store.finishAnnouncement(
                id, state: .played, play: 42, from: .played, at: now.addingTimeInterval(60)))
        let played = try #require(try store.announcement(id))
        #expect(played.state == .played && played.play == 42 && played.endedAt == now.addingTimeInterval(60))
        #expect(try store.pendingAnnouncements().isEmpty)
        #expect(try store.announcements(endedSince: now).map(\.id) == [id])
        #expect(try store.announcements(endedSince: now.addingTimeInterval(3600)).isEmpty, "ended before the window")
        #expect(try await !store.finishAnnouncement(999, state: .cancelled, at: now), "no such announcement")
        #expect(try store.announcement(999) == nil)
    }

    @Test("bookings survive reopening the database")
    func survivesReopening() async throws {
        let path = NSTemporaryDirectory() + "carillon-announce-\(UUID().uuidString).sqlite"
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let id: Int64
        do {
            let store = try Store.open(path: path)
            id = try #require(
                try await store.bookAnnouncement(announcement(.text("放学", voice: "zh"), in: 60), maxPending: 10))
        }
        let reopened = try Store.open(path: path)
        #expect(try reopened.pendingAnnouncements().map(\.id) == [id])
    }
}
