public import CarillonAudio
public import CarillonCore
import CarillonStore
import CarillonSynth
import CarillonTOML
import Foundation

/// The school's audio library: the catalog of clips, and how to get each one's audio.
///
/// Loading reads the catalog only; no audio is decoded until a clip plays.
public struct Library: Sendable {
    /// The library directory; `file` paths in the catalog are relative to it.
    public let directory: String
    /// Every clip, by id.
    public private(set) var clips: [String: Clip] = [:]

    /// The catalog file inside a library directory.
    public static let catalogName = "catalog.toml"

    /// Loads `catalog.toml` from `directory`.
    /// - Throws: `ConfigError` with every problem found, each with its file and line.
    public static func load(directory: String) throws(ConfigError) -> Library {
        let file = directory + "/" + catalogName
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ConfigError(file: directory, message: "the library directory does not exist")
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ConfigError(file: file, message: "cannot read the library catalog")
        }
        let table: TOMLTable
        do { table = try TOML.parse(utf8: Array(data), file: file) } catch { throw ConfigError([error]) }
        var library = Library(directory: directory)
        var errors = Errors()
        var root = TOMLReader(table, file: file)
        for var entry in errors.run({ () throws(TOMLError) in try root.tableArray("clip") }) ?? [] {
            let before = errors.list.count
            let clip = library.parseClip(&entry, errors: &errors)
            if let clip, library.clips[clip.id] != nil {
                errors.append(entry.error("clip `\(clip.id)` is listed twice", at: "id"))
            } else if let clip {
                library.clips[clip.id] = clip
            }
            // Unknown keys are worth reporting only once the known ones were all read.
            if errors.list.count == before { errors.run { () throws(TOMLError) in try entry.finish() } }
        }
        errors.run { () throws(TOMLError) in try root.finish() }
        library.loadTexts(errors: &errors)
        guard errors.list.isEmpty else { throw ConfigError(errors.list) }
        return library
    }

    /// A spoken clip's title when its entry gives none: its first words, as a teacher searching the
    /// library recognizes them (`发现火情，要立即拨打119报警…`), not `消防安全 001`. The greeting
    /// `同学们，` is skipped; the words end at the first clause break after 6 characters, and at 16
    /// characters at most.
    public static func title(of text: String, or fallback: String) -> String {
        var words = Substring(text.trimmingCharacters(in: .whitespacesAndNewlines))
        for greeting in ["同学们，", "同学们,", "亲爱的同学们，"] where words.hasPrefix(greeting) {
            words = words.dropFirst(greeting.count)
        }
        guard !words.isEmpty else { return fallback }
        let characters = Array(words)
        let limit = min(16, characters.count)
        let end = (6..<max(6, limit + 1)).first { $0 < characters.count && "，。！？；：,.!?;:".contains(characters[$0]) } ?? limit
        let title = String(characters[..<end])
        let rest = characters[end...].drop { "，。！？；：,.!?;:".contains($0) }
        return rest.isEmpty ? title : title + "…"
    }

    /// The texts read aloud: `text/tips-*.toml`, `text/culture.toml` and `text/emergency.toml`.
    private mutating func loadTexts(errors: inout Errors) {
        let textDirectory = directory + "/text"
        // No text/ means no spoken clips; a text/ that cannot be listed is an error, not silence.
        guard FileManager.default.fileExists(atPath: textDirectory) else { return }
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: textDirectory) } catch {
            let reason = Daemon.unreadable(textDirectory, directory: true) ?? error.localizedDescription
            errors.append(TOMLError(file: textDirectory, position: .start, message: "cannot list the directory: \(reason)"))
            return
        }
        for name in names.sorted() where name.hasSuffix(".toml") {
            let file = textDirectory + "/" + name
            guard let data = FileManager.default.contents(atPath: file) else {
                errors.append(TOMLError(file: file, position: .start, message: "cannot read the file"))
                continue
            }
            let table: TOMLTable
            do { table = try TOML.parse(utf8: Array(data), file: file) } catch {
                errors.append(error)
                continue
            }
            var root = TOMLReader(table, file: file)
            let kind: (table: String, category: ClipCategory)
            var subject: String?
            var subjectTitle = ""
            if name.hasPrefix("tips-") {
                kind = ("tip", .tip)
                subject = errors.run { () throws(TOMLError) in
                    let subject = try root.requiredString("subject")
                    guard Clip.tipSubjects.contains(subject) else {
                        throw root.error(
                            "unknown subject `\(subject)`; expected one of " + Clip.tipSubjects.joined(separator: ", "),
                            at: "subject")
                    }
                    return subject
                }
                subjectTitle = errors.run { () throws(TOMLError) in try root.requiredString("title") } ?? ""
            } else if name == "culture.toml" {
                kind = ("clip", .culture)
            } else if name == "emergency.toml" {
                kind = ("message", .message)
            } else {
                errors.append(TOMLError(file: file, position: .start, message: "unknown text file; expected tips-SUBJECT.toml, culture.toml or emergency.toml"))
                continue
            }
            for var entry in errors.run({ () throws(TOMLError) in try root.tableArray(kind.table) }) ?? [] {
                let before = errors.list.count
                let id = errors.run { () throws(TOMLError) in
                    let id = try entry.requiredString("id")
                    guard Clip.isWellFormedID(id) else { throw entry.error("`\(id)` is not a clip id", at: "id") }
                    return id
                }
                let text = errors.run { () throws(TOMLError) in
                    let text = try entry.requiredString("text")
                    guard (1...500).contains(text.count) else { throw entry.error("`text` must be 1 to 500 characters", at: "text") }
                    return text
                }
                let title = errors.run { () throws(TOMLError) in try entry.string("title") }
                let grades = errors.run { () throws(TOMLError) in try Self.readGrades(&entry) }
                let season = errors.run { () throws(TOMLError) in
                    guard let name = try entry.string("season") else { return ClipSeason.all }
                    guard let season = ClipSeason(rawValue: name) else {
                        throw entry.error("`season` must be all, spring, summer, autumn or winter", at: "season")
                    }
                    return season
                }
                let language = errors.run { () throws(TOMLError) in try entry.string("language") ?? "zh-CN" }
                guard errors.list.count == before, let id, let text, let grades, let season, let language else { continue }
                errors.run { () throws(TOMLError) in try entry.finish() }
                guard clips[id] == nil else {
                    errors.append(entry.error("clip `\(id)` is listed twice", at: "id"))
                    continue
                }
                clips[id] = Clip(
                    id: id, category: kind.category, title: (title ?? nil) ?? Self.title(of: text, or: subjectTitle),
                    language: language, source: .speech(text: text, voice: language.hasPrefix("en") ? "en" : "zh"),
                    subject: subject, grades: grades, season: season)
            }
            errors.run { () throws(TOMLError) in try root.finish() }
        }
    }

    /// `grades = ["lower-primary", "upper-primary"]`, or the deprecated `grade = "primary"`; every band when absent.
    static func readGrades(_ entry: inout TOMLReader) throws(TOMLError) -> Set<GradeBand> {
        if entry.contains("grades") && entry.contains("grade") {
            throw entry.error("give `grades` or the older `grade`, not both", at: "grade")
        }
        if let name = try entry.string("grade") {
            guard let bands = GradeBand.legacy(name) else {
                throw entry.error(
                    "`grade` must be primary, middle, high or all (deprecated: write `grades = [...]` with "
                        + "\(GradeBand.namesList))",
                    at: "grade")
            }
            return bands
        }
        guard let node = entry.node("grades") else { return GradeBand.all }
        guard case .array(let elements) = node.value, !elements.isEmpty else {
            throw entry.error(
                "`grades` must be a non-empty array of \(GradeBand.namesList)", at: node.position)
        }
        var bands: Set<GradeBand> = []
        for element in elements {
            guard case .string(let name) = element.value, let band = GradeBand(rawValue: name) else {
                let found = if case .string(let name) = element.value { "`\(name)`" } else { element.typeDescription }
                throw entry.error(
                    "unknown grade band \(found) in `grades`; expected \(GradeBand.namesList)", at: element.position)
            }
            guard bands.insert(band).inserted else {
                throw entry.error("grade band `\(name)` is listed twice in `grades`", at: element.position)
            }
        }
        return bands
    }

    /// Reads one `[[clip]]`, each key on its own, so that one bad value hides no other error.
    private func parseClip(_ entry: inout TOMLReader, errors: inout Errors) -> Clip? {
        let before = errors.list.count
        let id = errors.run { () throws(TOMLError) in
            let id = try entry.requiredString("id")
            guard Clip.isWellFormedID(id) else {
                throw entry.error("clip id `\(id)` must be dot-separated words of a-z, 0-9, - and _", at: "id")
            }
            return id
        }
        let category = errors.run { () throws(TOMLError) in
            let name = try entry.requiredString("category")
            guard let category = ClipCategory(rawValue: name) else {
                let names = ClipCategory.allCases.map(\.rawValue).joined(separator: ", ")
                throw entry.error("unknown category `\(name)`; expected one of \(names)", at: "category")
            }
            return category
        }
        let title = errors.run { () throws(TOMLError) in try entry.requiredString("title") }
        let language = errors.run { () throws(TOMLError) in try entry.string("language") ?? "zh-CN" }
        let gain = errors.run { () throws(TOMLError) in
            let gain = try entry.double("gain_db") ?? 0
            guard (-40...20).contains(gain) else { throw entry.error("`gain_db` must be between -40 and 20", at: "gain_db") }
            return gain
        }
        let file = errors.run { () throws(TOMLError) in
            let file = try entry.string("file")
            if let file, file.hasPrefix("/") || file.split(separator: "/").contains("..") {
                throw entry.error("`file` must be a path inside the library directory", at: "file")
            }
            return file
        }
        let synth = errors.run { () throws(TOMLError) -> (String, [String: Double])? in
            guard let name = try entry.string("synth") else {
                if entry.contains("params") { throw entry.error("`params` belongs with `synth`", at: "params") }
                return nil
            }
            var parameters: [String: Double] = [:]
            if var params = try entry.table("params") {
                for key in params.keys { parameters[key] = try params.double(key) }
                try params.finish()
            }
            do { _ = try SynthSound(name: name, parameters: parameters) } catch {
                throw entry.error("`synth`: \(error)", at: "synth")
            }
            return (name, parameters)
        }
        guard errors.list.count == before, let id, let category, let title, let language, let gain else { return nil }
        let source: ClipSource
        switch (file ?? nil, synth ?? nil) {
        case (let file?, nil): source = .file(directory + "/" + file)
        case (nil, let (name, parameters)?): source = .synth(name: name, parameters: parameters)
        default:
            errors.append(entry.error("clip `\(id)` needs exactly one of `file` and `synth`", at: nil))
            return nil
        }
        return Clip(id: id, category: category, title: title, language: language, source: source, gainDB: gain)
    }

    /// The audio of a clip: its file, or the cached render of a synthesized or spoken clip,
    /// rendering it first if needed. Blocking when it renders: run it off the pool then.
    /// - Throws: `AudioError` when the clip cannot be rendered or cached.
    public func audio(for clip: Clip, renderer: Renderer) throws(AudioError) -> AudioInput {
        switch clip.source {
        case .file(let path): .file(path)
        case .synth, .speech: .file(try renderer.file(for: clip))
        }
    }

    /// Renders every synthesized or spoken clip not yet in the cache, so that no play waits for a
    /// render. Blocking: run it off the Swift concurrency pool.
    /// - Parameters:
    ///   - progress: called after each clip with the number done and the total.
    ///   - shouldStop: asked before each clip; true ends the render there (the daemon is stopping).
    /// - Returns: the clips that could not be rendered, with why.
    public func renderAll(
        renderer: Renderer, force: Bool = false, progress: (Int, Int) -> Void = { _, _ in }, shouldStop: () -> Bool = { false }
    ) -> [(clip: String, error: AudioError)] {
        var failures: [(clip: String, error: AudioError)] = []
        let rendered = clips.values.filter(\.isRendered).sorted { $0.id < $1.id }
        for (index, clip) in rendered.enumerated() {
            // Between two clips: one render is at most a second or two.
            if shouldStop() { break }
            do { _ = try renderer.file(for: clip, force: force) } catch { failures.append((clip.id, error)) }
            progress(index + 1, rendered.count)
        }
        return failures
    }

    /// How many clips are synthesized or spoken: the ones `renderAll` renders into the cache.
    public var renderedClipCount: Int { clips.values.count(where: \.isRendered) }

    /// Decodes every alarm clip into memory at `sampleRate`, mono. Blocking: run it off the pool.
    /// - Returns: the decoded clips, and why the others failed.
    public func decodeAlarms(sampleRate: Int, renderer: Renderer) -> (audio: [String: PCMBuffer], failures: [String: String]) {
        var audio: [String: PCMBuffer] = [:]
        var failures: [String: String] = [:]
        for clip in clips.values where clip.category == .alarm {
            do {
                guard case .file(let path) = try self.audio(for: clip, renderer: renderer) else { continue }
                audio[clip.id] = try PCMBuffer.decode(
                    path: path, to: AudioFormat(sampleRate: sampleRate, channels: 1), maxSeconds: 120)
            } catch {
                failures[clip.id] = error.message
            }
        }
        return (audio, failures)
    }

    /// A fingerprint of everything `load` reads, as bytes: the directory, `catalog.toml`, each
    /// `text/*.toml` by name, and the running executable (its size and modification time, since
    /// a new build may parse the same bytes differently). Equal fingerprints give equal libraries,
    /// so a start can take the catalog the database already holds without parsing the files.
    /// - Returns: nil when a file cannot be read: `load` reports that, with its reasons.
    static func sourceFingerprint(directory: String) -> String? {
        var hash = FNV1a()
        guard let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"),
            let built = try? FileManager.default.attributesOfItem(atPath: executable),
            let size = built[.size], let modified = (built[.modificationDate] as? Date)?.timeIntervalSince1970
        else { return nil }
        hash.add("\(executable) \(size) \(modified)\u{0}\(directory)\u{0}")
        guard let catalog = FileManager.default.contents(atPath: directory + "/" + catalogName) else { return nil }
        hash.add(catalog)
        let textDirectory = directory + "/text"
        if FileManager.default.fileExists(atPath: textDirectory) {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: textDirectory) else { return nil }
            for name in names.sorted() where name.hasSuffix(".toml") {
                guard let text = FileManager.default.contents(atPath: textDirectory + "/" + name) else { return nil }
                hash.add("\u{0}\(name)\u{0}")
                hash.add(text)
            }
        }
        return hash.hex
    }

    init(directory: String) { self.directory = directory }

    /// The library of `directory` made of catalog entries read back from the database: the shipped
    /// ones as they were written through, then the added ones over them, as at a parsed start.
    init(directory: String, entries: [CatalogEntry]) {
        self.directory = directory
        clips.reserveCapacity(entries.count)
        for entry in entries where entry.origin == "shipped" { clips[entry.clip.id] = entry.clip }
        for entry in entries where entry.origin == "imported" || entry.origin == "bundle" { clips[entry.clip.id] = entry.clip }
    }

    /// Adds or replaces a clip: an import, or an imported clip loaded from the database.
    public mutating func add(_ clip: Clip) { clips[clip.id] = clip }

    /// FNV-1a, hex: stable across runs and builds, unlike `Hasher`.
    static func cacheKey(_ text: String) -> String {
        var hash = FNV1a()
        hash.add(text)
        return hash.hex
    }
}

/// 64-bit FNV-1a over bytes fed in pieces.
struct FNV1a {
    private var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(_ bytes: some Sequence<UInt8>) {
        for byte in bytes {
            value ^= UInt64(byte)
            value &*= 0x100_0000_01b3
        }
    }

    mutating func add(_ text: String) { add(text.utf8) }

    /// Over a buffer: a start hashes the whole catalog, a megabyte for ten thousand clips.
    mutating func add(_ data: Data) { data.withUnsafeBytes { add($0) } }

    var hex: String { String(value, radix: 16) }
}

extension Clip {
    /// Whether its audio is rendered into the cache (synthesized or spoken), not read from a file.
    var isRendered: Bool { if case .file = source { false } else { true } }

    /// Every field, in a fixed order and form: a fingerprint that does not change between runs.
    var stableDescription: String {
        let source =
            switch self.source {
            case .file(let path): "file:\(path)"
            case .synth(let name, let parameters):
                "synth:\(name):" + parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            case .speech(let text, let voice): "speech:\(voice):\(text)"
            }
        return [id, category.rawValue, title, language, source, "\(gainDB)", subject ?? "", GradeBand.text(grades), season.rawValue]
            .joined(separator: "|")
    }
}
