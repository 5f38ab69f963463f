import ArgumentParser
import CarillonBundle
import CarillonControl
import CarillonCore
import CarillonProtocol
import CarillonTOML
import CarillonCrypto
import Foundation

extension Carillon {
    struct BundleCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bundle", abstract: "The bureau's signed bundles: keys, signing, checking, applying and pushing.",
            subcommands: [Keygen.self, Sign.self, Verify.self, Apply.self, Push.self])
        @ParentCommand var root: Carillon
    }
}

extension Carillon.BundleCommand {
    struct Keygen: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a signing key: NAME.key (private, mode 0600) and NAME.pub (for schools' [bureau] keys).")
        @Option(name: .shortAndLong, help: "The files' name, without extension.") var output: String

        func run() throws {
            let key = BundleKey.generate()
            let privatePath = output + ".key"
            let publicPath = output + ".pub"
            if FileManager.default.fileExists(atPath: publicPath) {
                throw LocalFailure(message: "\(publicPath) exists; a key is never overwritten")
            }
            try writeSecret(BundleKey.pem(key), to: privatePath)
            guard FileManager.default.createFile(atPath: publicPath, contents: Data(BundleKey.pem(key.publicKey).utf8)) else {
                throw LocalFailure(message: "cannot create \(publicPath)")
            }
            print("key \(BundleKey.id(of: key.publicKey)): private \(privatePath), public \(publicPath)")
        }
    }

