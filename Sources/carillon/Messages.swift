import CarillonCore
import CarillonProtocol
import Foundation

/// The language of the client's messages: Chinese when the locale for messages is `zh_CN`,
/// English otherwise.
enum Language: Sendable {
    case english
    case chinese

    /// Chosen once from the environment.
    static let current = Language(environment: ProcessInfo.processInfo.environment)

    /// POSIX precedence for LC_MESSAGES: the first of `LC_ALL`, `LC_MESSAGES` and `LANG` that is
    /// set and not empty decides (`LC_ALL=C` with `LANG=zh_CN.UTF-8` is English).
    init(environment: [String: String]) {
        let locale = ["LC_ALL", "LC_MESSAGES", "LANG"].lazy.compactMap { environment[$0] }.first { !$0.isEmpty } ?? ""
        // `zh_CN`, `zh_CN.UTF-8`, `zh_CN.utf8@…`; and a bare `zh`, which means the same here.
        let name =
            locale.split(separator: ".").first.map(String.init)?.split(separator: "@").first.map(String.init) ?? ""
        self = (name == "zh_CN" || name == "zh") ? .chinese : .english
    }
}

/// Every message the client shows a person, in English and in Chinese: the one place a translator
/// needs. What the daemon says comes in English; the client names its error code in Chinese
/// before it (`refused`).
enum Message {
    // MARK: Help
    case abstract
    case exitCodes
    case helpZones
    case abstractPlay, abstractSay, abstractStop, abstractLibrary, abstractList, abstractSearch, abstractShow,
        abstractEvents
    case helpSearchText, helpCategory, helpSubject

    // MARK: Connecting and exit codes
    case cannotConnect(address: String, reason: String)
    case notRunningHint
    case socketPermission(path: String)
    case joinGroupHint(group: String, user: String)
    case refused(code: ErrorCode, message: String)
    case connectionClosed
    case connectionLost(reason: String)
    case eventsEnded
    case listening(kinds: [String])

    // MARK: Usage mistakes found by the client
    case zonesFormat
    case socketOrHost
    case tlsOptionsNeedHost
    case hostFormat(String)
    case hostNeedsToken
    case pinFormat
    case tokenFileUnreadable(String)
    case notADate(option: String, text: String)
    case oneOf(option: String, choices: [String])
    case jsonOrCsv
    case auditFilters
    case auditOnly
    case tokenName
    case searchText

    // MARK: Results
    case playing(play: Int64, clip: String, level: String, sounding: [String], waiting: [String])
    case outcome(play: Int64, outcome: String, detail: String?)
    case saying(play: Int64, zones: [String])
    case nothingPlaying
    case stopped(plays: [Int64])
    case noClips
    case notRendered
    case libraryHeader
    case showTitle(id: String, title: String)
    case showNotRendered
    case confirmPlan(name: String, drill: Bool)
    case notStarted
    case planStarted(name: String, drill: Bool, zones: [String], run: Int64)
    case planWarning(String)
    case planStopped
    case tokenWritten(path: String)
    case tokenShownOnce(token: String)
    case tokenAddEntry
    case yourTask(String)
    case onTheAir(play: Int64, zones: [String])
    case shoutEnded(play: Int64, outcome: String?, detail: String?)
    case cannotRead(String, String)
    case cannotSpeak(String)
    case cannotOpenMicrophone(String)
    case imported(id: String, file: String, length: String, loudness: Double, gain: Double)
    case rendered(total: Int, failed: Int)
    case backedUp(bytes: Int, file: String)
    case restoreStaged(String)
    case scheduleApplied(version: Int, previous: Int)
    case planLine(name: String, title: String, zones: [String], cycle: String?, cycles: Int?)
    case noPlanRunning
    case planRunning(name: String, title: String, drill: Bool, zones: [String], since: String, cycle: Int, by: String)
    case rollCall(person: String, tasks: [String], acknowledged: String?)
    case webPairing(name: String, role: String, expires: String)
    case webDevice(name: String, role: String, zones: [String]?, groups: [String], lastSeen: String?, sessions: Int)
    case webNoDevices
    case webRevoked(name: String, sessions: Int)
    case scheduleSummary(version: Int, timezone: String, grace: Int, source: String)
    case scheduleToday(today: String, timetable: String?, rule: String)
    case scheduleTheme(String)
    case scheduleEvents(today: Int, left: Int)
    case showFacts(category: String, kind: String, origin: String, language: String, grade: String, season: String)
    case showSubject(String)
    case showLength(String)
    case showText(String)
    case showAudio(String)
    case statusServer(server: String, version: String, up: String)
    case statusLibrary(clips: Int)
    case statusOutputs, statusZones, statusPlaying, statusNothingPlaying
    case statusZone(zone: String, output: String, sounding: [Int64], waiting: [Int64])
    case statusZoneGroups
    case statusZoneGroup(name: String, zones: [String])

    // MARK: Announcements booked for later
    case badAnnounceTime(String)
    case announceTimePassed(time: String, now: String)
    case clipOrText
    case announceBooked(id: Int64, at: String, zones: [String])
    case announceLine(id: Int64, at: String, clip: String?, text: String?, zones: [String], state: String, by: String, detail: String?)
    case noAnnouncements
    case announceCancelled(id: Int64)

    // MARK: Logs
    case logPlanRun(
        at: String, run: Int64, drill: Bool, plan: String, title: String, zones: [String], by: String, outcome: String)
    case logAudit(
        at: String, actor: String, role: String, source: String, command: String, arguments: String, ok: Bool,
        code: String?,
        message: String?)
    case logPlay(
        at: String, play: Int64, clip: String, category: String?, level: String, zones: [String], source: String,
        by: String,
        outcome: String?, latencyMs: Double?, heardMs: Double?)
    case eventDrill, eventOutput(String), eventVersion(Int), eventBy(String)

    // MARK: Schedule
    case historyFloor(Int)
    case historyLine(
        version: Int, bundle: Bool, schedule: Bool, appliedAt: String, source: String, inForce: Bool,
        rolledBackAt: String?)
    case rolledBack(from: Int, to: Int, schedule: Int, floor: Int)
    case nextIn(String)
    case sayEvent(String)
    case calendarRead(file: String, days: Int, ignored: Int)
    case dateSuchAs(option: String, example: String)
    case fromAfterTo

