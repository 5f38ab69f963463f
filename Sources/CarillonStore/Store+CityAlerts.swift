import GRDB

extension Store {
    /// Records a city alert's id until it expires, in one transaction that first forgets the
    /// expired ones (they can no longer sound, so they need no remembering).
    /// - Parameters: times in ms since 1970.
    /// - Returns: false when the id was heard before: a replay.
    public func admitCityAlert(id: String, expires: Int64, heard: Int64) async throws(StoreError) -> Bool {
        do {
            return try await commit { db in
                try db.execute(sql: "DELETE FROM city_alert WHERE expires_at < ?", arguments: [heard])
                try db.execute(
                    sql: "INSERT OR IGNORE INTO city_alert (id, expires_at, heard_at) VALUES (?, ?, ?)",
                    arguments: [id, expires, heard])
                return db.changesCount == 1
            }
        } catch {
            throw StoreError(Self.describe(error))
        }
    }

    /// The alert ids remembered, for tests and the operator's look.
    public func cityAlertIDs() throws(StoreError) -> [String] {
        do { return try writer.read { try String.fetchAll($0, sql: "SELECT id FROM city_alert ORDER BY heard_at") } } catch {
            throw StoreError(Self.describe(error))
        }
    }
}
