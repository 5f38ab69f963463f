public import CarillonTOML

/// Every problem found in a plan file, each with its file, line and column, in document order.
public typealias PlanError = TOMLErrors

extension Plan {
    /// The roles a `[[notify]]` table may name, as in the control protocol (CarillonCore cannot see its `Role`).
    public static let roleNames = ["viewer", "teacher", "leader", "admin", "bureau"]

    /// Whether `name` can name a plan or a staff group: lower-case a-z, digits and `-`, at most 64 characters, not
    /// starting with `-` (so that `carillon plan start NAME` never reads it as an option).
    public static func isWellFormedName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first != "-", name.unicodeScalars.count <= 64 else { return false }
        return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
    }

    /// Parses and validates a plan file, `NAME.toml` with `name` its stem, reporting every problem at once.
    public static func parse(
        _ bytes: [UInt8], file: String, name: String, context: PlanContext = PlanContext()
    ) throws(PlanError) -> Plan {
        var nameErrors: [TOMLError] = []
        if !isWellFormedName(name) {
            nameErrors.append(
                TOMLError(
                    file: file, position: .start,
                    message: "`\(name)` cannot name a plan: rename the file to lower-case letters a-z, digits and `-`, "
                        + "e.g. `fire.toml`"))
        }
        let table: TOMLTable
        do {
            table = try TOML.parse(utf8: bytes, file: file)
        } catch {
            throw PlanError(nameErrors + [error])
        }
        let decoder = PlanDecoder(file: file, context: context)
        let plan = decoder.decode(table, name: name)
        let errors = nameErrors + decoder.errors
        guard errors.isEmpty, let plan else { throw PlanError(errors) }
        return plan
    }

    /// Parses and validates plan text; see `parse(_:file:name:context:)`.
    public static func parse(
        _ text: String, file: String, name: String, context: PlanContext = PlanContext()
    ) throws(PlanError) -> Plan {
        try parse(Array(text.utf8), file: file, name: name, context: context)
    }
}

/// Reads a parsed plan into a `Plan`, collecting every error instead of stopping at the first.
private final class PlanDecoder: TOMLFileDecoder {
    let context: PlanContext

    static let maxTitleCharacters = 100
    static let maxCycles = 1000
    static let alarmSeconds = 1.0...600.0
    static let pauseSeconds = 0.1...60.0
    static let maxTimes = 20
    static let maxSayCharacters = 300
    static let maxTaskCharacters = 500
    /// Alarm and pause seconds one cycle may hold: a plan must come round again within the hour.
    static let maxCycleSeconds = 3600.0
    /// The keys of a step: its kind first, then what that kind also takes.
    static let stepKinds: [(kind: String, extra: String?)] = [
        ("alarm", "seconds"), ("message", "times"), ("say", "times"), ("pause", nil),
    ]

    init(file: String, context: PlanContext) {
        self.context = context
        super.init(file: file)
    }

    func decode(_ table: TOMLTable, name: String) -> Plan? {
        var root = TOMLReader(table, file: file)
        rejectUnknownKeys(root, known: ["title", "zones", "cycles", "all_clear", "drill_all_clear", "intro", "step", "notify"])
        let title = readTitle(&root)
        let zones = readZones(&root)
        let cycles = readCycles(&root)
        let allClear = readAllClear(&root, key: "all_clear")
        let drillAllClear = readAllClear(&root, key: "drill_all_clear")
        let intro = readIntro(&root)
        let steps = readSteps(&root)
        let notifications = readNotifications(&root)
        guard let title, let zones, cycles.valid, allClear.valid, drillAllClear.valid, let intro, let steps, let notifications else { return nil }
        return Plan(
            name: name, title: title, zones: zones, intro: intro, steps: steps, cycles: cycles.count,
            allClear: allClear.clip, drillAllClear: drillAllClear.clip, notifications: notifications, file: file)
    }

    // MARK: Top-level keys

    private func readTitle(_ root: inout TOMLReader) -> String? {
        guard let title = attempt({ () throws(TOMLError) in try root.requiredString("title") }) else { return nil }
        if title.allSatisfy(\.isWhitespace) {
            report("the `title` is empty; name the plan for people, e.g. \"火灾疏散\"", at: root.valuePosition(of: "title"))
            return nil
        }
        if title.count > Self.maxTitleCharacters {
            report(
                "the `title` has \(title.count) characters; at most \(Self.maxTitleCharacters) are allowed",
                at: root.valuePosition(of: "title"))
            return nil
        }
        return title
    }

