import CarillonAudio
import CarillonCore
public import CarillonProtocol
import CarillonStore
import Foundation
import Logging

extension Station {
    /// `play`: asks the Arbiter for the requested zones and starts the clip where it may sound.
    /// - Parameter role: the caller's role: an emergency-level play needs a leader.
    public func play(_ args: PlayArgs, by peer: String, role: Role = .admin, source: String = "manual") async throws(WireError) -> PlayInfo {
        guard let clip = library.clips[args.clip] else {
            throw WireError(.unknownClip, "no clip `\(args.clip)` in the library")
        }
        var level = clip.category == .bell ? Level.bell : .announcement
        if let name = args.level {
            guard let parsed = Level(rawValue: name) else {
                throw WireError(
                    .invalidArguments,
                    "unknown level `\(name)`; expected one of " + Level.allCases.map(\.rawValue).joined(separator: ", "))
            }
            level = parsed
        }
        if level == .emergency && !role.permits(.leader) {
            throw WireError(.permissionDenied, "playing at the emergency level needs the leader role; \(peer) is \(role)")
        }
        let audio: AudioInput
        if clip.category == .alarm {
            // From memory; decoded now if not yet; a synthesized alarm if the clip cannot be decoded.
            audio = .buffer(await alarmAudio(clip.id))
        } else if let cached = renderer.cachedFile(for: clip) {
            audio = .file(cached)
        } else {
            // Not rendered yet: render it off the pool rather than hold the Station.
            let renderer = self.renderer
            do { audio = .file(try await offPoolThrowing { () throws(AudioError) in try renderer.file(for: clip) }) } catch {
                throw WireError(.badAudio, "clip `\(clip.id)`: \(error.message)")
            }
        }
        // Checked before the Arbiter decides, so a bad file never cuts what is playing.
        do { try engine.check(audio) } catch { throw WireError(.badAudio, "clip `\(clip.id)`: \(error.message)") }
        return try await start(clip: clip, audio: audio, level: level, zones: args.zones, source: source, by: peer)
    }

    /// Places a play with the Arbiter and starts it where it may sound; the common path of `play` and `say`.
    func start(
        clip: Clip, audio: AudioInput, level: Level, zones requestedZones: [String]?, source: String, by peer: String,
        live: ShoutFeed? = nil
    ) async throws(WireError) -> PlayInfo {
        let requested = monotonicNow()
        let zones = try resolveZones(requestedZones).map { ZoneName($0) }
        let healthy = Set(engine.status().filter { if case .fault = $0.state { false } else { true } }.map(\.name))
        guard zones.contains(where: { engine.output(of: $0.rawValue).map(healthy.contains) ?? false }) else {
            throw WireError(
                .outputUnavailable, "no output for \(zones.map(\.rawValue).joined(separator: ", ")) is working; see `status`")
        }
        let id = nextPlayID
        nextPlayID += 1
        let names = zones.map(\.rawValue)
        var entry = ActivePlay(
            info: PlayInfo(play: id, clip: clip.id, zones: names, level: level.rawValue, requestedAt: Date()),
            clip: clip, level: level, audio: audio, requestedAt: requested, zones: [:], open: Set(names), requestedBy: peer, live: live)
        for zone in names {
            entry.zones[zone] = ZoneOutcome(zone: zone, output: engine.output(of: zone) ?? zone, outcome: "pending")
        }
        plays[id] = entry
        let actions = arbiter.request(
            PlayRequest(id: id, level: level, zones: zones, grace: config.levels[level]?.grace ?? .zero), now: clock.now)
        let refusals = actions.compactMap { action -> PlayID? in
            if case .refuse(id, _, let holder) = action { holder } else { nil }
        }
        if refusals.count == zones.count, let holder = refusals.first {
            plays[id] = nil
            let who = plays[holder].map { "play \(holder) (\($0.clip.id), \($0.level.rawValue))" } ?? "play \(holder)"
            throw WireError(.busy, "\(names.joined(separator: ", ")) held by \(who)")
        }
        // The audio starts before its request is logged: a write must not delay an alarm.
        unlogged[id] = .some(nil)
        await apply(actions)
        logger.info(
            "play",
            metadata: ["play": "\(id)", "clip": "\(clip.id)", "level": "\(level)", "zones": "\(names)", "by": "\(peer)"])
        let info = plays[id]?.info ?? entry.info
        let record = PlayRecord(
            id: id, clip: clip.id, zones: names, level: level.rawValue, source: source, requestedBy: peer,
            requestedAt: info.requestedAt)
        await log { () throws(StoreError) in try await self.store.recordRequested(record) }
        if case .some(.some(let start)) = unlogged.removeValue(forKey: id) { logStart(id, start) }
        if plays[id] == nil, let outcome = recent[id] {
            // Ended at once (missed or refused everywhere): record that too.
            await log { () throws(StoreError) in
                try await self.store.recordEnded(id: id, at: Date(), outcome: outcome.outcome, detail: outcome.detail)
            }
        }
        return info
    }

