import CarillonControl
import CarillonCore
import CarillonStation
import CarillonTOML
import Foundation
import Testing

@Suite("[[zone_group]] in the daemon's config")
struct ZoneGroupConfigTests {
    static let outputs = """
        [[output]]
        name = "main"
        device = "default"
        channels = 2
        [[zone]]
        name = "room-101"
        output = "main"
        channels = [0]
        [[zone]]
        name = "yard"
        output = "main"
        channels = [1]

        """

    private func errors(_ text: String) -> [String] {
        do {
            _ = try StationConfig.parse(Array(text.utf8), file: "/etc/carillon/carillon.toml")
            return []
        } catch {
            return error.errors.map(\.description)
        }
    }

    @Test("groups are read in order, and a rule's zones may name one: the caller gets its zones")
    func groupsAndLimits() throws {
        let config = try StationConfig.parse(
            Array(
                (Self.outputs + """
                    [[zone_group]]
                    name = "初一年级"
                    zones = ["room-101"]
                    [[zone_group]]
                    name = "everywhere"
                    zones = ["yard", "room-101"]
                    [[access]]
                    users = ["root"]
                    role = "teacher"
                    zones = ["初一年级"]
                    """).utf8), file: "/etc/carillon/carillon.toml")
        #expect(config.zoneGroups.groups.map(\.name) == ["初一年级", "everywhere"])
        #expect(config.zoneGroups.zones(of: "everywhere") == ["yard", "room-101"])
        #expect(config.control.access.unixRules.first?.zones == ["room-101"])
    }

    @Test("every mistake is an error at its line: an unknown zone, a zone's name, no zones, a duplicate, a missing key")
    func mistakes() {
        let missing = errors(Self.outputs + "[[zone_group]]\nzones = [\"yard\"]\n")
        #expect(missing == ["/etc/carillon/carillon.toml:13:1: missing key `name` in [[zone_group]]"], "\(missing)")
        let contents = errors(
            Self.outputs + """
                [[zone_group]]
                name = "a"
                zones = ["roof"]
                [[zone_group]]
                name = "yard"
                zones = ["room-101"]
                [[zone_group]]
                name = "b"
                zones = []
                [[zone_group]]
                name = "a"
                zones = ["yard", "yard"]
                [[access]]
                users = ["root"]
                role = "teacher"
                zones = ["c"]
                """)
        #expect(
            contents == [
                "/etc/carillon/carillon.toml:15:9: zone group `a` lists `roof`, which is not a zone; the zones are room-101, yard",
                "/etc/carillon/carillon.toml:17:8: zone group `yard` has the name of a zone",
                "/etc/carillon/carillon.toml:21:9: zone group `b` lists no zones",
                "/etc/carillon/carillon.toml:23:8: zone group `a` is declared twice",
                "/etc/carillon/carillon.toml:24:9: zone group `a` lists `yard` twice",
                "/etc/carillon/carillon.toml:28:9: unknown zone `c`; the zones are room-101, yard",
            ], "\(contents)")
    }
}
