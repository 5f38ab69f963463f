import ArgumentParser
import CarillonControl
import CarillonProtocol
import Foundation

extension Carillon {
    struct Admin: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: Message.about("Backups of the daemon's database."), subcommands: [Backup.self, Restore.self])
        @ParentCommand var root: Carillon
    }
}

extension Carillon.Admin {
    struct Backup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: Message.about(
                "Back the database up (SQLite's VACUUM INTO, consistent while the daemon runs) and copy it to FILE."))
        @ParentCommand var admin: Carillon.Admin
        @Argument(help: Message.help("Where to put the backup.")) var file: String

        func run() async throws {
            let result = try await admin.root.connection.with {
                try await $0.call(.adminBackup, Empty(), returning: BackupResult.self)
            }
            // The daemon's copy is finished and consistent: copying it is safe, unlike the live file.
            do {
                if FileManager.default.fileExists(atPath: file) { try FileManager.default.removeItem(atPath: file) }
                try FileManager.default.copyItem(atPath: result.path, toPath: file)
            } catch {
                throw ValidationError(
                    Message.backupNotCopied(path: result.path, file: file, reason: error.localizedDescription).text)
            }
            print(Message.backedUp(bytes: result.bytes, file: file).text)
        }
    }

    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: Message.about(
                "Restore a backup: checked, then put in place as the daemon restarts (systemd restarts it)."))
        @ParentCommand var admin: Carillon.Admin
        @Argument(help: Message.help("A backup made with `admin backup`, readable by the daemon.")) var file: String

        func run() async throws {
            let path = URL(fileURLWithPath: file).standardizedFileURL.path
            do {
                _ = try await admin.root.connection.with {
                    try await $0.call(.adminRestore, RestoreArgs(path: path), returning: RestoreResult.self)
                }
            } catch {
                // A file that is not a Carillon backup is refused as `invalid-arguments`: a failure, not a usage mistake.
                throw Failure.aboutContent(error)
            }
            print(Message.restoreStaged(path).text)
        }
    }
}
