public import CarillonAudio
import CarillonControl
public import CarillonCore
public import CarillonTOML
public import CarillonWeb
import Foundation
public import Logging

/// The daemon's configuration, from `carillon.toml`. Relative paths are resolved against the file's directory.
public struct StationConfig: Sendable {
    /// The config file, absolute.
    public var file: String
    /// The school's name, shown in `status`.
    public var name: String
    /// Database, caches and recordings.
    public var dataDirectory: String
    public var logLevel: Logger.Level
    /// The control listeners and who may do what on them.
    public var control = ControlSettings.standard()
    /// The UNIX control socket.
    public var controlSocket: String {
        get { control.unix.path }
        set { control.unix.path = newValue }
    }
    /// The audio library: `catalog.toml` and the files it names.
    public var libraryDirectory: String
    /// The school's `schedule.toml`, if it has one; a schedule applied later with a higher version wins.
    public var scheduleFile: String?
    /// `[school] grades`: the grade bands the school has; tips and culture clips are chosen for them.
    public var grades: Set<GradeBand> = GradeBand.all
    /// `[metrics] listen`: where `GET /metrics` is served over HTTP; off unless set (the shipped
    /// configs set a loopback address).
    public var metricsListen: (host: String, port: Int)?
    /// The emergency plans, one `NAME.toml` each; `plans/` beside the config by default.
    public var plansDirectory: String = ""
    /// The bureau's keys and this school's id; nil: the school accepts no bundles.
    public var bureau: BureauConfig?
    /// `[city]`: the link to the bureau's broker; nil: off.
    public var city: CityConfig?
    /// `[web]`: the phone console; nil: off.
    public var web: WebSettings?
    /// Run with each plan event as JSON on stdin: how a school reaches staff phones.
    public var notifier: NotifierConfig?
    /// How long writes to the data directory must go without a failure, one succeeding, before
    /// failing storage is reported ok again (`station.storage_settle_seconds`).
    public var storageSettle: Duration = .seconds(30)
    /// `station.keep_shouts_days`: how long shout recordings are kept; 0 keeps them for ever.
    public var keepShoutsDays = 90
    /// Integrated loudness that rendered and imported clips are brought to, in LUFS.
    public var loudnessTarget: Double = -18
    public var outputs: [OutputConfig]
    /// Declared zones; an output no zone names is one zone of its own name.
    public var declaredZones: [ZoneConfig] = []
    /// `[[zone_group]]`: names for sets of zones, usable wherever a zone is; they change on reload.
    public var zoneGroups = ZoneGroups()
    /// How each level yields to higher ones, and how long its manual plays may wait for a busy zone.
    public var levels: [Level: LevelSettings] = Dictionary(uniqueKeysWithValues: Level.allCases.map { ($0, .standard($0)) })
    /// `[speech]`: the school's lexicon and an optional external voice.
    public var speech = SpeechConfig()

    /// Every zone of the school, in config order: declared zones, and outputs with none declared.
    public var zones: [ZoneConfig] {
        outputs.flatMap { output in
            let declared = declaredZones.filter { $0.output == output.name }
            return declared.isEmpty ? [ZoneConfig(name: output.name, output: output.name)] : declared
        }
    }

    /// The zones' names, in config order.
    public var zoneNames: [ZoneName] { zones.map { ZoneName($0.name) } }

    /// Where the database lives.
    public var databasePath: String { dataDirectory + "/carillon.sqlite" }
}

/// The settings of one priority level.
public struct LevelSettings: Sendable, Hashable {
    public var policy: LevelPolicy
    /// How long a manual play at this level may wait for a busy zone before it is missed.
    public var grace: Duration

    public static func standard(_ level: Level) -> LevelSettings {
        let grace: Duration =
            switch level {
            case .background: .seconds(300)
            case .announcement, .bell: .seconds(60)
            case .shout, .emergency: .zero
            }
        return LevelSettings(policy: .standard(level), grace: grace)
    }
}

