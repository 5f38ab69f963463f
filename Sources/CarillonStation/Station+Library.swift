import CarillonAudio
import CarillonCore
import CarillonLoudness
public import CarillonProtocol
import CarillonStore
import CarillonCrypto
import Foundation
import Logging

/// An upload in progress: its bytes land in a temporary file under the data directory.
struct Upload {
    var name: String
    var size: Int
    var path: String
    var received: Int
    /// When it last received bytes: an upload left alone this long is dropped.
    var touched: ContinuousClock.Instant
}

extension Station {
    /// The most text `say` reads in one go: about a minute of speech.
    static let maxSayCharacters = 300
    /// The largest file `library.import` accepts.
    static let maxUploadBytes = 200 * 1024 * 1024
    /// Bytes per `library.chunk`, before base64: 48 KiB become 64 KiB on the wire, under the line limit.
    static let chunkBytes = 32 * 1024
    /// The longest recording `library.import` accepts, in seconds.
    static let maxImportSeconds = 30 * 60
    /// Uploads open at once: with the size limit, what a caller can make the daemon hold on disk.
    static let maxOpenUploads = 8
    /// An upload that receives nothing for this long is dropped with its file.
    static let uploadIdleTimeout: Duration = .seconds(600)

    // MARK: - Listing

    /// `library.list`.
    public func libraryList(_ args: LibraryListArgs) throws(WireError) -> LibraryList {
        var category: ClipCategory?
        if let name = args.category {
            guard let parsed = ClipCategory(rawValue: name) else {
                throw WireError(
                    .invalidArguments,
                    "unknown category `\(name)`; expected one of "
                        + ClipCategory.allCases.map(\.rawValue).joined(separator: ", "))
            }
            category = parsed
        }
        if let subject = args.subject, !Clip.tipSubjects.contains(subject) {
            throw WireError(
                .invalidArguments, "unknown subject `\(subject)`; expected one of " + Clip.tipSubjects.joined(separator: ", "))
        }
        let needle = args.search?.trimmingCharacters(in: .whitespaces) ?? ""
        func matches(_ clip: Clip) -> Bool {
            guard !needle.isEmpty else { return true }
            var haystack = [clip.id, clip.title, clip.subject ?? ""]
            if case .speech(let text, _) = clip.source { haystack.append(text) }
            return haystack.contains { $0.range(of: needle, options: [.caseInsensitive, .diacriticInsensitive]) != nil }
        }
        /// The length of a cached render, read from its WAV header: a synthesized or spoken clip
        /// has no length in the catalog until it is rendered, and the render is what plays.
        func renderedSeconds(_ path: String) -> Double? {
            guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
            defer { try? handle.close() }
            guard let head = try? handle.read(upToCount: 4096), head.count >= 12 else { return nil }
            let bytes = [UInt8](head)
            func u32(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24 }
            func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
            guard bytes[0..<4].elementsEqual("RIFF".utf8), bytes[8..<12].elementsEqual("WAVE".utf8) else { return nil }
            var offset = 12
            var frameBytes = 0
            var rate = 0
            while offset + 8 <= bytes.count {
                let size = u32(offset + 4)
                if bytes[offset..<offset + 4].elementsEqual("fmt ".utf8), offset + 24 <= bytes.count {
                    rate = u32(offset + 12)
                    frameBytes = u16(offset + 8 + 2) * u16(offset + 8 + 14) / 8
                } else if bytes[offset..<offset + 4].elementsEqual("data".utf8) {
                    guard rate > 0, frameBytes > 0 else { return nil }
                    return Double(size / frameBytes) / Double(rate)
                }
                offset += 8 + size + size % 2
            }
            return nil
        }
        let clips = library.clips.values
            .filter { (category == nil || $0.category == category) && (args.subject == nil || $0.subject == args.subject) }
            .filter(matches)
            .sorted { $0.id < $1.id }
        return LibraryList(
            clips: clips.map { clip in
                var listed = info(clip)
                if listed.durationSeconds == nil, let cached = renderer.cachedFile(for: clip) {
                    listed.durationSeconds = renderedSeconds(cached)
                }
                return listed
            })
    }