    // MARK: Statistics, bundles and the fleet
    case total
    case daysIn(timezone: String)
    case fleetHeader
    case fleetOk, fleetFailed
    case fleetAnswered(Int)
    case fleetSchoolError(school: String, failure: String, error: String)
    case failedBecause(failure: String, error: String)
    case allSchoolsBy(String)
    case fleetSummary(schools: Int, failed: [String: Int])
    case fleetProgress(done: String, total: Int, ok: Int, failed: Int)
    case fleetNoHost(command: String)
    case concurrencyAtLeastOne, timeoutAboveZero, retriesNotNegative, progressOrQuiet
    case keyExists(String)
    case keyMade(id: String, privateFile: String, publicFile: String)
    case expiresFormat
    case notABundlePart(String)
    case versionsDisagree(option: Int, schedule: Int)
    case giveVersion
    case clipFileName(String)
    case tipSubjectSecond(file: String, subjects: [String])
    case bundleSigned(version: Int, parts: Int, bytes: Int, schools: [String], expires: String, file: String)
    case bundleManifest(version: Int, key: String, digest: String)
    case bundleDates(issued: String, expires: String)
    case bundleSchools([String])
    case bundlePart(kind: String, path: String, size: Int, sha256: String, clip: String)
    case bundleVerdict(refusal: String?)
    case bundleAlready(version: Int)
    case bundleApplied(version: Int, previous: Int, schedule: Bool, plans: [String], clips: Int)
    case bundlePushed(version: Int, seconds: Double)

    // MARK: Files, the library, the status and the rest
    case cannotReadFile(String)
    case cannotWrite(String, reason: String?)
    case cannotCreate(String, reason: String?)
    case noSuchFile(String)
    case isDirectory(String)
    case titleAndIDOneFile
    case showGain(Double)
    case showSynth(String)
    case rendering
    case uploading(String)
    case backupNotCopied(path: String, file: String, reason: String)
    case noEntropy(String)
    case commandOrStdin
    case oneVoiceSource
    case secondsPositive
    case giveText
    case statusOutput(
        name: String, device: String, sampleRate: Int, channels: Int, state: String, fault: String?, xruns: Int)
    case storageFailing(state: String, since: String?, failedWrites: Int, lastError: String?, lastAt: String?)
    case storageRecovered(failedWrites: Int, lastError: String?, lastAt: String?)

    /// The message in the language of the locale.
    var text: String { text(in: .current) }

    func text(in language: Language) -> String {
        switch language {
        case .english: english
        case .chinese: chinese
        }
    }

