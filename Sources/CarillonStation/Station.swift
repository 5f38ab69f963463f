public import CarillonAudio
import CarillonCalendar
import CarillonCore
public import CarillonProtocol
public import CarillonStore
public import CarillonLink
import CarillonSynth
import CarillonTOML
import Foundation
import CLinux
public import Logging

/// The daemon's heart: it asks the Arbiter who owns each zone, carries its decisions out on the
/// engine, and turns the engine's reports into the play log.
public actor Station {
    public static let version = "0.2.0"

    var config: StationConfig
    var library: Library
    let engine: AudioEngine
    let store: Store
    let renderer: Renderer
    let logger: Logger
    let startedAt = Date()
    var nextPlayID: Int64
    let clock = ContinuousClock()
    var arbiter: Arbiter<ContinuousClock.Instant>
    var tickTask: Task<Void, Never>?

    var plays: [PlayID: ActivePlay] = [:]
    var uploads: [String: Upload] = [:]
    /// A bundle is being checked and applied: one at a time, so that two cannot share a clip file
    /// that the one failing removes.
    var applyingBundle = false
    /// The schedule in force, if any, and what the scheduler and the tip rotation remember.
    var active: ActiveSchedule?
    var schedulerState: SchedulerState?
    /// Events decided and saved ahead of their instant, waiting for it (`schedulerStep`).
    var decidedFires: [ScheduledEvent] = []
    var rotation = RotationState()
    var wakeTimer: WakeTimer?
    var metrics = Metrics()
    var renderProgress = RenderProgress(running: false, done: 0, total: 0, failures: [])
    /// Whether the last reload took.
    var configHealth = ConfigHealth()
    /// Alarm clips decoded into memory, so nothing on the emergency path waits on the disk.
    var emergencyAudio: [String: PCMBuffer] = [:]
    /// Stands in for an alarm clip that cannot be read, at the library's loudness (a raw synth is
    /// about 11 dB louder). Made on first use, not on the way to READY.
    lazy var fallbackAlarm = PCMBuffer(
        format: AudioFormat(sampleRate: 48000, channels: 1),
        samples: renderer.normalized(Synth.render(.evacuationAlarm(seconds: 10, frequency: 520), sampleRate: 48000), rate: 48000))
    /// Outcomes of plays that ended recently, so a `wait` that arrives late still gets its answer.
    /// Plays whose request row is still being written, and the start each one had meanwhile: a
    /// start is logged only after its request, or its UPDATE would find no row.
    var unlogged: [PlayID: PlayStart?] = [:]
    var recent: [PlayID: PlayOutcome] = [:]
    var recentOrder: [PlayID] = []
    /// Subscribers of `events`.
    let events: EventHub
    /// The console's paired people and the plans' roll-calls.
    let roster: ConsoleRoster
    /// How writes to the data directory go; `log` and `audit` report to it.
    let storage: StorageHealth
    /// The play log's writes from the engine's reports, which nothing waits for.
    let writes: WriteBehind
    /// The emergency plans, by name; their cycles decoded into memory; the one that runs.
    var plans: [String: Plan] = [:]
    var planAudio: [String: PlanAudio] = [:]
    var runningPlan: RunningPlan?
    /// Plan runs whose record `planStart` is still writing, by start time: how each ended meanwhile, if it did.
    var recordingRuns: [Date: RecordingRun] = [:]
    /// The city countdown's spoken cues, rendered into memory (`prepareCountdown`).
    var countdownSpeech: [String: PCMBuffer] = [:]
    /// The city link's state, for `status` and `metrics`; nil without `[city]`.
    var cityLink: CityLinkMonitor?
    /// The zone groups as the config has them now, for the command table's zone expansion, which
    /// runs before any handler and cannot wait for this actor.
    nonisolated let zoneGroups: CurrentZoneGroups

    /// A play that has not ended in every zone.
    struct ActivePlay {
        var info: PlayInfo
        var clip: Clip
        var level: Level
        var audio: AudioInput
        var requestedAt: UInt64
        var zones: [String: ZoneOutcome]
        /// Zones where it sounds or waits, not yet ended.
        var open: Set<String>
        /// In zones where it was cut: by what.
        var cutBy: [String: String] = [:]
        var stoppedBy: String?
        /// Who asked: an identity, `schedule` or `plan`.
        var requestedBy: String = ""
        /// A shout's live voice.
        var live: ShoutFeed?
        var waiters: [CheckedContinuation<PlayOutcome, Never>] = []
        /// When its first sample was written, and who waits for that (a city alert's ack).
        var firstWritten: Date?
        var startWaiters: [CheckedContinuation<Date?, Never>] = []
    }

    public init(
        config: StationConfig, library: Library, engine: AudioEngine, store: Store, renderer: Renderer, logger: Logger
    ) throws {
        self.config = config
        self.library = library
        self.engine = engine
        self.store = store
        self.renderer = renderer
        self.logger = logger
        let events = EventHub()
        self.events = events
        self.roster = ConsoleRoster(store: store, events: events)
        self.storage = StorageHealth(events: events, logger: logger, settle: config.storageSettle)
        self.writes = WriteBehind(storage: storage)
        self.nextPlayID = try store.lastPlayID() + 1
        self.arbiter = Arbiter(policies: config.levels.mapValues(\.policy))
        self.zoneGroups = CurrentZoneGroups(config.zoneGroups)
    }

    /// Starts the schedule at startup, with the scheduler's and the rotation's saved state.
    func startSchedule(_ schedule: Schedule?, text: String, source: String, timer: WakeTimer?) throws {
        wakeTimer = timer
        schedulerState = try store.state(Self.schedulerStateKey, as: SchedulerState.self)
        rotation = try store.state(Self.rotationStateKey, as: RotationState.self) ?? RotationState()
        if let schedule { activate(schedule, text: text, source: source) }
    }

    /// Takes the decoded alarm clips; the ones that could not be decoded are logged, and the
    /// synthesized alarm stands in for them.
    public func setEmergencyAudio(_ audio: [String: PCMBuffer], failures: [String: String]) {
        emergencyAudio = audio
        for (clip, reason) in failures.sorted(by: { $0.key < $1.key }) {
            logger.error("alarm clip unreadable; the synthesized alarm stands in", metadata: ["clip": "\(clip)", "reason": "\(reason)"])
        }
    }

    /// `status`: outputs, zones, plays, library size, storage health.
    public func status() -> StatusResult {
        let outputs = engine.status().map { status in
            let format = config.outputs.first { $0.name == status.name }?.format ?? AudioFormat(sampleRate: 0, channels: 0)
            var state = "opening"
            var fault: String?
            switch status.state {
            case .opening: state = "opening"
            case .running: state = "running"
            case .fault(let message):
                state = "fault"
                fault = message
            }
            return OutputInfo(
                name: status.name, device: status.device, state: state, fault: fault, sampleRate: format.sampleRate,
                channels: format.channels, xruns: status.xruns)
        }
        let zones = config.zones.map { zone in
            ZoneInfo(
                zone: zone.name, output: zone.output, sounding: arbiter.sounding(in: ZoneName(zone.name)),
                queued: arbiter.queued(in: ZoneName(zone.name)))
        }
        return StatusResult(
            server: config.name, version: Self.version, startedAt: startedAt,
            uptimeSeconds: Date().timeIntervalSince(startedAt), outputs: outputs, zones: zones,
            playing: plays.values.map(\.info).sorted { $0.play < $1.play }, clips: library.clips.count,
            storage: storage.info, config: configHealth.info, city: cityLink?.info, zoneGroups: zoneGroupInfo)
    }

    /// Hands the Station the city link's state, to show in `status` and `metrics`.
    public func setCityLink(_ monitor: CityLinkMonitor?) { cityLink = monitor }

    var hasCityLink: Bool { cityLink != nil }

    /// `admin.backup`: a consistent copy of the database in the data directory's `backups/`.
    public func backup() async throws(WireError) -> BackupResult {
        let directory = config.dataDirectory + "/backups"
        let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
        let path = "\(directory)/carillon-\(stamp).sqlite"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try await store.backup(to: path)
        } catch let error as StoreError {
            throw WireError(.internal, error.description)
        } catch {
            throw WireError(.internal, "cannot create \(directory): \(error.localizedDescription)")
        }
        let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        logger.notice("database backed up", metadata: ["path": "\(path)"])
        return BackupResult(path: path, bytes: bytes)
    }

    /// `admin.restore`: checks a backup and stages it; the daemon then stops, and the backup is put
    /// in place when it starts again (under systemd, at once).
    public func restore(_ args: RestoreArgs) throws(WireError) -> RestoreResult {
        do { try Store.stageRestore(from: args.path, to: config.dataDirectory + "/restore.sqlite") } catch {
            throw WireError(.invalidArguments, error.description)
        }
        logger.notice("restore staged; stopping so that it takes effect at the next start", metadata: ["from": "\(args.path)"])
        Task {
            // Answer first, then stop as SIGTERM would.
            try? await Task.sleep(for: .milliseconds(200))
            kill(getpid(), SIGTERM)
        }
        return RestoreResult(staged: true)
    }

    /// `metrics`: the counters in Prometheus' text format.
    public func metricsText() -> MetricsResult {
        var clips: [String: Int] = [:]
        for clip in library.clips.values { clips[clip.category.rawValue, default: 0] += 1 }
        let queues = config.zones.map { ($0.name, arbiter.queued(in: ZoneName($0.name)).count) }
        return MetricsResult(
            text: metrics.render(
                uptime: Date().timeIntervalSince(startedAt), outputs: engine.status(), queues: queues, clips: clips,
                scheduleVersion: active?.schedule.version, storage: storage.info, config: configHealth.info, city: cityLink?.info))
    }

    /// Checks what a re-read config would change live, before anything changes: its zone groups
    /// against the zones that run (zones change only on restart), and the schedule in force against
    /// those groups, so that a reload never leaves an event naming a group that is gone.
    /// - Throws: every problem found; the reload is then refused whole.
    public func checkReload(_ new: StationConfig) throws(ConfigError) {
        let problems = ZoneGroups.problems(new.zoneGroups.groups, zones: config.zoneNames)
        guard problems.isEmpty else {
            throw ConfigError(problems.map { TOMLError(file: new.file, position: .start, message: "[[zone_group]]: \($0.message) (zones change only on restart)") })
        }
        guard let active else { return }
        let context = ScheduleContext(
            zones: config.zoneNames, tipCategories: Clip.tipSubjects, calendarLoader: ICalendar.loader, zoneGroups: new.zoneGroups)
        do { _ = try Schedule.parse(Array(active.text.utf8), file: "schedule v\(active.schedule.version) in force", context: context) } catch {
            throw ConfigError(error.errors)
        }
    }

    /// Applies a re-read config: what can change live does; the rest is logged as needing a restart.
    public func reload(_ new: StationConfig, library newLibrary: Library) {
        if new.outputs != config.outputs || new.declaredZones != config.declaredZones
            || new.control.unix != config.control.unix || new.control.tcp != config.control.tcp
            || new.dataDirectory != config.dataDirectory
            || new.logLevel != config.logLevel || new.speech != config.speech
        {
            logger.warning(
                "outputs, zones, the control listeners, the data directory, the log level and [speech] change only on restart")
        }
        var applied = new
        applied.outputs = config.outputs
        applied.declaredZones = config.declaredZones
        applied.control.unix = config.control.unix
        applied.control.tcp = config.control.tcp
        applied.dataDirectory = config.dataDirectory
        applied.logLevel = config.logLevel
        applied.speech = config.speech  // The renderer holds the front-end and the voice it was started with.
        if applied.levels != config.levels {
            // Policies apply to requests from now on; what sounds keeps its place.
            arbiter.update(policies: applied.levels.mapValues(\.policy))
        }
        config = applied
        zoneGroups.set(applied.zoneGroups)
        library = newLibrary
        configHealth.reloaded()
        logger.info("config reloaded", metadata: ["clips": "\(library.clips.count)"])
        events.publish(Event(event: "config.reloaded"))
    }

    /// A reload was refused: the running config stays, and `status`, `metrics` and an event say so
    /// until a reload succeeds.
    public func reloadRefused(_ reason: String) {
        let event = configHealth.refused(reason, at: Date())
        logger.error("reload refused; the running config stays", metadata: ["errors": "\(reason)"])
        events.publish(event)
    }

    /// The play log and saved state must not take playback down with them: a failed write is
    /// logged and counted against the storage's health, and play goes on.
    /// - Parameter what: the kind of write, for the journal and `status`: `play log`, `plan state`, …
    /// - Returns: the error, for a caller that must tell its client the write failed.
    @discardableResult
    func log(_ what: String = "play log", _ write: () async throws(StoreError) -> Void) async -> StoreError? {
        do {
            try await write()
            storage.succeeded()
            return nil
        } catch {
            storage.failed(what, error)
            return error
        }
    }

    func monotonicNow() -> UInt64 { Self.monotonicNanoseconds() }

    /// Nanoseconds on CLOCK_MONOTONIC, the engine's clock.
    nonisolated static func monotonicNanoseconds() -> UInt64 { UInt64(carillon_monotonic_ns()) }
}
