import Foundation
import GRDB

extension Store {
    /// Writes a consistent copy of the live database to `path` with `VACUUM INTO`, never a file copy.
    public func backup(to path: String) async throws(StoreError) {
        do {
            // VACUUM cannot run inside a transaction; this one runs beside the readers, on the writer.
            try await writer.writeWithoutTransaction { db in
                try db.execute(sql: "VACUUM INTO ?", arguments: [path])
            }
        } catch { throw StoreError("cannot back up to \(path): \(Self.describe(error))") }
    }

    /// Checks that `path` is a sound Carillon database, and copies it to `staging` to be put in place at
    /// the next start (a running database is never replaced under the daemon).
    public static func stageRestore(from path: String, to staging: String) throws(StoreError) {
        do {
            let source = try DatabaseQueue(path: path, configuration: { var c = Configuration(); c.readonly = true; return c }())
            try source.inDatabase { db in
                guard try String.fetchOne(db, sql: "PRAGMA integrity_check") == "ok" else {
                    throw StoreError("\(path) fails SQLite's integrity check")
                }
                guard try db.tableExists("grdb_migrations"), try db.tableExists("play") else {
                    throw StoreError("\(path) is not a Carillon database")
                }
                try? FileManager.default.removeItem(atPath: staging)
                try db.execute(sql: "VACUUM INTO ?", arguments: [staging])
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError("cannot restore from \(path): \(describe(error))")
        }
    }

    /// Puts a staged restore in place of the database at `path`, before it is opened.
    /// - Returns: whether there was one.
    public static func applyStagedRestore(_ staging: String, database path: String) throws(StoreError) -> Bool {
        guard FileManager.default.fileExists(atPath: staging) else { return false }
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        guard rename(staging, path) == 0 else {
            throw StoreError("cannot put the restored database in place: \(String(cString: strerror(errno)))")
        }
        return true
    }
}
