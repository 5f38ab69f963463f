import CarillonTOML
import Testing

@Suite("Strict reader")
struct ReaderTests {
    static let station = """
        [station]
        name = "North Campus"
        data_dir = "/var/lib/carillon"
        volume = 80
        gain = 1
        enabled = true
        term_start = 2026-09-01
        lunch = 12:00:00
        installed = 2025-06-30T09:00:00+02:00
        zones = ["hall", "yard"]
        announcement = "午饭时间到了"

        [[output]]
        device = "hw:0"

        [[output]]
        device = "hw:1"
        channels = 2
        """

    func reader(_ text: String = station) throws -> TOMLReader {
        TOMLReader(try TOML.parse(text, file: "station.toml"), file: "station.toml")
    }

    @Test func readsEveryValueTypeAndFinishesCleanly() throws {
        var root = try reader()
        var station = try root.requiredTable("station")
        #expect(try station.requiredString("name") == "North Campus")
        #expect(try station.string("data_dir") == "/var/lib/carillon")
        #expect(try station.requiredInteger("volume") == 80)
        #expect(try station.requiredDouble("gain") == 1.0)
        #expect(try station.requiredBool("enabled"))
        #expect(try station.requiredDate("term_start") == TOMLDate(year: 2026, month: 9, day: 1))
        #expect(try station.requiredTime("lunch") == TOMLTime(hour: 12, minute: 0, second: 0))
        #expect(try station.requiredDateTime("installed").offsetSeconds == 7200)
        #expect(try station.requiredStringArray("zones") == ["hall", "yard"])
        #expect(try station.string("announcement") == "午饭时间到了")
        try station.finish()

        let outputs = try root.tableArray("output")
        #expect(outputs.map(\.path) == ["output[0]", "output[1]"])
        var devices: [String] = []
        for var output in outputs {
            devices.append(try output.requiredString("device"))
            _ = try output.integer("channels")
            try output.finish()
        }
        #expect(devices == ["hw:0", "hw:1"])
        try root.finish()
    }

    @Test func absentOptionalKeysAreNil() throws {
        var root = try reader("[station]")
        var station = try root.requiredTable("station")
        #expect(try station.string("name") == nil)
        #expect(try station.integer("volume") == nil)
        #expect(try station.stringArray("zones") == nil)
        #expect(try station.table("limits") == nil)
        #expect(try station.tableArray("output").isEmpty)
        try station.finish()
        try root.finish()
    }