    /// The plan's zones; `[all]` when absent, nil when invalid.
    private func readZones(_ root: inout TOMLReader) -> [ZoneName]? {
        guard let node = root.node("zones") else { return [.all] }
        guard case .array(let elements) = node.value else {
            report("expected an array of zone names for `zones`, found \(node.typeDescription)", at: node.position)
            return nil
        }
        if elements.isEmpty {
            report("`zones` is empty; leave it out to mean all zones", at: node.position)
            return nil
        }
        var zones: [ZoneName] = []
        var valid = true
        for (index, element) in elements.enumerated() {
            guard case .string(let name) = element.value else {
                report("expected a string for `zones[\(index)]`, found \(element.typeDescription)", at: element.position)
                valid = false
                continue
            }
            let zone = ZoneName(name)
            if zones.contains(zone) {
                report("zone `\(name)` is listed twice", at: element.position)
                valid = false
            } else if zone == .all || context.zoneGroups.zones(of: name) != nil
                || (context.anyZoneGroup && !zone.isWellFormed && ZoneGroup.isShapedLikeName(name))
            {
            } else if !zone.isWellFormed {
                report(
                    "`\(name)` is not a zone name: lower-case letters, digits, `-` and `_`, starting with a letter"
                        + context.zoneGroups.listed,
                    at: element.position)
                valid = false
            } else if let known = context.zones, !known.contains(zone) {
                let list = (known.map { "`\($0)`" } + ["`all`"]).joined(separator: ", ")
                report("zone `\(name)` does not exist; the zones are \(list)\(context.zoneGroups.listed)", at: element.position)
                valid = false
            }
            zones.append(zone)
        }
        return valid ? zones : nil
    }

    /// How many cycles run: `valid` is false when the value is unusable; `count` nil means until stopped.
    private func readCycles(_ root: inout TOMLReader) -> (valid: Bool, count: Int?) {
        guard root.contains("cycles") else { return (true, nil) }
        guard let cycles = attempt({ () throws(TOMLError) in try root.integer("cycles") }) else { return (false, nil) }
        if cycles == 0 { return (true, nil) }
        guard (1...Self.maxCycles).contains(cycles) else {
            report(
                "`cycles` must be 0 (until stopped) or 1 to \(Self.maxCycles), found \(cycles)",
                at: root.valuePosition(of: "cycles"))
            return (false, nil)
        }
        return (true, cycles)
    }

    /// An all-clear clip (`all_clear`, or `drill_all_clear` for a drill): `valid` is false when the
    /// value is unusable; `clip` is nil when absent.
    private func readAllClear(_ root: inout TOMLReader, key: String) -> (valid: Bool, clip: String?) {
        guard root.contains(key) else { return (true, nil) }
        guard let clip = attempt({ () throws(TOMLError) in try root.string(key) }) else { return (false, nil) }
        guard checkClip(clip, wanting: .spoken, at: root.valuePosition(of: key), key: key) else {
            return (false, nil)
        }
        return (true, clip)
    }

    // MARK: Steps

    /// `[[intro]]`: steps played once, before the first cycle; none is fine.
    private func readIntro(_ root: inout TOMLReader) -> [PlanStep]? {
        guard root.contains("intro") else { return [] }
        guard let readers = attempt({ () throws(TOMLError) in try root.tableArray("intro") }) else { return nil }
        var steps: [PlanStep] = []
        var valid = true
        var seconds = 0.0
        for var reader in readers {
            guard let step = readStep(&reader) else {
                valid = false
                continue
            }
            steps.append(step)
            if case .alarm(_, let s) = step { seconds += s }
            if case .pause(let s) = step { seconds += s }
        }
        if seconds > Self.maxCycleSeconds {
            report("the intro's alarms and pauses may hold at most \(Self.format(Self.maxCycleSeconds)) s", at: readers[0].table.position)
            valid = false
        }
        return valid ? steps : nil
    }

    private func readSteps(_ root: inout TOMLReader) -> [PlanStep]? {
        guard root.contains("step") else {
            report(
                "a plan needs at least one [[step]]: `alarm`, `message`, `say` or `pause`", at: root.table.position)
            return nil
        }
        guard let readers = attempt({ () throws(TOMLError) in try root.tableArray("step") }) else { return nil }
        if readers.isEmpty {
            report(
                "a plan needs at least one [[step]]: `alarm`, `message`, `say` or `pause`",
                at: root.valuePosition(of: "step"))
            return nil
        }
        var steps: [PlanStep] = []
        var valid = true
        var cycleSeconds = 0.0
        var reportedLength = false
        for var reader in readers {
            guard let step = readStep(&reader) else {
                valid = false
                continue
            }
            steps.append(step)
            switch step {
            case .alarm(_, let seconds), .pause(let seconds): cycleSeconds += seconds
            case .message, .say: break
            }
            if cycleSeconds > Self.maxCycleSeconds && !reportedLength {
                report(
                    "the cycle's alarms and pauses reach \(Self.format(cycleSeconds)) s at this step; "
                        + "one cycle may hold at most \(Self.format(Self.maxCycleSeconds)) s of them",
                    at: reader.table.position)
                reportedLength = true
                valid = false
            }
        }
        guard valid else { return nil }
        if steps.allSatisfy({ if case .pause = $0 { true } else { false } }) {
            report(
                "every step is a `pause`; a cycle must sound something: an `alarm`, a `message` or `say` text",
                at: readers[0].table.position)
            return nil
        }
        return steps
    }