    struct Sign: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign a bundle of a schedule, plans and clips.",
            discussion: """
                Files are told apart by name: schedule.toml is the schedule; any other .toml is a plan named \
                after the file, except catalog.toml, which describes the clips in the library's [[clip]] form \
                (id, category, title, file, and optionally language, subject, season); .wav, .flac, .ogg, .opus \
                and .mp3 files are clips. A clip not in a catalog.toml takes its id from its file name, and its \
                category (and, for a tip, its subject) from the id: tip.outdoor.swim-01.flac.
                """)
        @Option(help: "The private key (PEM).") var key: String
        @Option(help: "The bundle's version; by default the schedule's. It must be above every version the schools hold.")
        var version: Int?
        @Option(help: "When schools stop accepting it: a date (2026-12-31), a date and time, or a span such as 30d or 12h.")
        var expires: String = "30d"
        @Option(help: "Comma-separated school ids, or * for every school.") var schools: String = "*"
        @Option(name: .shortAndLong, help: "The bundle file to write.") var output: String
        @Argument(help: "schedule.toml, plans/*.toml, catalog.toml and clips.") var files: [String]

        func run() throws {
            guard let pem = try? String(contentsOfFile: key, encoding: .utf8) else { throw LocalFailure(message: "cannot read \(key)") }
            let signer = try BundleKey.privateKey(pem: pem)
            let now = Date()
            guard let expiry = Self.instant(expires, after: now), expiry > now else {
                throw ValidationError("--expires must be a future date, date and time, or a span such as 30d")
            }
            let targets = schools.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            var parts: [(part: BundlePart, bytes: Data)] = []
            var scheduleVersion: Int?
            let catalog = try files.first { ($0 as NSString).lastPathComponent == "catalog.toml" }.map(Self.readCatalog) ?? [:]
            for file in files where (file as NSString).lastPathComponent != "catalog.toml" {
                guard let data = FileManager.default.contents(atPath: file) else { throw LocalFailure(message: "cannot read \(file)") }
                let name = (file as NSString).lastPathComponent
                let ext = (name as NSString).pathExtension.lowercased()
                let stem = (name as NSString).deletingPathExtension
                if name == "schedule.toml" {
                    do { scheduleVersion = try Schedule.parse(Array(data), file: file).version } catch {
                        throw LocalFailure(message: error.description)
                    }
                    parts.append((BundlePart(kind: .schedule, path: "schedule.toml", size: 0, sha256: ""), data))
                } else if ext == "toml" {
                    do { _ = try Plan.parse(Array(data), file: file, name: stem) } catch { throw LocalFailure(message: error.description) }
                    parts.append((BundlePart(kind: .plan, path: "plans/\(name)", size: 0, sha256: ""), data))
                } else if BundlePart.audioExtensions.contains(ext) {
                    let clip = try catalog[name] ?? Self.describe(stem: stem, file: file)
                    parts.append((BundlePart(kind: .clip, path: "clips/\(name)", size: 0, sha256: "", clip: clip), data))
                } else {
                    throw LocalFailure(message: "\(file): not a schedule, plan, catalog or clip (.wav, .flac, .ogg, .opus, .mp3)")
                }
            }
            if let version, let scheduleVersion, version != scheduleVersion {
                throw LocalFailure(message: "--version \(version) but schedule.toml says version \(scheduleVersion); they must agree")
            }
            guard let bundleVersion = version ?? scheduleVersion else {
                throw ValidationError("give --version: the bundle has no schedule to take it from")
            }
            let bundle = try BundleArchive.build(
                version: bundleVersion, issuedAt: now, expiresAt: expiry, schools: targets, parts: parts, key: signer)
            guard FileManager.default.createFile(atPath: output, contents: bundle) else {
                throw LocalFailure(message: "cannot write \(output)")
            }
            print("bundle version \(bundleVersion), \(parts.count) parts, \(bundle.count) bytes, for \(targets.joined(separator: ", ")), expires \(expiry.ISO8601Format()): \(output)")
        }

        /// A date (`2026-12-31`, the end of that day in UTC), an ISO 8601 instant, or a span from now (`30d`, `12h`).
        static func instant(_ text: String, after now: Date) -> Date? {
            if let unit = text.last, let count = Double(text.dropLast()), count > 0 {
                switch unit {
                case "d": return now.addingTimeInterval(count * 86400)
                case "h": return now.addingTimeInterval(count * 3600)
                default: break
                }
            }
            if let instant = try? Date(text, strategy: .iso8601) { return instant }
            if let day = try? Date(text + "T23:59:59Z", strategy: .iso8601) { return day }
            return nil
        }

        /// A clip described by its file name: `tip.outdoor.swim-01` is a tip on `outdoor`.
        static func describe(stem: String, file: String) throws -> BundleClip {
            let words = stem.split(separator: ".").map(String.init)
            guard Clip.isWellFormedID(stem), let category = words.first, ClipCategory(rawValue: category) != nil else {
                throw LocalFailure(
                    message: "\(file): name the file after its clip id, starting with its category (e.g. tip.outdoor.swim-01.flac), or describe it in a catalog.toml")
            }
            let subject = category == "tip" ? words.dropFirst().first : nil
            if category == "tip", subject.map(Clip.tipSubjects.contains) != true {
                throw LocalFailure(message: "\(file): a tip's id names its subject second, one of " + Clip.tipSubjects.joined(separator: ", "))
            }
            return BundleClip(id: stem, category: category, title: stem, subject: subject)
        }

        /// The clips a catalog.toml describes, by file name.
        static func readCatalog(_ path: String) throws -> [String: BundleClip] {
            guard let data = FileManager.default.contents(atPath: path) else { throw LocalFailure(message: "cannot read \(path)") }
            do {
                var root = TOMLReader(try TOML.parse(utf8: Array(data), file: path), file: path)
                var clips: [String: BundleClip] = [:]
                for var entry in try root.tableArray("clip") {
                    let file = (try entry.requiredString("file") as NSString).lastPathComponent
                    clips[file] = BundleClip(
                        id: try entry.requiredString("id"), category: try entry.requiredString("category"),
                        title: try entry.requiredString("title"), language: try entry.string("language"),
                        subject: try entry.string("subject"), season: try entry.string("season"))
                    try entry.finish()
                }
                try root.finish()
                return clips
            } catch { throw LocalFailure(message: error.description) }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a bundle as a school would, and print its manifest and the verdict.",
            discussion: "Exits 0 when it would be accepted, 1 when refused.")
        @Option(help: "A trusted public key (PEM); repeat for several.") var pubkey: [String]
        @Option(help: "Check it is addressed to this school.") var school: String?
        @Option(help: "Check its version is above this one.") var floor: Int?
        @Flag(help: "Print one JSON object.") var json = false
        @Argument(help: "The bundle file.") var file: String

        func run() throws {
            guard let data = try? Data(contentsOf: URL(fileURLWithPath: file), options: .alwaysMapped) else {
                throw LocalFailure(message: "cannot read \(file)")
            }
            let keys = try pubkey.map { path in
                guard let pem = try? String(contentsOfFile: path, encoding: .utf8) else { throw LocalFailure(message: "cannot read \(path)") }
                return try BundleKey.publicKey(pem: pem)
            }
            let archive: BundleArchive
            do { archive = try BundleArchive.parse(data) } catch {
                throw LocalFailure(message: "refused: \(error)")
            }
            var verdict: BundleError?
            do { try archive.verify(trusting: keys, school: school, now: Date(), floor: floor) } catch { verdict = error }
            let manifest = archive.manifest
            if json {
                var object = try JSONSerialization.jsonObject(with: archive.manifestBytes) as? [String: Any] ?? [:]
                object["digest"] = archive.digest
                object["verdict"] = verdict.map { "refused: \($0)" } ?? "accepted"
                StandardOutput.write(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) + Data("\n".utf8))
            } else {
                print("bundle version \(manifest.version), key \(manifest.key), digest \(archive.digest)")
                print("issued \(manifest.issuedAt.ISO8601Format()), expires \(manifest.expiresAt.ISO8601Format())")
                print("schools: \(manifest.schools.joined(separator: ", "))")
                for part in manifest.parts {
                    let clip = part.clip.map { "  \($0.id) (\($0.category)) \($0.title)" } ?? ""
                    print("  \(part.kind.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) \(part.path)  \(part.size) bytes  \(part.sha256.prefix(16))…\(clip)")
                }
                print(verdict.map { "refused: \($0)" } ?? "accepted")
            }
            if verdict != nil { throw ExitCode(1) }
        }
    }

    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply a bundle to one daemon (bureau or admin role): it is uploaded, checked and applied whole, or refused.")
        @ParentCommand var bundle: Carillon.BundleCommand
        @Flag(help: "Print one JSON object.") var json = false
        @Argument(help: "The bundle file.") var file: String

        func run() async throws {
            guard let data = try? Data(contentsOf: URL(fileURLWithPath: file)) else { throw LocalFailure(message: "cannot read \(file)") }
            let result = try await bundle.root.connection.with { control in
                try await Self.send(data, name: (file as NSString).lastPathComponent, control: control, showProgress: !json)
            }
            if json { return try printJSON(result) }
            print(Self.describe(result))
        }

        /// Uploads a bundle and applies it.
        static func send(_ data: Data, name: String, control: ControlConnection, showProgress: Bool) async throws -> BundleApplied {
            let id = try await upload(data, name: name, open: .bundleUpload, chunk: .bundleChunk, control: control, showProgress: showProgress)
            return try await control.call(.bundleApply, BundleApplyArgs(upload: id), returning: BundleApplied.self)
        }

        static func describe(_ result: BundleApplied) -> String {
            if result.already { return "bundle version \(result.version) was already applied; nothing changed" }
            var what: [String] = []
            if result.schedule { what.append("the schedule") }
            if !result.plans.isEmpty { what.append("plans " + result.plans.joined(separator: ", ")) }
            if !result.clips.isEmpty { what.append("\(result.clips.count) clips") }
            return "bundle version \(result.version) in force (was \(result.previous)): " + what.joined(separator: ", ")
        }
    }

    struct Push: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply a bundle at every school of a schools file (bureau), over TCP with TLS.",
            discussion: """
                Prints progress, then one row per school and a summary. A school already holding this very \
                bundle counts as ok; one holding a newer version is refused (stale-version) and fails. Exits 1 \
                if any school failed; --failed-out writes those schools to rerun with --schools.
                """)
        @ParentCommand var bundle: Carillon.BundleCommand
        @OptionGroup var fleet: FleetOptions
        @Flag(help: "Print one JSON object per school, then one for the run.") var json = false
        @Argument(help: "The bundle file.") var file: String

        func run() async throws {
            if bundle.root.connection.host != nil || bundle.root.connection.socket != nil {
                throw ValidationError("`bundle push` reaches the schools of --schools; --host and --socket do not apply")
            }
            guard let data = try? Data(contentsOf: URL(fileURLWithPath: file)) else { throw LocalFailure(message: "cannot read \(file)") }
            // Checked here first: a file that is not a bundle should fail once, not 2,000 times.
            let manifest: BundleManifest
            do { manifest = try BundleArchive.parse(data).manifest } catch { throw LocalFailure(message: "\(file): \(error)") }
            let schools = try fleet.loadSchools()
            let name = (file as NSString).lastPathComponent
            let started = ContinuousClock.now
            let results = try await fleet.run(schools) { _, connection in
                try await Apply.send(data, name: name, control: connection, showProgress: false)
            }
            let elapsed = (ContinuousClock.now - started).seconds
            if json {
                for result in results {
                    try printJSON(FleetLine(result))
                }
                try printJSON(
                    PushSummary(
                        version: manifest.version, schools: results.count, ok: results.filter(\.ok).count,
                        failed: results.filter { !$0.ok }.count, elapsedSeconds: elapsed))
            } else {
                Fleet.printTable(results, describe: Apply.describe)
                print(String(format: "bundle version \(manifest.version) pushed in %.2f s", elapsed))
            }
            if results.contains(where: { !$0.ok }) { throw ExitCode(1) }
        }
    }
}

/// The last line of `bundle push --json`.
struct PushSummary: Encodable {
    var version: Int
    var schools: Int
    var ok: Int
    var failed: Int
    var elapsedSeconds: Double
}
