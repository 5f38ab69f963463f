@testable import CarillonStation
import Foundation
import Glibc
import Synchronization
import Testing

/// The speech render runs at SCHED_IDLE on a thread of its own, and the pool keeps its policy.
@Suite("Idle priority")
struct IdlePriorityTests {
    @Test("work handed to atIdlePriority runs at SCHED_IDLE, on a thread that is not the caller's")
    func idle() async {
        let callerPolicy = sched_getscheduler(0)
        let (policy, name) = await atIdlePriority { () -> (Int32, String) in
            let comm = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
            return (sched_getscheduler(0), comm.trimmingCharacters(in: .newlines))
        }
        // SCHED_IDLE is 5 on Linux (sched.h defines it only under _GNU_SOURCE).
        #expect(policy == 5)
        #expect(name == "carillon-idle")
        #expect(sched_getscheduler(0) == callerPolicy, "the caller's thread keeps its policy")
        #expect(idlePriorityRefused.load(ordering: .relaxed) == 0)
    }
}
