import CarillonAudio
import CarillonControl
import CarillonCore
import CarillonProtocol
import CarillonStore
import Foundation
import Logging

/// Announcements booked for later (`announce`, `announce.list`, `announce.cancel`): kept in the
/// database, woken on the second by a wall-clock timer of their own, and played through the
/// Station's `play` and `say` path at the announcement level. Its state is its own; it reaches the
/// zones only through the Station.
actor AnnouncementDesk {
    let station: Station
    let store: Store
    let renderer: Renderer
    let rules: AnnouncementRules
    let logger: Logger
    /// The wall clock; a parameter so that the rules' decisions can be followed in a test.
    let now: @Sendable () -> Date
    private let timer: WakeTimer
    /// The pending ones, by id: loaded at start, then kept in step with the database.
    private var pending: [Int64: Announcement] = [:]
    /// Those whose play is being started: too late to cancel.
    private var starting: Set<Int64> = []

    /// How long a finished announcement stays in `announce.list --all`.
    static let listedFor: TimeInterval = 7 * 86400

    init(
        station: Station, store: Store, renderer: Renderer, rules: AnnouncementRules = AnnouncementRules(),
        logger: Logger,
        timer: WakeTimer, now: @escaping @Sendable () -> Date = { Date() }
    ) throws(StoreError) {
        self.station = station
        self.store = store
        self.renderer = renderer
        self.rules = rules
        self.logger = logger
        self.timer = timer
        self.now = now
        pending = Dictionary(uniqueKeysWithValues: try store.pendingAnnouncements().map { ($0.id, $0) })
    }

    /// One turn: plays what is due, marks missed what is too late (`AnnouncementRules.step`).
    /// - Returns: when to wake next. With nothing booked, a day from now: a booking pokes the timer anyway.
    func step() async -> Date {
        await turn() ?? now().addingTimeInterval(86400)
    }

    private func turn() async -> Date? {
        let (decisions, wake) = rules.step(Array(pending.values), now: now())
        for decision in decisions {
            switch decision {
            case .play(let id, let lateness): await play(id, lateness: lateness)
            case .missed(let id, let lateness): await miss(id, lateness: lateness)
            }
        }
        return wake
    }

    private func play(_ id: Int64, lateness: Double) async {
        guard let announcement = pending.removeValue(forKey: id) else { return }
        starting.insert(id)
        defer { starting.remove(id) }
        // Marked played before it sounds, as the scheduler saves its state first: a crash while it
        // starts must not play it twice after the restart.
        do {
            guard try await store.finishAnnouncement(id, state: .played, at: now()) else { return }
        } catch {
            // Unrecorded, it would play again after a restart: better than never.
            logger.error(
                "cannot record the announcement as played; it plays anyway",
                metadata: ["announcement": "\(id)", "error": "\(error)"])
        }
        let by = Self.requester(announcement)
        do throws(WireError) {
            let info: PlayInfo
            switch announcement.content {
            case .clip(let clip):
                info = try await station.play(
                    PlayArgs(clip: clip, zones: announcement.zones, level: Level.announcement.rawValue), by: by,
                    source: "announce")
            case .text(let text, let voice):
                info = try await station.sayRendered(text, voice: voice, zones: announcement.zones, by: by)
            }
            _ = try? await store.finishAnnouncement(id, state: .played, play: info.play, from: .played, at: now())
            logger.info(
                "announcement played",
                metadata: [
                    "announcement": "\(id)", "play": "\(info.play)", "late": "\(String(format: "%.3f", lateness)) s",
                ])
            publish("announce.played", announcement, play: info.play)
        } catch {
            _ = try? await store.finishAnnouncement(id, state: .failed, detail: error.message, from: .played, at: now())
            logger.error("announcement failed", metadata: ["announcement": "\(id)", "error": "\(error.message)"])
            publish("announce.failed", announcement, detail: error.message)
        }
        // Its speech was read into memory to play: the cached render is no longer needed.
        await discardRender(of: announcement)
    }

    /// Drops the cached speech of a text that has left pending, unless another pending one says it too.
    private func discardRender(of announcement: Announcement) async {
        guard case .text(let text, let voice) = announcement.content,
            !pending.values.contains(where: { $0.content == announcement.content })
        else { return }
        await station.discardRenderedText(text, voice: voice)
    }

    private func miss(_ id: Int64, lateness: Double) async {
        guard let announcement = pending.removeValue(forKey: id) else { return }
        let detail =
            "\(Int(lateness)) s late (the daemon was down or the clock was set), past the \(Int(rules.lateGrace)) s grace"
        let clip: String =
            switch announcement.content {
            case .clip(let clip): clip
            case .text: "say"
            }
        let play = await station.recordMissedAnnouncement(
            clip: clip, zones: announcement.zones, due: announcement.at, by: Self.requester(announcement),
            detail: detail)
        do { _ = try await store.finishAnnouncement(id, state: .missed, play: play, detail: detail, at: now()) } catch {
            logger.error(
                "cannot record the announcement as missed", metadata: ["announcement": "\(id)", "error": "\(error)"])
        }
        logger.warning(
            "announcement missed", metadata: ["announcement": "\(id)", "late": "\(Int(lateness)) s", "play": "\(play)"])
        publish("announce.missed", announcement, play: play, detail: detail)
        await discardRender(of: announcement)
    }

    private func publish(_ name: String, _ announcement: Announcement, play: Int64? = nil, detail: String? = nil) {
        var event = Event(
            event: name, play: play, zones: announcement.zones, level: Level.announcement.rawValue, detail: detail,
            by: announcement.createdBy)
        if case .clip(let clip) = announcement.content { event.clip = clip }
        event.announcement = announcement.id
        event.due = announcement.at
        station.events.publish(event)
    }

    // MARK: - Commands

    /// `announce`: checks everything, renders a text's speech ahead, and books it.
    func book(_ args: AnnounceArgs, by peer: Peer) async throws(WireError) -> AnnouncementInfo {
        let content: Announcement.Content
        switch (args.clip, args.text) {
        case (let clip?, nil):
            guard await station.hasClip(clip) else { throw WireError(.unknownClip, "no clip `\(clip)` in the library") }
            guard args.voice == nil else { throw WireError(.invalidArguments, "`voice` is for a text, not a clip") }
            content = .clip(clip)
        case (nil, let text?):
            let voice = args.voice ?? "zh"
            guard voice == "zh" || voice == "en" else {
                throw WireError(.invalidArguments, "voice must be `zh` or `en`")
            }
            do { content = .text(try rules.checkText(text), voice: voice) } catch {
                throw WireError(.invalidArguments, error.description)
            }
        default:
            throw WireError(.invalidArguments, "give either `clip` or `text`, not both and not neither")
        }
        do { try rules.checkTime(args.at, now: now()) } catch { throw WireError(.invalidArguments, error.description) }
        let zones = try await station.resolveZones(args.zones)
        guard pending.count < rules.maxPending else {
            throw WireError(.busy, AnnouncementError.tooMany(limit: rules.maxPending).description)
        }
        if case .text(let text, let voice) = content {
            // Rendered now, off the pool, so that it starts on its second; the cache keeps it across restarts.
            let renderer = renderer
            let clip = Station.spokenClip(text, voice: voice)
            do { _ = try await offPoolThrowing { () throws(AudioError) in try renderer.file(for: clip) } } catch {
                throw WireError(.badAudio, "cannot render the text: \(error.message)")
            }
        }
        var announcement = Announcement(
            at: args.at, content: content, zones: zones, createdBy: peer.description, createdAt: now())
        let id: Int64?
        do { id = try await store.bookAnnouncement(announcement, maxPending: rules.maxPending) } catch {
            throw WireError(.internal, error.description)
        }
        guard let id else { throw WireError(.busy, AnnouncementError.tooMany(limit: rules.maxPending).description) }
        announcement.id = id
        pending[id] = announcement
        logger.info(
            "announcement booked",
            metadata: ["announcement": "\(id)", "at": "\(args.at)", "zones": "\(zones)", "by": "\(peer.description)"])
        publish("announce.created", announcement)
        timer.poke()
        return Self.info(announcement)
    }

    /// `announce.list`: the pending ones, and with `all` those that ended in the last week; a caller
    /// limited to some zones sees those that sound in any of them.
    func list(_ args: AnnounceListArgs, by peer: Peer) throws(WireError) -> AnnouncementList {
        let found: [Announcement]
        do {
            found =
                try (args.all ?? false)
                ? store.announcements(endedSince: now().addingTimeInterval(-Self.listedFor))
                : store.pendingAnnouncements()
        } catch {
            throw WireError(.internal, error.description)
        }
        let allowed = peer.identity?.zones.map(Set.init)
        return AnnouncementList(
            announcements: found.filter { AnnouncementRules.isVisible($0, allowed: allowed) }.map(Self.info))
    }

    /// `announce.cancel`: a pending one, within the caller's zones.
    func cancel(_ args: AnnounceCancelArgs, by peer: Peer) async throws(WireError) -> AnnouncementInfo {
        let id = args.announcement
        let found: Announcement?
        do { found = try store.announcement(id) } catch { throw WireError(.internal, error.description) }
        let allowed = peer.identity?.zones.map(Set.init)
        guard var announcement = found, AnnouncementRules.isVisible(announcement, allowed: allowed) else {
            throw WireError(.notFound, "no announcement \(id)")
        }
        guard AnnouncementRules.mayCancel(announcement, allowed: allowed) else {
            throw WireError(
                .permissionDenied,
                "announcement \(id) plays in \(announcement.zones.joined(separator: ", ")); \(peer.name) may cancel only one within their zones"
            )
        }
        guard !starting.contains(id) else {
            throw WireError(.busy, "announcement \(id) is starting now; `stop` its play instead")
        }
        guard announcement.state == .pending else {
            let when = announcement.endedAt.map { " at \(Self.stamp($0))" } ?? ""
            throw WireError(
                .notFound,
                "no pending announcement \(id): it was \(announcement.state.rawValue)\(when); only a pending one can be cancelled"
            )
        }
        let detail = "by \(peer.description)"
        let changed: Bool
        do { changed = try await store.finishAnnouncement(id, state: .cancelled, detail: detail, at: now()) } catch {
            throw WireError(.internal, error.description)
        }
        guard changed else { throw WireError(.notFound, "no pending announcement \(id): it has just left pending") }
        pending[id] = nil
        announcement.state = .cancelled
        announcement.detail = detail
        announcement.endedAt = now()
        logger.info("announcement cancelled", metadata: ["announcement": "\(id)", "by": "\(peer.description)"])
        publish("announce.cancelled", announcement, detail: detail)
        await discardRender(of: announcement)
        timer.poke()
        return Self.info(announcement)
    }

    /// Who asked, as the play log records it: `announcement 4 (uid 1000 (ann)@unix)`.
    static func requester(_ announcement: Announcement) -> String {
        "announcement \(announcement.id) (\(announcement.createdBy))"
    }

    static func info(_ announcement: Announcement) -> AnnouncementInfo {
        var clip: String?
        var text: String?
        var voice: String?
        switch announcement.content {
        case .clip(let id): clip = id
        case .text(let spoken, let spokenVoice):
            text = spoken
            voice = spokenVoice
        }
        return AnnouncementInfo(
            announcement: announcement.id, at: announcement.at, clip: clip, text: text, voice: voice,
            zones: announcement.zones,
            state: announcement.state.rawValue, createdBy: announcement.createdBy, createdAt: announcement.createdAt,
            play: announcement.play, detail: announcement.detail, endedAt: announcement.endedAt)
    }

    private static func stamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
