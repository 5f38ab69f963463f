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
            commandName: "bundle",
            abstract: Message.about("The bureau's signed bundles: keys, signing, checking, applying and pushing."),
            subcommands: [Keygen.self, Sign.self, Verify.self, Apply.self, Push.self])
        @ParentCommand var root: Carillon
    }
}

extension Carillon.BundleCommand {
    struct Keygen: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: Message.about(
                "Make a signing key: NAME.key (private, mode 0600) and NAME.pub (for schools' [bureau] keys)."))
        @Option(name: .shortAndLong, help: Message.help("The files' name, without extension.")) var output: String

        func run() throws {
            let key = BundleKey.generate()
            let privatePath = output + ".key"
            let publicPath = output + ".pub"
            if FileManager.default.fileExists(atPath: publicPath) {
                throw LocalFailure(message: Message.keyExists(publicPath).text)
            }
            try writeSecret(BundleKey.pem(key), to: privatePath)
            guard FileManager.default.createFile(atPath: publicPath, contents: Data(BundleKey.pem(key.publicKey).utf8)) else {
                throw LocalFailure(message: Message.cannotCreate(publicPath, reason: nil).text)
            }
            print(
                Message.keyMade(id: BundleKey.id(of: key.publicKey), privateFile: privatePath, publicFile: publicPath)
                    .text)
        }
    }

    struct Sign: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: Message.about("Sign a bundle of a schedule, plans and clips."),
            discussion: Message.about("""
                Files are told apart by name: schedule.toml is the schedule; any other .toml is a plan named \
                after the file, except catalog.toml, which describes the clips in the library's [[clip]] form \
                (id, category, title, file, and optionally language, subject, season); .wav, .flac, .ogg, .opus \
                and .mp3 files are clips. A clip not in a catalog.toml takes its id from its file name, and its \
                category (and, for a tip, its subject) from the id: tip.outdoor.swim-01.flac.
                """))
        @Option(help: Message.help("The private key (PEM).")) var key: String
        @Option(
            help: Message.help(
                "The bundle's version; by default the schedule's. It must be above every version the schools hold."))
        var version: Int?
        @Option(
            help: Message.help(
                "When schools stop accepting it: a date (2026-12-31), a date and time, or a span such as 30d or 12h."))
        var expires: String = "30d"
        @Option(help: Message.help("Comma-separated school ids, or * for every school.")) var schools: String = "*"
        @Option(name: .shortAndLong, help: Message.help("The bundle file to write.")) var output: String
        @Argument(help: Message.help("schedule.toml, plans/*.toml, catalog.toml and clips.")) var files: [String]

        func run() throws {
            guard let pem = try? String(contentsOfFile: key, encoding: .utf8) else {
                throw LocalFailure(message: Message.cannotReadFile(key).text)
            }
            let signer = try BundleKey.privateKey(pem: pem)
            let now = Date()
            guard let expiry = Self.instant(expires, after: now), expiry > now else {
                throw ValidationError(Message.expiresFormat.text)
            }
            let targets = schools.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            var parts: [(part: BundlePart, bytes: Data)] = []
            var scheduleVersion: Int?
            let catalog = try files.first { ($0 as NSString).lastPathComponent == "catalog.toml" }.map(Self.readCatalog) ?? [:]
            for file in files where (file as NSString).lastPathComponent != "catalog.toml" {
                guard let data = FileManager.default.contents(atPath: file) else {
                    throw LocalFailure(message: Message.cannotReadFile(file).text)
                }
                let name = (file as NSString).lastPathComponent
                let ext = (name as NSString).pathExtension.lowercased()
                let stem = (name as NSString).deletingPathExtension
                // Each school checks zones and zone groups against its own config when it applies the bundle.
                if name == "schedule.toml" {
                    var context = ScheduleContext()
                    context.anyZoneGroup = true
                    do { scheduleVersion = try Schedule.parse(Array(data), file: file, context: context).version } catch {
                        throw LocalFailure(message: error.description)
                    }
                    parts.append((BundlePart(kind: .schedule, path: "schedule.toml", size: 0, sha256: ""), data))
                } else if ext == "toml" {
                    var context = PlanContext()
                    context.anyZoneGroup = true
                    do { _ = try Plan.parse(Array(data), file: file, name: stem, context: context) } catch {
                        throw LocalFailure(message: error.description)
                    }
                    parts.append((BundlePart(kind: .plan, path: "plans/\(name)", size: 0, sha256: ""), data))
                } else if BundlePart.audioExtensions.contains(ext) {
                    let clip = try catalog[name] ?? Self.describe(stem: stem, file: file)
                    parts.append((BundlePart(kind: .clip, path: "clips/\(name)", size: 0, sha256: "", clip: clip), data))
                } else {
                    throw LocalFailure(message: Message.notABundlePart(file).text)
                }
            }
            if let version, let scheduleVersion, version != scheduleVersion {
                throw LocalFailure(message: Message.versionsDisagree(option: version, schedule: scheduleVersion).text)
            }
            guard let bundleVersion = version ?? scheduleVersion else {
                throw ValidationError(Message.giveVersion.text)
            }
            let bundle = try BundleArchive.build(
                version: bundleVersion, issuedAt: now, expiresAt: expiry, schools: targets, parts: parts, key: signer)
            guard FileManager.default.createFile(atPath: output, contents: bundle) else {
                throw LocalFailure(message: Message.cannotWrite(output, reason: nil).text)
            }
            print(
                Message.bundleSigned(
                    version: bundleVersion, parts: parts.count, bytes: bundle.count, schools: targets,
                    expires: expiry.ISO8601Format(), file: output
                ).text)
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
                throw LocalFailure(message: Message.clipFileName(file).text)
            }
            let subject = category == "tip" ? words.dropFirst().first : nil
            if category == "tip", subject.map(Clip.tipSubjects.contains) != true {
                throw LocalFailure(message: Message.tipSubjectSecond(file: file, subjects: Clip.tipSubjects).text)
            }
            return BundleClip(id: stem, category: category, title: stem, subject: subject)
        }

        /// The clips a catalog.toml describes, by file name.
        static func readCatalog(_ path: String) throws -> [String: BundleClip] {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw LocalFailure(message: Message.cannotReadFile(path).text)
            }
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
            abstract: Message.about("Check a bundle as a school would, and print its manifest and the verdict."),
            discussion: Message.about("Exits 0 when it would be accepted, 1 when refused."))
        @Option(help: Message.help("A trusted public key (PEM); repeat for several.")) var pubkey: [String]
        @Option(help: Message.help("Check it is addressed to this school.")) var school: String?
        @Option(help: Message.help("Check its version is above this one.")) var floor: Int?
        @Flag(help: Message.help("Print one JSON object.")) var json = false
        @Argument(help: Message.help("The bundle file.")) var file: String

        func run() throws {
            guard let data = try? Data(contentsOf: URL(fileURLWithPath: file), options: .alwaysMapped) else {
                throw LocalFailure(message: Message.cannotReadFile(file).text)
            }
            let keys = try pubkey.map { path in
                guard let pem = try? String(contentsOfFile: path, encoding: .utf8) else {
                    throw LocalFailure(message: Message.cannotReadFile(path).text)
                }
                return try BundleKey.publicKey(pem: pem)
            }
            let archive: BundleArchive
            do { archive = try BundleArchive.parse(data) } catch {
                throw LocalFailure(message: Message.bundleVerdict(refusal: "\(error)").text)
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
                print(Message.bundleManifest(version: manifest.version, key: manifest.key, digest: archive.digest).text)
                print(
                    Message.bundleDates(
                        issued: manifest.issuedAt.ISO8601Format(), expires: manifest.expiresAt.ISO8601Format()
                    ).text)
                print(Message.bundleSchools(manifest.schools).text)
                for part in manifest.parts {
                    let clip = part.clip.map { "  \($0.id) (\($0.category)) \($0.title)" } ?? ""
                    print(
                        Message.bundlePart(
                            kind: part.kind.rawValue, path: part.path, size: part.size,
                            sha256: String(part.sha256.prefix(16)), clip: clip
                        ).text)
                }
                print(Message.bundleVerdict(refusal: verdict.map { "\($0)" }).text)
            }
            if verdict != nil { throw ExitCode(1) }
        }
    }

    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: Message.about(
                "Apply a bundle to one daemon (bureau or admin role): it is uploaded, checked and applied whole, or refused."
            ))
        @ParentCommand var bundle: Carillon.BundleCommand
        @Flag(help: Message.help("Print one JSON object.")) var json = false
        @Argument(help: Message.help("The bundle file.")) var file: String

        func run() async throws {
            guard let data = try? Data(contentsOf: URL(fileURLWithPath: file)) else {
                throw LocalFailure(message: Message.cannotReadFile(file).text)
            }
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
            if result.already { return Message.bundleAlready(version: result.version).text }
            return Message.bundleApplied(
                version: result.version, previous: result.previous, schedule: result.schedule, plans: result.plans,
                clips: result.clips.count
            ).text
        }
    }

    struct Push: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: Message.about("Apply a bundle at every school of a schools file (bureau), over TCP with TLS."),
            discussion: Message.about("""
                Prints progress, then one row per school and a summary. A school already holding this very \
                bundle counts as ok; one holding a newer version is refused (stale-version) and fails. Exits 1 \
                if any school failed; --failed-out writes those schools to rerun with --schools.
                """))
        @ParentCommand var bundle: Carillon.BundleCommand
        @OptionGroup var fleet: FleetOptions
        @Flag(help: Message.help("Print one JSON object per school, then one for the run.")) var json = false
        @Argument(help: Message.help("The bundle file.")) var file: String

        func run() async throws {
            if bundle.root.connection.host != nil || bundle.root.connection.socket != nil {
                throw ValidationError(Message.fleetNoHost(command: "bundle push").text)
            }
            guard let data = try? Data(contentsOf: URL(fileURLWithPath: file)) else {
                throw LocalFailure(message: Message.cannotReadFile(file).text)
            }
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
                print(Message.bundlePushed(version: manifest.version, seconds: elapsed).text)
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
