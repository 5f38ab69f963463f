@testable import CarillonAudio
import CarillonControl
import CarillonCore
import CarillonProtocol
@testable import CarillonStation
import CarillonStore
import CarillonTesting
import CarillonTOML
import Foundation
import Logging
import Testing

@Suite("A reload's zone groups are checked before anything changes")
struct ZoneGroupReloadTests {
    static func config(groups: String) throws -> StationConfig {
        try StationConfig.parse(Array((ZoneGroupConfigTests.outputs + groups).utf8), file: "/tmp/carillon.toml")
    }

    static let grade = "[[zone_group]]\nname = \"初一年级\"\nzones = [\"room-101\"]\n"

    @Test(
        "a reload removing a group that the schedule in force names is refused; one keeping it passes, and the groups change live"
    )
    func scheduleInForce() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("catalog.toml", "")
        let config = try Self.config(groups: Self.grade)
        let station = try Station(
            config: config, library: Library.load(directory: directory.path),
            engine: AudioEngine(outputs: [], onEvent: { _ in }),
            store: Store.inMemory(), renderer: Renderer(cacheDirectory: directory.file("cache"), loudnessTarget: -18),
            logger: Logger(label: "test"))
        let text = """
            version = 1
            timezone = "UTC"
            [timetables.d]
            events = [{ at = "08:00", say = "上课", zones = ["初一年级"] }]
            """
        let schedule = try Schedule.parse(
            Array(text.utf8), file: "s.toml",
            context: ScheduleContext(zones: config.zoneNames, zoneGroups: config.zoneGroups))
        await station.activate(schedule, text: text, source: "test")

        let without = try Self.config(groups: "")
        await #expect {
            try await station.checkReload(without)
        } throws: { error in
            "\(error)".contains("schedule v1 in force:4:48: `初一年级` is not a zone name")
        }
        let renamed = try Self.config(groups: Self.grade + "[[zone_group]]\nname = \"outdoors\"\nzones = [\"yard\"]\n")
        try await station.checkReload(renamed)
        #expect(station.zoneGroups.expand(["outdoors"]) == ["outdoors"], "nothing applied by the check")
        await station.reload(renamed, library: try Library.load(directory: directory.path))
        #expect(station.zoneGroups.expand(["outdoors", "初一年级"]) == ["yard", "room-101"], "applied by the reload")
        #expect(
            await station.status().zoneGroups == [
                ZoneGroupInfo(name: "初一年级", zones: ["room-101"]), ZoneGroupInfo(name: "outdoors", zones: ["yard"]),
            ])
    }
}
