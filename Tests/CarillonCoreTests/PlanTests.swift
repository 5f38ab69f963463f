import CarillonCore
import CarillonTOML
import Foundation
import Testing

/// The library ids the shipped plans use, with their categories in `audio-library/catalog.toml` and
/// `audio-library/text/emergency.toml`. CarillonCoreTests cannot load the library (CarillonStation does), so this
/// map stands in for it; the Station's check-config test checks the same plans against the real library.
private let shippedLibrary: [String: ClipCategory] = [
    "alarm.evacuation": .alarm,
    "alarm.earthquake": .alarm,
    "alarm.lockdown": .alarm,
    "chime.pre-announce": .bell,
    "msg.drill.prefix": .message,
    "msg.drill.end": .message,
    "msg.fire.evacuate": .message,
    "msg.fire.allclear": .message,
    "msg.earthquake.shaking": .message,
    "msg.earthquake.evacuate": .message,
    "msg.earthquake.allclear": .message,
    "msg.lockdown": .message,
    "msg.lockdown.allclear": .message,
    "msg.weather.shelter": .message,
    "msg.weather.allclear": .message,
    "msg.gas.evacuate": .message,
    "msg.gas.allclear": .message,
    "msg.earthquake-evacuate.allclear": .message,
    "msg.fire.drill.end": .message,
    "msg.earthquake.drill.end": .message,
    "msg.earthquake-evacuate.drill.end": .message,
    "msg.lockdown.drill.end": .message,
    "msg.weather.drill.end": .message,
    "msg.gas.drill.end": .message,
]

/// A context that knows the shipped library and three zones.
private let libraryContext = PlanContext(
    zones: ["teaching", "dormitory", "playground"], clipCategory: { shippedLibrary[$0] })

/// The shipped plans' directory, `config/plans`.
private let shippedPlansURL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("config/plans")

/// Parses plan text written in a test as `fire.toml`; fails the test with every error if it does not parse.
private func plan(_ text: String, name: String = "fire", context: PlanContext = libraryContext) throws -> Plan {
    do {
        return try Plan.parse(text, file: "\(name).toml", name: name, context: context)
    } catch {
        Issue.record("plan did not parse:\n\(error)")
        throw error
    }
}

/// The error lines plan text produces; empty when it parses.
private func planErrors(_ text: String, name: String = "fire", context: PlanContext = libraryContext) -> [String] {
    do {
        _ = try Plan.parse(text, file: "\(name).toml", name: name, context: context)
        return []
    } catch {
        return error.errors.map(\.description)
    }
}

/// Reads and parses one shipped plan against the shipped library.
private func shippedPlan(_ name: String) throws -> Plan {
    let url = shippedPlansURL.appendingPathComponent("\(name).toml")
    let bytes = try [UInt8](Data(contentsOf: url))
    do {
        return try Plan.parse(bytes, file: "config/plans/\(name).toml", name: name, context: libraryContext)
    } catch {
        Issue.record("config/plans/\(name).toml did not parse:\n\(error)")
        throw error
    }
}

@Suite("Shipped plans")
struct PlanShippedTests {
    static let names = ["earthquake", "earthquake-evacuate", "fire", "gas", "lockdown", "weather"]