/// Every problem found in a config, each with its file and line.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public var errors: [TOMLError]
    public init(_ errors: [TOMLError]) { self.errors = errors }
    public init(file: String, message: String) {
        errors = [TOMLError(file: file, position: .start, message: message)]
    }
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}

extension StationConfig {
    /// Reads and validates a config file.
    /// - Throws: `ConfigError` listing every problem, not just the first.
    public static func load(path: String) throws(ConfigError) -> StationConfig {
        let file = URL(fileURLWithPath: path).standardizedFileURL.path
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: file)) } catch {
            throw ConfigError(file: file, message: "cannot read the config: \(error.localizedDescription)")
        }
        return try parse(Array(data), file: file)
    }

    /// Validates config text; `file` names it in errors and anchors relative paths.
    public static func parse(_ bytes: [UInt8], file: String) throws(ConfigError) -> StationConfig {
        let table: TOMLTable
        do { table = try TOML.parse(utf8: bytes, file: file) } catch { throw ConfigError([error]) }
        let base = (file as NSString).deletingLastPathComponent
        var errors = Errors()
        var root = TOMLReader(table, file: file)

        var config = StationConfig(
            file: file, name: "Carillon", dataDirectory: resolve("/var/lib/carillon", base), logLevel: .info,
            libraryDirectory: "/usr/share/carillon/audio-library", outputs: [])

        config.plansDirectory = resolve("plans", base)
        if var station = errors.run({ () throws(TOMLError) in try root.table("station") }) ?? nil {
            errors.run { () throws(TOMLError) in
                if let name = try station.string("name") { config.name = name }
            }
            errors.run { () throws(TOMLError) in
                if let dir = try station.string("data_dir") { config.dataDirectory = resolve(dir, base) }
            }
            errors.run { () throws(TOMLError) in
                if let level = try station.string("log_level") {
                    guard let parsed = Logger.Level(rawValue: level) else {
                        throw station.error(
                            "`station.log_level` must be one of trace, debug, info, notice, warning, error, critical",
                            at: "log_level")
                    }
                    config.logLevel = parsed
                }
            }
            errors.run { () throws(TOMLError) in
                if let seconds = try station.double("storage_settle_seconds") {
                    guard (0...3600).contains(seconds) else {
                        throw station.error("`station.storage_settle_seconds` must be 0 to 3600", at: "storage_settle_seconds")
                    }
                    config.storageSettle = .milliseconds(Int64(seconds * 1000))
                }
            }
            errors.run { () throws(TOMLError) in
                if let days = try station.integer("keep_shouts_days") {
                    guard (0...3650).contains(days) else {
                        throw station.error("`station.keep_shouts_days` must be 0 to 3650 (0: keep for ever)", at: "keep_shouts_days")
                    }
                    config.keepShoutsDays = days
                }
            }
            errors.run { () throws(TOMLError) in try station.finish() }
        }
        if var control = errors.run({ () throws(TOMLError) in try root.table("control") }) ?? nil {
            parseControl(&control, into: &config.control, base: base, errors: &errors)
            errors.run { () throws(TOMLError) in try control.finish() }
        }
        if var library = errors.run({ () throws(TOMLError) in try root.table("library") }) ?? nil {
            errors.run { () throws(TOMLError) in
                if let dir = try library.string("dir") { config.libraryDirectory = resolve(dir, base) }
            }
            errors.run { () throws(TOMLError) in
                if let target = try library.double("loudness_target") {
                    guard (-36...(-10)).contains(target) else {
                        throw library.error("`library.loudness_target` must be between -36 and -10 LUFS", at: "loudness_target")
                    }
                    config.loudnessTarget = target
                }
            }
            errors.run { () throws(TOMLError) in try library.finish() }
        }
        if var schedule = errors.run({ () throws(TOMLError) in try root.table("schedule") }) ?? nil {
            errors.run { () throws(TOMLError) in
                if let file = try schedule.string("file") { config.scheduleFile = resolve(file, base) }
            }
            errors.run { () throws(TOMLError) in try schedule.finish() }
        }
        if var metrics = errors.run({ () throws(TOMLError) in try root.table("metrics") }) ?? nil {
            errors.run { () throws(TOMLError) in
                guard let text = try metrics.string("listen") else { return }
                guard case .tcp(let host, let port)? = ControlAddress.parseTCP(text) else {
                    throw metrics.error(
                        "`metrics.listen` must be HOST:PORT, such as \"127.0.0.1:9465\" (a port of 1 to 65535)", at: "listen")
                }
                config.metricsListen = (host, port)
            }
            errors.run { () throws(TOMLError) in try metrics.finish() }
        }
        if var school = errors.run({ () throws(TOMLError) in try root.table("school") }) ?? nil {
            errors.run { () throws(TOMLError) in
                guard let names = try school.stringArray("grades") else { return }
                let bands = names.compactMap(GradeBand.init(rawValue:))
                guard !names.isEmpty, bands.count == names.count else {
                    throw school.error("`school.grades` must list one or more of \(GradeBand.namesList)", at: "grades")
                }
                config.grades = Set(bands)
            }
            errors.run { () throws(TOMLError) in try school.finish() }
        }
        if var plans = errors.run({ () throws(TOMLError) in try root.table("plans") }) ?? nil {
            errors.run { () throws(TOMLError) in
                if let dir = try plans.string("dir") { config.plansDirectory = resolve(dir, base) }
            }
            errors.run { () throws(TOMLError) in try plans.finish() }
        }
        if var speech = errors.run({ () throws(TOMLError) in try root.table("speech") }) ?? nil {
            config.speech = parseSpeech(&speech, base: base, errors: &errors)
        }
        if var notify = errors.run({ () throws(TOMLError) in try root.table("notify") }) ?? nil {
            config.notifier = parseNotifier(&notify, base: base, errors: &errors)
            errors.run { () throws(TOMLError) in try notify.finish() }
        }
        if var bureau = errors.run({ () throws(TOMLError) in try root.table("bureau") }) ?? nil {
            let before = errors.list.count
            config.bureau = parseBureau(&bureau, base: base, errors: &errors)
            if errors.list.count == before { errors.run { () throws(TOMLError) in try bureau.finish() } }
        }
        if var city = errors.run({ () throws(TOMLError) in try root.table("city") }) ?? nil {
            let before = errors.list.count
            config.city = parseCity(&city, base: base, hasBureau: root.contains("bureau"), errors: &errors)
            if errors.list.count == before { errors.run { () throws(TOMLError) in try city.finish() } }
        }
        if var web = errors.run({ () throws(TOMLError) in try root.table("web") }) ?? nil {
            config.web = parseWeb(&web, base: base, control: config.control, errors: &errors)
        }
        let outputs = errors.run { () throws(TOMLError) in try root.tableArray("output") } ?? []
        for var output in outputs {
            if let parsed = parseOutput(&output, errors: &errors) {
                if config.outputs.contains(where: { $0.name == parsed.name }) {
                    errors.append(output.error("output `\(parsed.name)` is declared twice", at: "name"))
                } else {
                    config.outputs.append(parsed)
                }
            }
            errors.run { () throws(TOMLError) in try output.finish() }  // every key was read above
        }
        if outputs.isEmpty && errors.list.isEmpty {
            config.outputs = [OutputConfig(name: "main", device: "default")]
        }
        for var zone in errors.run({ () throws(TOMLError) in try root.tableArray("zone") }) ?? [] {
            let before = errors.list.count
            if let parsed = parseZone(&zone, outputs: config.outputs, errors: &errors) {
                config.declaredZones.append(parsed)
            }
            if errors.list.count == before { errors.run { () throws(TOMLError) in try zone.finish() } }
        }
        checkZones(config, errors: &errors, root: root)
        let zoneNames = config.zoneNames
        config.zoneGroups = parseZoneGroups(
            errors.run { () throws(TOMLError) in try root.tableArray("zone_group") } ?? [], zones: zoneNames, errors: &errors)
        parseAccess(
            errors.run { () throws(TOMLError) in try root.tableArray("access") } ?? [], zones: zoneNames,
            groups: config.zoneGroups, into: &config.control.access, errors: &errors)
        parseTokens(
            errors.run { () throws(TOMLError) in try root.tableArray("token") } ?? [], zones: zoneNames,
            groups: config.zoneGroups, into: &config.control.access, errors: &errors)
        if var levels = errors.run({ () throws(TOMLError) in try root.table("levels") }) ?? nil {
            for name in levels.keys {
                guard let level = Level(rawValue: name) else {
                    errors.append(
                        levels.error(
                            "unknown level `\(name)`; expected one of "
                                + Level.allCases.map(\.rawValue).joined(separator: ", "), at: name))
                    continue
                }
                guard var table = errors.run({ () throws(TOMLError) in try levels.table(name) }) ?? nil else { continue }
                let before = errors.list.count
                config.levels[level] = parseLevel(level, &table, errors: &errors)
                if errors.list.count == before { errors.run { () throws(TOMLError) in try table.finish() } }
            }
        }
        errors.run { () throws(TOMLError) in try root.finish() }
        guard errors.list.isEmpty else { throw ConfigError(errors.list.sorted { $0.position < $1.position }) }
        return config
    }

    /// Reads `[notify]`: the command, its timeout and its retries.
    private static func parseNotifier(_ table: inout TOMLReader, base: String, errors: inout Errors) -> NotifierConfig? {
        let before = errors.list.count
        let command = errors.run { () throws(TOMLError) in
            let command = try table.stringArray("command") ?? []
            guard let program = command.first, !program.isEmpty else {
                throw table.error("`notify.command` must list the program and its arguments, e.g. [\"/usr/local/bin/notify\", \"https://…\"]", at: "command")
            }
            return [resolve(program, base)] + command.dropFirst()
        }
        let timeout = errors.run { () throws(TOMLError) in
            let seconds = try table.double("timeout") ?? 10
            guard (1...300).contains(seconds) else { throw table.error("`notify.timeout` must be 1 to 300 seconds", at: "timeout") }
            return seconds
        }
        let retries = errors.run { () throws(TOMLError) in
            let retries = try table.integer("retries") ?? 3
            guard (0...10).contains(retries) else { throw table.error("`notify.retries` must be 0 to 10", at: "retries") }
            return retries
        }
        guard errors.list.count == before, let command, let timeout, let retries else { return nil }
        return NotifierConfig(command: command, timeout: .milliseconds(Int64(timeout * 1000)), retries: retries)
    }

    /// Reads one `[[output]]`, every key on its own, so that one bad value hides no other error.
    private static func parseOutput(_ output: inout TOMLReader, errors: inout Errors) -> OutputConfig? {
        let before = errors.list.count
        let name = errors.run { () throws(TOMLError) in
            let name = try output.requiredString("name")
            guard ZoneName(name).isWellFormed, name != ZoneName.all.rawValue else {
                throw output.error(
                    "output name `\(name)` must start with a lower-case letter and hold only a-z, 0-9, - and _ (and not be `all`)",
                    at: "name")
            }
            return name
        }
        let device = errors.run { () throws(TOMLError) in try output.requiredString("device") }
        var config = OutputConfig(name: name ?? "", device: device ?? "")
        errors.run { () throws(TOMLError) in config.alsaConfig = try output.string("alsa_conf") }
        errors.run { () throws(TOMLError) in
            if let rate = try output.integer("rate") {
                guard AudioFormat.supportedRates.contains(rate) else {
                    let rates = AudioFormat.supportedRates.sorted().map(String.init).joined(separator: ", ")
                    throw output.error("`rate` must be one of \(rates)", at: "rate")
                }
                config.format.sampleRate = rate
            }
        }
        errors.run { () throws(TOMLError) in
            if let channels = try output.integer("channels") {
                guard (1...8).contains(channels) else { throw output.error("`channels` must be 1 to 8", at: "channels") }
                config.format.channels = channels
            }
        }
        errors.run { () throws(TOMLError) in
            if let buffer = try output.integer("buffer_ms") {
                guard (10...500).contains(buffer) else { throw output.error("`buffer_ms` must be 10 to 500", at: "buffer_ms") }
                config.bufferMilliseconds = buffer
            }
        }
        errors.run { () throws(TOMLError) in
            if let period = try output.integer("period_ms") {
                guard (1...50).contains(period) else { throw output.error("`period_ms` must be 1 to 50", at: "period_ms") }
                config.periodMilliseconds = period
            }
        }
        guard errors.list.count == before else { return nil }
        guard config.periodMilliseconds * 2 <= config.bufferMilliseconds else {
            errors.append(output.error("`buffer_ms` must be at least twice `period_ms`", at: "buffer_ms"))
            return nil
        }
        return config
    }

    /// Reads one `[[zone]]`: its output must exist and its channels must be the output's.
    private static func parseZone(_ zone: inout TOMLReader, outputs: [OutputConfig], errors: inout Errors) -> ZoneConfig? {
        let before = errors.list.count
        let name = errors.run { () throws(TOMLError) in
            let name = try zone.requiredString("name")
            guard ZoneName(name).isWellFormed, name != ZoneName.all.rawValue else {
                throw zone.error(
                    "zone name `\(name)` must start with a lower-case letter and hold only a-z, 0-9, - and _ (and not be `all`)",
                    at: "name")
            }
            return name
        }
        let output = errors.run { () throws(TOMLError) in
            let name = try zone.requiredString("output")
            guard let output = outputs.first(where: { $0.name == name }) else {
                throw zone.error("zone's output `\(name)` is not declared in any [[output]]", at: "output")
            }
            return output
        }
        let channels = errors.run { () throws(TOMLError) in
            let values = try zone.array("channels") ?? []
            var channels: [Int] = []
            for node in values {
                guard case .integer(let channel) = node.value else {
                    throw zone.error("`channels` must be a list of channel numbers, such as [0] or [0, 1]", at: "channels")
                }
                channels.append(Int(channel))
            }
            if let output, let bad = channels.first(where: { $0 < 0 || $0 >= output.format.channels }) {
                throw zone.error(
                    "channel \(bad) is not a channel of output `\(output.name)`, which has \(output.format.channels) (0 to \(output.format.channels - 1))",
                    at: "channels")
            }
            guard Set(channels).count == channels.count else {
                throw zone.error("`channels` lists a channel twice", at: "channels")
            }
            return channels
        }
        let gain = errors.run { () throws(TOMLError) in
            let gain = try zone.double("gain_db") ?? 0
            guard (-40...12).contains(gain) else { throw zone.error("`gain_db` must be between -40 and 12", at: "gain_db") }
            return gain
        }
        guard errors.list.count == before, let name, let output, let channels, let gain else { return nil }
        return ZoneConfig(name: name, output: output.name, channels: channels, gainDB: gain)
    }

    /// Zone names are unique across the school, and two zones never share a channel.
    private static func checkZones(_ config: StationConfig, errors: inout Errors, root: TOMLReader) {
        var seen: Set<String> = []
        for zone in config.declaredZones {
            if !seen.insert(zone.name).inserted {
                errors.append(root.error("zone `\(zone.name)` is declared twice", at: "zone"))
            }
            if config.outputs.contains(where: { $0.name == zone.name && $0.name != zone.output })
                && !config.declaredZones.contains(where: { $0.output == zone.name })
            {
                errors.append(root.error("zone `\(zone.name)` has the name of an output that is a zone itself", at: "zone"))
            }
        }
        for output in config.outputs {
            let zones = config.declaredZones.filter { $0.output == output.name }
            let all = Array(0..<output.format.channels)
            var used: [Int: String] = [:]
            for zone in zones {
                for channel in zone.channels.isEmpty ? all : zone.channels {
                    if let other = used[channel] {
                        errors.append(
                            root.error(
                                "zones `\(other)` and `\(zone.name)` both use channel \(channel) of output `\(output.name)`",
                                at: "zone"))
                    }
                    used[channel] = zone.name
                }
            }
        }
    }

    /// Reads `[[zone_group]]` tables: a `name` and its `zones`. Each problem is reported at its key;
    /// with any, no group is kept (the config is refused whole anyway).
    private static func parseZoneGroups(_ tables: [TOMLReader], zones: [ZoneName], errors: inout Errors) -> ZoneGroups {
        var groups: [ZoneGroup] = []
        var readers: [TOMLReader] = []
        let before = errors.list.count
        for var table in tables {
            let name = errors.run { () throws(TOMLError) in try table.requiredString("name") }
            let members = errors.run { () throws(TOMLError) in try table.requiredStringArray("zones") }
            errors.run { () throws(TOMLError) in try table.finish() }
            groups.append(ZoneGroup(name: name ?? "", zones: (members ?? []).map { ZoneName($0) }))
            readers.append(table)
        }
        guard errors.list.count == before else { return ZoneGroups() }
        let problems = ZoneGroups.problems(groups, zones: zones)
        for problem in problems {
            errors.append(readers[problem.index].error(problem.message, at: problem.key))
        }
        return problems.isEmpty ? ZoneGroups(groups) : ZoneGroups()
    }

    /// Reads one `[levels.NAME]`.
    private static func parseLevel(_ level: Level, _ table: inout TOMLReader, errors: inout Errors) -> LevelSettings {
        var settings = LevelSettings.standard(level)
        var duck: Double = -12
        errors.run { () throws(TOMLError) in
            if let value = try table.double("duck_db") {
                guard (-60...0).contains(value) else { throw table.error("`duck_db` must be between -60 and 0", at: "duck_db") }
                duck = value
            }
        }
        if case .duck(let standard) = settings.policy.yield, !table.contains("duck_db") { duck = standard }
        errors.run { () throws(TOMLError) in
            switch try table.string("yield") {
            case nil:
                if case .duck = settings.policy.yield { settings.policy.yield = .duck(dB: duck) }
            case "cut": settings.policy.yield = .cut
            case "duck": settings.policy.yield = .duck(dB: duck)
            case let other?:
                throw table.error("`yield` must be \"cut\" or \"duck\", not \"\(other)\"", at: "yield")
            }
        }
        errors.run { () throws(TOMLError) in
            if let grace = try table.double("grace") {
                guard (0...3600).contains(grace) else { throw table.error("`grace` must be 0 to 3600 seconds", at: "grace") }
                settings.grace = .milliseconds(Int64(grace * 1000))
            }
        }
        return settings
    }

    static func resolve(_ path: String, _ base: String) -> String {
        let absolute = path.hasPrefix("/") ? path : base + "/" + path
        return URL(fileURLWithPath: absolute).standardizedFileURL.path
    }
}

/// Gathers errors so that one run of `--check-config` reports them all.
struct Errors {
    private(set) var list: [TOMLError] = []

    mutating func append(_ error: TOMLError) { list.append(error) }

    @discardableResult
    mutating func run<T>(_ body: () throws(TOMLError) -> T) -> T? {
        do { return try body() } catch {
            list.append(error)
            return nil
        }
    }
}