    private var english: String {
        switch self {
        case .rollCall(let person, let tasks, let acknowledged):
            "  \(acknowledged.map { "ok \($0)" } ?? "--      ")  \(person): \(tasks.joined(separator: " / "))"
        case .webPairing(let name, let role, let expires):
            "Open this link on \(name)'s phone (role \(role)); it works once, until \(expires):"
        case .webDevice(let name, let role, let zones, let groups, let lastSeen, let sessions):
            "\(name)  \(role)  zones \(zones?.joined(separator: ",") ?? "all")  groups \(groups.isEmpty ? "-" : groups.joined(separator: ","))  last seen \(lastSeen ?? "never")  \(sessions) signed in"
        case .webNoDevices: "no paired devices"
        case .webRevoked(let name, let sessions): "revoked \(name): \(sessions) session(s) ended"
        case .abstract: "Control a Carillon daemon."
        case .exitCodes:
            "Exit codes: 0 ok; 1 the daemon refused or failed; 2 usage (also an invalid argument or unknown zone the daemon "
                + "found in what you typed); 3 cannot connect; 4 permission denied. Messages are in Chinese when the locale "
                + "(LC_ALL, LC_MESSAGES, LANG) is zh_CN."
        case .helpZones:
            "Zones, comma-separated or with --zones repeated (default: all you may use; for a plan, its own)."
        case .abstractPlay: "Play a clip from the library."
        case .abstractSay: "Read text aloud, after the pre-announce chime."
        case .abstractStop: "Stop one play, or everything playing."
        case .abstractLibrary: "The audio library: list, search, show, import and render clips."
        case .abstractList: "List the clips, with their lengths."
        case .abstractSearch: "Find clips whose id, title, subject or spoken text contains TEXT."
        case .abstractShow: "Show one clip in full."
        case .abstractEvents: "Stream the daemon's events: plays, shouts, plans, faults, schedule and library changes."
        case .helpSearchText: "What to look for, e.g. 火灾 or fire."
        case .helpCategory: "Only this category: bell, tip, culture, recorded, alarm or message."
        case .helpSubject: "Only tips of this subject: " + Message.subjects.joined(separator: ", ") + "."

        case .cannotConnect(let address, let reason): "cannot connect to \(address): \(reason)"
        case .notRunningHint: "is carillond running? See `systemctl status carillond`."
        case .socketPermission(let path): "permission denied: this account may not open the control socket \(path)"
        case .joinGroupHint(let group, let user):
            "the socket is for the group `\(group)`: ask school IT to add you (`sudo usermod -aG \(group) \(user)`), then log in again"
        case .refused(_, let message): message
        case .connectionClosed: "the daemon closed the connection"
        case .connectionLost(let reason): "the connection to the daemon broke: \(reason)"
        case .eventsEnded: "the connection to the daemon ended: no more events"
        case .listening(let kinds):
            "listening for " + (kinds.isEmpty ? "all events" : kinds.joined(separator: ", ")) + "; ^C to stop"

        case .zonesFormat: "--zones takes comma-separated zone names, e.g. teaching,playground"
        case .socketOrHost: "give --socket or --host, not both"
        case .tlsOptionsNeedHost: "--token-file, --ca and --pin go with --host"
        case .hostFormat(let host): "--host must be HOST:PORT, not `\(host)`"
        case .hostNeedsToken: "--host needs --token-file"
        case .pinFormat: "--pin must be a SHA-256 fingerprint: 64 hex digits, colons allowed"
        case .tokenFileUnreadable(let path): "cannot read the token file \(path)"
        case .notADate(let option, let text): "\(option): not a date: \(text)"
        case .oneOf(let option, let choices): "\(option) must be one of \(choices.joined(separator: ", "))"
        case .jsonOrCsv: "give --json or --csv, not both"
        case .auditFilters: "--category, --zone, --source and --level filter the play log, not --audit"
        case .auditOnly: "--actor and --command go with --audit"
        case .tokenName: "the name must be 1 to 64 characters, without quotes"
        case .searchText: "give the text to look for"

        case .playing(let play, let clip, let level, let sounding, let waiting):
            "playing #\(play) \(clip) (\(level))" + (sounding.isEmpty ? "" : " in \(sounding.joined(separator: ", "))")
                + (waiting.isEmpty ? "" : "; waiting for \(waiting.joined(separator: ", "))")
        case .outcome(let play, let outcome, let detail): "#\(play) \(outcome)" + (detail.map { " \($0)" } ?? "")
        case .saying(let play, let zones): "saying #\(play) in \(zones.joined(separator: ", "))"
        case .nothingPlaying: "nothing was playing"
        case .stopped(let plays): "stopped " + plays.map { "#\($0)" }.joined(separator: ", ")
        case .noClips: "no clips match"
        case .notRendered: "-"
        case .libraryHeader: "ID\tTITLE\tLENGTH\tCATEGORY\tSUBJECT"
        case .showTitle(let id, let title): "\(id): \(title)"
        case .showNotRendered: "not rendered yet"
        case .confirmPlan(let name, let drill):
            (drill ? "Start the DRILL `\(name)`" : "Start the EMERGENCY plan `\(name)`")
                + "? The alarm sounds at once. [y/N] "
        case .notStarted: "not started"
        case .planStarted(let name, let drill, let zones, let run):
            "\(drill ? "drill" : "plan") \(name) started in \(zones.joined(separator: ",")) (run \(run))"
        case .planWarning(let warning): "warning: \(warning)"
        case .planStopped: "stopped"
        case .tokenWritten(let path): "token written to \(path)"
        case .tokenShownOnce(let token): "the client's token (shown once; carillon.toml keeps only its hash):\n\(token)"
        case .tokenAddEntry:
            "the [[token]] entry is on standard output: append it to carillon.toml, then reload the daemon (SIGHUP)"
        case .statusServer(let server, let version, let up): "\(server) — carillond \(version), up \(up)"
        case .statusLibrary(let clips): "library: \(clips) clips"
        case .statusOutputs: "outputs:"
        case .yourTask(let task): "your task: \(task)"
        case .onTheAir(let play, let zones):
            "on the air: shout #\(play) to \(zones.joined(separator: ", ")); ^C ends it"
        case .shoutEnded(let play, let outcome, let detail):
            "shout #\(play) \(outcome ?? "ended")" + (detail.map { ": \($0)" } ?? "")
        case .cannotRead(let file, let why): "cannot read \(file): \(why)"
        case .cannotSpeak(let why): "cannot read the text aloud: \(why)"
        case .cannotOpenMicrophone(let why): "cannot open the microphone: \(why)"
        case .imported(let id, let file, let length, let loudness, let gain):
            "imported \(id): \(file), \(length), " + String(format: "%.1f LUFS, gain %+.1f dB", loudness, gain)
        case .rendered(let total, let failed): "rendered \(total) clips" + (failed == 0 ? "" : ", \(failed) failed:")
        case .backedUp(let bytes, let file): "backed up \(bytes) bytes to \(file)"
        case .restoreStaged(let path):
            "restore staged; the daemon is stopping and restores \(path) when it starts again"
        case .scheduleApplied(let version, let previous): "schedule version \(version) in force (was \(previous))"
        case .planLine(let name, let title, let zones, let cycle, let cycles):
            "\(name)  \(title)  \(zones.joined(separator: ","))  "
                + (cycle.map { "cycle \($0)" } ?? "alarm only until decoded")
                + ", " + (cycles.map { "\($0) cycles" } ?? "until stopped")
        case .noPlanRunning: "no plan is running"
        case .planRunning(let name, let title, let drill, let zones, let since, let cycle, let by):
            "\(drill ? "DRILL" : "EMERGENCY")  \(name)  \(title)  in \(zones.joined(separator: ","))  since \(since)  cycle \(cycle)  by \(by)"
        case .scheduleSummary(let version, let timezone, let grace, let source):
            "schedule version \(version), \(timezone), grace \(grace) s (\(source))"
        case .scheduleToday(let today, let timetable, let rule): "today \(today): \(timetable ?? "silent") — \(rule)"
        case .scheduleTheme(let theme): "this week's theme: \(theme)"
        case .scheduleEvents(let today, let left): "\(today) events today, \(left) still to come"
        case .showFacts(let category, let kind, let origin, let language, let grade, let season):
            "  category \(category), \(kind), \(origin), language \(language), grade \(grade), season \(season)"
        case .showSubject(let subject): "  subject \(subject)"
        case .showLength(let length): "  length \(length)"
        case .showText(let text): "  text: \(text)"
        case .showAudio(let file): "  audio: \(file)"
        case .statusZones: "zones:"
        case .statusPlaying: "playing:"
        case .statusNothingPlaying: "playing: nothing"
        case .statusZoneGroups: "zone groups:"
        case .statusZoneGroup(let name, let zones): "  \(name)  = \(zones.joined(separator: ","))"
        case .badAnnounceTime(let text):
            "--at: `\(text)` is not a time; give HH:MM (today), YYYY-MM-DD HH:MM, or an ISO 8601 date-time such as 2026-12-07T08:30:00+08:00"
        case .announceTimePassed(let time, let now):
            "--at: \(time) today has already passed (it is \(now) now); for another day give the date: YYYY-MM-DD \(time)"
        case .clipOrText: "give either --clip or --text"
        case .announceBooked(let id, let at, let zones): "announcement \(id) booked for \(at) in \(zones.joined(separator: ","))"
        case .announceLine(let id, let at, let clip, let text, let zones, let state, let by, let detail):
            "\(id)  \(at)  \(state)  \(clip ?? "say: " + (text ?? ""))  \(zones.joined(separator: ","))  by \(by)"
                + (detail.map { "  (\($0))" } ?? "")
        case .noAnnouncements: "no announcements are waiting"
        case .announceCancelled(let id): "announcement \(id) cancelled"
        case .statusZone(let zone, let output, let sounding, let waiting):
            "  \(zone)  on \(output)  "
                + (sounding.isEmpty ? "idle" : "sounding " + sounding.map { "#\($0)" }.joined(separator: ", "))
                + (waiting.isEmpty ? "" : "; waiting " + waiting.map { "#\($0)" }.joined(separator: ", "))

        case .logPlanRun(let at, let run, let drill, let plan, let title, let zones, let by, let outcome):
            "\(at)  run \(run)  \(drill ? "drill" : "plan") \(plan) (\(title))  \(zones.joined(separator: ","))  by \(by)  \(outcome)"
        case .logAudit(
            let at, let actor, let role, let source, let command, let arguments, let ok, let code, let message):
            "\(at)  \(actor) (\(role)) from \(source)  \(command) \(arguments)  "
                + (ok ? "ok" : "refused \(code ?? ""): \(message ?? "")")
        case .logPlay(
            let at, let play, let clip, let category, let level, let zones, let source, let by, let outcome, let latency,
            let heard
        ):
            "\(at)  #\(play)  \(clip)  \(category ?? "-")  \(level)  \(zones.joined(separator: ","))  \(source) by \(by)  "
                + "\(outcome ?? "sounding")  " + (latency.map { String(format: "%.1f ms", $0) } ?? "-")
                + (heard.map { String(format: ", heard %.1f ms", $0) } ?? "")
        case .eventDrill: "drill "
        case .eventOutput(let output): "output \(output)"
        case .eventVersion(let version): "version \(version)"
        case .eventBy(let by): "by \(by)"

        case .historyFloor(let floor): "new versions must be above \(floor)"
        case .historyLine(
            let version, let bundle, let schedule, let appliedAt, let source, let inForce, let rolledBackAt):
            "v\(version)  "
                + padded(
                    [bundle ? "bundle" : nil, schedule ? "schedule" : nil].compactMap { $0 }.joined(separator: "+"),
                    to: 15)
                + " \(appliedAt)  \(source)  " + (inForce ? "in force" : rolledBackAt.map { "rolled back \($0)" } ?? "")
        case .rolledBack(let from, let to, let schedule, let floor):
            "rolled back from version \(from) to \(to); schedule version \(schedule) in force; new versions must be above \(floor)"
        case .nextIn(let duration): "in " + padded(duration, to: 8)
        case .sayEvent(let text): "say \"\(text)\""
        case .calendarRead(let file, let days, let ignored):
            "\(file): \(days) days, \(ignored) events with no mapped category"
        case .dateSuchAs(let option, let example): "\(option) must be a date such as \(example)"
        case .fromAfterTo: "--from must not be after --to"

        case .total: "total"
        case .daysIn(let timezone): "days in \(timezone)"
        case .fleetHeader: "school\tresult\ttries\tseconds\tmessage"
        case .fleetOk: "ok"
        case .fleetFailed: "FAILED"
        case .fleetAnswered(let count): "\(count) ok"
        case .fleetSchoolError(let school, let failure, let error): "\(school): \(failure): \(error)"
        case .failedBecause(let failure, let error): "\(failure): \(error)"
        case .allSchoolsBy(let by): "\nall schools by \(by):"
        case .fleetSummary(let schools, let failed):
            "\(schools) school\(schools == 1 ? "" : "s"): \(schools - failed.values.reduce(0, +)) ok, \(failed.values.reduce(0, +)) failed"
                + (failed.isEmpty
                    ? "" : " (" + failed.keys.sorted().map { "\($0) \(failed[$0]!)" }.joined(separator: ", ") + ")")
        case .fleetProgress(let done, let total, let ok, let failed): "[\(done)/\(total)] ok \(ok), failed \(failed)"
        case .fleetNoHost(let command):
            "`\(command)` reaches the schools of --schools; --host and --socket do not apply"
        case .concurrencyAtLeastOne: "--concurrency must be at least 1"
        case .timeoutAboveZero: "--timeout must be above 0 seconds"
        case .retriesNotNegative: "--retries must be 0 or more"
        case .progressOrQuiet: "give --progress or --quiet, not both"
        case .keyExists(let path): "\(path) exists; a key is never overwritten"
        case .keyMade(let id, let privateFile, let publicFile):
            "key \(id): private \(privateFile), public \(publicFile)"
        case .expiresFormat: "--expires must be a future date, date and time, or a span such as 30d"
        case .notABundlePart(let file):
            "\(file): not a schedule, plan, catalog or clip (.wav, .flac, .ogg, .opus, .mp3)"
        case .versionsDisagree(let option, let schedule):
            "--version \(option) but schedule.toml says version \(schedule); they must agree"
        case .giveVersion: "give --version: the bundle has no schedule to take it from"
        case .clipFileName(let file):
            "\(file): name the file after its clip id, starting with its category (e.g. tip.outdoor.swim-01.flac), or describe it in a catalog.toml"
        case .tipSubjectSecond(let file, let subjects):
            "\(file): a tip's id names its subject second, one of " + subjects.joined(separator: ", ")
        case .bundleSigned(let version, let parts, let bytes, let schools, let expires, let file):
            "bundle version \(version), \(parts) parts, \(bytes) bytes, for \(schools.joined(separator: ", ")), expires \(expires): \(file)"
        case .bundleManifest(let version, let key, let digest):
            "bundle version \(version), key \(key), digest \(digest)"
        case .bundleDates(let issued, let expires): "issued \(issued), expires \(expires)"
        case .bundleSchools(let schools): "schools: \(schools.joined(separator: ", "))"
        case .bundlePart(let kind, let path, let size, let sha256, let clip):
            "  \(kind.padding(toLength: 8, withPad: " ", startingAt: 0)) \(path)  \(size) bytes  \(sha256)…\(clip)"
        case .bundleVerdict(let refusal): refusal.map { "refused: \($0)" } ?? "accepted"
        case .bundleAlready(let version): "bundle version \(version) was already applied; nothing changed"
        case .bundleApplied(let version, let previous, let schedule, let plans, let clips):
            "bundle version \(version) in force (was \(previous)): "
                + [
                    schedule ? "the schedule" : nil, plans.isEmpty ? nil : "plans " + plans.joined(separator: ", "),
                    clips == 0 ? nil : "\(clips) clips",
                ].compactMap { $0 }.joined(separator: ", ")
        case .bundlePushed(let version, let seconds):
            String(format: "bundle version \(version) pushed in %.2f s", seconds)

        case .cannotReadFile(let path): "cannot read \(path)"
        case .cannotWrite(let path, let reason): "cannot write \(path)" + (reason.map { ": \($0)" } ?? "")
        case .cannotCreate(let path, let reason): "cannot create \(path)" + (reason.map { ": \($0)" } ?? "")
        case .noSuchFile(let path): "\(path): no such file"
        case .isDirectory(let path): "\(path) is a directory, not an audio file"
        case .titleAndIDOneFile: "--title and --id name one clip: give one file with them"
        case .showGain(let gain): "  gain \(String(format: "%+.1f", gain)) dB"
        case .showSynth(let synth): "  synth: \(synth)"
        case .rendering: "rendering"
        case .uploading(let name): "uploading \(name)"
        case .backupNotCopied(let path, let file, let reason):
            "the backup is at \(path), but it could not be copied to \(file): \(reason)"
        case .noEntropy(let reason): "no entropy: \(reason)"
        case .commandOrStdin: "give a command, or --stdin"
        case .oneVoiceSource: "give one of --mic, --file or --tts"
        case .secondsPositive: "--seconds must be positive"
        case .giveText: "give at least one TEXT"
        case .statusOutput(let name, let device, let rate, let channels, let state, let fault, let xruns):
            "  \(name)  \(device)  \(rate) Hz \(channels) ch  \(fault.map { "fault: \($0)" } ?? state)"
                + (xruns > 0 ? "  xruns \(xruns)" : "")
        case .storageFailing(let state, let since, let failedWrites, let lastError, let lastAt):
            "storage: \(state.uppercased())\(since.map { " since \($0)" } ?? ""), \(failedWrites) failed writes since start; "
                + (lastError.map { "last: \($0)" + (lastAt.map { " at \($0)" } ?? "") } ?? "no error recorded")
        case .storageRecovered(let failedWrites, let lastError, let lastAt):
            "storage: ok; \(failedWrites) writes failed since start"
                + (lastError.map { ", last: \($0)" + (lastAt.map { " at \($0)" } ?? "") } ?? "")
        }
    }

