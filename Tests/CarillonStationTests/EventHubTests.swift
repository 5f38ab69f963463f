import CarillonProtocol
@testable import CarillonStation
import Synchronization
import Testing

@Suite("Event fan-out")
struct EventHubTests {
    @Test("subscribers get the events of their kinds, in order")
    func filtering() async {
        let hub = EventHub()
        let (_, plays) = hub.subscribe(kinds: ["play."]) {}
        let (_, all) = hub.subscribe(kinds: []) {}
        for name in ["play.started", "output.fault", "play.ended"] { hub.publish(Event(event: name)) }
        hub.unsubscribe(1)
        hub.unsubscribe(2)
        var seen: [String] = []
        for await event in plays { seen.append(event.event) }
        #expect(seen == ["play.started", "play.ended"])
        seen = []
        for await event in all { seen.append(event.event) }
        #expect(seen == ["play.started", "output.fault", "play.ended"])
    }

    @Test("a subscriber that falls behind is dropped once; publishing never waits and others go on")
    func slowSubscriberDropped() async {
        let hub = EventHub()
        let drops = Mutex(0)
        let (_, slow) = hub.subscribe(kinds: []) { drops.withLock { $0 += 1 } }
        let (_, other) = hub.subscribe(kinds: ["keep"]) {}
        for i in 0..<(EventHub.queueLimit + 50) { hub.publish(Event(event: "flood.\(i)")) }
        hub.publish(Event(event: "keep"))
        #expect(drops.withLock { $0 } == 1)
        #expect(hub.count == 1, "only the dropped subscriber is gone")
        var received = 0
        for await _ in slow { received += 1 }
        #expect(received == EventHub.queueLimit, "it keeps what was queued, then its stream ends")
        var iterator = other.makeAsyncIterator()
        #expect(await iterator.next()?.event == "keep")
    }
}
