import CLinux
import CarillonAudio
import CarillonCore
import CarillonControl
import CarillonLink
import CarillonProtocol
import CarillonStore
import CarillonTOML
import CarillonWeb
import UnixSignals
import Foundation
public import Logging
import ServiceLifecycle

/// Assembles and runs the daemon: store, audio, station, control, signals.
public enum Daemon {
    /// Sets glibc's malloc so that the daemon's memory follows what it holds. Call it first,
    /// before the daemon's threads start.
    ///
    /// The daemon's live heap peaks near 10 MB (heaptrack), but through a soak RssAnon climbed in
    /// steps of 1–3 MB and never came back (docs/RELIABILITY.md, "Soak"), for two reasons:
    /// - glibc gives threads up to eight arenas a core, and an arena keeps the most it ever held;
    ///   libdispatch's threads come and go, and each new one took an arena. Two arenas.
    /// - A freed block above the mmap threshold raises the threshold, so that the next buffers of
    ///   that size (a spoken announcement, a plan's decoded audio: 0.5–3 MB) come from an arena
    ///   and stay there once freed. The threshold fixed at glibc's initial 128 KiB keeps them
    ///   mapped and unmapped whole. In the short soak, RssAnon's scatter fell from σ 999 KiB to 397 KiB.
    public static func tuneMalloc() {
        _ = carillon_malloc_arena_max(2)
        _ = carillon_malloc_mmap_threshold(128 * 1024)
    }

    /// Gives the memory malloc holds freed back to the system, off the pool. After a schedule apply,
    /// and after the cache warmer's pass that follows each start and reload, which free the old
    /// config, library and schedule, and the warmer's decoding and rendering: in the hour soak
    /// RssAnon rose in steps of 170–800 KiB there and stayed (docs/RELIABILITY.md, "Soak").
    static func releaseFreedMemory() {
        DispatchQueue.global(qos: .utility).async { _ = carillon_malloc_trim() }
    }

    /// Validates the config and the library it names, returning every problem found.
    public static func check(configPath: String) -> [String] {
        let config: StationConfig
        do { config = try StationConfig.load(path: configPath) } catch { return error.errors.map(\.description) }
        if let tcp = config.control.tcp {
            do { try ControlServer.checkTLS(tcp) } catch { return ["\(config.file): \(error)"] }
        }
        if let tls = config.web?.tls {
            do { try WebServer.checkTLS(tls) } catch { return ["\(config.file): \(error)"] }
        }
        let library: Library
        do { library = try Library.load(directory: config.libraryDirectory) } catch { return error.errors.map(\.description) }
        var problems: [String] = []
        do { _ = try loadScheduleFile(config: config, library: library) } catch { problems += error.errors.map(\.description) }
        do { _ = try loadPlans(config: config, library: library) } catch { problems += error.errors.map(\.description) }
        return problems
    }