    @Test func missingRequiredKeyIsReportedAtTheTable() throws {
        var root = try reader()
        let outputs = try root.tableArray("output")
        var second = outputs[1]
        #expect(throws: TOMLError(file: "station.toml", position: pos(16, 1), message: "missing key `name` in [[output]]")) {
            try second.requiredString("name")
        }
        var top = try reader("x = 1")
        #expect(throws: TOMLError(file: "station.toml", position: pos(1, 1), message: "missing key `station` in the top-level table")) {
            try top.requiredTable("station")
        }
    }

    @Test func wrongTypeIsReportedAtTheValue() throws {
        var root = try reader("[station]\ndata_dir = 42\nzones = [\"hall\", 7]\ngain = \"loud\"\nlimits = 3")
        var station = try root.requiredTable("station")
        #expect(throws: TOMLError(
            file: "station.toml", position: pos(2, 12), message: "expected a string for `station.data_dir`, found an integer")
        ) { try station.string("data_dir") }
        #expect(throws: TOMLError(
            file: "station.toml", position: pos(3, 18), message: "expected a string for `station.zones[1]`, found an integer")
        ) { try station.stringArray("zones") }
        #expect(throws: TOMLError(
            file: "station.toml", position: pos(4, 8), message: "expected a number for `station.gain`, found a string")
        ) { try station.double("gain") }
        #expect(throws: TOMLError(
            file: "station.toml", position: pos(5, 10), message: "expected a table for `station.limits`, found an integer")
        ) { try station.table("limits") }
    }

    @Test func integersAreNotSilentlyReadFromFloats() throws {
        var root = try reader("volume = 80.5")
        #expect(throws: TOMLError(file: "station.toml", position: pos(1, 10), message: "expected an integer for `volume`, found a float")) {
            try root.integer("volume")
        }
    }

    @Test func tableArrayRejectsNonTablesAndAcceptsInlineTables() throws {
        var root = try reader("output = [{ device = \"a\" }, 3]")
        #expect(throws: TOMLError(file: "station.toml", position: pos(1, 29), message: "expected a table for `output[1]`, found an integer")) {
            try root.tableArray("output")
        }
        var inline = try reader("output = [{ device = \"a\" }]")
        #expect(try inline.tableArray("output").count == 1)
        var scalar = try reader("output = \"hw:0\"")
        #expect(throws: TOMLError.self) { try scalar.tableArray("output") }
    }

    @Test func unknownKeyIsTheEarliestUnreadKeyWithTheKnownKeysListed() throws {
        var root = try reader("[station]\nname = \"N\"\nnmae = \"typo\"\nvolume = 3\ncolour = \"red\"")
        var station = try root.requiredTable("station")
        _ = try station.string("name")
        _ = try station.integer("volume")
        _ = try station.string("color")
        let error = #expect(throws: TOMLError.self) { try station.finish() }
        #expect(error?.description
            == "station.toml:3:1: unknown key `nmae` in [station]; expected one of `name`, `volume`, `color`")
    }

    @Test func unknownKeysAreCheckedPerTable() throws {
        var root = try reader("title = 1\n[station]\nname = 'x'\n[[output]]\ndevice = 'a'\n[[output]]\ndevice = 'b'\nextra = 1")
        _ = try root.integer("title")
        _ = try root.table("station")
        #expect(throws: TOMLError(
            file: "station.toml", position: pos(4, 1), message: "unknown key `output` in the top-level table; expected one of `title`, `station`")
        ) { try root.finish() }
        let outputs = try root.tableArray("output")
        var second = outputs[1]
        _ = try second.string("device")
        #expect(throws: TOMLError(file: "station.toml", position: pos(8, 1), message: "unknown key `extra` in [[output]]; expected `device`")) {
            try second.finish()
        }
    }

    @Test func nestedTablesAndQuotedKeysAppearInPaths() throws {
        var root = try reader("[[output]]\n[output.\"filter chain\"]\ngain = true")
        var output = try #require(try root.tableArray("output").first)
        var chain = try output.requiredTable("filter chain")
        #expect(chain.path == #"output[0]."filter chain""#)
        #expect(chain.tableName == #"[output."filter chain"]"#)
        #expect(throws: TOMLError(
            file: "station.toml", position: pos(3, 8), message: #"expected a number for `output[0]."filter chain".gain`, found a boolean"#)
        ) { try chain.double("gain") }
    }

    @Test func callersReportTheirOwnErrorsAtKeysAndValues() throws {
        var root = try reader("[station]\nzone =   \"attic\"")
        var station = try root.requiredTable("station")
        _ = try station.string("zone")
        #expect(station.position(of: "zone") == pos(2, 1))
        #expect(station.valuePosition(of: "zone") == pos(2, 10))
        #expect(station.position(of: "absent") == pos(1, 1))
        #expect(station.error("unknown zone `attic`", at: "zone").description == "station.toml:2:10: unknown zone `attic`")
        #expect(station.error("station is empty").position == pos(1, 1))
        #expect(station.keyPath("zone") == "station.zone")
    }

    @Test func containsAndKeysDoNotCountAsReading() throws {
        var root = try reader("a = 1\nb = 2")
        #expect(root.contains("a"))
        #expect(root.keys == ["a", "b"])
        _ = root.node("a")
        #expect(throws: TOMLError.self) { try root.finish() }
    }
}
