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

    /// Four tips, one per old `grade` tag, written with `grade` or with the `grades` it means.
    static func tips(legacy: Bool) -> String {
        let tags: [(old: String, new: String)] = [
            ("primary", #"["lower-primary", "upper-primary"]"#), ("middle", #"["junior-middle"]"#),
            ("high", #"["junior-middle"]"#), ("all", #"["lower-primary", "upper-primary", "junior-middle"]"#),
        ]
        var text = "subject = \"fire\"\ntitle = \"消防安全\"\n"
        for (index, tag) in tags.enumerated() {
            text += "\n[[tip]]\nid = \"tip.fire.00\(index + 1)\"\n"
            text += legacy ? "grade = \"\(tag.old)\"\n" : "grades = \(tag.new)\n"
            text += "season = \"all\"\ntext = \"同学们，发现火情要立即拨打119报警，第\(index + 1)条。\"\n"
        }
        return text
    }

    @Test("the old `grade` tag still loads, as the bands it meant")
    func legacyGrade() throws {
        let old = try load(["tips-fire.toml": Self.tips(legacy: true)])
        let new = try load(["tips-fire.toml": Self.tips(legacy: false)])
        #expect(old.clips.count == 5 && new.clips.count == 5)
        for (id, clip) in new.clips { #expect(old.clips[id]?.grades == clip.grades, "\(id)") }
        #expect(new.clips["tip.fire.001"]?.grades == [.lowerPrimary, .upperPrimary])
        #expect(new.clips["tip.fire.003"]?.grades == [.juniorMiddle])
        #expect(new.clips["tip.fire.004"]?.grades == Set(GradeBand.allCases))
    }

    @Test("every shipped tip has `grades`, and each band has at least 500 tips")
    func shippedGrades() throws {
        var files: [String: String] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: Self.texts.path) where name.hasPrefix("tips-") {
            let text = try String(contentsOf: Self.texts.appendingPathComponent(name), encoding: .utf8)
            #expect(!text.contains("\ngrade = "), "\(name) still uses `grade`")
            files[name] = text
        }
        let tips = try load(files).clips.values.filter { $0.category == .tip }
        for band in GradeBand.allCases {
            let count = tips.filter { $0.grades.contains(band) }.count
            #expect(count >= 500, "\(band): \(count) tips")
        }
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
