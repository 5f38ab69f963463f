import CarillonCore
import Foundation
import Testing

@Suite("Named threads")
struct NamedThreadTests {
    /// What the kernel calls the thread that runs `body`.
    private func comm(named name: String) async -> String {
        await withCheckedContinuation { continuation in
            Thread.start(named: name) {
                let comm = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
                continuation.resume(returning: comm.trimmingCharacters(in: .newlines))
            }
        }
    }

    @Test("the kernel has the name; one over 15 bytes is cut on a character boundary, never refused")
    func names() async {
        let names = [await comm(named: "carillon-feeder"), await comm(named: "out-教学楼广播"), await comm(named: "carillon-scheduler-timer")]
        #expect(names == ["carillon-feeder", "out-教学楼", "carillon-schedu"])
    }
}