    /// `stop`: one play, or all of them, wherever they sound or wait.
    ///
    /// A leader stops anything. A teacher stops what is below the emergency level, within the
    /// zones they are allowed; "all" from a teacher means all of those.
    public func stop(_ args: StopArgs, by peer: String, identity: Identity? = nil) async throws(WireError) -> StopResult {
        func mayStop(_ play: ActivePlay) -> Bool {
            guard let identity, !identity.role.permits(.leader) else { return true }
            guard play.level < .emergency else { return false }
            return identity.zones.map { Set(play.info.zones).isSubset(of: $0) } ?? true
        }
        let targets: [PlayID]
        if let play = args.play {
            guard let entry = plays[play] else { throw WireError(.notFound, "play \(play) is not sounding or waiting") }
            guard mayStop(entry) else {
                throw WireError(
                    .permissionDenied,
                    "play \(play) (\(entry.level.rawValue) in \(entry.info.zones.joined(separator: ", "))) is not \(peer)'s to stop")
            }
            targets = [play]
        } else {
            targets = plays.filter { mayStop($0.value) }.keys.sorted()
        }
        for id in targets {
            plays[id]?.stoppedBy = peer
            engine.stop(play: UInt64(id))
            await apply(arbiter.withdraw(id, now: clock.now))
        }
        return StopResult(stopped: targets)
    }

    /// `wait`: suspends until the play has ended in every zone.
    public func wait(_ args: WaitArgs) async throws(WireError) -> PlayOutcome {
        if let outcome = recent[args.play] { return outcome }
        guard plays[args.play] != nil else { throw WireError(.notFound, "no play \(args.play) is sounding or recent") }
        return await withCheckedContinuation { continuation in
            plays[args.play]?.waiters.append(continuation)
        }
    }

    // MARK: - Carrying out the Arbiter's decisions

    /// Carries out actions on the engine; a start that fails ends that zone and may start the next.
    func apply(_ actions: [ArbiterAction]) async {
        // Starts first: the newcomer's decode happens before the plays it cuts or ducks change. It
        // sounds only once the cuts and ducks are requested (`publishDeferred`), so the change and
        // its cause fall in the same period: started first, an alarm could sound one period (5 ms)
        // before the shout it cut began to fade (ZoneTests, under load). It is published before
        // anything that awaits (a log write), which must never hold an alarm back.
        defer { engine.publishDeferred() }
        var pending = (actions.filter(\.isStart) + actions.filter { !$0.isStart })[...]
        while let action = pending.popFirst() {
            logger.debug("arbiter", metadata: ["action": "\(action)"])
            switch action {
            case .start(let id, let zone, let gainDB):
                guard let play = plays[id] else { continue }
                do {
                    if let feed = play.live {
                        let input = try engine.startLive(
                            play: UInt64(id), zone: zone.rawValue, format: AudioFormat(sampleRate: opusSampleRate, channels: 1),
                            gainDB: gainDB, maxBufferedMilliseconds: Self.shoutBufferMilliseconds)
                        feed.attach(zone: zone.rawValue, input: input)
                    } else {
                        try engine.start(
                            play.audio, play: UInt64(id), zone: zone.rawValue, gainDB: gainDB + play.clip.gainDB, deferred: true)
                    }
                    plays[id]?.zones[zone.rawValue]?.outcome = "sounding"
                    plays[id]?.info.queued.removeAll { $0 == zone.rawValue }
                } catch {
                    pending += arbiter.ended(id, zone: zone, now: clock.now)
                    engine.publishDeferred()
                    await close(id, zone: zone.rawValue, outcome: "failed", detail: error.message)
                }
            case .duck(let id, let zone, let gainDB):
                engine.setGain(play: UInt64(id), zone: zone.rawValue, gainDB: gainDB + (plays[id]?.clip.gainDB ?? 0))
            case .restore(let id, let zone):
                engine.setGain(play: UInt64(id), zone: zone.rawValue, gainDB: plays[id]?.clip.gainDB ?? 0)
            case .cut(let id, let zone, let by):
                // It ends when the engine reports the fade done; the Arbiter already gave the zone away.
                let cutter = plays[by].map { "play \(by) (\($0.clip.id), \($0.level.rawValue))" } ?? "play \(by)"
                plays[id]?.cutBy[zone.rawValue] = cutter
                engine.cut(play: UInt64(id), zone: zone.rawValue)
            case .queue(let id, let zone):
                plays[id]?.zones[zone.rawValue]?.outcome = "queued"
                plays[id]?.info.queued.append(zone.rawValue)
            case .missed(let id, let zone):
                engine.publishDeferred()
                await close(id, zone: zone.rawValue, outcome: "missed", detail: "the zone stayed busy past the grace window")
            case .refuse(let id, let zone, let by):
                engine.publishDeferred()
                await close(id, zone: zone.rawValue, outcome: "refused", detail: "held by play \(by)")
            case .withdraw(let id, let zone):
                engine.publishDeferred()
                await close(id, zone: zone.rawValue, outcome: "stopped", detail: plays[id]?.stoppedBy.map { "by \($0)" })
            }
        }
        scheduleTick()
    }

