public import Foundation

/// The commands of protocol version 1, by wire name.
public enum CommandName: String, Sendable, CaseIterable {
    case hello, auth, status, metrics, play, stop, wait, say, events, shout
    case libraryList = "library.list"
    case libraryShow = "library.show"
    case libraryRender = "library.render"
    case libraryProgress = "library.progress"
    case libraryUpload = "library.upload"
    case libraryChunk = "library.chunk"
    case libraryImport = "library.import"
    case scheduleShow = "schedule.show"
    case scheduleNext = "schedule.next"
    case scheduleApply = "schedule.apply"
    case scheduleRollback = "schedule.rollback"
    case scheduleHistory = "schedule.history"
    case bundleUpload = "bundle.upload"
    case bundleChunk = "bundle.chunk"
    case bundleApply = "bundle.apply"
    case stats
    case adminBackup = "admin.backup"
    case adminRestore = "admin.restore"
    case logPlays = "log.plays"
    case logAudit = "log.audit"
    case logPlans = "log.plans"
    case planList = "plan.list"
    case planStatus = "plan.status"
    case planStart = "plan.start"
    case planStop = "plan.stop"
    case cityAlert = "city.alert"
    case announce
    case announceList = "announce.list"
    case announceCancel = "announce.cancel"
    case planAck = "plan.ack"
    case sayPreview = "say.preview"
    case webPair = "web.pair"
    case webDevices = "web.devices"
    case webRevoke = "web.revoke"
    case webRedeem = "web.redeem"
    case webSession = "web.session"
}

/// `hello`: negotiates the protocol version. Optional on the UNIX socket.
public struct HelloArgs: Sendable, Codable, Hashable {
    /// The versions the client speaks; the server picks the highest it shares.
    public var protocols: [Int]
    /// The client's name and version, for the log.
    public var client: String?

    public init(protocols: [Int] = [protocolVersion], client: String? = nil) {
        self.protocols = protocols
        self.client = client
    }
}

public struct HelloResult: Sendable, Codable, Hashable {
    public var protocolVersion: Int
    public var server: String
    public var version: String

    public init(protocolVersion: Int, server: String, version: String) {
        self.protocolVersion = protocolVersion
        self.server = server
        self.version = version
    }
}

/// `status`: what the daemon is doing now.
public struct StatusResult: Sendable, Codable, Hashable {
    public var server: String
    public var version: String
    public var startedAt: Date
    public var uptimeSeconds: Double
    public var outputs: [OutputInfo]
    public var zones: [ZoneInfo]
    public var playing: [PlayInfo]
    /// Clips in the library.
    public var clips: Int
    /// Whether the daemon's writes to its data directory succeed. Always sent by this version;
    /// optional so that a client still reads the status of a daemon older than the field.
    public var storage: StorageInfo?
    /// Whether the last reload (SIGHUP) took: a config, library, schedule, plans directory or
    /// certificate that became unreadable or invalid is refused, and shows here until a reload
    /// succeeds. Optional for the same reason as `storage`.
    public var config: ConfigInfo?
    /// The city link to the bureau's broker; absent when `[city]` is not configured.
    public var city: CityLinkInfo?
    /// The school's zone groups (`[[zone_group]]`), in config order; absent when it has none.
    public var zoneGroups: [ZoneGroupInfo]?

    public init(
        server: String, version: String, startedAt: Date, uptimeSeconds: Double, outputs: [OutputInfo],
        zones: [ZoneInfo], playing: [PlayInfo], clips: Int, storage: StorageInfo? = nil, config: ConfigInfo? = nil,
        city: CityLinkInfo? = nil, zoneGroups: [ZoneGroupInfo]? = nil
    ) {
        self.server = server
        self.version = version
        self.startedAt = startedAt
        self.uptimeSeconds = uptimeSeconds
        self.outputs = outputs
        self.zones = zones
        self.playing = playing
        self.clips = clips
        self.storage = storage
        self.config = config
        self.city = city
        self.zoneGroups = zoneGroups
    }
}

