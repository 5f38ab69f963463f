import CarillonCore
import CarillonStation
import CarillonTOML
import CarillonTesting
import Foundation
import Testing

/// Tips tagged with `grades = [...]` (2027), and the older `grade = "..."` still read as its bands.
@Suite("The library's grade bands")
struct LibraryGradeTests {
    static let texts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("audio-library/text")

    static let catalog = """
        [[clip]]
        id = "bell.start"
        category = "bell"
        title = "上课铃"
        synth = "two-tone"
        """

    /// A library holding `files` under `text/`.
    func load(_ files: [String: String]) throws -> Library {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("catalog.toml", Self.catalog)
        for (name, text) in files { try directory.write("text/" + name, text) }
        return try Library.load(directory: directory.path)
    }

    func errors(_ files: [String: String]) -> [String] {
        do {
            _ = try load(files)
            return []
        } catch let error as ConfigError {
            return error.errors.map { "\(($0.file as NSString).lastPathComponent):\($0.position.line): \($0.message)" }
        } catch {
            return ["\(error)"]
        }
    }

    /// The first `count` tips of a shipped file, with each `grade` line written as the `grades` it means.
    static func sample(_ name: String, count: Int) throws -> (text: String, legacy: [String: String]) {
        let text = try String(contentsOf: texts.appendingPathComponent(name), encoding: .utf8)
        var lines: [String] = []
        var legacy: [String: String] = [:]
        var id = ""
        var tips = 0
        let arrays = [
            "primary": #"["lower-primary", "upper-primary"]"#, "middle": #"["junior-middle"]"#,
            "high": #"["junior-middle"]"#, "all": #"["lower-primary", "upper-primary", "junior-middle"]"#,
        ]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line == "[[tip]]" {
                tips += 1
                if tips > count { break }
            }
            if line.hasPrefix("id = ") { id = String(line.dropFirst(6).dropLast()) }
            if line.hasPrefix("grade = ") {
                let name = String(line.dropFirst(9).dropLast())
                legacy[id] = name
                lines.append("grades = " + (arrays[name] ?? "[]"))
            } else {
                lines.append(line)
            }
        }
        return (lines.joined(separator: "\n") + "\n", legacy)
    }

    @Test("a sample of the shipped tips rewritten with `grades` loads with the bands each old tag meant")
    func sampleWithGrades() throws {
        var files: [String: String] = [:]
        var legacy: [String: String] = [:]
        for name in ["tips-fire.toml", "tips-outdoor.toml", "tips-cases.toml"] {
            let sample = try Self.sample(name, count: 20)
            files[name] = sample.text
            legacy.merge(sample.legacy) { $1 }
        }
        #expect(files.values.allSatisfy { !$0.contains("\ngrade = ") && $0.contains("\ngrades = ") })
        let library = try load(files)
        #expect(legacy.count == 60)
        for (id, name) in legacy {
            #expect(library.clips[id]?.grades == GradeBand.legacy(name), "\(id)")
        }
        #expect(legacy.values.contains("primary") && legacy.values.contains("high"))
    }

    @Test("the shipped files as they are load too: the old `grade` is read as its bands")
    func legacyGrade() throws {
        let text = try Self.sample("tips-fire.toml", count: 5).text
        let original = try String(contentsOf: Self.texts.appendingPathComponent("tips-fire.toml"), encoding: .utf8)
        let library = try load([
            "tips-fire.toml": String(
                original.prefix(
                    upTo: original.range(of: "[[tip]]\nid = \"tip.fire.006\"")?.lowerBound ?? original.endIndex))
        ])
        let rewritten = try load(["tips-fire.toml": text])
        #expect(library.clips.count == rewritten.clips.count)
        for (id, clip) in rewritten.clips { #expect(library.clips[id]?.grades == clip.grades, "\(id)") }
    }

    @Test("unknown, empty, repeated and doubled grade tags are refused with their file and line")
    func refusals() {
        let found = errors([
            "tips-fire.toml": """
            subject = "fire"
            title = "消防安全"

            [[tip]]
            id = "tip.fire.001"
            grades = ["lower-primary", "senior-high"]
            text = "发现火情，要立即拨打119报警。"

            [[tip]]
            id = "tip.fire.002"
            grades = []
            text = "发现火情，要立即拨打119报警。"

            [[tip]]
            id = "tip.fire.003"
            grades = ["junior-middle", "junior-middle"]
            text = "发现火情，要立即拨打119报警。"

            [[tip]]
            id = "tip.fire.004"
            grade = "all"
            grades = ["junior-middle"]
            text = "发现火情，要立即拨打119报警。"

            [[tip]]
            id = "tip.fire.005"
            grade = "kindergarten"
            text = "发现火情，要立即拨打119报警。"

            [[tip]]
            id = "tip.fire.006"
            grades = "junior-middle"
            text = "发现火情，要立即拨打119报警。"
            """
        ])
        #expect(
            found == [
                "tips-fire.toml:6: unknown grade band `senior-high` in `grades`; expected `lower-primary`, `upper-primary`, `junior-middle`",
                "tips-fire.toml:11: `grades` must be a non-empty array of `lower-primary`, `upper-primary`, `junior-middle`",
                "tips-fire.toml:16: grade band `junior-middle` is listed twice in `grades`",
                "tips-fire.toml:21: give `grades` or the older `grade`, not both",
                "tips-fire.toml:27: `grade` must be primary, middle, high or all (deprecated: write `grades = [...]` with `lower-primary`, `upper-primary`, `junior-middle`)",
                "tips-fire.toml:32: `grades` must be a non-empty array of `lower-primary`, `upper-primary`, `junior-middle`",
            ], "\(found.joined(separator: "\n"))")
    }

    @Test("[school] grades: the bands the school has, every band by default, unknown names refused")
    func schoolGrades() throws {
        let base = "[[output]]\nname = \"main\"\ndevice = \"default\"\n"
        let all = try StationConfig.parse(Array(base.utf8), file: "/etc/carillon/carillon.toml")
        #expect(all.grades == GradeBand.all)
        let primary = try StationConfig.parse(
            Array((base + "[school]\ngrades = [\"lower-primary\", \"upper-primary\"]\n").utf8),
            file: "/etc/carillon/carillon.toml")
        #expect(primary.grades == [.lowerPrimary, .upperPrimary])
        for bad in [
            "grades = []", "grades = [\"primary\"]", "grades = \"junior-middle\"", "grade = [\"junior-middle\"]",
        ] {
            #expect(throws: ConfigError.self, "\(bad)") {
                try StationConfig.parse(
                    Array((base + "[school]\n" + bad + "\n").utf8), file: "/etc/carillon/carillon.toml")
            }
        }
    }
}