    private func readStep(_ reader: inout TOMLReader) -> PlanStep? {
        let present = Self.stepKinds.filter { reader.contains($0.kind) }
        guard let first = present.first else {
            rejectUnknownKeys(reader, known: Self.allStepKeys)
            report(
                "a [[step]] needs one of `alarm` (a clip), `message` (a clip), `say` (text) or `pause` (seconds)",
                at: reader.table.position)
            return nil
        }
        if present.count > 1 {
            // Positions decide which kind came second, so the error points at the key to remove.
            let ordered = present.sorted { reader.position(of: $0.kind) < reader.position(of: $1.kind) }
            for extra in ordered.dropFirst() {
                report(
                    "a [[step]] has both `\(ordered[0].kind)` and `\(extra.kind)`; give each its own [[step]]",
                    at: reader.position(of: extra.kind))
            }
            rejectUnknownKeys(reader, known: Self.allStepKeys)
            return nil
        }
        rejectUnknownKeys(reader, known: [first.kind] + (first.extra.map { [$0] } ?? []), in: "this `\(first.kind)` [[step]]")
        switch first.kind {
        case "alarm": return readAlarm(&reader)
        case "message": return readMessage(&reader)
        case "say": return readSay(&reader)
        default: return readPause(&reader)
        }
    }

    private static var allStepKeys: [String] {
        var keys: [String] = []
        for (kind, extra) in stepKinds {
            keys.append(kind)
            if let extra, !keys.contains(extra) { keys.append(extra) }
        }
        return keys
    }

    private func readAlarm(_ reader: inout TOMLReader) -> PlanStep? {
        let clip = attempt { () throws(TOMLError) in try reader.string("alarm") }
        let clipValid = clip.map { checkClip($0, wanting: .alarm, at: reader.valuePosition(of: "alarm"), key: "alarm") }
        var seconds: Double?
        if !reader.contains("seconds") {
            report(
                "an `alarm` step needs `seconds`: how long the alarm sounds, 1 to 600 (8 to 20 between messages)",
                at: reader.table.position)
        } else if let value = attempt({ () throws(TOMLError) in try reader.double("seconds") }) {
            if Self.alarmSeconds.contains(value) {
                seconds = value
            } else {
                report(
                    "an alarm's `seconds` must be 1 to 600, found \(Self.format(value))",
                    at: reader.valuePosition(of: "seconds"))
            }
        }
        guard let clip, clipValid == true, let seconds else { return nil }
        return .alarm(clip: clip, seconds: seconds)
    }

    private func readMessage(_ reader: inout TOMLReader) -> PlanStep? {
        let clip = attempt { () throws(TOMLError) in try reader.string("message") }
        let clipValid = clip.map {
            checkClip($0, wanting: .spoken, at: reader.valuePosition(of: "message"), key: "message")
        }
        let times = readTimes(&reader)
        guard let clip, clipValid == true, let times else { return nil }
        return .message(clip: clip, times: times)
    }

    private func readSay(_ reader: inout TOMLReader) -> PlanStep? {
        var text = attempt { () throws(TOMLError) in try reader.string("say") }
        if let say = text {
            if say.allSatisfy(\.isWhitespace) {
                report("the `say` text is empty", at: reader.valuePosition(of: "say"))
                text = nil
            } else if say.count > Self.maxSayCharacters {
                report(
                    "the `say` text has \(say.count) characters; at most \(Self.maxSayCharacters) are allowed",
                    at: reader.valuePosition(of: "say"))
                text = nil
            }
        }
        let times = readTimes(&reader)
        guard let text, let times else { return nil }
        return .say(text: text, times: times)
    }

    private func readPause(_ reader: inout TOMLReader) -> PlanStep? {
        guard let seconds = attempt({ () throws(TOMLError) in try reader.double("pause") }) else { return nil }
        guard Self.pauseSeconds.contains(seconds) else {
            report(
                "a `pause` must be 0.1 to 60 seconds, found \(Self.format(seconds))",
                at: reader.valuePosition(of: "pause"))
            return nil
        }
        return .pause(seconds: seconds)
    }

