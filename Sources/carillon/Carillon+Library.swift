import ArgumentParser
import CarillonControl
import CarillonProtocol
import Foundation

extension Carillon {
    struct Say: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: Message.abstractSay.text)
        @ParentCommand var root: Carillon
        @Argument(help: Message.help("The text, e.g. \"午饭时间到了，请同学们有序排队。\"")) var text: String
        @OptionGroup var zones: ZoneSelection
        @Option(help: Message.help("zh (Mandarin, default) or en.")) var voice: String?
        @Flag(help: Message.help("Leave out the pre-announce chime.")) var noChime = false
        @Flag(help: Message.help("Wait until it has been said.")) var wait = false
        @Flag(help: Message.help("Print JSON lines.")) var json = false

        func run() async throws {
            let zoneList = try zones.names
            try await root.connection.with { control in
                let info = try await control.call(
                    .say, SayArgs(text: text, zones: zoneList, voice: voice, chime: noChime ? false : nil),
                    returning: PlayInfo.self)
                if json { try printJSON(info) } else { print(Message.saying(play: info.play, zones: info.zones).text) }
                guard wait else { return }
                let outcome = try await control.call(.wait, WaitArgs(play: info.play), returning: PlayOutcome.self)
                if json { try printJSON(outcome) } else {
                    print(Message.outcome(play: outcome.play, outcome: outcome.outcome, detail: nil).text)
                }
            }
        }
    }

    struct Library: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: Message.abstractLibrary.text,
            subcommands: [List.self, Search.self, Show.self, Import.self, Render.self])
        @ParentCommand var root: Carillon
    }
}

extension Carillon.Library {
    /// What `list` and `search` share: the filters, and the table.
    struct Filter: ParsableArguments {
        @Option(help: ArgumentHelp(Message.helpCategory.text)) var category: String?
        @Option(help: ArgumentHelp(Message.helpSubject.text)) var subject: String?
        @Flag(help: Message.help("Print one JSON object per clip.")) var json = false

        func list(_ connection: Connection, search: String?) async throws {
            let list = try await connection.with {
                try await $0.call(
                    .libraryList, LibraryListArgs(category: category, subject: subject, search: search), returning: LibraryList.self)
            }
            // A daemon from before `subject` and `search` ignores them: the client filters what it can.
            let clips = list.clips.filter { subject == nil || $0.subject == subject }
            if json { return try clips.forEach(printJSON) }
            guard !clips.isEmpty else { return StandardError.write(Message.noClips.text + "\n") }
            let header = Message.libraryHeader.text.split(separator: "\t").map(String.init)
            printTable(
                header: header,
                clips.map { clip in
                    [
                        clip.id, clip.title, clip.durationSeconds.map(formatLength) ?? Message.notRendered.text,
                        Message.categoryName(clip.category), clip.subject.map { Message.subjectName($0) } ?? "",
                    ]
                })
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: Message.abstractList.text)
        @ParentCommand var library: Carillon.Library
        @OptionGroup var filter: Filter

        func run() async throws { try await filter.list(library.root.connection, search: nil) }
    }

