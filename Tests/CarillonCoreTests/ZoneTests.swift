import CarillonCore
import Testing

@Suite("Zones in a request")
struct ZoneTests {
    let school: [ZoneName] = ["teaching", "dormitory", "playground"]

    @Test("no zones, or `all`, means every zone in the school's order")
    func allZones() throws {
        #expect(try [ZoneName]().resolved(against: school) == school)
        #expect(try [ZoneName.all].resolved(against: school) == school)
        #expect(try ["playground", "all"].resolved(against: school) == school)
    }

    @Test("named zones come back in the school's order, each once")
    func namedZones() throws {
        #expect(try ["playground", "teaching", "teaching"].resolved(against: school) == ["teaching", "playground"])
    }

    @Test("an unknown zone is an error naming every unknown one")
    func unknownZone() {
        #expect(throws: ZoneError(unknown: ["roof", "gym"])) {
            try ["teaching", "roof", "gym"].resolved(against: school)
        }
        #expect(ZoneError(unknown: ["roof"]).description == "unknown zone `roof`")
    }

    @Test("zone names are lower-case words", arguments: [
        ("teaching", true), ("block-2_east", true), ("Teaching", false), ("2nd", false), ("", false),
        ("a b", false), ("教学楼", false),
    ])
    func wellFormed(name: String, ok: Bool) {
        #expect(ZoneName(name).isWellFormed == ok)
    }
}

@Suite("Clips and levels")
struct ClipTests {
    @Test("clip ids are dot-separated lower-case words", arguments: [
        ("bell.start", true), ("tip.fire.012", true), ("recorded.2026-opening_day", true), ("bell.", false),
        (".bell", false), ("bell..start", false), ("Bell.start", false), ("bell start", false), ("", false),
    ])
    func clipIDs(id: String, ok: Bool) {
        #expect(Clip.isWellFormedID(id) == ok)
    }

    @Test("levels are ordered emergency > shout > bell > announcement > background")
    func levelOrder() {
        #expect(Level.allCases.sorted() == [.background, .announcement, .bell, .shout, .emergency])
        #expect(Level.emergency > .shout && Level.shout > .bell && Level.bell > .announcement)
    }
}
