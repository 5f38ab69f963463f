public import CarillonAudio
public import CarillonCore
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
            if let clip = errors.run({ () throws(TOMLError) in try library.parseClip(&entry) }) {
                if library.clips[clip.id] != nil {
                    errors.append(entry.error("clip `\(clip.id)` is listed twice", at: "id"))
                } else {
                    library.clips[clip.id] = clip
                }
            }
            errors.run { () throws(TOMLError) in try entry.finish() }
        }
        errors.run { () throws(TOMLError) in try root.finish() }
        guard errors.list.isEmpty else { throw ConfigError(errors.list) }
        return library
    }

    private func parseClip(_ entry: inout TOMLReader) throws(TOMLError) -> Clip {
        let id = try entry.requiredString("id")
        guard Clip.isWellFormedID(id) else {
            throw entry.error("clip id `\(id)` must be dot-separated words of a-z, 0-9, - and _", at: "id")
        }
        let categoryName = try entry.requiredString("category")
        guard let category = ClipCategory(rawValue: categoryName) else {
            let names = ClipCategory.allCases.map(\.rawValue).joined(separator: ", ")
            throw entry.error("unknown category `\(categoryName)`; expected one of \(names)", at: "category")
        }
        let title = try entry.requiredString("title")
        let language = try entry.string("language") ?? "zh-CN"
        let gain = try entry.double("gain_db") ?? 0
        guard (-40...20).contains(gain) else { throw entry.error("`gain_db` must be between -40 and 20", at: "gain_db") }
        let file = try entry.string("file")
        let synth = try entry.string("synth")
        let source: ClipSource
        switch (file, synth) {
        case (let file?, nil):
            guard !file.hasPrefix("/"), !file.split(separator: "/").contains("..") else {
                throw entry.error("`file` must be a path inside the library directory", at: "file")
            }
            source = .file(directory + "/" + file)
        case (nil, let name?):
            var parameters: [String: Double] = [:]
            if var params = try entry.table("params") {
                for key in params.keys { parameters[key] = try params.double(key) }
                try params.finish()
            }
            do { _ = try SynthSound(name: name, parameters: parameters) } catch {
                throw entry.error("`synth`: \(error)", at: "synth")
            }
            source = .synth(name: name, parameters: parameters)
        default:
            throw entry.error("clip `\(id)` needs exactly one of `file` and `synth`", at: nil)
        }
        return Clip(id: id, category: category, title: title, language: language, source: source, gainDB: gain)
    }

    /// The audio of a clip, rendering and caching it under `cacheDirectory` when it is synthesized.
    /// - Throws: `AudioError` when a synthesized clip cannot be rendered or cached.
    public func audio(for clip: Clip, cacheDirectory: String) throws(AudioError) -> AudioInput {
        switch clip.source {
        case .file(let path):
            return .file(path)
        case .synth(let name, let parameters):
            let rate = 48000
            let key = Self.cacheKey("\(name)|\(parameters.sorted { $0.key < $1.key })|\(rate)|v1")
            let path = "\(cacheDirectory)/synth/\(clip.id)-\(key).wav"
            if FileManager.default.fileExists(atPath: path) { return .file(path) }
            let sound: SynthSound
            do { sound = try SynthSound(name: name, parameters: parameters) } catch {
                throw AudioError("clip \(clip.id): \(error)")
            }
            do {
                try FileManager.default.createDirectory(
                    atPath: cacheDirectory + "/synth", withIntermediateDirectories: true)
            } catch {
                throw AudioError("cannot create \(cacheDirectory)/synth: \(error.localizedDescription)")
            }
            let samples = Synth.render(sound, sampleRate: rate)
            try PCMBuffer(format: AudioFormat(sampleRate: rate, channels: 1), samples: samples).writeWAV(to: path)
            return .file(path)
        }
    }

    /// FNV-1a, hex: stable across runs and builds, unlike `Hasher`.
    static func cacheKey(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}
