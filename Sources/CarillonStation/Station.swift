public import CarillonAudio
import CarillonCore
public import CarillonProtocol
public import CarillonStore
import Foundation
public import Logging
import Synchronization

/// The daemon's heart: it turns control requests into plays on the engine, and the engine's
/// reports into the play log.
public actor Station {
    public static let version = "0.1.0"

    private var config: StationConfig
    private var library: Library
    private let engine: AudioEngine
    private let store: Store
    private let logger: Logger
    private let startedAt = Date()
    private var nextPlayID: Int64

    private var active: [Int64: ActivePlay] = [:]
    /// Outcomes of plays that ended recently, so a `wait` that arrives late still gets its answer.
    private var recent: [Int64: PlayOutcome] = [:]
    private var recentOrder: [Int64] = []

    private struct ActivePlay {
        var info: PlayInfo
        var requestedAt: UInt64
        var pending: Set<String>
        var outputs: [String: OutputOutcome] = [:]
        var ends: [EndReason] = []
        var waiters: [CheckedContinuation<PlayOutcome, Never>] = []
    }

    /// - Parameter events: the engine's reports, as delivered by its `onEvent`.
    public init(config: StationConfig, library: Library, engine: AudioEngine, store: Store, logger: Logger) throws {
        self.config = config
        self.library = library
        self.engine = engine
        self.store = store
        self.logger = logger
        self.nextPlayID = try store.lastPlayID() + 1
    }

    // MARK: - Commands

    /// `status`: outputs, plays sounding, library size.
    public func status() -> StatusResult {
        let outputs = engine.status().map { status in
            let format = config.outputs.first { $0.name == status.name }?.format ?? AudioFormat(sampleRate: 0, channels: 0)
            var state = "opening"
            var fault: String?
            switch status.state {
            case .opening: state = "opening"
            case .running: state = "running"
            case .fault(let message):
                state = "fault"
                fault = message
            }
            return OutputInfo(
                name: status.name, device: status.device, state: state, fault: fault, sampleRate: format.sampleRate,
                channels: format.channels, xruns: status.xruns)
        }
        return StatusResult(
            server: config.name, version: Self.version, startedAt: startedAt,
            uptimeSeconds: Date().timeIntervalSince(startedAt), outputs: outputs,
            playing: active.values.map(\.info).sorted { $0.play < $1.play }, clips: library.clips.count)
    }

    /// `play`: starts a clip in the requested zones at announcement level.
    public func play(_ args: PlayArgs, by peer: String) async throws(WireError) -> PlayInfo {
        let requested = monotonicNow()
        guard let clip = library.clips[args.clip] else {
            throw WireError(.unknownClip, "no clip `\(args.clip)` in the library")
        }
        let zones: [ZoneName]
        do { zones = try (args.zones ?? []).map { ZoneName($0) }.resolved(against: config.zones) } catch {
            throw WireError(.unknownZone, error.description)
        }
        let healthy = Set(engine.status().filter { if case .fault = $0.state { false } else { true } }.map(\.name))
        let outputs = zones.map(\.rawValue)
        guard outputs.contains(where: healthy.contains) else {
            throw WireError(.outputUnavailable, "no output for \(outputs.joined(separator: ", ")) is working; see `status`")
        }
        let input: AudioInput
        do {
            input = try library.audio(for: clip, cacheDirectory: config.dataDirectory + "/cache")
        } catch {
            throw WireError(.badAudio, "clip `\(clip.id)`: \(error.message)")
        }
        let id = nextPlayID
        nextPlayID += 1
        do {
            try engine.play(input, id: UInt64(id), outputs: outputs, gainDB: clip.gainDB)
        } catch {
            throw WireError(.badAudio, "clip `\(clip.id)`: \(error.message)")
        }
        let info = PlayInfo(
            play: id, clip: clip.id, zones: outputs, level: Level.announcement.rawValue, requestedAt: Date())
        active[id] = ActivePlay(info: info, requestedAt: requested, pending: Set(outputs))
        logger.info("play", metadata: ["play": "\(id)", "clip": "\(clip.id)", "zones": "\(outputs)", "by": "\(peer)"])
        let record = PlayRecord(
            id: id, clip: clip.id, zones: outputs, level: info.level, source: "manual", requestedBy: peer,
            requestedAt: info.requestedAt)
        await log { () throws(StoreError) in try await self.store.recordRequested(record) }
        return info
    }

    /// `stop`: one play, or all of them.
    public func stop(_ args: StopArgs) throws(WireError) -> StopResult {
        if let play = args.play {
            guard active[play] != nil, engine.stop(id: UInt64(play)) else {
                throw WireError(.notFound, "play \(play) is not sounding")
            }
            return StopResult(stopped: [play])
        }
        engine.stopAll()
        return StopResult(stopped: active.keys.sorted())
    }

    /// `wait`: suspends until the play has ended on every output.
    public func wait(_ args: WaitArgs) async throws(WireError) -> PlayOutcome {
        if let outcome = recent[args.play] { return outcome }
        guard active[args.play] != nil else { throw WireError(.notFound, "no play \(args.play) is sounding or recent") }
        return await withCheckedContinuation { continuation in
            active[args.play]?.waiters.append(continuation)
        }
    }

    /// Applies a re-read config: what can change live does; the rest is logged as needing a restart.
    public func reload(_ new: StationConfig, library newLibrary: Library) {
        if new.outputs != config.outputs || new.controlSocket != config.controlSocket
            || new.dataDirectory != config.dataDirectory
        {
            logger.warning("outputs, the control socket and the data directory change only on restart")
        }
        var applied = new
        applied.outputs = config.outputs
        applied.controlSocket = config.controlSocket
        applied.dataDirectory = config.dataDirectory
        config = applied
        library = newLibrary
        logger.info("config reloaded", metadata: ["clips": "\(library.clips.count)"])
    }

    // MARK: - Engine reports

    /// Folds one engine report into the plays and the log.
    public func handle(_ event: AudioEvent) async {
        switch event {
        case .started(let play, let output, let frame, let wall, let mono, let queued):
            let id = Int64(play)
            guard var entry = active[id] else { return }
            let latency = Duration.nanoseconds(Int64(mono &- entry.requestedAt))
            entry.outputs[output] = OutputOutcome(
                output: output, firstFrame: frame, frames: 0, latencyMs: Double(mono &- entry.requestedAt) / 1e6)
            let first = entry.outputs.count == 1
            active[id] = entry
            if first {
                let rate = config.outputs.first { $0.name == output }?.format.sampleRate ?? 48000
                let written = Date(timeIntervalSince1970: Double(wall) / 1e9)
                let audible = written.addingTimeInterval(Double(queued) / Double(rate))
                await log { () throws(StoreError) in
                    try await self.store.recordStarted(id: id, firstSampleAt: written, audibleAt: audible, latency: latency)
                }
            }
        case .ended(let play, let output, let reason, let frames):
            let id = Int64(play)
            guard var entry = active[id] else { return }
            var outcome = entry.outputs[output] ?? OutputOutcome(output: output, firstFrame: nil, frames: 0, latencyMs: nil)
            outcome.frames = frames
            entry.outputs[output] = outcome
            entry.pending.remove(output)
            entry.ends.append(reason)
            guard entry.pending.isEmpty else {
                active[id] = entry
                return
            }
            active[id] = nil
            await finish(entry)
        case .fault(let output, let message):
            logger.error("output fault", metadata: ["output": "\(output)", "reason": "\(message)"])
        case .recovered(let output):
            logger.notice("output recovered", metadata: ["output": "\(output)"])
        case .xrun(let output):
            logger.warning("underrun recovered", metadata: ["output": "\(output)"])
        }
    }

    private func finish(_ entry: ActivePlay) async {
        var outcome = "finished"
        var detail: String?
        for reason in entry.ends {
            switch reason {
            case .failed(let message):
                outcome = "failed"
                detail = message
            case .stopped where outcome == "finished":
                outcome = "stopped"
            default: break
            }
        }
        let result = PlayOutcome(
            play: entry.info.play, clip: entry.info.clip, outcome: outcome, detail: detail,
            outputs: entry.info.zones.compactMap { entry.outputs[$0] })
        recent[entry.info.play] = result
        recentOrder.append(entry.info.play)
        if recentOrder.count > 256 { recent[recentOrder.removeFirst()] = nil }
        for waiter in entry.waiters { waiter.resume(returning: result) }
        if outcome == "failed" {
            logger.error("play failed", metadata: ["play": "\(entry.info.play)", "reason": "\(detail ?? "")"])
        }
        let id = entry.info.play
        await log { () throws(StoreError) in
            try await self.store.recordEnded(id: id, at: Date(), outcome: outcome, detail: detail)
        }
    }

    /// The play log must not take playback down with it: a failed write is logged, and play goes on.
    private func log(_ write: () async throws(StoreError) -> Void) async {
        do { try await write() } catch { logger.error("play log write failed", metadata: ["error": "\(error)"]) }
    }

    private func monotonicNow() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