    /// Why `path` cannot be opened for reading, in the system's words (`Permission denied`); nil
    /// if it can. Foundation's errors here say only "the operation could not be completed".
    static func unreadable(_ path: String, directory: Bool) -> String? {
        if directory {
            guard let handle = opendir(path) else { return String(cString: strerror(errno)) }
            closedir(handle)
        } else {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return String(cString: strerror(errno)) }
            close(fd)
        }
        return nil
    }

    /// Every plan of the plans directory, checked against the school's zones and library. A
    /// directory that is missing or cannot be listed, or a plan that cannot be read, is an error:
    /// a school must never start without its plans and not know it (an empty directory means no
    /// plans). With a store, the plans of bundles in force replace the directory's of the same
    /// name; one that no longer checks is skipped, logged, and the directory's plan stays.
    static func loadPlans(
        config: StationConfig, library: Library, store: Store? = nil, logger: Logger? = nil
    ) throws(ConfigError) -> [String: Plan] {
        let directory = config.plansDirectory
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            throw ConfigError(
                file: config.file,
                message: "the plans directory \(directory) does not exist (`[plans] dir`); create it, empty if the school has no plans")
        }
        guard isDirectory.boolValue else {
            throw ConfigError(file: config.file, message: "the plans directory \(directory) is not a directory (`[plans] dir`)")
        }
        func unlisted(_ reason: String) -> ConfigError {
            ConfigError(file: directory, message: "cannot list the plans directory: \(reason); the service's user must be able to read it")
        }
        if let reason = unreadable(directory, directory: true) { throw unlisted(reason) }
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            throw unlisted(error.localizedDescription)
        }
        let clips = library.clips
        let context = PlanContext(zones: config.zoneNames, clipCategory: { clips[$0]?.category }, zoneGroups: config.zoneGroups)
        var plans: [String: Plan] = [:]
        var errors: [TOMLError] = []
        for name in names.sorted() where name.hasSuffix(".toml") {
            let file = directory + "/" + name
            guard unreadable(file, directory: false) == nil, let data = FileManager.default.contents(atPath: file) else {
                let reason = unreadable(file, directory: false) ?? "it cannot be read"
                errors.append(TOMLError(file: file, position: .start, message: "cannot read the plan: \(reason)"))
                continue
            }
            do {
                let plan = try Plan.parse(Array(data), file: file, name: String(name.dropLast(5)), context: context)
                plans[plan.name] = plan
            } catch {
                errors += error.errors
            }
        }
        guard errors.isEmpty else { throw ConfigError(errors) }
        guard let store else { return plans }
        let fromBundles: [String: (version: Int, text: String)]
        do { fromBundles = try store.bundlePlans() } catch {
            logger?.error("cannot read the bundles' plans", metadata: ["error": "\(error)"])
            return plans
        }
        for (name, (version, text)) in fromBundles {
            do { plans[name] = try Plan.parse(text, file: "bundle v\(version) plans/\(name).toml", name: name, context: context) } catch {
                logger?.error("a bundle's plan no longer checks; it is not used", metadata: ["plan": "\(name)", "errors": "\(error)"])
            }
        }
        return plans
    }

    /// The config's schedule file, parsed and checked against the school, or nil when there is none.
    static func loadScheduleFile(config: StationConfig, library: Library) throws(ConfigError) -> (Schedule, String)? {
        guard let file = config.scheduleFile else { return nil }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ConfigError(file: file, message: "cannot read the schedule")
        }
        do {
            let schedule = try Schedule.parse(
                Array(data), file: file, context: Station.scheduleContext(config: config, library: library))
            return (schedule, String(decoding: data, as: UTF8.self))
        } catch {
            throw ConfigError(error.errors)
        }
    }

    /// The shipped library's files as they were when last written through to the database.
    struct CatalogSource: Codable, Equatable {
        /// `Library.sourceFingerprint`.
        var fingerprint: String
        /// How many shipped clips the files held: a catalog read back with fewer is not used.
        var clips: Int
    }

    static let catalogSourceKey = "catalog.source"

    /// The library of `directory` with the clips added to it, as `catalog(shipped:store:)` makes it,
    /// in one query when its files are byte for byte those last written through (and the same
    /// executable reads them): ten thousand clips are not parsed again at each start. Otherwise
    /// the files are loaded, checked and written through as before.
    /// - Throws: `ConfigError` when the files do not check, `StoreError` when the database fails.
    static func catalog(directory: String, store: Store, logger: Logger? = nil) async throws -> Library {
        let fingerprint = Library.sourceFingerprint(directory: directory)
        var distrusted = false
        if let fingerprint, let saved = try? store.state(catalogSourceKey, as: CatalogSource.self), saved.fingerprint == fingerprint,
            let (entries, unreadable) = try? store.catalogEntries()
        {
            let shipped = entries.count { $0.origin == "shipped" }
            if unreadable == 0 && shipped == saved.clips { return Library(directory: directory, entries: entries) }
            logger?.warning(
                "the database's catalog does not match the library's files; they are read and written through again",
                metadata: ["expected": "\(saved.clips)", "found": "\(shipped)", "unreadable": "\(unreadable)"])
            distrusted = true
        }
        let shipped = try Library.load(directory: directory)
        let library = try await catalog(shipped: shipped, store: store, force: distrusted)
        // Saved only once the files' clips are all written through; computed before they were read,
        // so a file changed meanwhile only makes the next start read them again.
        if let fingerprint {
            try await store.saveState(catalogSourceKey, CatalogSource(fingerprint: fingerprint, clips: shipped.clips.count))
        }
        return library
    }

    /// The shipped library written through to the database's catalog, with the imported clips added.
    /// - Parameter force: write through even if the clips are those last written (rows were lost).
    static func catalog(shipped: Library, store: Store, force: Bool = false) async throws(StoreError) -> Library {
        // Written through only when the shipped files changed: with ten thousand clips, rewriting
        // them at every start would cost more than the rest of start-up.
        let fingerprint = Library.cacheKey(shipped.clips.values.map(\.stableDescription).sorted().joined(separator: "\n"))
        let written = try store.state("catalog.fingerprint", as: String.self)
        if force || written != fingerprint {
            try await store.syncShipped(Array(shipped.clips.values))
            try await store.saveState("catalog.fingerprint", fingerprint)
        }
        var library = shipped
        for entry in try store.importedClips() { library.add(entry.clip) }
        return library
    }

    /// Runs until SIGTERM or SIGINT.
    /// - Throws: when the config, the data directory or the database cannot be used: nothing starts then.
    public static func run(configPath: String, logger baseLogger: Logger) async throws {
        let config = try StationConfig.load(path: configPath)
        let logger = {
            var logger = baseLogger
            logger.logLevel = config.logLevel
            return logger
        }()
        // Checked before any device or database is touched: a second daemon must change nothing.
        if ControlServer.someoneListens(at: config.controlSocket) {
            throw ControlError("another carillond is already serving \(config.controlSocket)")
        }
        do {
            try FileManager.default.createDirectory(atPath: config.dataDirectory, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(
                atPath: (config.controlSocket as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        } catch {
            throw ControlError("cannot create \(config.dataDirectory): \(error.localizedDescription)")
        }
        let staged = config.dataDirectory + "/restore.sqlite"
        if try Store.applyStagedRestore(staged, database: config.databasePath) {
            logger.notice("database restored from a backup", metadata: ["path": "\(config.databasePath)"])
        }
        let store = try Store.open(path: config.databasePath)
        let library = try await catalog(directory: config.libraryDirectory, store: store, logger: logger)
        sweepDataDirectory(config: config, library: library, logger: logger)
        let fromFile = try loadScheduleFile(config: config, library: library)
        let plans = try loadPlans(config: config, library: library, store: store, logger: logger)

        let notifier = SystemdNotifier.fromEnvironment()
        let events = AudioEventQueue()
        let engine = AudioEngine(
            outputs: config.outputs, zones: config.declaredZones, onEvent: { events.push($0) },
            watchdog: notifier.flatMap { n in n.watchdogInterval.map { ($0, { n.notify("WATCHDOG=1") }) } })
        let renderer = Renderer(
            cacheDirectory: config.dataDirectory + "/cache", loudnessTarget: config.loudnessTarget,
            speech: config.speech,
            report: { [logger] problem in
                logger.warning("external voice failed", metadata: ["problem": "\(problem)"])
            })
        let station = try Station(
            config: config, library: library, engine: engine, store: store, renderer: renderer, logger: logger)
        await station.setPlans(plans)

        // The schedule in force: the higher version of the config's file and the last one applied.
        var schedule = fromFile?.0
        var scheduleText = fromFile?.1 ?? ""
        var scheduleSource = config.scheduleFile ?? ""
        if let applied = try store.currentSchedule() {
            // The file wins only above every version held: a rolled-back version is not taken up again.
            if let file = fromFile, file.0.version > (try store.versionFloor()) {
                try await store.applySchedule(version: file.0.version, text: file.1, source: scheduleSource)
            } else {
                do {
                    schedule = try Schedule.parse(
                        Array(applied.text.utf8), file: "schedule v\(applied.version)",
                        context: Station.scheduleContext(config: config, library: library))
                    scheduleText = applied.text
                    scheduleSource = applied.source
                } catch {
                    logger.error("the applied schedule no longer checks; the file's is used", metadata: ["errors": "\(error)"])
                }
            }
        } else if let file = fromFile {
            try await store.applySchedule(version: file.0.version, text: file.1, source: scheduleSource)
        }
        let timer = try WakeTimer()
        try await station.startSchedule(schedule, text: scheduleText, source: scheduleSource, timer: timer)
        let announceTimer = try WakeTimer()
        let desk = try AnnouncementDesk(
            station: station, store: store, renderer: renderer, logger: logger, timer: announceTimer)

        let readiness = Readiness(waitingFor: config.web == nil ? [.control, .signals] : [.control, .signals, .web]) { [logger] in
            notifier?.notify("READY=1\nSTATUS=ready")
            logger.notice(
                "carillond ready",
                metadata: ["version": "\(Station.version)", "clips": "\(library.clips.count)", "socket": "\(config.controlSocket)"])
        }
        let access = AccessControl(config.control.access)
        // One limiter for TCP's `auth` and the console's sign-ins: failures from an address add up.
        let limiter = LoginLimiter(maxFailures: config.control.maxFailedLogins, window: config.control.failedLoginWindow)
        let server = ControlServer(
            unix: config.control.unix, tcp: config.control.tcp, commands: Commands.table(station: station, announcements: desk),
            audit: { peer, command, arguments, result in
                await station.audit(peer, command: command, arguments: arguments, result: result)
            },
            access: access,
            limiter: limiter,
            logger: logger)
        let (warmups, warm) = AsyncStream.makeStream(of: Library.self, bufferingPolicy: .bufferingNewest(1))
        warm.yield(library)
        let (planResumed, resumed) = AsyncStream.makeStream(of: Void.self)
        let (webPlanResumed, webResumed) = AsyncStream.makeStream(of: Void.self)
        let reload: @Sendable () async -> Void = {
            do {
                let new = try StationConfig.load(path: configPath)
                // The listener keeps the certificate it loaded, but a restart would need these files.
                if let tcp = new.control.tcp { try ControlServer.checkTLS(tcp) }
                if let tls = new.web?.tls { try WebServer.checkTLS(tls) }
                let newLibrary = try await catalog(directory: new.libraryDirectory, store: store, logger: logger)
                // The schedule file is checked against the new config and library before anything changes.
                let newSchedule = try loadScheduleFile(config: new, library: newLibrary)
                let newPlans = try loadPlans(config: new, library: newLibrary, store: store, logger: logger)
                try await station.checkReload(new)
                await station.reload(new, library: newLibrary)
                await station.setPlans(newPlans)
                // Roles and tokens change at once; a connection already authenticated keeps its identity.
                access.update(new.control.access)
                warm.yield(newLibrary)
                if let (schedule, text) = newSchedule {
                    await station.adoptScheduleFile(schedule, text: text, source: new.scheduleFile ?? "")
                }
                // The old config and library are given back after the warmer's pass (CacheWarmer).
            } catch {
                await station.reloadRefused("\(error)")
            }
        }
        // Start order is dependency order; shutdown runs in reverse: signals, control, events, audio.
        // Named, because ServiceLifecycle otherwise describes each service by reflection at start.
        // Optional and last to start: a metrics port in use is logged, and the rest goes on.
        let metrics = config.metricsListen.map { listen in
            ServiceGroupConfiguration.ServiceConfiguration(
                service: MetricsService(
                    server: MetricsServer(host: listen.host, port: listen.port, logger: logger) { await station.metricsText().text },
                    logger: logger),
                successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore, serviceName: "metrics")
        }
        // The city link, when `[city]` is set: the command table is its only way into the daemon.
        let city = config.city.flatMap { city in config.bureau.map { (city, $0) } }.map { city, bureau in
            let monitor = CityLinkMonitor(
                broker: city.broker, school: bureau.school, district: city.district,
                publish: { [events = station.events] event in events.publish(event) })
            let dispatcher = Dispatcher(Commands.table(station: station, announcements: desk)) { peer, command, arguments, result in
                await station.audit(peer, command: command, arguments: arguments, result: result)
            }
            let link = CityLink(
                settings: .init(
                    broker: city.broker, school: bureau.school, district: city.district, version: Station.version,
                    fetchDelay: .seconds(city.bundleDelay), fetchCA: city.bundleCA),
                dispatcher: dispatcher, monitor: monitor, logger: logger)
            return (monitor, ServiceGroupConfiguration.ServiceConfiguration(service: link, serviceName: "city"))
        }
        await station.setCityLink(city?.0)
        // The console, when `[web]` is set: the command table is its only way into the daemon.
        station.roster.configure(
            config.web.map { .init(publicURL: $0.publicURL, sessionIdle: $0.sessionIdle, sessionLifetime: $0.sessionLifetime) })
        let web = config.web.map { settings in
            let dispatcher = Dispatcher(Commands.table(station: station, announcements: desk)) { peer, command, arguments, result in
                await station.audit(peer, command: command, arguments: arguments, result: result)
            }
            return ServiceGroupConfiguration.ServiceConfiguration(
                service: WebService(
                    server: { onListening in
                        WebServer(settings: settings, dispatcher: dispatcher, limiter: limiter, logger: logger, onListening: onListening)
                    }, readiness: readiness, planResumed: webPlanResumed, logger: logger),
                successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore, serviceName: "web")
        }
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: AudioService(engine: engine), serviceName: "audio"),
                    .init(service: EventPump(station: station, events: events), serviceName: "events"),
                    .init(
                        service: CacheWarmer(
                            requests: warmups, renderer: renderer, station: station,
                            logger: logger, planResumed: [resumed, webResumed]),
                        serviceName: "cache-warmer"),
                    .init(service: SchedulerService(station: station, timer: timer), serviceName: "scheduler"),
                    .init(service: AnnouncementService(desk: desk, timer: announceTimer), serviceName: "announcements"),
                    .init(service: ControlService(server: server, readiness: readiness, planResumed: planResumed), serviceName: "control"),
                    .init(service: SignalService(readiness: readiness, notifier: notifier, reload: reload), serviceName: "signals"),
                ] + (city.map { [$0.1] } ?? []) + (web.map { [$0] } ?? []) + (metrics.map { [$0] } ?? []),
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
    }
}