/// The config's health in `status`: `ok` while the running config is the one on disk, `failing`
/// once a reload was refused (the daemon goes on with the config it had).
public struct ConfigInfo: Sendable, Codable, Hashable {
    /// `ok` or `failing`.
    public var state: String
    /// Reloads refused since the daemon started.
    public var failedReloads: Int
    /// Why the last refused reload was refused; kept after a later success.
    public var lastError: String?
    public var lastErrorAt: Date?

    public init(state: String, failedReloads: Int, lastError: String? = nil, lastErrorAt: Date? = nil) {
        self.state = state
        self.failedReloads = failedReloads
        self.lastError = lastError
        self.lastErrorAt = lastErrorAt
    }
}

/// The data directory's health in `status`: how the daemon's writes (play log, saved state, plan
/// runs, audit log) have gone. It follows the last write: one failure makes it `failing`, the next
/// success makes it `ok` again. Playback never waits on it.
public struct StorageInfo: Sendable, Codable, Hashable {
    /// `ok` while the last write succeeded, `failing` when it failed.
    public var state: String
    /// Writes that failed since the daemon started; recovery does not reset it.
    public var failedWrites: Int
    /// The most recent failure, e.g. `play log write failed: database or disk is full`; kept after a
    /// recovery, absent if no write has failed since the start.
    public var lastError: String?
    public var lastErrorAt: Date?
    /// While `failing`: when the first failure of the current run of failures happened.
    public var since: Date?

    /// The value of `state` while writes succeed.
    public static let ok = "ok"
    /// The value of `state` once a write has failed and none has succeeded since.
    public static let failing = "failing"

    public init(state: String, failedWrites: Int, lastError: String? = nil, lastErrorAt: Date? = nil, since: Date? = nil) {
        self.state = state
        self.failedWrites = failedWrites
        self.lastError = lastError
        self.lastErrorAt = lastErrorAt
        self.since = since
    }
}

/// One output in `status`.
public struct OutputInfo: Sendable, Codable, Hashable {
    public var name: String
    public var device: String
    /// `opening`, `running` or `fault`.
    public var state: String
    /// Why the output is down, when `state` is `fault`.
    public var fault: String?
    public var sampleRate: Int
    public var channels: Int
    public var xruns: Int

    public init(
        name: String, device: String, state: String, fault: String?, sampleRate: Int, channels: Int, xruns: Int
    ) {
        self.name = name
        self.device = device
        self.state = state
        self.fault = fault
        self.sampleRate = sampleRate
        self.channels = channels
        self.xruns = xruns
    }
}

/// One zone in `status`: who holds it and who waits for it.
public struct ZoneInfo: Sendable, Codable, Hashable {
    public var zone: String
    public var output: String
    /// Plays sounding in the zone, the one on top last.
    public var sounding: [Int64]
    /// Plays waiting for the zone, in the order they would start.
    public var queued: [Int64]

    public init(zone: String, output: String, sounding: [Int64], queued: [Int64]) {
        self.zone = zone
        self.output = output
        self.sounding = sounding
        self.queued = queued
    }
}

/// A play: in `status`, and as `play`'s result.
public struct PlayInfo: Sendable, Codable, Hashable {
    public var play: Int64
    public var clip: String
    public var zones: [String]
    /// The priority level: background, announcement, bell, shout or emergency.
    public var level: String
    public var requestedAt: Date
    /// Zones where it waits for a higher or earlier play to end; it starts there within its grace.
    public var queued: [String]

    public init(play: Int64, clip: String, zones: [String], level: String, requestedAt: Date, queued: [String] = []) {
        self.play = play
        self.clip = clip
        self.zones = zones
        self.level = level
        self.requestedAt = requestedAt
        self.queued = queued
    }
}

