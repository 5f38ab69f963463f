import CarillonAudio
import CarillonCore
import CarillonStation
import CarillonTOML
import CarillonTesting
import Foundation
import Testing

@Suite("The library catalog")
struct LibraryTests {
    private func load(_ catalog: String) throws -> (Library, TemporaryDirectory) {
        let directory = try TemporaryDirectory()
        try directory.write("catalog.toml", catalog)
        do {
            return (try Library.load(directory: directory.path), directory)
        } catch {
            directory.remove()
            throw error
        }
    }

    @Test("clips load with their sources; file paths are inside the library")
    func loads() throws {
        let (library, directory) = try load(
            """
            [[clip]]
            id = "bell.start"
            category = "bell"
            title = "上课铃"
            synth = "two-tone"
            params = { repeat = 3 }

            [[clip]]
            id = "recorded.anthem"
            category = "recorded"
            title = "校歌"
            file = "recordings/anthem.flac"
            gain_db = -3.5
            """)
        defer { directory.remove() }
        #expect(library.clips.count == 2)
        #expect(library.clips["bell.start"]?.source == .synth(name: "two-tone", parameters: ["repeat": 3]))
        #expect(library.clips["recorded.anthem"]?.source == .file(directory.path + "/recordings/anthem.flac"))
        #expect(library.clips["recorded.anthem"]?.gainDB == -3.5)
        #expect(library.clips["bell.start"]?.language == "zh-CN")
    }

    @Test("a tip's title is its first words, not its subject and number", arguments: [
        ("同学们，发现火情，要立即拨打119报警，说清楚学校名称和着火的位置。", "发现火情，要立即拨打119报警…"),
        ("发生火灾时不能乘坐电梯，电梯会断电停运，还会灌进浓烟。", "发生火灾时不能乘坐电梯…"),
        ("逃生时用湿毛巾捂住口鼻，弯腰低姿前进。", "逃生时用湿毛巾捂住口鼻…"),
        ("不玩火。", "不玩火。"),
        ("防溺水六不准要记牢：不私自下水游泳，不擅自与他人结伴游泳。", "防溺水六不准要记牢…"),
        ("一二三四五六七八九十一二三四五六七八九十", "一二三四五六七八九十一二三四五六…"),
        ("同学们，", "消防安全"),
    ])
    func tipTitles(text: String, title: String) {
        #expect(Library.title(of: text, or: "消防安全") == title)
    }

    @Test("bad entries are refused with their lines")
    func refusals() throws {
        #expect {
            try load(
                """
                [[clip]]
                id = "bell.start"
                category = "bell"
                title = "a"
                synth = "two-tone"

                [[clip]]
                id = "bell.start"
                category = "noise"
                title = "b"
                file = "../../etc/passwd"

                [[clip]]
                id = "bell.x"
                category = "bell"
                title = "c"
                synth = "kazoo"

                [[clip]]
                id = "bell.y"
                category = "bell"
                title = "d"
                """)
        } throws: { error in
            let lines = (error as? ConfigError)?.errors.map { "\($0.position.line): \($0.message)" } ?? []
            return lines == [
                "9: unknown category `noise`; expected one of bell, tip, culture, recorded, alarm, message",
                "11: `file` must be a path inside the library directory",
                #"17: `synth`: unknown synth "kazoo"; known synths: electric-bell, two-tone, westminster, pre-announce, evacuation-alarm, earthquake-alarm, lockdown-tone, tone, silence"#,
                "19: clip `bell.y` needs exactly one of `file` and `synth`",
            ]
        }
    }

    @Test("a path that leaves the library directory is refused")
    func traversal() {
        #expect(throws: ConfigError.self) {
            try load("[[clip]]\nid = \"x.y\"\ncategory = \"bell\"\ntitle = \"t\"\nfile = \"../secret.wav\"\n")
        }
        #expect(throws: ConfigError.self) {
            try load("[[clip]]\nid = \"x.y\"\ncategory = \"bell\"\ntitle = \"t\"\nfile = \"/etc/secret.wav\"\n")
        }
    }

    @Test("a synthesized clip is rendered once into the cache and then reused")
    func synthCache() throws {
        let (library, directory) = try load("[[clip]]\nid = \"bell.start\"\ncategory = \"bell\"\ntitle = \"t\"\nsynth = \"two-tone\"\n")
        defer { directory.remove() }
        let clip = try #require(library.clips["bell.start"])
        let renderer = Renderer(cacheDirectory: directory.file("cache"), loudnessTarget: -18)
        guard case .file(let path) = try library.audio(for: clip, renderer: renderer) else {
            Issue.record("a synthesized clip streams from its cached file")
            return
        }
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        let buffer = try PCMBuffer.decode(path: path, to: AudioFormat(sampleRate: 48000, channels: 1))
        #expect(buffer.frameCount > 48000 / 2, "a real bell, not an empty file")
        guard case .file(let again) = try library.audio(for: clip, renderer: renderer) else { return }
        #expect(again == path)
        #expect(try FileManager.default.attributesOfItem(atPath: again)[.modificationDate] as? Date
            == attributes[.modificationDate] as? Date, "not rendered twice")
    }
}