    @Test func theDirectoryHoldsExactlyTheTestedPlans() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: shippedPlansURL.path)
            .filter { $0.hasSuffix(".toml") }.sorted()
        #expect(files == Self.names.map { "\($0).toml" }.sorted())
    }

    @Test(arguments: names)
    func parsesAndTellsEveryoneTheirTask(_ name: String) throws {
        let plan = try shippedPlan(name)
        #expect(plan.name == name)
        #expect(plan.file == "config/plans/\(name).toml")
        #expect(plan.zones == [.all])
        #expect(plan.allClear == "msg.\(name).allclear")
        // Each drill ends with its own words, never the evacuation drill's (issue 19).
        #expect(plan.drillAllClear == "msg.\(name).drill.end")
        #expect(plan.title.unicodeScalars.contains { $0.value >= 0x4E00 && $0.value <= 0x9FFF })
        #expect(plan.notifications.map(\.audience) == ["leader", "class-teachers", "security", "nurse"])
        for notification in plan.notifications {
            #expect(notification.task.unicodeScalars.contains { $0.value >= 0x4E00 && $0.value <= 0x9FFF })
        }
    }

    /// GB 50116: an alarm burst of 8 to 20 s, then one or two voice messages, looping until stopped.
    @Test(arguments: ["fire", "gas"])
    func evacuationAlternatesAlarmAndMessageUntilStopped(_ name: String) throws {
        let plan = try shippedPlan(name)
        #expect(plan.cycles == nil)
        guard case .alarm(let clip, let seconds) = plan.steps.first else {
            Issue.record("\(name) does not start with an alarm: \(plan.steps)")
            return
        }
        #expect(clip == "alarm.evacuation")
        #expect((8...20).contains(seconds))
        let messages = plan.steps.compactMap { step -> (String, Int)? in
            if case .message(let clip, let times) = step { (clip, times) } else { nil }
        }
        #expect(messages.map(\.0) == ["msg.\(name).evacuate"])
        #expect(messages.allSatisfy { (1...2).contains($0.1) })
    }

    /// The earthquake plan takes cover and stays there: it never announces on a timer that the
    /// shaking has stopped. A leader starts `earthquake-evacuate` when it is safe to go.
    @Test func earthquakeTakesCoverUntilALeaderSendsTheEvacuation() throws {
        let plan = try shippedPlan("earthquake")
        #expect(plan.cycles == nil)
        #expect(plan.intro.count == 1)
        guard case .alarm(let clip, let seconds) = plan.intro.first else {
            Issue.record("the earthquake plan's intro is not an alarm: \(plan.intro)")
            return
        }
        #expect(clip == "alarm.earthquake")
        #expect((8...20).contains(seconds))
        func messages(_ steps: [PlanStep]) -> [String] {
            steps.compactMap { step -> String? in if case .message(let clip, _) = step { clip } else { nil } }
        }
        #expect(messages(plan.steps) == ["msg.earthquake.shaking"])

        let evacuate = try shippedPlan("earthquake-evacuate")
        #expect(evacuate.cycles == nil)
        #expect(evacuate.intro.isEmpty)
        #expect(!evacuate.steps.contains { if case .alarm = $0 { true } else { false } }, "no alarm: the shaking is over")
        #expect(messages(evacuate.steps) == ["msg.earthquake.evacuate"])
    }

    @Test func anIntroPlaysOnceAndIsChecked() throws {
        let plan = try Plan.parse(
            Array("title = \"t\"\n[[intro]]\nmessage = \"msg.x\"\n[[step]]\npause = 1\n[[step]]\nsay = \"走\"\n".utf8),
            file: "p.toml", name: "p")
        #expect(plan.intro == [.message(clip: "msg.x", times: 1)])
        #expect(plan.steps == [.pause(seconds: 1), .say(text: "走", times: 1)])
        #expect(throws: PlanError.self) {
            try Plan.parse(Array("title = \"t\"\n[[intro]]\nbogus = 1\n[[step]]\npause = 1\n".utf8), file: "p.toml", name: "p")
        }
    }

    @Test func lockdownSoundsNoEvacuationAlarm() throws {
        let plan = try shippedPlan("lockdown")
        #expect(plan.cycles == nil)
        for step in plan.steps {
            if case .alarm(let clip, let seconds) = step {
                #expect(clip == "alarm.lockdown")
                #expect(seconds <= 3)
            }
        }
        #expect(plan.steps.contains(.message(clip: "msg.lockdown", times: 1)))
        #expect(plan.steps.contains { if case .pause(let seconds) = $0 { seconds >= 20 } else { false } })
    }

    @Test func weatherSheltersWithoutAnAlarm() throws {
        let plan = try shippedPlan("weather")
        #expect(plan.cycles == nil)
        #expect(!plan.steps.contains { if case .alarm = $0 { true } else { false } })
        #expect(plan.steps.contains(.message(clip: "msg.weather.shelter", times: 1)))
    }
}