    struct Search: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: Message.abstractSearch.text)
        @ParentCommand var library: Carillon.Library
        @Argument(help: ArgumentHelp(Message.helpSearchText.text)) var text: String
        @OptionGroup var filter: Filter

        func validate() throws {
            if text.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError(Message.searchText.text) }
        }

        func run() async throws { try await filter.list(library.root.connection, search: text) }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: Message.abstractShow.text)
        @ParentCommand var library: Carillon.Library
        @Argument(help: Message.help("The clip's id.")) var clip: String
        @Flag(help: Message.help("Print one JSON object.")) var json = false

        func run() async throws {
            let detail = try await library.root.connection.with {
                try await $0.call(.libraryShow, LibraryShowArgs(clip: clip), returning: ClipDetail.self)
            }
            if json { return try printJSON(detail) }
            let c = detail.clip
            print(Message.showTitle(id: c.id, title: c.title).text)
            print(
                Message.showFacts(
                    category: Message.categoryName(c.category), kind: c.kind, origin: c.origin, language: c.language, grade: c.grade,
                    season: c.season
                ).text)
            if let subject = c.subject { print(Message.showSubject(Message.subjectName(subject)).text) }
            if let seconds = c.durationSeconds { print(Message.showLength(formatLength(seconds)).text) }
            print(Message.showGain(c.gainDb).text)
            if let text = detail.text { print(Message.showText(text).text) }
            if let synth = detail.synth { print(Message.showSynth(synth).text) }
            print(Message.showAudio(detail.file ?? Message.showNotRendered.text).text)
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: Message.about(
                "Import recordings: each file is checked, measured and brought to the library's loudness."))
        @ParentCommand var library: Carillon.Library
        @Argument(help: Message.help("WAV, FLAC, Ogg Vorbis or Opus, or MP3 files.")) var paths: [String]
        @Option(help: Message.help("The category: recorded (default), culture, bell, tip or message."))
        var category = "recorded"
        @Option(help: Message.help("The title (default: the file's name); only with one file.")) var title: String?
        @Option(help: Message.help("The clip's id (default: <category>.<start of its SHA-256>); only with one file."))
        var id: String?
        @Flag(help: Message.help("Print one JSON object per imported clip.")) var json = false

        func validate() throws {
            if paths.count > 1 && (title != nil || id != nil) {
                throw ValidationError(Message.titleAndIDOneFile.text)
            }
        }

        func run() async throws {
            var failed = 0
            try await library.root.connection.with { control in
                for path in paths {
                    let name = (path as NSString).lastPathComponent
                    do {
                        let result = try await Self.send(path, control: control, args: (category, title, id))
                        if json {
                            try printJSON(result)
                        } else {
                            print(
                                Message.imported(
                                    id: result.clip.id, file: name, length: formatLength(result.clip.durationSeconds ?? 0),
                                    loudness: result.loudness, gain: result.clip.gainDb
                                ).text)
                        }
                    } catch let error as ClientError {
                        // A usage mistake (a category that does not exist) fails every file alike: exit 2 at once.
                        guard case .refused(let wire) = error, Failure.status(for: wire.code) == 1 else { throw error }
                        failed += 1
                        StandardError.write("carillon: \(Failure(error).message)\n")
                    } catch let error as LocalFailure {
                        failed += 1
                        StandardError.write(Data("carillon: \(error.message)\n".utf8))
                    }
                }
            }
            if failed > 0 { throw ExitCode(1) }
        }

        /// Uploads one file in chunks with a progress bar, then asks the daemon to import it.
        static func send(
            _ path: String, control: ControlConnection, args: (category: String, title: String?, id: String?)
        ) async throws -> ImportResult {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw LocalFailure(message: Message.noSuchFile(path).text)
            }
            guard !isDirectory.boolValue else { throw LocalFailure(message: Message.isDirectory(path).text) }
            guard let data = FileManager.default.contents(atPath: path) else {
                throw LocalFailure(message: Message.cannotReadFile(path).text)
            }
            let name = (path as NSString).lastPathComponent
            let id = try await upload(data, name: name, open: .libraryUpload, chunk: .libraryChunk, control: control)
            return try await control.call(
                .libraryImport, ImportArgs(upload: id, category: args.category, title: args.title, id: args.id),
                returning: ImportResult.self)
        }
    }

    struct Render: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: Message.about("Render the synthesized and spoken clips into the cache, with progress."))
        @ParentCommand var library: Carillon.Library
        @Flag(help: Message.help("Render again even what is cached.")) var force = false

        func run() async throws {
            let result = try await library.root.connection.with { control in
                var state = try await control.call(.libraryRender, RenderArgs(force: force), returning: RenderProgress.self)
                var progress: Progress?
                while state.running {
                    if state.total > 0 {
                        progress = progress ?? Progress(Message.rendering.text, total: state.total)
                        progress?.update(state.done)
                    }
                    try await Task.sleep(for: .milliseconds(200))
                    state = try await control.call(.libraryProgress, Empty(), returning: RenderProgress.self)
                }
                progress?.finish()
                return state
            }
            print(Message.rendered(total: result.total, failed: result.failures.count).text)
            for failure in result.failures { print("  \(failure)") }
            if !result.failures.isEmpty { throw ExitCode(1) }
        }
    }
}

/// A file the client cannot send.
/// A failure on the client's side (a file it cannot read, a microphone it cannot open): exit 1.
struct LocalFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