    /// `times` of a `message` or `say` step: 1 when absent, nil when invalid.
    private func readTimes(_ reader: inout TOMLReader) -> Int? {
        guard reader.contains("times") else { return 1 }
        guard let times = attempt({ () throws(TOMLError) in try reader.integer("times") }) else { return nil }
        guard (1...Self.maxTimes).contains(times) else {
            report("`times` must be 1 to \(Self.maxTimes), found \(times)", at: reader.valuePosition(of: "times"))
            return nil
        }
        return times
    }

    // MARK: Notifications

    private func readNotifications(_ root: inout TOMLReader) -> [PlanNotification]? {
        guard let readers = attempt({ () throws(TOMLError) in try root.tableArray("notify") }) else { return nil }
        var notifications: [PlanNotification] = []
        var valid = true
        for var reader in readers {
            if let notification = readNotification(&reader) {
                notifications.append(notification)
            } else {
                valid = false
            }
        }
        return valid ? notifications : nil
    }

    private func readNotification(_ reader: inout TOMLReader) -> PlanNotification? {
        rejectUnknownKeys(reader, known: ["role", "group", "task"])
        let role = attempt { () throws(TOMLError) in try reader.string("role") }
        let group = attempt { () throws(TOMLError) in try reader.string("group") }
        var audience: String?
        switch (reader.contains("role"), reader.contains("group")) {
        case (true, true):
            let second = reader.position(of: "role") < reader.position(of: "group") ? "group" : "role"
            report(
                "a [[notify]] has both `role` and `group`; give exactly one, and a [[notify]] for each",
                at: reader.position(of: second))
        case (false, false):
            let roles = Plan.roleNames.map { "`\($0)`" }.joined(separator: ", ")
            report(
                "a [[notify]] needs `role` (\(roles)) or `group` (a staff group such as `class-teachers`)",
                at: reader.table.position)
        case (true, false):
            guard let role else { break }
            if Plan.roleNames.contains(role) {
                audience = role
            } else {
                let roles = Plan.roleNames.map { "`\($0)`" }.joined(separator: ", ")
                let hint = Plan.isWellFormedName(role) ? "; for a staff group write `group = \"\(role)\"`" : ""
                report(
                    "`\(role)` is not a role; expected one of \(roles)\(hint)", at: reader.valuePosition(of: "role"))
            }
        case (false, true):
            guard let group else { break }
            if Plan.roleNames.contains(group) {
                report(
                    "group `\(group)` has the name of a role, so the notifier could not tell them apart; "
                        + "write `role = \"\(group)\"` or rename the group",
                    at: reader.valuePosition(of: "group"))
            } else if !Plan.isWellFormedName(group) {
                report(
                    "`\(group)` is not a group name: lower-case letters a-z, digits and `-`, e.g. `class-teachers`",
                    at: reader.valuePosition(of: "group"))
            } else {
                audience = group
            }
        }
        var task = attempt { () throws(TOMLError) in try reader.requiredString("task") }
        if let text = task {
            if text.allSatisfy(\.isWhitespace) {
                report("the `task` is empty; say what these people must do", at: reader.valuePosition(of: "task"))
                task = nil
            } else if text.count > Self.maxTaskCharacters {
                report(
                    "the `task` has \(text.count) characters; at most \(Self.maxTaskCharacters) are allowed",
                    at: reader.valuePosition(of: "task"))
                task = nil
            }
        }
        guard let audience, let task else { return nil }
        return PlanNotification(audience: audience, task: task)
    }

    // MARK: Shared checks

    /// What a clip reference needs: an alarm, or anything spoken or played that is not an alarm.
    private enum ClipUse {
        case alarm, spoken
    }

    /// Reports a malformed, unknown or wrongly categorized clip id; returns whether it is usable.
    private func checkClip(_ clip: String, wanting use: ClipUse, at position: TOMLPosition, key: String) -> Bool {
        guard Clip.isWellFormedID(clip) else {
            report(
                "`\(clip)` is not a clip id: dot-separated words of lower-case letters, digits, `-` and `_`",
                at: position)
            return false
        }
        guard let lookup = context.clipCategory else { return true }
        guard let category = lookup(clip) else {
            report("clip `\(clip)` does not exist in the library (`\(key)`)", at: position)
            return false
        }
        switch use {
        case .alarm where category != .alarm:
            report(
                "clip `\(clip)` is a \(category.rawValue) clip, not an alarm; an `alarm` step plays a clip of "
                    + "category `alarm` (play others with `message`)",
                at: position)
        case .spoken where category == .alarm:
            report(
                "clip `\(clip)` is an alarm; play it with an `alarm` step, which gives it a length in `seconds`",
                at: position)
        case .alarm, .spoken:
            return true
        }
        return false
    }

    /// A number of seconds as written: `12`, not `12.0`.
    static func format(_ seconds: Double) -> String {
        seconds.isFinite && seconds == seconds.rounded() && abs(seconds) < 1e15
            ? String(Int(seconds)) : String(seconds)
    }
}
