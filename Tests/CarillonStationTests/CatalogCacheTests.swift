import CarillonCore
@testable import CarillonStation
import CarillonStore
import CarillonTOML
import CarillonTesting
import Foundation
import Testing

/// A start reads the shipped catalog from the database in one query when the library's files are
/// byte for byte those last written through, and parses them again whenever they are not: a file
/// edited while the daemon was down, a text added, or a database that lost rows. Real files, a
/// real SQLite database on disk.
@Suite("The catalog read back at start")
struct CatalogCacheTests {
    static let shippedLibrary = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("audio-library").path

    static let catalog = """
        [[clip]]
        id = "bell.start"
        category = "bell"
        title = "上课铃"
        synth = "two-tone"
        params = { repeat = 3 }

        [[clip]]
        id = "music.one"
        category = "recorded"
        title = "one"
        file = "one.wav"
        gain_db = -3.5
        """

    static let culture = """
        [[clip]]
        id = "culture.one"
        text = "同学们，读书使人进步。"
        season = "autumn"
        """

    /// A library directory and a database beside it.
    struct Fixture {
        let directory: TemporaryDirectory
        let store: Store
        var library: String { directory.file("library") }

        init() throws {
            directory = try TemporaryDirectory()
            try directory.write("library/catalog.toml", CatalogCacheTests.catalog)
            try directory.write("library/text/culture.toml", CatalogCacheTests.culture)
            store = try Store.open(path: directory.file("carillon.sqlite"))
        }

        func load() async throws -> Library { try await Daemon.catalog(directory: library, store: store) }

        /// The shipped rows, changed behind the files' back: a start that shows them read the database.
        func rewriteDatabase(_ change: (inout [Clip]) -> Void) async throws {
            var clips = try store.catalogEntries().entries.filter { $0.origin == "shipped" }.map(\.clip)
            change(&clips)
            try await store.syncShipped(clips)
        }
    }

    @Test("unchanged files are read back from the database, every field as parsed")
    func unchangedFromTheDatabase() async throws {
        let fixture = try Fixture()
        defer { fixture.directory.remove() }
        let parsed = try await fixture.load()
        #expect(Set(parsed.clips.keys) == ["bell.start", "music.one", "culture.one"])
        try await fixture.rewriteDatabase { clips in
            for i in clips.indices where clips[i].id == "music.one" { clips[i].title = "from the database" }
        }
        let cached = try await fixture.load()
        #expect(cached.clips["music.one"]?.title == "from the database")
        #expect(cached.clips["bell.start"]?.stableDescription == parsed.clips["bell.start"]?.stableDescription)
        #expect(cached.clips["culture.one"]?.stableDescription == parsed.clips["culture.one"]?.stableDescription)
    }

    @Test("the shipped library read back from the database equals the library parsed from its files")
    func shippedLibraryRoundTrip() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try Store.open(path: directory.file("carillon.sqlite"))
        let parsed = try await Daemon.catalog(directory: Self.shippedLibrary, store: store)
        let cached = try await Daemon.catalog(directory: Self.shippedLibrary, store: store)
        #expect(parsed.clips.count > 1000)
        #expect(cached.clips.count == parsed.clips.count)
        let differing = parsed.clips.values.filter { cached.clips[$0.id]?.stableDescription != $0.stableDescription }.map(\.id)
        #expect(differing.isEmpty)
        #expect(try store.state(Daemon.catalogSourceKey, as: Daemon.CatalogSource.self)?.clips == parsed.clips.count)
    }

    @Test("a catalog edited while the daemon was down is parsed again and written through")
    func editedCatalog() async throws {
        let fixture = try Fixture()
        defer { fixture.directory.remove() }
        _ = try await fixture.load()
        try fixture.directory.write(
            "library/catalog.toml",
            Self.catalog.replacingOccurrences(of: "title = \"one\"", with: "title = \"one, renamed\"")
                + "\n\n[[clip]]\nid = \"music.two\"\ncategory = \"recorded\"\ntitle = \"two\"\nfile = \"two.wav\"\n")
        let library = try await fixture.load()
        #expect(library.clips["music.one"]?.title == "one, renamed")
        #expect(library.clips["music.two"] != nil)
        let stored = try fixture.store.catalogEntries().entries
        #expect(stored.first { $0.clip.id == "music.one" }?.clip.title == "one, renamed")
        #expect(stored.contains { $0.clip.id == "music.two" && $0.origin == "shipped" })
    }

    @Test("a text file edited, added or removed is noticed")
    func editedTexts() async throws {
        let fixture = try Fixture()
        defer { fixture.directory.remove() }
        _ = try await fixture.load()
        try fixture.directory.write("library/text/culture.toml", Self.culture.replacingOccurrences(of: "autumn", with: "winter"))
        #expect(try await fixture.load().clips["culture.one"]?.season == .winter)
        try fixture.directory.write(
            "library/text/emergency.toml", "[[message]]\nid = \"message.calm\"\ntext = \"请保持冷静。\"\n")
        #expect(try await fixture.load().clips["message.calm"]?.category == .message)
        try FileManager.default.removeItem(atPath: fixture.library + "/text/emergency.toml")
        let library = try await fixture.load()
        #expect(library.clips["message.calm"] == nil)
        #expect(try fixture.store.catalogEntries().entries.contains { $0.clip.id == "message.calm" } == false)
    }

    @Test("a database that lost shipped rows is not trusted: the files are read and written through again")
    func lostRows() async throws {
        let fixture = try Fixture()
        defer { fixture.directory.remove() }
        _ = try await fixture.load()
        try await fixture.rewriteDatabase { $0.removeAll { $0.id == "culture.one" } }
        let library = try await fixture.load()
        #expect(library.clips["culture.one"] != nil)
        #expect(try fixture.store.catalogEntries().entries.contains { $0.clip.id == "culture.one" })
    }

    @Test("a catalog broken while the daemon was down still stops the start, with its error")
    func brokenCatalog() async throws {
        let fixture = try Fixture()
        defer { fixture.directory.remove() }
        _ = try await fixture.load()
        try fixture.directory.write("library/catalog.toml", Self.catalog.replacingOccurrences(of: "category = \"bell\"", with: "category = \"gong\""))
        await #expect {
            _ = try await fixture.load()
        } throws: { error in
            (error as? ConfigError)?.errors.contains { $0.message.contains("unknown category `gong`") } == true
        }
        // The fingerprint of the broken files was never saved: the good ones' rows are still there,
        // and a start after the fix reads them from the database again.
        try fixture.directory.write("library/catalog.toml", Self.catalog)
        try await fixture.rewriteDatabase { clips in
            for i in clips.indices where clips[i].id == "music.one" { clips[i].title = "from the database" }
        }
        #expect(try await fixture.load().clips["music.one"]?.title == "from the database")
    }

    @Test("clips added by the school are read back with the shipped ones, over a shipped clip of the same id")
    func addedClips() async throws {
        let fixture = try Fixture()
        defer { fixture.directory.remove() }
        _ = try await fixture.load()
        let recording = Clip(id: "rec.morning", category: .recorded, title: "morning", language: "zh-CN", source: .file("/data/recordings/m.wav"))
        try await fixture.store.insertImported(CatalogEntry(clip: recording, origin: "imported"))
        let library = try await fixture.load()
        #expect(library.clips["rec.morning"]?.title == "morning")
        #expect(library.clips.count == 4)
    }
}
