import CarillonAudio
import CarillonControl
import CarillonCore
import CarillonProtocol
import CLinux
import CarillonWeb
import Dispatch
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

/// Runs the audio engine's threads for the life of the daemon; it stops last, so audio drains last.
struct AudioService: Service {
    let engine: AudioEngine

    func run() async throws {
        engine.start()
        defer { engine.shutdown() }
        try? await gracefulShutdown()
    }
}

/// The engine's reports, queued as the audio threads make them and taken in batches.
///
/// Batches, because the Station is an actor shared with every client: one report per turn waited
/// behind all of their requests each time, and under hundreds of clients the reports fell minutes
/// behind the sound. Whatever piled up during one turn is handled in the next.
final class AudioEventQueue: Sendable {
    private let pending = Mutex<[AudioEvent]>([])
    let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    init() {
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Called on the audio threads: a short lock, never a wait.
    func push(_ event: AudioEvent) {
        pending.withLock { $0.append(event) }
        wake.yield()
    }

    /// Every report queued so far, in order.
    func take() -> [AudioEvent] {
        pending.withLock { pending in
            defer { pending.removeAll(keepingCapacity: true) }
            return pending
        }
    }
}

/// Feeds the engine's reports to the Station, in order.
struct EventPump: Service {
    let station: Station
    let events: AudioEventQueue

    func run() async throws {
        await atHighPriority { [events, station] in
            for await _ in events.wakeups.cancelOnGracefulShutdown() {
                let batch = events.take()
                if !batch.isEmpty { await station.handle(batch) }
            }
            // What the last reports left to write reaches the database before the daemon exits.
            await station.flushWrites()
        }
    }
}

/// Runs `body` at high priority, cancelled with the caller. The Station's actor runs its waiting
/// jobs highest priority first, so the engine's reports, the bells and emergencies go ahead of
/// the requests that hundreds of clients may have queued there (measured under the load test: a
/// zone was released 0.4 s after its sound ended on average, 2.2 s at worst; at high priority, at once).
func atHighPriority(_ body: @escaping @Sendable () async -> Void) async {
    let task = Task(priority: .high, operation: body)
    await withTaskCancellationHandler { await task.value } onCancel: { task.cancel() }
}

/// The UNIX control socket.
struct ControlService: Service {
    let server: ControlServer
    let readiness: Readiness
    /// Ends once a plan that ran when the daemon died runs again: until then no request is served,
    /// so `plan.status` never answers "none" for it, and a `plan.start` or `plan.stop` sent at once
    /// is not undone by the resume that follows it.
    let planResumed: AsyncStream<Void>

    func run() async throws {
        for await _ in planResumed {}
        do {
            try await cancelWhenGracefulShutdown {
                try await server.run { await readiness.ready(.control) }
            }
        } catch is CancellationError {
            // Graceful shutdown: the socket is closed and its file removed.
        }
    }
}

/// `GET /metrics` over HTTP, when `[metrics] listen` is set. Its failure (a port in use) is logged
/// and leaves the rest of the daemon running: monitoring must not silence the bells.
struct MetricsService: Service {
    let server: MetricsServer
    let logger: Logger

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown { try await server.run() }
        } catch is CancellationError {
        } catch {
            logger.error("metrics not served", metadata: ["error": "\(error)"])
        }
    }
}

/// SIGHUP reloads the config; graceful shutdown is announced to systemd as STOPPING=1.
struct SignalService: Service {
    let readiness: Readiness
    let notifier: SystemdNotifier?
    let reload: @Sendable () async -> Void

    func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        await readiness.ready(.signals)
        await withGracefulShutdownHandler {
            for await _ in hangups.cancelOnGracefulShutdown() {
                notifier?.notify("RELOADING=1")
                await reload()
                notifier?.notify("READY=1")
            }
        } onGracefulShutdown: {
            notifier?.notify("STOPPING=1")
        }
    }
}

/// Renders the synthesized clips into the cache after start and after each reload, on a thread of
/// its own: rendering is CPU work that must not hold up the control socket or a play.
struct CacheWarmer: Service {
    let requests: AsyncStream<Library>
    let renderer: Renderer
    let station: Station
    let logger: Logger
    /// Finished once the plan, if any, has been resumed: the control socket and the console open then.
    let planResumed: [AsyncStream<Void>.Continuation]

