import CarillonAudio
import CarillonBundle
import CarillonCore
import CarillonLoudness
public import CarillonProtocol
import CarillonStore
import CarillonTOML
import CarillonCrypto
import Foundation
import Logging

/// A bundle's content, checked and ready to record.
private struct StagedBundle {
    var schedule: (schedule: Schedule, text: String)?
    var plans: [String: (plan: Plan, text: String)] = [:]
    var clips: [CatalogEntry] = []
    /// Clip files this apply created, removed again if it fails.
    var created: [String] = []
}

extension Station {
    /// `bundle.apply`: verifies a bundle from the bureau, checks every part against this school, and
    /// applies all of it in one transaction. A bundle applied before is answered `already`.
    public func bundleApply(_ args: BundleApplyArgs, by peer: String, role: Role) async throws(WireError) -> BundleApplied {
        let path: String
        switch (args.upload, args.path) {
        case (let id?, nil):
            guard let upload = uploads[id] else { throw WireError(.notFound, "no upload `\(id)`") }
            guard upload.received == upload.size else {
                throw WireError(.invalidArguments, "received \(upload.received) of \(upload.size) bytes")
            }
            path = upload.path
        case (nil, let file?):
            // The daemon reads the file with its own rights: only a local admin may point it at one.
            guard role == .admin else { throw WireError(.permissionDenied, "a bundle by path needs the admin role; upload it") }
            path = file
        default:
            throw WireError(.invalidArguments, "give `upload` or `path`, not both")
        }
        defer { if let id = args.upload { discard(id) } }
        guard let bureau = config.bureau else {
            throw WireError(.badBundle, "this school accepts no bundles: its config has no [bureau] keys")
        }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) } catch {
            throw WireError(.invalidArguments, "cannot read \(path): \(error.localizedDescription)")
        }
        guard data.count <= Self.maxUploadBytes else {
            throw WireError(.badBundle, "the bundle is \(data.count) bytes; the limit is \(Self.maxUploadBytes)")
        }
        guard !applyingBundle else { throw WireError(.busy, "another bundle is being applied; try again when it is done") }
        applyingBundle = true
        defer { applyingBundle = false }
        let archive: BundleArchive
        do { archive = try BundleArchive.parse(data) } catch { throw Self.refusal(error) }
        let manifest = archive.manifest
        let previous = active?.schedule.version ?? 0
        if let record = try? store.bundle(digest: archive.digest) {
            // A push retried after its answer was lost: the same bytes, already in force or in history.
            return BundleApplied(
                version: record.version, previous: previous, digest: record.digest, already: true,
                schedule: manifest.parts.contains { $0.kind == .schedule }, plans: manifest.parts.compactMap(\.planName).sorted(),
                clips: manifest.parts.compactMap(\.clip?.id).sorted())
        }
        do {
            let floor = try store.versionFloor()
            let keys = try bureau.keys.map { try Curve25519.Signing.PublicKey(rawRepresentation: $0) }
            try archive.verify(trusting: keys, school: bureau.school, now: Date(), floor: floor)
        } catch let error as BundleError {
            throw Self.refusal(error)
        } catch {
            throw WireError(.internal, "\(error)")
        }
        var staged = try await stage(archive)
        let record = BundleRecord(
            version: manifest.version, digest: archive.digest, key: manifest.key, issuedAt: manifest.issuedAt,
            expiresAt: manifest.expiresAt, manifest: String(decoding: archive.manifestBytes, as: UTF8.self), appliedAt: Date(),
            appliedBy: peer)
        do {
            try await store.applyBundle(
                record, schedule: staged.schedule?.text, plans: staged.plans.mapValues(\.text), clips: staged.clips)
        } catch {
            for file in staged.created { try? FileManager.default.removeItem(atPath: file) }
            staged.created = []
            switch error.kind {
            case .staleVersion: throw WireError(.staleVersion, error.description)
            case .conflict: throw Self.invalid(error.description)
            case .failure: throw WireError(.internal, error.description)
            }
        }
        // Recorded: from here on the bundle is in force, in memory as on disk.
        for entry in staged.clips {
            library.add(entry.clip)
            if entry.clip.category == .alarm, case .file(let file) = entry.clip.source {
                emergencyAudio[entry.clip.id] = await offPool { try? PCMBuffer.decode(path: file, to: AudioFormat(sampleRate: 48000, channels: 1)) }
            }
            events.publish(Event(event: "library.changed", clip: entry.clip.id, detail: "bundle v\(manifest.version)", by: peer))
        }
        if !staged.plans.isEmpty {
            setPlans(plans.merging(staged.plans.mapValues(\.plan)) { _, new in new })
            Task { await self.preparePlans() }
        }
        if let (schedule, text) = staged.schedule { activate(schedule, text: text, source: "bundle v\(manifest.version)") }
        logger.notice(
            "bundle applied",
            metadata: ["version": "\(manifest.version)", "key": "\(manifest.key)", "parts": "\(manifest.parts.count)", "by": "\(peer)"])
        return BundleApplied(
            version: manifest.version, previous: previous, digest: archive.digest, already: false, schedule: staged.schedule != nil,
            plans: staged.plans.keys.sorted(), clips: staged.clips.map(\.clip.id).sorted())
    }

    /// Checks every part of a verified bundle as this school would use it, and puts clip files in
    /// place under content-addressed names (harmless if the apply then fails: nothing names them).
    private func stage(_ archive: BundleArchive) async throws(WireError) -> StagedBundle {
        let manifest = archive.manifest
        var staged = StagedBundle()
        do throws(WireError) {
            let recordings = config.dataDirectory + "/recordings"
            let incoming = config.dataDirectory + "/uploads"
            try? FileManager.default.createDirectory(atPath: recordings, withIntermediateDirectories: true)
            try? FileManager.default.createDirectory(atPath: incoming, withIntermediateDirectories: true)
            for (index, part) in manifest.parts.enumerated() {
                guard part.kind == .clip, let described = part.clip else { continue }
                let ext = (part.path as NSString).pathExtension.lowercased()
                let final = recordings + "/" + part.sha256 + "." + ext
                if !FileManager.default.fileExists(atPath: final) {
                    let temporary = incoming + "/" + UUID().uuidString.lowercased() + "." + ext
                    guard FileManager.default.createFile(atPath: temporary, contents: archive.contents(of: index)) else {
                        throw WireError(.internal, "cannot write \(temporary)")
                    }
                    do { try FileManager.default.moveItem(atPath: temporary, toPath: final) } catch {
                        try? FileManager.default.removeItem(atPath: temporary)
                        throw WireError(.internal, "cannot keep \(part.path): \(error.localizedDescription)")
                    }
                    staged.created.append(final)
                }
                let (report, loudness, _): (AudioFileReport, LoudnessReport, String)
                do { (report, loudness, _) = try await Self.checkAudio(path: final) } catch {
                    throw Self.invalid("\(part.path): " + error.message.replacingOccurrences(of: final, with: "the file"))
                }
                let gain: Double
                do { gain = try Loudness.gain(toReach: config.loudnessTarget, from: loudness) } catch {
                    throw Self.invalid("\(part.path): \(error)")
                }
                // The manifest's fields were checked when it was read; these conversions hold.
                let clip = Clip(
                    id: described.id, category: ClipCategory(rawValue: described.category) ?? .recorded, title: described.title,
                    language: described.language ?? "zh-CN", source: .file(final), gainDB: gain, subject: described.subject,
                    season: described.season.flatMap(ClipSeason.init(rawValue:)) ?? .all, duration: report.seconds)
                staged.clips.append(CatalogEntry(clip: clip, origin: "bundle", loudness: loudness.integratedLoudness))
            }
            let known = library.clips
            let added = Dictionary(staged.clips.map { ($0.clip.id, $0.clip.category) }, uniquingKeysWith: { a, _ in a })
            let category: @Sendable (String) -> ClipCategory? = { added[$0] ?? known[$0]?.category }
            for (index, part) in manifest.parts.enumerated() where part.kind != .clip {
                guard let text = String(data: archive.contents(of: index), encoding: .utf8) else {
                    throw Self.invalid("\(part.path) is not UTF-8 text")
                }
                let file = "bundle v\(manifest.version) \(part.path)"
                if let name = part.planName {
                    do {
                        let plan = try Plan.parse(
                            text, file: file, name: name, context: PlanContext(zones: config.zoneNames, clipCategory: category, zoneGroups: config.zoneGroups))
                        staged.plans[name] = (plan, text)
                    } catch {
                        throw Self.invalid("invalid plan: \(error.description)")
                    }
                } else {
                    var context = Self.scheduleContext(config: config, library: library)
                    context.clipExists = { category($0) != nil }
                    let schedule: Schedule
                    do { schedule = try Schedule.parse(Array(text.utf8), file: file, context: context) } catch {
                        throw Self.invalid("invalid schedule: \(error.description)")
                    }
                    guard schedule.version == manifest.version else {
                        throw Self.invalid("the schedule says version \(schedule.version) but the bundle is version \(manifest.version)")
                    }
                    staged.schedule = (schedule, text)
                }
            }
            return staged
        } catch {
            for file in staged.created { try? FileManager.default.removeItem(atPath: file) }
            throw error
        }
    }

    /// A bundle refusal as the wire says it: the stale version apart, since a push reports it apart.
    private static func refusal(_ error: BundleError) -> WireError {
        WireError(error.code == .staleVersion ? .staleVersion : .badBundle, "bundle refused: \(error.message) (\(error.code.rawValue))")
    }

    /// A part whose content does not check.
    private static func invalid(_ message: String) -> WireError {
        refusal(BundleError(.invalidContent, message))
    }

    // MARK: - History and rollback

    /// `schedule.history`.
    public func scheduleHistory() throws(WireError) -> ScheduleHistory {
        do {
            let versions = try store.versionHistory()
            let inForce = versions.first { $0.rolledBackAt == nil }?.version
            return ScheduleHistory(
                versions: versions.map {
                    VersionInfo(
                        version: $0.version, schedule: $0.hasSchedule, bundle: $0.hasBundle, source: $0.source, appliedAt: $0.appliedAt,
                        rolledBackAt: $0.rolledBackAt, inForce: $0.version == inForce)
                }, floor: try store.versionFloor())
        } catch { throw WireError(.internal, error.description) }
    }

    /// `schedule.rollback`: puts an earlier version back in force, schedule and bundle plans alike.
    /// The schedule it goes back to is checked first; the floor for new versions does not move.
    public func scheduleRollback(_ args: ScheduleRollbackArgs, by peer: String) async throws(WireError) -> ScheduleRolledBack {
        let history: [VersionRecord]
        do { history = try store.versionHistory() } catch { throw WireError(.internal, error.description) }
        let live = history.filter { $0.rolledBackAt == nil }.map(\.version)
        guard let target = args.to ?? live.dropFirst().first else {
            throw WireError(.notFound, "there is no earlier version to go back to")
        }
        // Checked before anything changes: a schedule that no longer fits the school is not put back.
        let found: AppliedSchedule?
        do { found = try store.schedule(atOrBelow: target) } catch { throw WireError(.internal, error.description) }
        guard let applied = found else { throw WireError(.notFound, "no schedule is held at or below version \(target)") }
        let schedule: Schedule
        do {
            schedule = try Schedule.parse(
                Array(applied.text.utf8), file: "schedule v\(applied.version)",
                context: Self.scheduleContext(config: config, library: library))
        } catch {
            throw WireError(.invalidArguments, "schedule v\(applied.version) no longer checks: \(error.description)")
        }
        let moved: (from: Int, to: Int)
        let floor: Int
        do {
            moved = try await store.rollback(to: target)
            floor = try store.versionFloor()
        } catch { throw WireError(.invalidArguments, error.description) }
        activate(schedule, text: applied.text, source: applied.source)
        do {
            setPlans(try Daemon.loadPlans(config: config, library: library, store: store, logger: logger))
            Task { await self.preparePlans() }
        } catch {
            logger.error("plans not reloaded after the rollback", metadata: ["errors": "\(error)"])
        }
        logger.notice("rolled back", metadata: ["from": "\(moved.from)", "to": "\(moved.to)", "by": "\(peer)"])
        return ScheduleRolledBack(from: moved.from, to: moved.to, schedule: applied.version, floor: floor)
    }
}