/// `play`: starts a clip from the library.
public struct PlayArgs: Sendable, Codable, Hashable {
    public var clip: String
    /// Zone names; absent or `["all"]` means every zone.
    public var zones: [String]?
    /// The priority level; by default `bell` for bells and `announcement` for everything else.
    public var level: String?

    public init(clip: String, zones: [String]? = nil, level: String? = nil) {
        self.clip = clip
        self.zones = zones
        self.level = level
    }
}

/// `stop`: stops one play, or everything playing.
public struct StopArgs: Sendable, Codable, Hashable {
    /// The play to stop; absent stops every play.
    public var play: Int64?

    public init(play: Int64? = nil) { self.play = play }
}

public struct StopResult: Sendable, Codable, Hashable {
    /// The plays that were told to stop.
    public var stopped: [Int64]
    public init(stopped: [Int64]) { self.stopped = stopped }
}

/// `wait`: answers when a play has ended in every zone.
public struct WaitArgs: Sendable, Codable, Hashable {
    public var play: Int64
    public init(play: Int64) { self.play = play }
}

/// How a play went, zone by zone.
public struct PlayOutcome: Sendable, Codable, Hashable {
    public var play: Int64
    public var clip: String
    public var level: String
    /// `finished`, `stopped`, `cut`, `missed`, `refused` or `failed`: the worst of its zones.
    public var outcome: String
    public var detail: String?
    public var zones: [ZoneOutcome]

    public init(play: Int64, clip: String, level: String, outcome: String, detail: String?, zones: [ZoneOutcome]) {
        self.play = play
        self.clip = clip
        self.level = level
        self.outcome = outcome
        self.detail = detail
        self.zones = zones
    }
}

/// How a play went in one zone.
public struct ZoneOutcome: Sendable, Codable, Hashable {
    public var zone: String
    public var output: String
    /// `finished`, `stopped`, `cut`, `missed`, `refused` or `failed`.
    public var outcome: String
    /// Who cut or stopped it, or why it failed.
    public var detail: String?
    /// Index of the first frame in the output's stream since the device opened; absent if nothing was written.
    public var firstFrame: Int64?
    public var frames: Int
    /// Milliseconds from the request to the first sample written to ALSA.
    public var latencyMs: Double?

    public init(
        zone: String, output: String, outcome: String, detail: String? = nil, firstFrame: Int64? = nil, frames: Int = 0,
        latencyMs: Double? = nil
    ) {
        self.zone = zone
        self.output = output
        self.outcome = outcome
        self.detail = detail
        self.firstFrame = firstFrame
        self.frames = frames
        self.latencyMs = latencyMs
    }
}

/// `say`: reads text aloud at announcement level, after a pre-announce chime.
public struct SayArgs: Sendable, Codable, Hashable {
    public var text: String
    public var zones: [String]?
    /// `zh` (Mandarin, the default) or `en`.
    public var voice: String?
    /// Whether the pre-announce chime plays first; by default it does.
    public var chime: Bool?

    public init(text: String, zones: [String]? = nil, voice: String? = nil, chime: Bool? = nil) {
        self.text = text
        self.zones = zones
        self.voice = voice
        self.chime = chime
    }
}

/// A clip in the library, as listed.
public struct ClipInfo: Sendable, Codable, Hashable {
    public var id: String
    public var category: String
    public var title: String
    public var language: String
    /// `file`, `synth` or `speech`.
    public var kind: String
    /// `shipped` or `imported`.
    public var origin: String
    public var subject: String?
    public var grade: String
    public var season: String
    public var durationSeconds: Double?
    public var gainDb: Double

    public init(
        id: String, category: String, title: String, language: String, kind: String, origin: String, subject: String?,
        grade: String, season: String, durationSeconds: Double?, gainDb: Double
    ) {
        self.id = id
        self.category = category
        self.title = title
        self.language = language
        self.kind = kind
        self.origin = origin
        self.subject = subject
        self.grade = grade
        self.season = season
        self.durationSeconds = durationSeconds
        self.gainDb = gainDb
    }
}