    func run() async throws {
        // A plan that ran when the daemon died sounds again first of all: its own alarm, decoded
        // on the spot (a plan without one, its own messages), until its whole cycle is decoded.
        await station.resumePlan()
        for resumed in planResumed { resumed.finish() }
        // A first start renders a thousand spoken clips for minutes: a stop must not wait for it
        // (systemd kills a service that takes longer than TimeoutStopSec). The render stops between
        // two clips; the rest render at the next start.
        let stopping = Atomic<Bool>(false)
        await withGracefulShutdownHandler {
            for await library in requests.cancelOnGracefulShutdown() {
                // Alarms first: an emergency must not wait for six hundred tips to render.
                let alarms = await offPool { library.decodeAlarms(sampleRate: 48000, renderer: renderer) }
                await station.setEmergencyAudio(alarms.audio, failures: alarms.failures)
                await station.preparePlans()
                if await station.hasCityLink { await station.prepareCountdown() }
                await station.pruneShoutRecordings()
                let started = ContinuousClock.now
                let failures = await atIdlePriority {
                    library.renderAll(renderer: renderer, shouldStop: { stopping.load(ordering: .relaxed) })
                }
                for failure in failures {
                    logger.error("cannot render clip", metadata: ["clip": "\(failure.clip)", "error": "\(failure.error)"])
                }
                // When a first start's render is over, and how long it took: operators and the bench
                // (first-start render, docs/BENCHMARKS.md) read it here.
                if !stopping.load(ordering: .relaxed) {
                    let elapsed = ContinuousClock.now - started
                    logger.notice(
                        "cache warmed",
                        metadata: [
                            "clips": "\(library.renderedClipCount)", "failures": "\(failures.count)",
                            "seconds": "\(String(format: "%.1f", Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18))",
                        ])
                }
                let refused = idlePriorityRefused.exchange(0, ordering: .relaxed)
                if refused != 0 {
                    logger.warning(
                        "rendered at normal priority: SCHED_IDLE was refused",
                        metadata: ["errno": "\(refused)", "error": "\(String(cString: strerror(refused)))"])
                }
                // The pass decoded alarms and rendered speech: malloc would keep what they freed. In
                // the hour soak, trimmed at the reload before the pass, RssAnon rose 600–800 KiB in the
                // 80 s after it and stayed until the next reload.
                Daemon.releaseFreedMemory()
            }
        } onGracefulShutdown: {
            stopping.store(true, ordering: .relaxed)
        }
    }
}

/// Runs blocking work on a dispatch queue, so it never holds one of the pool's two threads.
func offPool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        DispatchQueue.global(qos: .utility).async { continuation.resume(returning: work()) }
    }
}

/// Runs long background work (rendering the library's speech) on a thread of its own at
/// SCHED_IDLE: it has the CPU only when nothing else wants it, so a bell, a plan or a request is
/// never behind it on a small box. Its own thread, since a pool thread could not return to
/// SCHED_OTHER without privilege (sched(7)) and would run later work, alarms included, at idle.
/// Where the policy is refused (a seccomp filter without `sched_setscheduler`), it runs as is.
func atIdlePriority<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread.start(named: "carillon-idle") {
            let refused = carillon_thread_idle_priority()
            if refused != 0 { idlePriorityRefused.store(refused, ordering: .relaxed) }
            continuation.resume(returning: work())
        }
    }
}

/// The errno of the last refused `atIdlePriority`, 0 if none was: for the log and the tests.
let idlePriorityRefused = Atomic<Int32>(0)

/// `offPool` for audio work that can fail: decoding, rendering, measuring.
func offPoolThrowing<T: Sendable>(_ work: @escaping @Sendable () throws(AudioError) -> T) async throws(AudioError) -> T {
    try await offPool { () -> Result<T, AudioError> in
        do throws(AudioError) { return .success(try work()) } catch { return .failure(error) }
    }.get()
}

/// Wakes at each event's instant, and at once when the wall clock is set, and lets the Station
/// decide what to sound. Sleeps in between: no polling.
struct SchedulerService: Service {
    let station: Station
    let timer: WakeTimer

    func run() async throws {
        await wakeLoop(timer) { [station] in await station.schedulerStep(now: Date()) }
    }
}

/// Runs `step` at once and then at each wake of `timer`, arming it for the instant `step` returns,
/// at high priority, until graceful shutdown.
func wakeLoop(_ timer: WakeTimer, step: @escaping @Sendable () async -> Date) async {
    await atHighPriority {
        var wakes = timer.stream.cancelOnGracefulShutdown().makeAsyncIterator()
        repeat {
            timer.arm(at: await step())
        } while await wakes.next() != nil
    }
}

/// Plays booked announcements at their time (`AnnouncementDesk`), on a timer of its own.
struct AnnouncementService: Service {
    let desk: AnnouncementDesk
    let timer: WakeTimer

    func run() async throws {
        // Woken when the next one is due, when the clock is set, and when a booking or a cancel pokes it.
        await wakeLoop(timer) { [desk] in await desk.step() }
    }
}

/// The phone console, when `[web] listen` is set. Like the control socket it opens once a plan
/// that ran when the daemon died runs again. A console that cannot listen (a port in use, a bad
/// certificate) is logged and leaves the rest of the daemon running: the bells come first.
struct WebService: Service {
    let server: @Sendable (_ onListening: @escaping @Sendable (Int) async -> Void) -> WebServer
    let readiness: Readiness
    let planResumed: AsyncStream<Void>
    let logger: Logger

    func run() async throws {
        for await _ in planResumed {}
        do {
            try await server { _ in await readiness.ready(.web) }.run()
        } catch {
            logger.error("console not served", metadata: ["error": "\(error)"])
            await readiness.ready(.web)
        }
    }
}