@Suite("Plan parsing")
struct PlanParsingTests {
    @Test func everyFieldRoundTrips() throws {
        let parsed = try plan(
            """
            title = "教学楼疏散"
            zones = ["teaching", "playground"]
            cycles = 3
            all_clear = "msg.fire.allclear"
            drill_all_clear = "msg.drill.end"

            [[step]]
            alarm = "alarm.evacuation"
            seconds = 12.5
            [[step]]
            message = "msg.fire.evacuate"
            times = 2
            [[step]]
            say = "请沿安全通道有序撤离"
            times = 3
            [[step]]
            pause = 0.5
            [[step]]
            message = "chime.pre-announce"

            [[notify]]
            role = "leader"
            task = "拨打119"
            [[notify]]
            group = "class-teachers"
            task = "清点人数"
            """, name: "building-a-2")
        #expect(
            parsed
                == Plan(
                    name: "building-a-2", title: "教学楼疏散", zones: ["teaching", "playground"],
                    steps: [
                        .alarm(clip: "alarm.evacuation", seconds: 12.5),
                        .message(clip: "msg.fire.evacuate", times: 2),
                        .say(text: "请沿安全通道有序撤离", times: 3),
                        .pause(seconds: 0.5),
                        .message(clip: "chime.pre-announce", times: 1),
                    ],
                    cycles: 3, allClear: "msg.fire.allclear", drillAllClear: "msg.drill.end",
                    notifications: [
                        PlanNotification(audience: "leader", task: "拨打119"),
                        PlanNotification(audience: "class-teachers", task: "清点人数"),
                    ],
                    file: "building-a-2.toml"))
    }

    @Test func absentKeysTakeTheirDefaults() throws {
        let parsed = try plan("title = \"演示\"\n[[step]]\nsay = \"请注意\"\n")
        #expect(parsed.zones == [.all])
        #expect(parsed.cycles == nil)
        #expect(parsed.allClear == nil)
        #expect(parsed.drillAllClear == nil)
        #expect(parsed.notifications.isEmpty)
        #expect(parsed.steps == [.say(text: "请注意", times: 1)])
    }

    @Test func zeroCyclesMeansUntilStoppedAndLimitsAreInclusive() throws {
        let parsed = try plan(
            """
            title = "边界"
            cycles = 0
            [[step]]
            alarm = "alarm.evacuation"
            seconds = 600
            [[step]]
            pause = 60
            [[step]]
            pause = 0.1
            [[step]]
            message = "msg.fire.evacuate"
            times = 20
            """)
        #expect(parsed.cycles == nil)
        #expect(try plan("title = \"t\"\ncycles = 1000\n[[step]]\nsay = \"x\"\n").cycles == 1000)
        #expect(try plan("title = \"t\"\n[[step]]\nsay = \"x\"\ntimes = 20\n").steps == [.say(text: "x", times: 20)])
        #expect(parsed.steps.count == 4)
    }

    @Test func aCycleMayHoldAnHourOfAlarmsAndPauses() throws {
        let sixAlarms = String(repeating: "[[step]]\nalarm = \"alarm.evacuation\"\nseconds = 600\n", count: 6)
        #expect(try plan("title = \"t\"\n" + sixAlarms).steps.count == 6)
    }

    @Test func withoutALibraryClipsAreCheckedOnlyForTheirShape() throws {
        let offline = PlanContext()
        let parsed = try plan(
            "title = \"t\"\nzones = [\"yard\"]\n[[step]]\nalarm = \"alarm.anything\"\nseconds = 10\n"
                + "[[step]]\nmessage = \"msg.whatever\"\n",
            context: offline)
        #expect(parsed.steps == [.alarm(clip: "alarm.anything", seconds: 10), .message(clip: "msg.whatever", times: 1)])
        #expect(parsed.zones == ["yard"])
        #expect(
            planErrors("title = \"t\"\n[[step]]\nmessage = \"Msg.Fire\"\n", context: offline) == [
                "fire.toml:3:11: `Msg.Fire` is not a clip id: dot-separated words of lower-case letters, digits, "
                    + "`-` and `_`"
            ])
    }

    @Test func theErrorPrintsOneLinePerProblem() {
        do {
            _ = try Plan.parse("cycles = -1\n", file: "plans/x.toml", name: "x")
            Issue.record("an invalid plan parsed")
        } catch {
            #expect(
                error.description == """
                    plans/x.toml:1:1: missing key `title` in the top-level table
                    plans/x.toml:1:1: a plan needs at least one [[step]]: `alarm`, `message`, `say` or `pause`
                    plans/x.toml:1:10: `cycles` must be 0 (until stopped) or 1 to 1000, found -1
                    """)
        }
    }

    @Test(arguments: ["fire", "earthquake-2", "b", "9", "building-a"])
    func wellFormedStemsAreAccepted(_ name: String) throws {
        #expect(try plan("title = \"t\"\n[[step]]\nsay = \"x\"\n", name: name).name == name)
    }
}