/// `library.list`: the clips, optionally of one category.
public struct LibraryListArgs: Sendable, Codable, Hashable {
    public var category: String?
    /// Only tips of this safety subject (`fire`, `traffic`, …).
    public var subject: String?
    /// Only clips whose id, title, subject or spoken text contains this, ignoring case.
    public var search: String?
    public init(category: String? = nil, subject: String? = nil, search: String? = nil) {
        self.category = category
        self.subject = subject
        self.search = search
    }
}

public struct LibraryList: Sendable, Codable, Hashable {
    public var clips: [ClipInfo]
    public init(clips: [ClipInfo]) { self.clips = clips }
}

/// `library.show`: one clip in full.
public struct LibraryShowArgs: Sendable, Codable, Hashable {
    public var clip: String
    public init(clip: String) { self.clip = clip }
}

public struct ClipDetail: Sendable, Codable, Hashable {
    public var clip: ClipInfo
    /// What a spoken clip says.
    public var text: String?
    /// The audio file: the source of a recording, or the cached render.
    public var file: String?
    /// For a synthesized clip: the sound and its parameters, e.g. `two-tone repeat=3`.
    public var synth: String?
    /// Whether a synthesized or spoken clip is rendered in the cache.
    public var rendered: Bool

    public init(clip: ClipInfo, text: String?, file: String?, synth: String?, rendered: Bool) {
        self.clip = clip
        self.text = text
        self.file = file
        self.synth = synth
        self.rendered = rendered
    }
}

/// `library.render`: renders the synthesized and spoken clips into the cache, in the background.
public struct RenderArgs: Sendable, Codable, Hashable {
    /// Render again even what is cached.
    public var force: Bool?
    public init(force: Bool? = nil) { self.force = force }
}

/// How a render job is going: `library.render` and `library.progress` answer with it.
public struct RenderProgress: Sendable, Codable, Hashable {
    public var running: Bool
    public var done: Int
    public var total: Int
    /// Clips that could not be rendered, with why.
    public var failures: [String]

    public init(running: Bool, done: Int, total: Int, failures: [String]) {
        self.running = running
        self.done = done
        self.total = total
        self.failures = failures
    }
}

/// `library.upload`: announces a file to import; its bytes follow in `library.chunk` requests.
public struct UploadArgs: Sendable, Codable, Hashable {
    /// The file's name, for its extension and the log.
    public var name: String
    public var size: Int
    public init(name: String, size: Int) {
        self.name = name
        self.size = size
    }
}

public struct UploadInfo: Sendable, Codable, Hashable {
    public var upload: String
    /// The most bytes one chunk may carry, before base64.
    public var chunkBytes: Int
    public init(upload: String, chunkBytes: Int) {
        self.upload = upload
        self.chunkBytes = chunkBytes
    }
}

/// `library.chunk`: the next bytes of an upload, base64, at `offset`.
public struct ChunkArgs: Sendable, Codable, Hashable {
    public var upload: String
    public var offset: Int
    public var data: String
    public init(upload: String, offset: Int, data: String) {
        self.upload = upload
        self.offset = offset
        self.data = data
    }
}

public struct ChunkResult: Sendable, Codable, Hashable {
    /// Bytes received so far.
    public var received: Int
    public init(received: Int) { self.received = received }
}

/// `library.import`: checks a complete upload, measures its loudness and adds it to the library.
public struct ImportArgs: Sendable, Codable, Hashable {
    public var upload: String
    public var category: String
    public var title: String?
    /// The new clip's id; by default `<category>.<first 12 hex digits of its SHA-256>`.
    public var id: String?
    public var language: String?

    public init(upload: String, category: String, title: String? = nil, id: String? = nil, language: String? = nil) {
        self.upload = upload
        self.category = category
        self.title = title
        self.id = id
        self.language = language
    }
}

