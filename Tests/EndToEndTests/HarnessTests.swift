import CarillonTesting
import Testing

@Suite("The test harness", .ownThread)
struct HarnessTests {
    static func queueLabel() -> String { OwnThread.currentQueue ?? "the cooperative pool" }

    @Test("an .ownThread suite's async test runs on its own queue, before and after a suspension")
    func asyncOffPool() async {
        #expect(Self.queueLabel().hasPrefix("test: "), "on \(Self.queueLabel())")
        await Task.yield()
        #expect(Self.queueLabel().hasPrefix("test: "), "on \(Self.queueLabel())")
    }

    @Test("an .ownThread suite's synchronous test runs on its own queue")
    func syncOffPool() {
        #expect(Self.queueLabel().hasPrefix("test: "), "on \(Self.queueLabel())")
    }
}
