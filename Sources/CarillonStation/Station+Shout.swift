import CarillonAudio
import CarillonControl
import CarillonCore
import CarillonProtocol
import Foundation
import Logging
import Synchronization

extension Station {
    /// How long a shout may go without a packet before it ends.
    static let shoutTimeout: Duration = .seconds(1)
    /// The most voice held ahead of the output: what a burst of late packets can add to the delay.
    /// The voice starts once it holds the output's lead plus one 20 ms packet (`startLive`), the
    /// jitter buffer, so this leaves room for a packet or two more.
    static let shoutBufferMilliseconds = 100
    /// The longest shout, in decoded voice (15 minutes): a forgotten phone must not hold a zone,
    /// and its recording the disk, for ever. Counted in frames, not packets: Opus packets last
    /// 2.5 to 120 ms.
    static let maxShoutFrames = 15 * 60 * opusSampleRate

    /// `shout`: takes the zones at shout level, answers, then plays the voice as it arrives, until
    /// the client sends `.`, goes quiet for a second, disconnects, or an emergency cuts it.
    nonisolated func shout(_ args: ShoutArgs, session: any ControlSession) async throws(WireError) {
        guard let codec = ShoutStream.Codec(rawValue: args.codec ?? "opus") else {
            throw WireError(.invalidArguments, "codec must be `opus` or `pcm16`, not `\(args.codec ?? "")`")
        }
        let by = session.peer.description
        if args.chime == true { try await chime(zones: args.zones, by: by) }
        let writer = session.writer
        let feed = ShoutFeed(writer: writer)
        let info = try await beginShout(zones: args.zones, feed: feed, by: by)
        let recorder: AudioRecorder
        let stream: ShoutStream
        do {
            recorder = try Self.openRecording(directory: await config.dataDirectory + "/shouts", play: info.play)
            stream = try ShoutStream(maxFrames: Self.maxShoutFrames, codec: codec)
        } catch {
            // A live broadcast that cannot be recorded does not go on the air.
            feed.finish(reason: "failed", detail: error.message)
            _ = await feed.waitEnded()
            throw WireError(.internal, "cannot record the shout: \(error.message)")
        }
        defer { recorder.close() }
        try await session.accept(
            ShoutAccepted(
                play: info.play, zones: info.zones, codec: codec.rawValue, sampleRate: opusSampleRate, channels: 1,
                frameMilliseconds: 20, timeoutMilliseconds: Int(Self.shoutTimeout / .milliseconds(1))))
        let last = LastPacket()
        var reported: Set<String> = []
        var failedWrites = 0
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                // A sender that goes quiet loses the air within the timeout, and its connection.
                while !feed.isFinished, !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(100))
                    if last.age > Self.shoutTimeout {
                        feed.finish(reason: "timeout", detail: "no voice for \(Self.shoutTimeout)")
                        // The client hears why before the connection goes.
                        await feed.waitDelivered()
                        writer.close()
                    }
                }
            }
            reading: while true {
                let line: Data?
                do { line = try await session.nextLine() } catch {
                    feed.finish(reason: "failed", detail: "\(error)")
                    writer.close()
                    break
                }
                guard let line, !ShoutStream.isEnd(line) else { break }
                // After a cut, the client's packets in flight are read and dropped until its `.`.
                if feed.isFinished { continue }
                let voice: [Float]
                switch stream.take(line) {
                case .voice(let decoded):
                    voice = decoded
                case .notBase64:
                    feed.finish(reason: "failed", detail: "a voice line is not base64")
                    await feed.waitDelivered()
                    writer.close()
                    break reading
                case .limit:
                    feed.finish(reason: "limit", detail: "a shout lasts at most \(Self.maxShoutFrames / opusSampleRate / 60) minutes")
                    await feed.waitDelivered()
                    writer.close()
                    break reading
                }
                last.touch()
                feed.push(voice, capturedAt: stream.capturedAt)
                do { try recorder.write(voice) } catch {
                    // Once per kind of failure: the same one for every packet said nothing more.
                    failedWrites += 1
                    if reported.insert("\(error)").inserted {
                        logger.error("shout recording failed", metadata: ["play": "\(info.play)", "error": "\(error)"])
                    }
                }
            }
            feed.finish()
            group.cancelAll()
        }
        await feed.waitDelivered()
        if failedWrites > 0 {
            logger.error("shout recording incomplete", metadata: ["play": "\(info.play)", "failed_writes": "\(failedWrites)"])
        }
        logger.info(
            "shout recorded", metadata: ["play": "\(info.play)", "file": "\(recorder.path)", "seconds": "\(recorder.frames / opusSampleRate)"])
        // Each shout makes room for itself: the archive never holds more than `keep_shouts_days`.
        await pruneShoutRecordings()
    }

    /// Removes the shout recordings older than `[station] keep_shouts_days`, off the pool: after
    /// each shout, and once the daemon is ready (not on the way to it).
    func pruneShoutRecordings() async {
        let (directory, days) = (config.dataDirectory + "/shouts", config.keepShoutsDays)
        let removed = await offPool { ShoutArchive.prune(directory: directory, keepDays: days) }
        if !removed.isEmpty {
            logger.notice("removed old shout recordings", metadata: ["files": "\(removed.count)", "older_than_days": "\(days)"])
        }
    }

    /// The pre-announce chime at shout level in the shout's zones; returns once it has sounded.
    private func chime(zones: [String]?, by: String) async throws(WireError) {
        guard library.clips["chime.pre-announce"] != nil else { return }
        let chime = try await play(PlayArgs(clip: "chime.pre-announce", zones: zones, level: Level.shout.rawValue), by: by, source: "shout")
        _ = try await wait(WaitArgs(play: chime.play))
    }

    /// Registers the shout with the Arbiter; its zones start through `apply` as live inputs.
    private func beginShout(zones: [String]?, feed: ShoutFeed, by: String) async throws(WireError) -> PlayInfo {
        let clip = Clip(id: "shout", category: .message, title: "live shout", source: .file("live"))
        return try await start(
            clip: clip, audio: .buffer(PCMBuffer(format: AudioFormat(sampleRate: opusSampleRate, channels: 1), samples: [])),
            level: .shout, zones: zones, source: "shout", by: by, live: feed)
    }

    private nonisolated static func openRecording(directory: String, play: Int64) throws(AudioError) -> AudioRecorder {
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw AudioError("cannot create \(directory): \(error.localizedDescription)")
        }
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        let path = "\(directory)/shout-\(formatter.string(from: Date()))-\(play).flac"
        return try AudioRecorder(path: path, format: AudioFormat(sampleRate: opusSampleRate, channels: 1))
    }
}

