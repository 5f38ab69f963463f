import CarillonCore
import Dispatch
import Foundation
import Synchronization

/// The thread that decodes ahead: it keeps every voice's ring topped up, so that no output thread
/// ever waits on the disk or a decoder.
final class Feeder: @unchecked Sendable {
    private let voices = Mutex<[Voice]>([])
    private let wake = DispatchSemaphore(value: 0)
    private let running = Atomic<Bool>(true)
    private let done = DispatchSemaphore(value: 0)
    private let scratchFrames = 4096
    /// How often the feeder looks at the rings while anything plays, besides when an output nudges
    /// it (a ring below a quarter full, half a second of audio). Rings hold 2 s: one second is ample.
    private let interval: DispatchTimeInterval = .seconds(1)

    func start() {
        Thread.start(named: "carillon-feeder") { [self] in run() }
    }

    func shutdown() {
        running.store(false, ordering: .relaxed)
        wake.signal()
        done.wait()
    }

    /// Takes over a voice whose ring was prefilled.
    func add(_ voice: Voice) {
        voices.withLock { $0.append(voice) }
        wake.signal()
    }

    /// Asks for a top-up soon; cheap enough to call from an output thread.
    func nudge() { wake.signal() }

    private func run() {
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: scratchFrames * 8)
        defer {
            scratch.deallocate()
            done.signal()
        }
        while running.load(ordering: .relaxed) {
            let active = voices.withLock { $0 }
            if active.isEmpty {
                wake.wait()
                continue
            }
            var finished: [ObjectIdentifier] = []
            for voice in active {
                let more = voice.stopRequested.load(ordering: .relaxed)
                    ? false : voice.fill(scratch: scratch, scratchFrames: scratchFrames)
                if !more { finished.append(ObjectIdentifier(voice)) }
            }
            if !finished.isEmpty {
                voices.withLock { list in list.removeAll { finished.contains(ObjectIdentifier($0)) } }
            }
            _ = wake.wait(timeout: .now() + interval)
        }
    }
}
