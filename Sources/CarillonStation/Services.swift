import CarillonAudio
import CarillonControl
import CarillonProtocol
import Dispatch
import Foundation
import Logging
import ServiceLifecycle
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

/// Feeds the engine's reports to the Station, in order.
struct EventPump: Service {
    let station: Station
    let events: AsyncStream<AudioEvent>

    func run() async throws {
        for await event in events.cancelOnGracefulShutdown() {
            await station.handle(event)
        }
    }
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
    /// Finished once the plan, if any, has been resumed: the control socket opens then.
    let planResumed: AsyncStream<Void>.Continuation

    func run() async throws {
        // A plan that ran when the daemon died sounds again first of all: with the synthesized
        // alarm, which is in memory from the start, until its own audio is decoded.
        await station.resumePlan()
        planResumed.finish()
        for await library in requests.cancelOnGracefulShutdown() {
            // Alarms first: an emergency must not wait for six hundred tips to render.
            let alarms = await offPool { library.decodeAlarms(sampleRate: 48000, renderer: renderer) }
            await station.setEmergencyAudio(alarms.audio, failures: alarms.failures)
            await station.preparePlans()
            let failures = await offPool { library.renderAll(renderer: renderer) }
            for failure in failures {
                logger.error("cannot render clip", metadata: ["clip": "\(failure.clip)", "error": "\(failure.error)"])
            }
        }
    }
}

/// Runs blocking work on a dispatch queue, so it never holds one of the pool's two threads.
func offPool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        DispatchQueue.global(qos: .utility).async { continuation.resume(returning: work()) }
    }
}

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
        var wakes = timer.stream.cancelOnGracefulShutdown().makeAsyncIterator()
        repeat {
            let next = await station.schedulerStep(now: Date())
            timer.arm(at: next)
        } while await wakes.next() != nil
    }
}