/// The live end of a shout: decoded voice goes to each zone's input, and the end comes back as
/// a `shout.ended` event, sent at once to the shouting client.
final class ShoutFeed: Sendable {
    private struct State {
        var inputs: [String: LiveInput] = [:]
        var finished = false
        var reason: (outcome: String, detail: String?)?
        var end: Event?
        var waiters: [CheckedContinuation<Event, Never>] = []
        /// Sending `shout.ended` to the shouting client.
        var delivery: Task<Void, Never>?
        /// When the first voice packet was decoded, on CLOCK_MONOTONIC: a shout's latency runs from it.
        var firstPacket: UInt64?
        /// When the client captured the first packet, in ms since 1970, if it said.
        var firstCapture: Double?
    }

    private let state = Mutex(State())
    private let writer: LineWriter

    init(writer: LineWriter) { self.writer = writer }

    /// A zone's input, as the Arbiter starts it there.
    func attach(zone: String, input: LiveInput) {
        let finished = state.withLock { state in
            state.inputs[zone] = input
            return state.finished
        }
        if finished { input.finish() }
    }

    func push(_ samples: [Float], capturedAt: Double? = nil) {
        let inputs = state.withLock { state in
            if state.firstPacket == nil {
                state.firstCapture = capturedAt
                state.firstPacket = Station.monotonicNanoseconds()
            }
            return Array(state.inputs.values)
        }
        for input in inputs { _ = input.push(samples) }
    }

    /// When the first voice packet arrived, on CLOCK_MONOTONIC nanoseconds.
    var firstPacket: UInt64? { state.withLock { $0.firstPacket } }

    /// When the client captured the first packet, in ms since 1970; nil when it did not say.
    var firstCapture: Double? { state.withLock { $0.firstCapture } }

    var isFinished: Bool { state.withLock { $0.finished } }

    /// Ends the voice: each zone plays out what it holds (at most the jitter buffer) and ends.
    /// The first reason given is the one reported.
    func finish(reason: String? = nil, detail: String? = nil) {
        let inputs = state.withLock { state in
            if let reason, state.reason == nil { state.reason = (reason, detail) }
            state.finished = true
            return Array(state.inputs.values)
        }
        for input in inputs { input.finish() }
    }

    /// Why the feed ended, when it was not the client's `.`: overrides a plain `finished`.
    var reason: (outcome: String, detail: String?)? { state.withLock { $0.reason } }

    /// Called by the Station when the shout's play has ended in every zone.
    func ended(_ event: Event) {
        let writer = writer
        let waiters = state.withLock { state in
            state.finished = true
            state.end = event
            // Sent at once: the client may be mid-stream, and must learn it was cut.
            state.delivery = Task { try? await writer.send(event) }
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: event) }
    }

    /// Returns once the shout has ended and `shout.ended` was written to the client.
    func waitDelivered() async {
        _ = await waitEnded()
        await state.withLock { $0.delivery }?.value
    }

    func waitEnded() async -> Event {
        await withCheckedContinuation { continuation in
            let end = state.withLock { state in
                if state.end == nil { state.waiters.append(continuation) }
                return state.end
            }
            if let end { continuation.resume(returning: end) }
        }
    }
}

/// When the last packet came, on the monotonic clock.
final class LastPacket: Sendable {
    private let at = Mutex(ContinuousClock.now)
    func touch() { at.withLock { $0 = .now } }
    var age: Duration { ContinuousClock.now - at.withLock { $0 } }
}