public struct ImportResult: Sendable, Codable, Hashable {
    public var clip: ClipInfo
    /// Integrated loudness as measured, in LUFS.
    public var loudness: Double
    public var sha256: String

    public init(clip: ClipInfo, loudness: Double, sha256: String) {
        self.clip = clip
        self.loudness = loudness
        self.sha256 = sha256
    }
}

/// `schedule.show`: the schedule in force and today's plan.
public struct ScheduleSummary: Sendable, Codable, Hashable {
    public var version: Int
    public var timezone: String
    public var graceSeconds: Int
    /// Where it came from: the config's file, or who applied it.
    public var source: String
    /// Today's local date in the schedule's timezone.
    public var today: String
    /// Today's timetable; absent on a silent day.
    public var timetable: String?
    /// The rule that chose it: a `[[day]]` name, the week of a term, a season swap, or outside term.
    public var rule: String
    /// This week's tip subject, if the term has one.
    public var theme: String?
    public var eventsToday: Int
    public var eventsLeftToday: Int

    public init(
        version: Int, timezone: String, graceSeconds: Int, source: String, today: String, timetable: String?,
        rule: String, theme: String?, eventsToday: Int, eventsLeftToday: Int
    ) {
        self.version = version
        self.timezone = timezone
        self.graceSeconds = graceSeconds
        self.source = source
        self.today = today
        self.timetable = timetable
        self.rule = rule
        self.theme = theme
        self.eventsToday = eventsToday
        self.eventsLeftToday = eventsLeftToday
    }
}

/// `schedule.next`: the next events.
public struct ScheduleNextArgs: Sendable, Codable, Hashable {
    /// How many, 1 to 500; 10 by default.
    public var count: Int?
    public init(count: Int? = nil) { self.count = count }
}

public struct ScheduleNextResult: Sendable, Codable, Hashable {
    public var events: [UpcomingEvent]
    public init(events: [UpcomingEvent]) { self.events = events }
}

/// One coming event.
public struct UpcomingEvent: Sendable, Codable, Hashable {
    /// Local time with its UTC offset, e.g. `2026-10-09T07:50:00+08:00`.
    public var at: String
    /// Seconds from now.
    public var inSeconds: Double
    /// The event as `schedule preview --json` prints it.
    public var preview: String

    public init(at: String, inSeconds: Double, preview: String) {
        self.at = at
        self.inSeconds = inSeconds
        self.preview = preview
    }
}

/// `schedule.apply`: a new schedule, as the text of a `schedule.toml`.
public struct ScheduleApplyArgs: Sendable, Codable, Hashable {
    public var text: String
    /// The file's name, for error messages.
    public var name: String?
    public init(text: String, name: String? = nil) {
        self.text = text
        self.name = name
    }
}

public struct ScheduleApplied: Sendable, Codable, Hashable {
    public var version: Int
    public var previous: Int
    public init(version: Int, previous: Int) {
        self.version = version
        self.previous = previous
    }
}

/// `metrics`: the daemon's counters in Prometheus' text exposition format.
public struct MetricsResult: Sendable, Codable, Hashable {
    public var text: String
    public init(text: String) { self.text = text }
}

/// `admin.backup`: where the copy of the database is.
public struct BackupResult: Sendable, Codable, Hashable {
    public var path: String
    public var bytes: Int
    public init(path: String, bytes: Int) {
        self.path = path
        self.bytes = bytes
    }
}

/// `admin.restore`: a backup file the daemon can read.
public struct RestoreArgs: Sendable, Codable, Hashable {
    public var path: String
    public init(path: String) { self.path = path }
}

public struct RestoreResult: Sendable, Codable, Hashable {
    /// The backup passed its checks and will be in place at the next start; the daemon stops now.
    public var staged: Bool
    public init(staged: Bool) { self.staged = staged }
}