/// One invalid plan and the exact error lines it must produce.
struct InvalidPlan: Sendable, CustomTestStringConvertible {
    let name: String
    let text: String
    var stem = "fire"
    let errors: [String]
    var testDescription: String { name }
}

/// A valid title and step, so that most cases show only their own problem from line 3 on.
private let head = """
    title = "火灾疏散"
    [[step]]
    say = "请撤离"

    """

@Suite("Plan validation")
struct PlanValidationTests {
    static let cases: [InvalidPlan] = [
        InvalidPlan(
            name: "title is required", text: "[[step]]\nsay = \"请撤离\"\n",
            errors: ["fire.toml:1:1: missing key `title` in the top-level table"]),
        InvalidPlan(
            name: "title is not blank", text: "title = \"  \"\n[[step]]\nsay = \"请撤离\"\n",
            errors: ["fire.toml:1:9: the `title` is empty; name the plan for people, e.g. \"火灾疏散\""]),
        InvalidPlan(
            name: "title is a string", text: "title = 1\n[[step]]\nsay = \"请撤离\"\n",
            errors: ["fire.toml:1:9: expected a string for `title`, found an integer"]),
        InvalidPlan(
            name: "a plan needs a step", text: "title = \"火灾疏散\"\nall_clear = \"msg.fire.allclear\"\n",
            errors: ["fire.toml:1:1: a plan needs at least one [[step]]: `alarm`, `message`, `say` or `pause`"]),
        InvalidPlan(
            name: "an empty inline step array is no step", text: "title = \"火灾疏散\"\nstep = []\n",
            errors: ["fire.toml:2:8: a plan needs at least one [[step]]: `alarm`, `message`, `say` or `pause`"]),
        InvalidPlan(
            name: "a step has one kind",
            text: head + "[[step]]\nalarm = \"alarm.evacuation\"\nseconds = 10\nmessage = \"msg.fire.evacuate\"\n",
            errors: ["fire.toml:7:1: a [[step]] has both `alarm` and `message`; give each its own [[step]]"]),
        InvalidPlan(
            name: "a step has some kind", text: head + "[[step]]\ntimes = 2\n",
            errors: [
                "fire.toml:4:1: a [[step]] needs one of `alarm` (a clip), `message` (a clip), `say` (text) or "
                    + "`pause` (seconds)"
            ]),
        InvalidPlan(
            name: "unknown top-level key", text: "cycle = 2\n" + head,
            errors: [
                "fire.toml:1:1: unknown key `cycle` in the top-level table; expected one of `title`, `zones`, "
                    + "`cycles`, `all_clear`, `drill_all_clear`, `intro`, `step`, `notify`"
            ]),
        InvalidPlan(
            name: "a key of another kind of step", text: head + "[[step]]\nmessage = \"msg.fire.evacuate\"\nseconds = 5\n",
            errors: [
                "fire.toml:6:1: unknown key `seconds` in this `message` [[step]]; expected one of `message`, `times`"
            ]),
        InvalidPlan(
            name: "a pause takes nothing else", text: head + "[[step]]\npause = 2\ntimes = 2\n",
            errors: ["fire.toml:6:1: unknown key `times` in this `pause` [[step]]; expected `pause`"]),
        InvalidPlan(
            name: "an alarm step plays an alarm clip",
            text: head + "[[step]]\nalarm = \"msg.fire.evacuate\"\nseconds = 10\n",
            errors: [
                "fire.toml:5:9: clip `msg.fire.evacuate` is a message clip, not an alarm; an `alarm` step plays a "
                    + "clip of category `alarm` (play others with `message`)"
            ]),
        InvalidPlan(
            name: "a message step refuses an alarm clip", text: head + "[[step]]\nmessage = \"alarm.evacuation\"\n",
            errors: [
                "fire.toml:5:11: clip `alarm.evacuation` is an alarm; play it with an `alarm` step, which gives it "
                    + "a length in `seconds`"
            ]),
        InvalidPlan(
            name: "the all-clear is not an alarm", text: "all_clear = \"alarm.lockdown\"\n" + head,
            errors: [
                "fire.toml:1:13: clip `alarm.lockdown` is an alarm; play it with an `alarm` step, which gives it "
                    + "a length in `seconds`"
            ]),
        InvalidPlan(
            name: "unknown clips are named", text: head + "[[step]]\nmessage = \"msg.fire.evacuat\"\n",
            errors: ["fire.toml:5:11: clip `msg.fire.evacuat` does not exist in the library (`message`)"]),
        InvalidPlan(
            name: "an unknown all-clear is named", text: "all_clear = \"msg.fire.all-clear\"\n" + head,
            errors: ["fire.toml:1:13: clip `msg.fire.all-clear` does not exist in the library (`all_clear`)"]),
        InvalidPlan(
            name: "an unknown drill all-clear is named", text: "drill_all_clear = \"msg.fire.drill-end\"\n" + head,
            errors: ["fire.toml:1:19: clip `msg.fire.drill-end` does not exist in the library (`drill_all_clear`)"]),
        InvalidPlan(
            name: "an alarm needs seconds", text: head + "[[step]]\nalarm = \"alarm.evacuation\"\n",
            errors: [
                "fire.toml:4:1: an `alarm` step needs `seconds`: how long the alarm sounds, 1 to 600 (8 to 20 "
                    + "between messages)"
            ]),
        InvalidPlan(
            name: "alarm seconds are 1 to 600",
            text: head + "[[step]]\nalarm = \"alarm.evacuation\"\nseconds = 0.5\n"
                + "[[step]]\nalarm = \"alarm.evacuation\"\nseconds = 601\n",
            errors: [
                "fire.toml:6:11: an alarm's `seconds` must be 1 to 600, found 0.5",
                "fire.toml:9:11: an alarm's `seconds` must be 1 to 600, found 601",
            ]),
        InvalidPlan(
            name: "alarm seconds are a number", text: head + "[[step]]\nalarm = \"alarm.evacuation\"\nseconds = \"12\"\n",
            errors: ["fire.toml:6:11: expected a number for `step[1].seconds`, found a string"]),
        InvalidPlan(
            name: "a pause is 0.1 to 60 seconds", text: head + "[[step]]\npause = 0\n[[step]]\npause = 61\n",
            errors: [
                "fire.toml:5:9: a `pause` must be 0.1 to 60 seconds, found 0",
                "fire.toml:7:9: a `pause` must be 0.1 to 60 seconds, found 61",
            ]),
        InvalidPlan(
            name: "times are 1 to 20",
            text: head + "[[step]]\nmessage = \"msg.fire.evacuate\"\ntimes = 0\n[[step]]\nsay = \"x\"\ntimes = 21\n",
            errors: ["fire.toml:6:9: `times` must be 1 to 20, found 0", "fire.toml:9:9: `times` must be 1 to 20, found 21"]),
        InvalidPlan(
            name: "say text is not empty", text: head + "[[step]]\nsay = \"\"\n",
            errors: ["fire.toml:5:7: the `say` text is empty"]),
        InvalidPlan(
            name: "say text is at most 300 characters",
            text: head + "[[step]]\nsay = \"" + String(repeating: "撤", count: 301) + "\"\n",
            errors: ["fire.toml:5:7: the `say` text has 301 characters; at most 300 are allowed"]),
        InvalidPlan(
            name: "a cycle sounds something", text: "title = \"静\"\n[[step]]\npause = 5\n[[step]]\npause = 5\n",
            errors: [
                "fire.toml:2:1: every step is a `pause`; a cycle must sound something: an `alarm`, a `message` "
                    + "or `say` text"
            ]),
        InvalidPlan(
            name: "a cycle holds at most an hour of alarms and pauses",
            text: head + String(repeating: "[[step]]\nalarm = \"alarm.evacuation\"\nseconds = 600\n", count: 6)
                + "[[step]]\npause = 1\n",
            errors: [
                "fire.toml:22:1: the cycle's alarms and pauses reach 3601 s at this step; one cycle may hold at "
                    + "most 3600 s of them"
            ]),
        InvalidPlan(
            name: "zones must exist", text: "zones = [\"teaching\", \"gym\"]\n" + head,
            errors: [
                "fire.toml:1:22: zone `gym` does not exist; the zones are `teaching`, `dormitory`, `playground`, "
                    + "`all`"
            ]),
        InvalidPlan(
            name: "zones are well formed, listed once and not empty",
            text: "zones = [\"Teaching\", \"playground\", \"playground\", 3]\n" + head,
            errors: [
                "fire.toml:1:10: `Teaching` is not a zone name: lower-case letters, digits, `-` and `_`, starting "
                    + "with a letter",
                "fire.toml:1:36: zone `playground` is listed twice",
                "fire.toml:1:50: expected a string for `zones[3]`, found an integer",
            ]),
        InvalidPlan(
            name: "an empty zone list is refused", text: "zones = []\n" + head,
            errors: ["fire.toml:1:9: `zones` is empty; leave it out to mean all zones"]),
        InvalidPlan(
            name: "cycles are 0 to 1000", text: "cycles = 1001\n" + head,
            errors: ["fire.toml:1:10: `cycles` must be 0 (until stopped) or 1 to 1000, found 1001"]),
        InvalidPlan(
            name: "cycles are whole", text: "cycles = 1.5\n" + head,
            errors: ["fire.toml:1:10: expected an integer for `cycles`, found a float"]),
        InvalidPlan(
            name: "a notify names a role or a group, not both",
            text: head + "[[notify]]\nrole = \"leader\"\ngroup = \"security\"\ntask = \"开门\"\n",
            errors: [
                "fire.toml:6:1: a [[notify]] has both `role` and `group`; give exactly one, and a [[notify]] for each"
            ]),
        InvalidPlan(
            name: "a notify names someone", text: head + "[[notify]]\ntask = \"开门\"\n",
            errors: [
                "fire.toml:4:1: a [[notify]] needs `role` (`viewer`, `teacher`, `leader`, `admin`, `bureau`) or "
                    + "`group` (a staff group such as `class-teachers`)"
            ]),
        InvalidPlan(
            name: "a role must exist", text: head + "[[notify]]\nrole = \"principal\"\ntask = \"指挥\"\n",
            errors: [
                "fire.toml:5:8: `principal` is not a role; expected one of `viewer`, `teacher`, `leader`, `admin`, "
                    + "`bureau`; for a staff group write `group = \"principal\"`"
            ]),
        InvalidPlan(
            name: "a group is not named like a role", text: head + "[[notify]]\ngroup = \"leader\"\ntask = \"指挥\"\n",
            errors: [
                "fire.toml:5:9: group `leader` has the name of a role, so the notifier could not tell them apart; "
                    + "write `role = \"leader\"` or rename the group"
            ]),
        InvalidPlan(
            name: "a group name is lower-case", text: head + "[[notify]]\ngroup = \"Class_Teachers\"\ntask = \"带队\"\n",
            errors: [
                "fire.toml:5:9: `Class_Teachers` is not a group name: lower-case letters a-z, digits and `-`, e.g. "
                    + "`class-teachers`"
            ]),
        InvalidPlan(
            name: "a notify has a task", text: head + "[[notify]]\nrole = \"leader\"\n[[notify]]\nrole = \"admin\"\ntask = \" \"\n",
            errors: [
                "fire.toml:4:1: missing key `task` in [[notify]]",
                "fire.toml:8:8: the `task` is empty; say what these people must do",
            ]),
        InvalidPlan(
            name: "a task is at most 500 characters",
            text: head + "[[notify]]\nrole = \"leader\"\ntask = \"" + String(repeating: "令", count: 501) + "\"\n",
            errors: ["fire.toml:6:8: the `task` has 501 characters; at most 500 are allowed"]),
        InvalidPlan(
            name: "unknown notify keys", text: head + "[[notify]]\nrole = \"leader\"\ntask = \"指挥\"\nphone = \"110\"\n",
            errors: ["fire.toml:7:1: unknown key `phone` in [[notify]]; expected one of `role`, `group`, `task`"]),
        InvalidPlan(
            name: "the stem is lower-case", text: head, stem: "Fire",
            errors: [
                "Fire.toml:1:1: `Fire` cannot name a plan: rename the file to lower-case letters a-z, digits and "
                    + "`-`, e.g. `fire.toml`"
            ]),
        InvalidPlan(
            name: "the stem has no underscore", text: head, stem: "fire_drill",
            errors: [
                "fire_drill.toml:1:1: `fire_drill` cannot name a plan: rename the file to lower-case letters a-z, "
                    + "digits and `-`, e.g. `fire.toml`"
            ]),
        InvalidPlan(
            name: "the stem does not start with a dash", text: head, stem: "-f",
            errors: [
                "-f.toml:1:1: `-f` cannot name a plan: rename the file to lower-case letters a-z, digits and `-`, "
                    + "e.g. `fire.toml`"
            ]),
        InvalidPlan(
            name: "a bad stem and a syntax error are both reported", text: "title = \n", stem: "火灾",
            errors: [
                "火灾.toml:1:1: `火灾` cannot name a plan: rename the file to lower-case letters a-z, digits and `-`, "
                    + "e.g. `fire.toml`",
                "火灾.toml:1:9: expected a value, found a newline",
            ]),
    ]