    private var chinese: String {
        switch self {
        case .rollCall(let person, let tasks, let acknowledged):
            "  \(acknowledged.map { "已收到 \($0)" } ?? "未收到      ")  \(person)：\(tasks.joined(separator: " / "))"
        case .webPairing(let name, let role, let expires):
            "请在 \(name) 的手机上打开此链接（角色 \(role)）；仅可使用一次，有效至 \(expires)："
        case .webDevice(let name, let role, let zones, let groups, let lastSeen, let sessions):
            "\(name)  \(role)  分区 \(zones?.joined(separator: ",") ?? "全部")  分组 \(groups.isEmpty ? "-" : groups.joined(separator: ","))  最近使用 \(lastSeen ?? "从未")  已登录 \(sessions) 个"
        case .webNoDevices: "没有已配对的设备"
        case .webRevoked(let name, let sessions): "已撤销 \(name)：结束了 \(sessions) 个会话"
        case .abstract: "控制 Carillon 校园广播守护进程。"
        case .exitCodes:
            "退出码：0 成功；1 守护进程拒绝或失败；2 用法错误（包括守护进程发现你输入的参数无效或分区不存在）；3 无法连接；4 权限不足。"
                + "区域设置（LC_ALL、LC_MESSAGES、LANG）为 zh_CN 时显示中文。"
        case .helpZones: "分区，用逗号分隔，或重复 --zones（默认：你可用的全部分区；预案默认为它自己的分区）。"
        case .abstractPlay: "播放音频库中的音频。"
        case .abstractSay: "在提示音之后朗读文字。"
        case .abstractStop: "停止一个播放，或停止全部播放。"
        case .abstractLibrary: "音频库：列出、搜索、查看、导入和渲染音频。"
        case .abstractList: "列出音频及其时长。"
        case .abstractSearch: "查找编号、标题、主题或朗读文字中含有 TEXT 的音频。"
        case .abstractShow: "查看一个音频的全部信息。"
        case .abstractEvents: "接收守护进程的事件：播放、喊话、预案、故障、时间表和音频库的变化。"
        case .helpSearchText: "要查找的文字，例如“火灾”或 fire。"
        case .helpCategory: "只列出这一类：bell（铃声）、tip（安全提示）、culture（校园文化）、recorded（录音）、alarm（警报）或 message（消息）。"
        case .helpSubject:
            "只列出这一主题的安全提示："
                + Message.subjects.map { "\($0)（\(Message.subjectName($0, .chinese))）" }.joined(separator: "、") + "。"

        case .cannotConnect(let address, let reason): "无法连接到 \(address)：\(reason)"
        case .notRunningHint: "carillond 是否在运行？请用 `systemctl status carillond` 查看。"
        case .socketPermission(let path): "权限不足：此账号不能打开控制套接字 \(path)"
        case .joinGroupHint(let group, let user):
            "该套接字属于 `\(group)` 组：请学校信息管理员把你加入该组（`sudo usermod -aG \(group) \(user)`），然后重新登录"
        case .refused(let code, let message): "\(Message.codeName(code))：\(message)"
        case .connectionClosed: "守护进程关闭了连接"
        case .connectionLost(let reason): "与守护进程的连接中断：\(reason)"
        case .eventsEnded: "与守护进程的连接已断开：不会再有事件"
        case .listening(let kinds):
            "正在接收" + (kinds.isEmpty ? "所有事件" : "事件 " + kinds.joined(separator: "、")) + "；按 ^C 停止"

        case .zonesFormat: "--zones 需要用逗号分隔的分区名，例如 teaching,playground"
        case .socketOrHost: "--socket 和 --host 只能给一个"
        case .tlsOptionsNeedHost: "--token-file、--ca 和 --pin 要和 --host 一起用"
        case .hostFormat(let host): "--host 必须是 主机:端口，而不是 `\(host)`"
        case .hostNeedsToken: "--host 需要 --token-file"
        case .pinFormat: "--pin 必须是 SHA-256 指纹：64 个十六进制数字，可以带冒号"
        case .tokenFileUnreadable(let path): "无法读取令牌文件 \(path)"
        case .notADate(let option, let text): "\(option)：不是有效的日期：\(text)"
        case .oneOf(let option, let choices): "\(option) 必须是以下之一：\(choices.joined(separator: ", "))"
        case .jsonOrCsv: "--json 和 --csv 只能给一个"
        case .auditFilters: "--category、--zone、--source 和 --level 用于筛选播放记录，不能与 --audit 一起用"
        case .auditOnly: "--actor 和 --command 要和 --audit 一起用"
        case .tokenName: "名称必须是 1 到 64 个字符，不能含引号"
        case .searchText: "请给出要查找的文字"

        case .playing(let play, let clip, let level, let sounding, let waiting):
            "正在播放 #\(play) \(clip)（\(level)）" + (sounding.isEmpty ? "" : "，分区 \(sounding.joined(separator: "、"))")
                + (waiting.isEmpty ? "" : "；等待分区 \(waiting.joined(separator: "、"))")
        case .outcome(let play, let outcome, let detail): "#\(play) \(outcome)" + (detail.map { " \($0)" } ?? "")
        case .saying(let play, let zones): "正在朗读 #\(play)，分区 \(zones.joined(separator: "、"))"
        case .nothingPlaying: "没有正在播放的内容"
        case .stopped(let plays): "已停止 " + plays.map { "#\($0)" }.joined(separator: "、")
        case .noClips: "没有找到匹配的音频"
        case .notRendered: "-"
        case .libraryHeader: "编号\t标题\t时长\t类别\t主题"
        case .showTitle(let id, let title): "\(id)：\(title)"
        case .showNotRendered: "尚未渲染"
        case .confirmPlan(let name, let drill):
            (drill ? "启动演练 `\(name)`" : "启动应急预案 `\(name)`") + "？警报会立即响起。[y/N] "
        case .notStarted: "未启动"
        case .planStarted(let name, let drill, let zones, let run):
            "\(drill ? "演练" : "预案") \(name) 已在 \(zones.joined(separator: ",")) 启动（第 \(run) 次运行）"
        case .planWarning(let warning): "警告：\(warning)"
        case .planStopped: "已停止"
        case .tokenWritten(let path): "令牌已写入 \(path)"
        case .tokenShownOnce(let token): "客户端的令牌（只显示这一次；carillon.toml 只保存它的哈希）：\n\(token)"
        case .tokenAddEntry: "[[token]] 条目已输出到标准输出：请把它追加到 carillon.toml，然后重新加载守护进程（SIGHUP）"
        case .statusServer(let server, let version, let up): "\(server) — carillond \(version)，已运行 \(up)"
        case .statusLibrary(let clips): "音频库：\(clips) 个音频"
        case .statusOutputs: "输出设备："
        case .yourTask(let task): "你的任务：\(task)"
        case .onTheAir(let play, let zones): "正在喊话 #\(play)，分区 \(zones.joined(separator: "、"))；按 ^C 结束"
        case .shoutEnded(let play, let outcome, let detail):
            "喊话 #\(play) \(outcome ?? "已结束")" + (detail.map { "：\($0)" } ?? "")
        case .cannotRead(let file, let why): "无法读取 \(file)：\(why)"
        case .cannotSpeak(let why): "无法朗读这段文字：\(why)"
        case .cannotOpenMicrophone(let why): "无法打开麦克风：\(why)"
        case .imported(let id, let file, let length, let loudness, let gain):
            "已导入 \(id)：\(file)，\(length)，" + String(format: "响度 %.1f LUFS，增益 %+.1f dB", loudness, gain)
        case .rendered(let total, let failed): "已渲染 \(total) 个音频" + (failed == 0 ? "" : "，\(failed) 个失败：")
        case .backedUp(let bytes, let file): "已备份 \(bytes) 字节到 \(file)"
        case .restoreStaged(let path): "恢复已准备好；守护进程正在停止，下次启动时恢复 \(path)"
        case .scheduleApplied(let version, let previous): "时间表版本 \(version) 已生效（原为 \(previous)）"
        case .planLine(let name, let title, let zones, let cycle, let cycles):
            "\(name)  \(title)  \(zones.joined(separator: ","))  " + (cycle.map { "每轮 \($0)" } ?? "解码完成前只响警报")
                + "，" + (cycles.map { "\($0) 轮" } ?? "直到停止")
        case .noPlanRunning: "没有正在运行的预案"
        case .planRunning(let name, let title, let drill, let zones, let since, let cycle, let by):
            "\(drill ? "演练" : "应急")  \(name)  \(title)  分区 \(zones.joined(separator: ","))  开始于 \(since)  第 \(cycle) 轮  启动者 \(by)"
        case .scheduleSummary(let version, let timezone, let grace, let source):
            "时间表版本 \(version)，时区 \(timezone)，宽限 \(grace) 秒（\(source)）"
        case .scheduleToday(let today, let timetable, let rule): "今天 \(today)：\(timetable ?? "无铃声") — \(rule)"
        case .scheduleTheme(let theme): "本周主题：\(theme)"
        case .scheduleEvents(let today, let left): "今天 \(today) 个事件，还有 \(left) 个"
        case .showFacts(let category, let kind, let origin, let language, let grade, let season):
            "  类别 \(category)，\(kind)，\(origin)，语言 \(language)，年级 \(grade)，季节 \(season)"
        case .showSubject(let subject): "  主题 \(subject)"
        case .showLength(let length): "  时长 \(length)"
        case .showText(let text): "  文字：\(text)"
        case .showAudio(let file): "  音频：\(file)"
        case .statusZones: "分区："
        case .statusPlaying: "正在播放："
        case .statusNothingPlaying: "正在播放：无"
        case .statusZoneGroups: "分区组："
        case .statusZoneGroup(let name, let zones): "  \(name)  = \(zones.joined(separator: ","))"
        case .badAnnounceTime(let text):
            "--at：`\(text)` 不是有效的时间；请写 HH:MM（今天）、YYYY-MM-DD HH:MM，或 ISO 8601 日期时间，例如 2026-12-07T08:30:00+08:00"
        case .announceTimePassed(let time, let now):
            "--at：今天的 \(time) 已经过了（现在是 \(now)）；要定在别的日子，请写日期：YYYY-MM-DD \(time)"
        case .clipOrText: "请给出 --clip 或 --text 其中之一"
        case .announceBooked(let id, let at, let zones): "已预约广播 \(id)：\(at)，分区 \(zones.joined(separator: ","))"
        case .announceLine(let id, let at, let clip, let text, let zones, let state, let by, let detail):
            "\(id)  \(at)  \(Self.announceState(state))  \(clip ?? "朗读：" + (text ?? ""))  分区 \(zones.joined(separator: ","))  预约者 \(by)"
                + (detail.map { "（\($0)）" } ?? "")
        case .noAnnouncements: "没有待播的预约广播"
        case .announceCancelled(let id): "已取消预约广播 \(id)"
        case .statusZone(let zone, let output, let sounding, let waiting):
            "  \(zone)  输出 \(output)  "
                + (sounding.isEmpty ? "空闲" : "正在播放 " + sounding.map { "#\($0)" }.joined(separator: "、"))
                + (waiting.isEmpty ? "" : "；等待 " + waiting.map { "#\($0)" }.joined(separator: "、"))

        case .logPlanRun(let at, let run, let drill, let plan, let title, let zones, let by, let outcome):
            "\(at)  第 \(run) 次运行  \(drill ? "演练" : "预案") \(plan)（\(title)）  分区 \(zones.joined(separator: ","))  启动者 \(by)  \(outcome)"
        case .logAudit(
            let at, let actor, let role, let source, let command, let arguments, let ok, let code, let message):
            "\(at)  \(actor)（\(role)）来自 \(source)  \(command) \(arguments)  "
                + (ok ? "成功" : "被拒绝 \(code ?? "")：\(message ?? "")")
        case .logPlay(
            let at, let play, let clip, let category, let level, let zones, let source, let by, let outcome, let latency,
            let heard
        ):
            "\(at)  #\(play)  \(clip)  \(category.map { Message.categoryName($0, .chinese) } ?? "-")  \(level)  "
                + "\(zones.joined(separator: ","))  \(source)，请求者 \(by)  \(outcome ?? "正在播放")  "
                + (latency.map { String(format: "延迟 %.1f ms", $0) } ?? "-")
                + (heard.map { String(format: "，听到 %.1f ms", $0) } ?? "")
        case .eventDrill: "演练 "
        case .eventOutput(let output): "输出 \(output)"
        case .eventVersion(let version): "版本 \(version)"
        case .eventBy(let by): "操作者 \(by)"

        case .historyFloor(let floor): "新版本号必须大于 \(floor)"
        case .historyLine(
            let version, let bundle, let schedule, let appliedAt, let source, let inForce, let rolledBackAt):
            "v\(version)  "
                + padded(
                    [bundle ? "更新包" : nil, schedule ? "时间表" : nil].compactMap { $0 }.joined(separator: "+"), to: 15)
                + " \(appliedAt)  \(source)  " + (inForce ? "生效中" : rolledBackAt.map { "已于 \($0) 回滚" } ?? "")
        case .rolledBack(let from, let to, let schedule, let floor):
            "已从版本 \(from) 回滚到 \(to)；时间表版本 \(schedule) 已生效；新版本号必须大于 \(floor)"
        case .nextIn(let duration): padded(duration + "后", to: 12)
        case .sayEvent(let text): "朗读“\(text)”"
        case .calendarRead(let file, let days, let ignored): "\(file)：\(days) 天，\(ignored) 个事件没有对应的类别"
        case .dateSuchAs(let option, let example): "\(option) 必须是日期，例如 \(example)"
        case .fromAfterTo: "--from 不能晚于 --to"

        case .total: "合计"
        case .daysIn(let timezone): "日期按 \(timezone) 时区计"
        case .fleetHeader: "学校\t结果\t尝试次数\t秒\t信息"
        case .fleetOk: "成功"
        case .fleetFailed: "失败"
        case .fleetAnswered(let count): "\(count) 所成功"
        case .fleetSchoolError(let school, let failure, let error): "\(school)：\(failure)：\(error)"
        case .failedBecause(let failure, let error): "\(failure)：\(error)"
        case .allSchoolsBy(let by): "\n全部学校，按\(by)："
        case .fleetSummary(let schools, let failed):
            "\(schools) 所学校：\(schools - failed.values.reduce(0, +)) 所成功，\(failed.values.reduce(0, +)) 所失败"
                + (failed.isEmpty
                    ? ""
                    : "（"
                        + failed.keys.sorted().map { "\(Message.failureName($0, .chinese)) \(failed[$0]!)" }.joined(
                            separator: "，")
                        + "）")
        case .fleetProgress(let done, let total, let ok, let failed): "[\(done)/\(total)] 成功 \(ok)，失败 \(failed)"
        case .fleetNoHost(let command): "`\(command)` 连接的是 --schools 中的学校；--host 和 --socket 在这里不适用"
        case .concurrencyAtLeastOne: "--concurrency 至少为 1"
        case .timeoutAboveZero: "--timeout 必须大于 0 秒"
        case .retriesNotNegative: "--retries 必须是 0 或更大"
        case .progressOrQuiet: "--progress 和 --quiet 只能给一个"
        case .keyExists(let path): "\(path) 已存在；密钥从不覆盖"
        case .keyMade(let id, let privateFile, let publicFile): "密钥 \(id)：私钥 \(privateFile)，公钥 \(publicFile)"
        case .expiresFormat: "--expires 必须是将来的日期、日期和时间，或 30d 这样的时长"
        case .notABundlePart(let file): "\(file)：不是时间表、预案、目录或音频（.wav、.flac、.ogg、.opus、.mp3）"
        case .versionsDisagree(let option, let schedule):
            "--version 是 \(option)，但 schedule.toml 的版本是 \(schedule)；两者必须一致"
        case .giveVersion: "请给出 --version：更新包里没有可以取版本号的时间表"
        case .clipFileName(let file):
            "\(file)：请用音频编号命名文件，以类别开头（例如 tip.outdoor.swim-01.flac），或在 catalog.toml 中描述它"
        case .tipSubjectSecond(let file, let subjects):
            "\(file)：安全提示的编号第二段是主题，必须是以下之一：" + subjects.joined(separator: ", ")
        case .bundleSigned(let version, let parts, let bytes, let schools, let expires, let file):
            "更新包版本 \(version)，\(parts) 个部分，\(bytes) 字节，适用学校 \(schools.joined(separator: ", "))，有效期至 \(expires)：\(file)"
        case .bundleManifest(let version, let key, let digest): "更新包版本 \(version)，密钥 \(key)，摘要 \(digest)"
        case .bundleDates(let issued, let expires): "签发于 \(issued)，有效期至 \(expires)"
        case .bundleSchools(let schools): "适用学校：\(schools.joined(separator: ", "))"
        case .bundlePart(let kind, let path, let size, let sha256, let clip):
            "  \(kind.padding(toLength: 8, withPad: " ", startingAt: 0)) \(path)  \(size) 字节  \(sha256)…\(clip)"
        case .bundleVerdict(let refusal): refusal.map { "拒绝：\($0)" } ?? "接受"
        case .bundleAlready(let version): "更新包版本 \(version) 已经应用过；没有变化"
        case .bundleApplied(let version, let previous, let schedule, let plans, let clips):
            "更新包版本 \(version) 已生效（原为 \(previous)）："
                + [
                    schedule ? "时间表" : nil, plans.isEmpty ? nil : "预案 " + plans.joined(separator: ", "),
                    clips == 0 ? nil : "\(clips) 个音频",
                ].compactMap { $0 }.joined(separator: "，")
        case .bundlePushed(let version, let seconds): String(format: "更新包版本 \(version) 已推送，用时 %.2f 秒", seconds)

        case .cannotReadFile(let path): "无法读取 \(path)"
        case .cannotWrite(let path, let reason): "无法写入 \(path)" + (reason.map { "：\($0)" } ?? "")
        case .cannotCreate(let path, let reason): "无法创建 \(path)" + (reason.map { "：\($0)" } ?? "")
        case .noSuchFile(let path): "\(path)：文件不存在"
        case .isDirectory(let path): "\(path) 是目录，不是音频文件"
        case .titleAndIDOneFile: "--title 和 --id 只命名一个音频：和它们一起只能给一个文件"
        case .showGain(let gain): "  增益 \(String(format: "%+.1f", gain)) dB"
        case .showSynth(let synth): "  合成：\(synth)"
        case .rendering: "正在渲染"
        case .uploading(let name): "正在上传 \(name)"
        case .backupNotCopied(let path, let file, let reason): "备份在 \(path)，但无法复制到 \(file)：\(reason)"
        case .noEntropy(let reason): "无法取得随机数：\(reason)"
        case .commandOrStdin: "请给出一个命令，或 --stdin"
        case .oneVoiceSource: "--mic、--file 和 --tts 只能给一个"
        case .secondsPositive: "--seconds 必须大于 0"
        case .giveText: "请至少给出一段文字"
        case .statusOutput(let name, let device, let rate, let channels, let state, let fault, let xruns):
            "  \(name)  \(device)  \(rate) Hz \(channels) 声道  \(fault.map { "故障：\($0)" } ?? state)"
                + (xruns > 0 ? "  欠载 \(xruns) 次" : "")
        case .storageFailing(let state, let since, let failedWrites, let lastError, let lastAt):
            "存储：\(state.uppercased())\(since.map { "，自 \($0) 起" } ?? "")，启动以来 \(failedWrites) 次写入失败；"
                + (lastError.map { "最近一次：\($0)" + (lastAt.map { "（\($0)）" } ?? "") } ?? "没有记录错误")
        case .storageRecovered(let failedWrites, let lastError, let lastAt):
            "存储：正常；启动以来 \(failedWrites) 次写入失败"
                + (lastError.map { "，最近一次：\($0)" + (lastAt.map { "（\($0)）" } ?? "") } ?? "")
        }
    }