    /// `library.show`.
    public func libraryShow(_ args: LibraryShowArgs) throws(WireError) -> ClipDetail {
        guard let clip = library.clips[args.clip] else { throw WireError(.unknownClip, "no clip `\(args.clip)` in the library") }
        switch clip.source {
        case .file(let path):
            return ClipDetail(clip: info(clip), text: nil, file: path, synth: nil, rendered: true)
        case .synth(let name, let parameters):
            let cached = renderer.cachedFile(for: clip)
            let spec = ([name] + parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }).joined(separator: " ")
            return ClipDetail(clip: info(clip), text: nil, file: cached, synth: spec, rendered: cached != nil)
        case .speech(let text, _):
            let cached = renderer.cachedFile(for: clip)
            return ClipDetail(clip: info(clip), text: text, file: cached, synth: nil, rendered: cached != nil)
        }
    }

    func info(_ clip: Clip) -> ClipInfo {
        let kind =
            switch clip.source {
            case .file: "file"
            case .synth: "synth"
            case .speech: "speech"
            }
        return ClipInfo(
            id: clip.id, category: clip.category.rawValue, title: clip.title, language: clip.language, kind: kind,
            origin: clip.contentHash == nil ? "shipped" : "imported", subject: clip.subject, grade: GradeBand.text(clip.grades),
            season: clip.season.rawValue, durationSeconds: clip.duration, gainDb: clip.gainDB)
    }

    // MARK: - Rendering

    /// `library.render`: starts rendering every synthesized and spoken clip (again, with `force`).
    public func libraryRender(_ args: RenderArgs) -> RenderProgress {
        guard !renderProgress.running else { return renderProgress }
        let clips = library
        let renderer = self.renderer
        let force = args.force ?? false
        renderProgress = RenderProgress(running: true, done: 0, total: 0, failures: [])
        Task {
            let failures = await atIdlePriority {
                clips.renderAll(renderer: renderer, force: force) { done, total in
                    Task { await self.renderAdvanced(done: done, total: total) }
                }
            }
            self.renderFinished(failures.map { "\($0.clip): \($0.error.message)" })
        }
        return renderProgress
    }

    /// `library.progress`: how the render job is going.
    public func libraryProgress() -> RenderProgress { renderProgress }

    func renderAdvanced(done: Int, total: Int) {
        guard renderProgress.running, done > renderProgress.done else { return }
        renderProgress.done = done
        renderProgress.total = total
    }

    func renderFinished(_ failures: [String]) {
        renderProgress.running = false
        renderProgress.done = renderProgress.total
        renderProgress.failures = failures
        logger.info("library rendered", metadata: ["clips": "\(renderProgress.total)", "failures": "\(failures.count)"])
    }

    // MARK: - Say

    /// `say`: reads text aloud at announcement level, after the pre-announce chime.
    /// - Parameter source: the play log's source: `tts` for a person's request, `schedule` for the timetable's.
    public func say(_ args: SayArgs, by peer: String, source: String = "tts") async throws(WireError) -> PlayInfo {
        let text = args.text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw WireError(.invalidArguments, "nothing to say: the text is empty") }
        guard text.count <= Self.maxSayCharacters else {
            throw WireError(
                .invalidArguments, "the text is \(text.count) characters; `say` reads at most \(Self.maxSayCharacters)")
        }
        let voice = args.voice ?? "zh"
        guard voice == "zh" || voice == "en" else { throw WireError(.invalidArguments, "voice must be `zh` or `en`") }
        let renderer = self.renderer
        let chime = args.chime ?? true
        let chimeClip = library.clips["chime.pre-announce"]
        let audio: PCMBuffer
        do {
            audio = try await offPoolThrowing { () throws(AudioError) in
                let format = AudioFormat(sampleRate: 48000, channels: 1)
                var audio = try renderer.speak(text, voice: voice).converted(to: format)
                if chime, let chimeClip {
                    let chimeAudio = try PCMBuffer.decode(path: try renderer.file(for: chimeClip), to: format)
                    audio = chimeAudio.appending(.silence(seconds: 0.3, format: format)).appending(audio)
                }
                return audio
            }
        } catch {
            throw WireError(.badAudio, error.message)
        }
        let clip = Clip(id: "say", category: .message, title: String(text.prefix(40)), source: .speech(text: text, voice: voice))
        return try await start(
            clip: clip, audio: .buffer(audio), level: .announcement, zones: args.zones, source: source, by: peer)
    }

    // MARK: - Import

    /// `library.upload`: opens an upload.
    public func upload(_ args: UploadArgs) throws(WireError) -> UploadInfo {
        guard args.size > 0 else { throw WireError(.badAudio, "\(args.name) is empty") }
        guard args.size <= Self.maxUploadBytes else {
            throw WireError(.invalidArguments, "\(args.name) is \(args.size) bytes; the limit is \(Self.maxUploadBytes)")
        }
        let now = ContinuousClock.now
        for (id, upload) in uploads where now - upload.touched > Self.uploadIdleTimeout { discard(id) }
        guard uploads.count < Self.maxOpenUploads else {
            throw WireError(.busy, "\(uploads.count) uploads are in progress, the most at once; finish one or wait")
        }
        let directory = config.dataDirectory + "/uploads"
        let id = UUID().uuidString.lowercased()
        let path = directory + "/" + id + ".part"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: path, contents: nil) else { throw CocoaError(.fileWriteUnknown) }
        } catch {
            throw WireError(.internal, "cannot store the upload: \(error.localizedDescription)")
        }
        uploads[id] = Upload(name: args.name, size: args.size, path: path, received: 0, touched: now)
        return UploadInfo(upload: id, chunkBytes: Self.chunkBytes)
    }

    /// `library.chunk`: appends bytes to an upload, in order.
    public func chunk(_ args: ChunkArgs) throws(WireError) -> ChunkResult {
        guard var upload = uploads[args.upload] else { throw WireError(.notFound, "no upload `\(args.upload)`") }
        guard args.offset == upload.received else {
            throw WireError(.invalidArguments, "chunk at offset \(args.offset); expected \(upload.received)")
        }
        guard let bytes = Data(base64Encoded: args.data) else {
            throw WireError(.invalidArguments, "`data` is not base64")
        }
        guard bytes.count <= Self.chunkBytes, upload.received + bytes.count <= upload.size else {
            discard(args.upload)
            throw WireError(.invalidArguments, "more bytes than announced; the upload is discarded")
        }
        do {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: upload.path))
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: bytes)
        } catch {
            discard(args.upload)
            throw WireError(.internal, "cannot store the upload: \(error.localizedDescription)")
        }
        upload.received += bytes.count
        upload.touched = .now
        uploads[args.upload] = upload
        return ChunkResult(received: upload.received)
    }

    /// `library.import`: checks a whole upload, measures it, and adds it to the library. On any
    /// failure nothing is kept: not the upload, not a file, not a row.
    public func importClip(_ args: ImportArgs, by peer: String) async throws(WireError) -> ImportResult {
        guard let upload = uploads[args.upload] else { throw WireError(.notFound, "no upload `\(args.upload)`") }
        defer { discard(args.upload) }
        guard upload.received == upload.size else {
            throw WireError(.invalidArguments, "\(upload.name): received \(upload.received) of \(upload.size) bytes")
        }
        guard let category = ClipCategory(rawValue: args.category) else {
            throw WireError(
                .invalidArguments,
                "unknown category `\(args.category)`; expected one of " + ClipCategory.allCases.map(\.rawValue).joined(separator: ", "))
        }
        if let id = args.id, !Clip.isWellFormedID(id) {
            throw WireError(.invalidArguments, "`\(id)` is not a clip id: dot-separated words of a-z, 0-9, - and _")
        }
        let path = upload.path
        let name = upload.name
        let target = config.loudnessTarget
        let (report, loudness, hash): (AudioFileReport, LoudnessReport, String)
        do { (report, loudness, hash) = try await Self.checkAudio(path: path) } catch {
            throw WireError(.badAudio, "\(name): " + error.message.replacingOccurrences(of: path, with: "the file"))
        }
        let id = args.id ?? "\(category.rawValue).\(hash.prefix(12))"
        if let existing = try? store.clipID(contentHash: hash) {
            throw WireError(.duplicate, "\(name) is already in the library as `\(existing)`")
        }
        guard library.clips[id] == nil else { throw WireError(.duplicate, "a clip `\(id)` is already in the library") }
        let gain: Double
        do { gain = try Loudness.gain(toReach: target, from: loudness) } catch {
            throw WireError(.badAudio, "\(name): \(error)")
        }
        // The client names the file: only a plain extension of it is kept.
        let given = (name as NSString).pathExtension.lowercased()
        let ext = given.count <= 8 && given.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } ? given : ""
        let recordings = config.dataDirectory + "/recordings"
        let final = recordings + "/" + hash + (ext.isEmpty ? "" : "." + ext)
        do {
            try FileManager.default.createDirectory(atPath: recordings, withIntermediateDirectories: true)
            if !FileManager.default.fileExists(atPath: final) { try FileManager.default.moveItem(atPath: path, toPath: final) }
        } catch {
            throw WireError(.internal, "cannot keep the recording: \(error.localizedDescription)")
        }
        let clip = Clip(
            id: id, category: category, title: args.title ?? (name as NSString).deletingPathExtension,
            language: args.language ?? "zh-CN", source: .file(final), gainDB: gain, contentHash: hash,
            duration: report.seconds)
        do {
            try await store.insertImported(CatalogEntry(clip: clip, origin: "imported", loudness: loudness.integratedLoudness))
        } catch {
            try? FileManager.default.removeItem(atPath: final)
            throw WireError(.duplicate, error.description)
        }
        library.add(clip)
        if category == .alarm {
            // Alarms sound from memory: decode the new one now, as at start.
            let decoded = await offPool { try? PCMBuffer.decode(path: final, to: AudioFormat(sampleRate: 48000, channels: 1)) }
            emergencyAudio[id] = decoded
        }
        logger.info(
            "clip imported",
            metadata: ["clip": "\(id)", "file": "\(name)", "lufs": "\(loudness.integratedLoudness)", "by": "\(peer)"])
        events.publish(Event(event: "library.changed", clip: id, detail: "imported", by: peer))
        return ImportResult(clip: info(clip), loudness: loudness.integratedLoudness, sha256: hash)
    }

    /// Decodes a whole file, measures its loudness and hashes it, off the pool: how an import or a
    /// bundle's clip is checked before it joins the library.
    /// - Throws: when it does not decode, is longer than `maxImportSeconds`, or is silent.
    static func checkAudio(path: String) async throws(AudioError) -> (AudioFileReport, LoudnessReport, String) {
        try await offPoolThrowing { () throws(AudioError) in
            var meter: LoudnessMeter?
            var hasher = SHA256()
            let report = try AudioFileCheck.scan(path: path, maxSeconds: Station.maxImportSeconds) {
                samples, format throws(AudioError) in
                do {
                    if meter == nil { meter = try LoudnessMeter(channels: format.channels, sampleRate: format.sampleRate) }
                    try meter?.add(samples)
                } catch {
                    throw AudioError("cannot measure loudness: \(error)")
                }
            }
            // Hashed in chunks: an upload may be 200 MiB.
            guard let handle = FileHandle(forReadingAtPath: path) else { throw AudioError("cannot read the upload") }
            defer { try? handle.close() }
            while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
            let hash = hasher.finalize().map { String(format: "%02x", $0) }.joined()
            guard let loudness = try? meter?.report(), !loudness.isSilent else {
                throw AudioError("it is silent")
            }
            return (report, loudness, hash)
        }
    }

    func discard(_ upload: String) {
        if let path = uploads.removeValue(forKey: upload)?.path { try? FileManager.default.removeItem(atPath: path) }
    }
}
