import CarillonCore
import Foundation
import Testing

@Suite("Zone groups: checked against the school's zones, expanded in one place")
struct ZoneGroupTests {
    let school: [ZoneName] = ["room-101", "room-102", "yard", "gate"]
    var groups: ZoneGroups {
        ZoneGroups([
            ZoneGroup(name: "初一年级", zones: ["room-101", "room-102"]),
            ZoneGroup(name: "outdoors", zones: ["yard", "gate"]),
        ])
    }

    @Test("a group stands for its zones; zones, `all` and unknown names pass through; each zone once, in the order met")
    func expansion() {
        #expect(groups.expand(["初一年级"]) == ["room-101", "room-102"])
        #expect(groups.expand(["yard", "初一年级", "outdoors"]) == ["yard", "room-101", "room-102", "gate"])
        #expect(groups.expand(["all"]) == ["all"])
        #expect(groups.expand(["roof"]) == ["roof"])
        #expect(groups.expand([ZoneName("outdoors")]) == [ZoneName("yard"), ZoneName("gate")])
        #expect(ZoneGroups().expand(["outdoors"]) == ["outdoors"], "with no groups nothing changes")
    }

    @Test("resolving expands groups, then checks every zone and orders them as the school does")
    func resolving() throws {
        #expect(
            try ["outdoors", "room-101"].resolved(against: school, groups: groups) == ["room-101", "yard", "gate"])
        #expect(try ["all"].resolved(against: school, groups: groups) == school)
        #expect(throws: ZoneError(unknown: ["grade-9"])) {
            try ["outdoors", "grade-9"].resolved(against: school, groups: groups)
        }
    }

    @Test("valid groups have no problems")
    func validGroups() {
        #expect(ZoneGroups.problems(groups.groups, zones: school).isEmpty)
    }

    @Test(
        "each mistake in a group is named, with its group and key",
        arguments: [
            (
                ZoneGroup(name: "g", zones: ["roof"]), "zones",
                "zone group `g` lists `roof`, which is not a zone; the zones are room-101, room-102, yard, gate"
            ),
            (ZoneGroup(name: "yard", zones: ["gate"]), "name", "zone group `yard` has the name of a zone"),
            (ZoneGroup(name: "g", zones: []), "zones", "zone group `g` lists no zones"),
            (ZoneGroup(name: "g", zones: ["yard", "yard"]), "zones", "zone group `g` lists `yard` twice"),
            (
                ZoneGroup(name: "all", zones: ["yard"]), "name",
                "`all` already means every zone; name the group otherwise"
            ),
            (ZoneGroup(name: "g", zones: ["all"]), "zones", "zone group `g` lists `all`; list the zones themselves"),
            (ZoneGroup(name: "", zones: ["yard"]), "name", "a zone group needs a name"),
            (
                ZoneGroup(name: "a,b", zones: ["yard"]), "name",
                "zone group name `a,b` must not hold a comma or control characters, nor start or end with a space"
            ),
            (
                ZoneGroup(name: String(repeating: "楼", count: 65), zones: ["yard"]), "name",
                "zone group name `\(String(repeating: "楼", count: 65))` is longer than 64 characters"
            ),
        ])
    func problems(group: ZoneGroup, key: String, message: String) {
        #expect(ZoneGroups.problems([group], zones: school) == [ZoneGroupProblem(0, key, message)])
    }

    @Test("a group declared twice, and a group naming another group, are refused")
    func duplicatesAndNesting() {
        let twice = [ZoneGroup(name: "g", zones: ["yard"]), ZoneGroup(name: "g", zones: ["gate"])]
        #expect(
            ZoneGroups.problems(twice, zones: school) == [
                ZoneGroupProblem(1, "name", "zone group `g` is declared twice")
            ])
        let nested = [ZoneGroup(name: "outdoors", zones: ["yard"]), ZoneGroup(name: "all-out", zones: ["outdoors"])]
        #expect(
            ZoneGroups.problems(nested, zones: school)
                == [
                    ZoneGroupProblem(
                        1, "zones", "zone group `all-out` lists the group `outdoors`; a group lists zones only")
                ])
    }

    @Test("a schedule event and a plan may name a group; an unknown name is refused, the groups listed")
    func scheduleAndPlan() throws {
        let schedule = """
            version = 1
            timezone = "UTC"
            [timetables.d]
            events = [{ at = "08:00", play = "bell.start", zones = ["初一年级", "yard"] }]
            """
        let context = ScheduleContext(zones: school, zoneGroups: groups)
        let parsed = try Schedule.parse(Array(schedule.utf8), file: "s.toml", context: context)
        #expect(
            parsed.timetables["d"]?.events.first?.zones == ["初一年级", "yard"], "kept as written, expanded when it fires")
        let unknown = schedule.replacingOccurrences(of: "初一年级", with: "初二年级")
        #expect {
            try Schedule.parse(Array(unknown.utf8), file: "s.toml", context: context)
        } throws: { error in
            "\(error)".contains("`初二年级` is not a zone name")
        }
        let wrongZone = schedule.replacingOccurrences(of: "初一年级", with: "roof")
        #expect {
            try Schedule.parse(Array(wrongZone.utf8), file: "s.toml", context: context)
        } throws: { error in
            "\(error)".contains(
                "zone `roof` does not exist; the zones are `room-101`, `room-102`, `yard`, `gate` and `all`; the zone groups are `初一年级`, `outdoors`"
            )
        }
        // A preview without the config takes a name shaped like a group's for one; a name no group may have is refused.
        var offline = ScheduleContext()
        offline.anyZoneGroup = true
        _ = try Schedule.parse(Array(unknown.utf8), file: "s.toml", context: offline)
        let typo = schedule.replacingOccurrences(of: "初一年级", with: "a,b")
        #expect(throws: (any Error).self) { try Schedule.parse(Array(typo.utf8), file: "s.toml", context: offline) }
        let plan = """
            title = "疏散"
            zones = ["outdoors"]
            [[step]]
            say = "请疏散"
            """
        let parsedPlan = try Plan.parse(
            Array(plan.utf8), file: "p.toml", name: "p", context: PlanContext(zones: school, zoneGroups: groups))
        #expect(parsedPlan.zones == ["outdoors"])
        var unsigned = PlanContext()
        unsigned.anyZoneGroup = true
        let graded = plan.replacingOccurrences(of: "outdoors", with: "初一年级")
        #expect(try Plan.parse(Array(graded.utf8), file: "p.toml", name: "p", context: unsigned).zones == ["初一年级"])
        #expect(throws: (any Error).self) { try Plan.parse(Array(graded.utf8), file: "p.toml", name: "p") }
    }
}
