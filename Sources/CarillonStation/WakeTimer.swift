import CarillonCore
import Foundation
import CLinux
import Glibc

/// Why the scheduler woke.
enum Wake: Sendable, Equatable {
    /// The deadline it was armed for came.
    case deadline
    /// The wall clock was set (a step, not a slew): everything must be recomputed at once.
    case clockChanged
    /// Someone asked: a new schedule, a restart of the loop.
    case poked
}

/// A wall-clock alarm that also notices clock steps, on a timerfd with `TFD_TIMER_CANCEL_ON_SET`.
/// The blocking read runs on a thread of its own, never on the Swift concurrency pool.
final class WakeTimer: @unchecked Sendable {
    private let fd: Int32
    private let wakes: AsyncStream<Wake>.Continuation
    /// Wakes, in order; the scheduler awaits the next one.
    let stream: AsyncStream<Wake>

    init() throws {
        fd = timerfd_create(CLOCK_REALTIME, Int32(TFD_CLOEXEC))
        guard fd >= 0 else { throw TimerError("timerfd_create failed: \(String(cString: strerror(errno)))") }
        (stream, wakes) = AsyncStream.makeStream(of: Wake.self, bufferingPolicy: .bufferingNewest(4))
        Thread.start(named: "carillon-timer") { [fd, wakes] in
            var expirations: UInt64 = 0
            while true {
                let n = read(fd, &expirations, 8)
                if n == 8 {
                    wakes.yield(.deadline)
                } else if n < 0 && errno == ECANCELED {
                    wakes.yield(.clockChanged)
                } else if n < 0 && errno == EINTR {
                    continue
                } else {
                    wakes.finish()
                    return
                }
            }
        }
    }

    /// Arms the alarm for a wall-clock instant; a step of the clock before then wakes it early.
    func arm(at instant: Date) {
        let seconds = max(instant.timeIntervalSince1970, 1e-9)
        _ = carillon_timerfd_arm_wall(fd, Int64(seconds), Int((seconds - Double(Int(seconds))) * 1e9))
    }

    /// Wakes the scheduler now.
    func poke() { wakes.yield(.poked) }
}

/// A failure to set up the scheduler's timer.
struct TimerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
