public import CarillonCore
public import Foundation
import GRDB

/// One clip as the catalog keeps it, with what is known of its audio.
public struct CatalogEntry: Sendable, Hashable {
    public var clip: Clip
    /// `shipped` for the library's own files, `imported` for a school's recordings.
    public var origin: String
    public var loudness: Double?
    public var addedAt: Date

    public init(clip: Clip, origin: String, loudness: Double? = nil, addedAt: Date = Date()) {
        self.clip = clip
        self.origin = origin
        self.loudness = loudness
        self.addedAt = addedAt
    }
}

extension Store {
    /// Makes the shipped part of the catalog match `clips`, in one transaction: new clips are
    /// added, changed ones updated, removed ones deleted. Imported clips are not touched.
    public func syncShipped(_ clips: [Clip]) async throws(StoreError) {
        let rows = clips.map { CatalogEntry(clip: $0, origin: "shipped") }
        do {
            try await commit { db in
                let existing = Set(try String.fetchAll(db, sql: "SELECT id FROM clip WHERE origin = 'shipped'"))
                let keep = Set(rows.map(\.clip.id))
                for gone in existing.subtracting(keep) {
                    try db.execute(sql: "DELETE FROM clip WHERE id = ?", arguments: [gone])
                }
                for row in rows { try Self.upsert(row, db) }
            }
        } catch {
            throw StoreError("cannot update the catalog: \(Self.describe(error))")
        }
    }

    /// Adds an imported clip. Refuses a duplicate id or content hash, changing nothing.
    public func insertImported(_ entry: CatalogEntry) async throws(StoreError) {
        do {
            try await commit { db in
                if let hash = entry.clip.contentHash,
                    let other = try String.fetchOne(db, sql: "SELECT id FROM clip WHERE content_hash = ?", arguments: [hash])
                {
                    throw StoreError("the same audio is already in the library as `\(other)`")
                }
                if try Bool.fetchOne(db, sql: "SELECT 1 FROM clip WHERE id = ?", arguments: [entry.clip.id]) == true {
                    throw StoreError("a clip `\(entry.clip.id)` is already in the library")
                }
                try Self.upsert(entry, db)
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError("cannot add the clip: \(Self.describe(error))")
        }
    }

    /// The clip holding this audio, if any.
    public func clipID(contentHash: String) throws(StoreError) -> String? {
        do {
            return try writer.read { try String.fetchOne($0, sql: "SELECT id FROM clip WHERE content_hash = ?", arguments: [contentHash]) }
        } catch { throw StoreError(Self.describe(error)) }
    }

    /// Every clip added to the shipped library: imported by the school, or from a bundle.
    public func importedClips() throws(StoreError) -> [CatalogEntry] {
        do {
            return try writer.read { db in
                var grades = GradeMemo()
                return try Row.fetchAll(db, sql: "SELECT \(Self.columns) FROM clip WHERE origin IN ('imported', 'bundle') ORDER BY id")
                    .compactMap { Self.entry($0, grades: &grades) }
            }
        } catch { throw StoreError(Self.describe(error)) }
    }

    /// The whole catalog, shipped and added clips, in one read: start-up takes the shipped library
    /// from here instead of parsing its files when they are the ones last written through.
    /// - Returns: the entries, and how many rows could not be read back as a clip (a later
    ///   version's category, say): the caller must not trust a catalog that lost some.
    public func catalogEntries() throws(StoreError) -> (entries: [CatalogEntry], unreadable: Int) {
        do {
            return try writer.read { db in
                var entries: [CatalogEntry] = []
                var unreadable = 0
                var grades = GradeMemo()
                let rows = try Row.fetchCursor(db, sql: "SELECT \(Self.columns) FROM clip ORDER BY id")
                while let row = try rows.next() {
                    if let entry = Self.entry(row, grades: &grades) { entries.append(entry) } else { unreadable += 1 }
                }
                return (entries, unreadable)
            }
        } catch { throw StoreError(Self.describe(error)) }
    }

    /// The number of clips in the catalog.
    public func clipCount() throws(StoreError) -> Int {
        do { return try writer.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM clip") ?? 0 } } catch {
            throw StoreError(Self.describe(error))
        }
    }

    static func upsert(_ entry: CatalogEntry, _ db: Database) throws {
        let clip = entry.clip
        let (kind, source): (String, String) =
            switch clip.source {
            case .file(let path): ("file", path)
            case .synth(let name, let parameters):
                ("synth", Self.json(["synth": name, "params": parameters.mapValues { "\($0)" }]))
            case .speech(let text, let voice): ("speech", voice + ":" + text)
            }
        try db.execute(
            sql: """
                INSERT INTO clip (id, category, title, language, origin, kind, source, subject, grade, season,
                                  duration_ms, loudness_lufs, gain_db, content_hash, added_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET
                    category = excluded.category, title = excluded.title, language = excluded.language,
                    origin = excluded.origin, kind = excluded.kind, source = excluded.source,
                    subject = excluded.subject, grade = excluded.grade, season = excluded.season,
                    gain_db = excluded.gain_db
                """,
            arguments: [
                clip.id, clip.category.rawValue, clip.title, clip.language, entry.origin, kind, source, clip.subject,
                GradeBand.text(clip.grades), clip.season.rawValue, clip.duration.map { Int64(($0 * 1000).rounded()) },
                entry.loudness, clip.gainDB, clip.contentHash, entry.addedAt.microseconds,
            ])
    }

    /// The columns `entry` reads, in its order: by index, since a lookup by name for each of ten
    /// thousand rows at start-up costs more than the read itself.
    private static let columns =
        "id, category, title, language, origin, kind, source, subject, grade, season, duration_ms, loudness_lufs, gain_db, content_hash, added_at"

    /// Grade texts already read: a catalog holds a handful of distinct ones, and making a set for
    /// each of ten thousand rows was a third of reading them.
    struct GradeMemo {
        private var read: [String: Set<GradeBand>] = [:]

        mutating func bands(_ text: String) -> Set<GradeBand> {
            if let bands = read[text] { return bands }
            let bands = GradeBand.bands(fromText: text) ?? GradeBand.all
            read[text] = bands
            return bands
        }
    }

    /// A row of `SELECT \(columns)`; nil when it is not a clip this version can read.
    private static func entry(_ row: Row, grades: inout GradeMemo) -> CatalogEntry? {
        guard let category = ClipCategory(rawValue: row[1]) else { return nil }
        let kind: String = row[5]
        let source: String = row[6]
        let clipSource: ClipSource
        switch kind {
        case "file": clipSource = .file(source)
        case "speech":
            let parts = source.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { return nil }
            clipSource = .speech(text: String(parts[1]), voice: String(parts[0]))
        case "synth":
            guard let object = try? JSONSerialization.jsonObject(with: Data(source.utf8)) as? [String: Any],
                let name = object["synth"] as? String
            else { return nil }
            let params = (object["params"] as? [String: String] ?? [:]).compactMapValues(Double.init)
            clipSource = .synth(name: name, parameters: params)
        default: return nil
        }
        let clip = Clip(
            id: row[0], category: category, title: row[2], language: row[3], source: clipSource,
            gainDB: row[12], subject: row[7], grades: grades.bands(row[8]),
            season: ClipSeason(rawValue: row[9]) ?? .all, contentHash: row[13],
            duration: (row[10] as Int64?).map { Double($0) / 1000 })
        return CatalogEntry(clip: clip, origin: row[4], loudness: row[11], addedAt: Date(microseconds: row[14]))
    }

    private static func json(_ object: [String: Any]) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