    /// ArgumentParser's own usage message, its English labels put into the locale's language
    /// (what follows them is ours, or the parser's own words about an option).
    static func parserMessage(_ text: String, _ language: Language = .current) -> String {
        guard language == .chinese else { return text }
        return text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            for (english, chinese) in [("Error: ", "错误："), ("Usage: ", "用法："), ("  See '", "  详见 '")]
            where line.hasPrefix(english) {
                var translated = chinese + line.dropFirst(english.count)
                if english == "  See '" {
                    translated = translated.replacingOccurrences(of: "' for more information.", with: "'。")
                }
                return translated
            }
            return String(line)
        }.joined(separator: "\n")
    }

    /// ArgumentParser's `--help`, its own headings and words put into the locale's language (the
    /// texts under them are ours, and already are); the columns do not move.
    static func parserHelp(_ text: String, _ language: Language = .current) -> String {
        guard language == .chinese else { return text }
        var help = text
        for (english, chinese) in [
            ("OVERVIEW: ", "概述："), ("USAGE: ", "用法："), ("ARGUMENTS:", "参数："), ("OPTIONS:", "选项："),
            ("SUBCOMMANDS:", "子命令："), ("Show help information.", "显示帮助信息。"), ("Show the version.", "显示版本号。"),
        ] {
            help = help.replacingOccurrences(of: english, with: chinese)
        }
        help = help.replacingOccurrences(
            of: #"\s*\(default:\s+([^)]*)\)"#, with: "（默认：$1）", options: .regularExpression)
        return help.replacingOccurrences(
            of: #"  See '([^']*)' for detailed help\."#, with: "  详见 '$1'。", options: .regularExpression)
    }

    /// The tip subjects, in the platform's order: the library's own list, so the help never
    /// falls behind it.
    static var subjects: [String] { Clip.tipSubjects }

    /// A tip subject as a teacher says it.
    static func subjectName(_ subject: String, _ language: Language = .current) -> String {
        guard language == .chinese else { return subject }
        let names = [
            "traffic": "交通安全", "food": "食品安全", "earthquake": "防震减灾", "cyber": "网络安全", "fire": "消防安全",
            "outdoor": "户外安全", "injury": "意外伤害", "social": "社会安全", "law": "法治教育", "mental": "心理健康",
            "cases": "案例警示", "technique": "安全技能", "epidemic": "传染病防控", "drugs": "禁毒与控烟", "security": "国家安全",
            "bus": "校车安全", "intruder": "防暴力与防欺凌",
        ]
        return names[subject] ?? subject
    }

    /// A clip category as a teacher says it.
    static func categoryName(_ category: String, _ language: Language = .current) -> String {
        guard language == .chinese else { return category }
        let names = ["bell": "铃声", "tip": "安全提示", "culture": "校园文化", "recorded": "录音", "alarm": "警报", "message": "消息"]
        return names[category] ?? category
    }

    /// A statistics counter or grouping (`StatsCounts.names`, `StatsArgs.groupings`) as a table's
    /// header says it; CSV and JSON keep the English names.
    static func statsName(_ name: String, _ language: Language = .current) -> String {
        guard language == .chinese else { return name }
        let names = [
            "broadcasts": "广播", "instant": "即时", "safety": "安全教育", "bells": "铃声", "plans": "预案", "drills": "演练",
            "missed": "错过", "category": "类别", "day": "日期", "zone": "分区", "source": "来源",
        ]
        return names[name] ?? name
    }

    /// Why a school failed (`FleetResult.Failure`), as the bureau's staff say it.
    static func failureName(_ failure: String, _ language: Language = .current) -> String {
        guard language == .chinese else { return failure }
        let names = ["unreachable": "无法连接", "timeout": "超时", "refused": "被拒绝", "error": "错误"]
        return names[failure] ?? failure
    }

    /// A length of time, to the two largest units: `42s`, `5m 3s`, `2h 10m`, `3d 4h`.
    static func duration(_ seconds: Double, _ language: Language = .current) -> String {
        let s = Int(seconds)
        let (units, gap) = language == .chinese ? (["秒", "分", "小时", "天"], "") : (["s", "m", "h", "d"], " ")
        if s < 60 { return "\(s)\(units[0])" }
        if s < 3600 { return "\(s / 60)\(units[1])\(gap)\(s % 60)\(units[0])" }
        if s < 86400 { return "\(s / 3600)\(units[2])\(gap)\(s % 3600 / 60)\(units[1])" }
        return "\(s / 86400)\(units[3])\(gap)\(s % 86400 / 3600)\(units[2])"
    }

    /// What a refusal's code means, in Chinese, before the daemon's own (English) message.
    static func codeName(_ code: ErrorCode) -> String {
        switch code {
        case .permissionDenied: "权限不足"
        case .unauthenticated: "未通过身份验证"
        case .rateLimited: "登录失败次数过多"
        case .invalidArguments: "参数无效"
        case .unknownZone: "没有这个分区"
        case .unknownClip: "音频库中没有这个音频"
        case .unknownCommand: "没有这个命令"
        case .notFound: "未找到"
        case .busy: "正忙"
        case .duplicate: "已存在"
        case .badAudio: "音频无法读取"
        case .outputUnavailable: "输出设备不可用"
        case .staleVersion: "版本不够新"
        case .badBundle: "更新包无效"
        case .internal: "守护进程内部错误"
        default: "守护进程拒绝了请求"
        }
    }

    /// An announcement's state in Chinese.
    static func announceState(_ state: String) -> String {
        switch state {
        case "pending": "待播"
        case "played": "已播出"
        case "cancelled": "已取消"
        case "missed": "已错过"
        case "failed": "失败"
        default: state
        }
    }
}