    @Test(arguments: cases)
    func reportsTheExactError(_ invalid: InvalidPlan) {
        #expect(planErrors(invalid.text, name: invalid.stem) == invalid.errors)
    }

    @Test func reportsEveryProblemAtOnceInFileOrder() {
        let text = """
            title = ""
            zones = ["all", "gym"]
            cycles = -3
            all_clear = "msg.nothing"
            colour = "red"

            [[step]]
            alarm = "msg.fire.evacuate"
            seconds = 0
            [[step]]
            say = "撤离"
            pause = 1
            [[step]]
            message = "msg.fire.evacuate"
            times = 50

            [[notify]]
            role = "boss"
            task = "指挥"
            """
        #expect(
            planErrors(text) == [
                "fire.toml:1:9: the `title` is empty; name the plan for people, e.g. \"火灾疏散\"",
                "fire.toml:2:17: zone `gym` does not exist; the zones are `teaching`, `dormitory`, `playground`, "
                    + "`all`",
                "fire.toml:3:10: `cycles` must be 0 (until stopped) or 1 to 1000, found -3",
                "fire.toml:4:13: clip `msg.nothing` does not exist in the library (`all_clear`)",
                "fire.toml:5:1: unknown key `colour` in the top-level table; expected one of `title`, `zones`, "
                    + "`cycles`, `all_clear`, `drill_all_clear`, `intro`, `step`, `notify`",
                "fire.toml:8:9: clip `msg.fire.evacuate` is a message clip, not an alarm; an `alarm` step plays a "
                    + "clip of category `alarm` (play others with `message`)",
                "fire.toml:9:11: an alarm's `seconds` must be 1 to 600, found 0",
                "fire.toml:12:1: a [[step]] has both `say` and `pause`; give each its own [[step]]",
                "fire.toml:15:9: `times` must be 1 to 20, found 50",
                "fire.toml:18:8: `boss` is not a role; expected one of `viewer`, `teacher`, `leader`, `admin`, "
                    + "`bureau`; for a staff group write `group = \"boss\"`",
            ])
    }
}