    /// Wakes at the next grace deadline to mark expired waits missed; the Arbiter keeps the deadlines.
    func scheduleTick() {
        tickTask?.cancel()
        guard let deadline = arbiter.nextDeadline else { return }
        tickTask = Task { [clock] in
            try? await Task.sleep(until: deadline, tolerance: .milliseconds(10), clock: clock)
            guard !Task.isCancelled else { return }
            await self.tick()
        }
    }

    func tick() async {
        await apply(arbiter.tick(now: clock.now))
    }

    /// Ends a play in one zone; when it has ended everywhere, records it and answers its waiters.
    func close(_ id: PlayID, zone: String, outcome: String, detail: String?, frames: Int? = nil) async {
        guard var play = plays[id], play.open.contains(zone) else { return }
        play.open.remove(zone)
        play.zones[zone]?.outcome = outcome
        play.zones[zone]?.detail = detail
        if let frames { play.zones[zone]?.frames = frames }
        play.info.queued.removeAll { $0 == zone }
        guard play.open.isEmpty else {
            plays[id] = play
            return
        }
        plays[id] = nil
        let zones = play.info.zones.compactMap { play.zones[$0] }
        // The play's outcome is the worst of its zones'.
        let order = ["failed", "cut", "stopped", "missed", "refused", "finished"]
        let worst = zones.min { (order.firstIndex(of: $0.outcome) ?? 99) < (order.firstIndex(of: $1.outcome) ?? 99) }
        var result = PlayOutcome(
            play: id, clip: play.clip.id, level: play.level.rawValue, outcome: worst?.outcome ?? "finished",
            detail: worst?.detail, zones: zones)
        // A shout that ran out of voice says why: a timeout or a broken stream, not "finished".
        if let reason = play.live?.reason, result.outcome == "finished" || result.outcome == "stopped" {
            result.outcome = reason.outcome
            result.detail = reason.detail
        }
        // Queued before anyone hears of the end, so a `log` asked for afterwards finds it (`flushWrites`).
        let store = store
        writes.enqueue { [result] () throws(StoreError) in
            try await store.recordEnded(id: id, at: Date(), outcome: result.outcome, detail: result.detail)
        }
        recent[id] = result
        metrics.plays[Metrics.PlayKey(category: play.clip.category.rawValue, level: play.level.rawValue, outcome: result.outcome), default: 0] += 1
        recentOrder.append(id)
        if recentOrder.count > 256 { recent[recentOrder.removeFirst()] = nil }
        for waiter in play.waiters { waiter.resume(returning: result) }
        for waiter in play.startWaiters { waiter.resume(returning: play.firstWritten) }
        let event = Event(
            event: play.live != nil ? "shout.ended" : "play.ended", play: id, clip: play.clip.id, zones: play.info.zones,
            level: play.level.rawValue, outcome: result.outcome, detail: result.detail, by: play.requestedBy)
        events.publish(event)
        play.live?.ended(event)
        await planPlayEnded(id, outcome: result.outcome, stoppedBy: play.stoppedBy)
        if result.outcome == "failed" || result.outcome == "missed" {
            logger.warning(
                "play \(result.outcome)", metadata: ["play": "\(id)", "clip": "\(play.clip.id)", "reason": "\(result.detail ?? "")"])
        }
    }
}

extension ArbiterAction {
    fileprivate var isStart: Bool { if case .start = self { true } else { false } }
}
