public import CarillonCore
public import Foundation
import GRDB

extension Store {
    /// Books an announcement (its `id` is ignored) unless `maxPending` already wait, in one
    /// transaction: two clients booking at once cannot pass the cap together.
    /// - Returns: its id, or nil when the cap is reached.
    public func bookAnnouncement(_ announcement: Announcement, maxPending: Int) async throws(StoreError) -> Int64? {
        let (clip, text, voice) = announcement.columns
        do {
            return try await commit { db in
                let pending =
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM announcement WHERE state = 'pending'") ?? 0
                guard pending < maxPending else { return nil }
                try db.execute(
                    sql: """
                        INSERT INTO announcement (at, clip, text, voice, zones, state, created_by, created_at)
                        VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)
                        """,
                    arguments: [
                        announcement.at.microseconds, clip, text, voice, announcement.zones.joined(separator: ","),
                        announcement.createdBy, announcement.createdAt.microseconds,
                    ])
                return db.lastInsertedRowID
            }
        } catch {
            throw StoreError("cannot book the announcement: \(Self.describe(error))")
        }
    }

    /// Moves an announcement from `from` (pending by default) to `state` (played, cancelled, missed or
    /// failed); from `played`, to record its play or its failure to start.
    /// - Returns: false when it was not in `from` (or does not exist): nothing changed.
    public func finishAnnouncement(
        _ id: Int64, state: Announcement.State, play: Int64? = nil, detail: String? = nil,
        from: Announcement.State = .pending,
        at: Date
    ) async throws(StoreError) -> Bool {
        do {
            return try await commit { db in
                try db.execute(
                    sql:
                        "UPDATE announcement SET state = ?, play = ?, detail = ?, ended_at = ? WHERE id = ? AND state = ?",
                    arguments: [state.rawValue, play, detail, at.microseconds, id, from.rawValue])
                return db.changesCount == 1
            }
        } catch {
            throw StoreError("cannot record the announcement: \(Self.describe(error))")
        }
    }

    /// The pending announcements, earliest first.
    public func pendingAnnouncements() throws(StoreError) -> [Announcement] {
        try announcements("SELECT * FROM announcement WHERE state = 'pending' ORDER BY at, id", [])
    }

    /// The pending announcements and those that ended since `since`, earliest first.
    public func announcements(endedSince since: Date) throws(StoreError) -> [Announcement] {
        try announcements(
            "SELECT * FROM announcement WHERE state = 'pending' OR ended_at >= ? ORDER BY at, id", [since.microseconds])
    }

    /// One announcement, whatever its state.
    public func announcement(_ id: Int64) throws(StoreError) -> Announcement? {
        try announcements("SELECT * FROM announcement WHERE id = ?", [id]).first
    }

    private func announcements(_ sql: String, _ arguments: [any DatabaseValueConvertible]) throws(StoreError)
        -> [Announcement]
    {
        do {
            return try writer.read { db in
                try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map(Announcement.init(row:))
            }
        } catch {
            throw StoreError("cannot read the announcements: \(Self.describe(error))")
        }
    }
}

extension Announcement {
    /// The clip, text and voice columns of its content.
    fileprivate var columns: (String?, String?, String?) {
        switch content {
        case .clip(let id): (id, nil, nil)
        case .text(let text, let voice): (nil, text, voice)
        }
    }

    fileprivate init(row: Row) {
        let clip: String? = row["clip"]
        let content: Content = clip.map { .clip($0) } ?? .text(row["text"] ?? "", voice: row["voice"] ?? "zh")
        let zones: String = row["zones"]
        let ended: Int64? = row["ended_at"]
        self.init(
            id: row["id"], at: Date(microseconds: row["at"]), content: content,
            zones: zones.split(separator: ",").map(String.init),
            state: State(rawValue: row["state"]) ?? .failed, createdBy: row["created_by"],
            createdAt: Date(microseconds: row["created_at"]), play: row["play"], detail: row["detail"],
            endedAt: ended.map(Date.init(microseconds:)))
    }
}
