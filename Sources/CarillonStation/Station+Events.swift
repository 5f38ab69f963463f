public import CarillonAudio
import CarillonControl
import CarillonProtocol
import CarillonCore
import CarillonStore
import Foundation
import Logging

/// When a play's first sample was written, and when it is heard.
struct PlayStart {
    var written: Date
    var audible: Date
    var latency: Duration
}

extension Station {
    /// Queues the play log's start row; the request's row is already written (see `unlogged`).
    func logStart(_ id: PlayID, _ start: PlayStart) {
        let store = store
        writes.enqueue { () throws(StoreError) in
            try await store.recordStarted(id: id, firstSampleAt: start.written, audibleAt: start.audible, latency: start.latency)
        }
    }

    /// Returns when every play-log write queued so far is in the database: a query made after
    /// this sees every start and end that happened before it.
    func flushWrites() async {
        await writes.flush()
    }

    /// Folds a batch of engine reports, in order. Nothing on this path waits for the database, so
    /// the whole batch is one turn of the actor, and a zone is released the turn its play ended.
    public func handle(_ reports: [AudioEvent]) async {
        for report in reports { await handle(report) }
    }

    /// Folds one engine report into the plays, the Arbiter and the log.
    public func handle(_ event: AudioEvent) async {
        logger.debug("engine", metadata: ["event": "\(event)"])
        switch event {
        case .started(let play, let zone, let output, let frame, let wall, let mono, let queued):
            let id = PlayID(play)
            guard let entry = plays[id] else { return }
            // A shout's latency runs from its first voice packet, not from the request that opened it.
            let origin = entry.live?.firstPacket ?? entry.requestedAt
            let latency = Duration.nanoseconds(Int64(mono &- origin))
            let first = !entry.zones.values.contains { $0.firstFrame != nil }
            plays[id]?.zones[zone]?.firstFrame = frame
            plays[id]?.zones[zone]?.latencyMs = Double(mono &- origin) / 1e6
            if first {
                metrics.recordLatency(seconds: Double(mono &- origin) / 1e9)
                let rate = config.outputs.first { $0.name == output }?.format.sampleRate ?? 48000
                let written = Date(timeIntervalSince1970: Double(wall) / 1e9)
                let audible = written.addingTimeInterval(Double(queued) / Double(rate))
                var started = Event(
                    event: entry.live != nil ? "shout.started" : "play.started", at: written, play: id,
                    clip: entry.clip.id, zones: entry.info.zones, level: entry.level.rawValue, by: entry.requestedBy)
                // The console's frames carry their capture time: microphone to first sample written.
                if let captured = entry.live?.firstCapture {
                    started.latencyMs = written.timeIntervalSince1970 * 1000 - captured
                    logger.info("shout latency", metadata: ["play": "\(id)", "mic_to_speaker_ms": "\(started.latencyMs ?? 0)"])
                }
                events.publish(started)
                plays[id]?.firstWritten = written
                for waiter in plays[id]?.startWaiters ?? [] { waiter.resume(returning: written) }
                plays[id]?.startWaiters = []
                let start = PlayStart(written: written, audible: audible, latency: latency)
                if unlogged[id] != nil {
                    unlogged[id] = start
                } else {
                    logStart(id, start)
                }
            }
        case .ended(let play, let zone, let reason, let frames):
            let id = PlayID(play)
            guard let entry = plays[id] else { return }
            let (outcome, detail): (String, String?) =
                if let cutter = entry.cutBy[zone] {
                    ("cut", "by \(cutter)")
                } else {
                    switch reason {
                    case .finished: ("finished", nil)
                    case .stopped: ("stopped", entry.stoppedBy.map { "by \($0)" })
                    case .failed(let message): ("failed", message)
                    }
                }
            let next = arbiter.ended(id, zone: ZoneName(zone), now: clock.now)
            await close(id, zone: zone, outcome: outcome, detail: detail, frames: frames)
            await apply(next)
        case .fault(let output, let message):
            metrics.faults[output, default: 0] += 1
            logger.error("output fault", metadata: ["output": "\(output)", "reason": "\(message)"])
            events.publish(Event(event: "output.fault", detail: message, output: output))
        case .recovered(let output):
            logger.notice("output recovered", metadata: ["output": "\(output)"])
            events.publish(Event(event: "output.recovered", output: output))
        case .xrun(let output):
            logger.warning("underrun recovered", metadata: ["output": "\(output)"])
        }
    }
}

extension Station {
    /// `events`: streams events to the session until the client closes, or falls too far behind.
    nonisolated func streamEvents(_ args: EventsArgs, to session: any ControlSession) async throws(WireError) {
        let kinds = args.kinds ?? []
        let writer = session.writer
        let (id, stream) = events.subscribe(kinds: kinds, audience: session.peer.identity.map { [$0.role.rawValue] + ($0.groups ?? []) } ?? []) {
            // Never waited for: a subscriber that cannot keep up loses its connection.
            Task {
                try? await writer.send(Event(event: "events.dropped", detail: "fell \(EventHub.queueLimit) events behind"))
                writer.close()
            }
        }
        defer { events.unsubscribe(id) }
        try await session.accept(EventsSubscribed(kinds: kinds, queueLimit: EventHub.queueLimit))
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await event in stream {
                    do { try await writer.send(event) } catch { return }
                }
            }
            // The client sends nothing more; its close (or any line) ends the subscription.
            _ = try? await session.nextLine()
            group.cancelAll()
        }
    }
}
