import CarillonAudio
import CarillonProtocol
@testable import CarillonStation
import CarillonStore
import Logging
import Synchronization
import Testing

@Suite("Write-behind and the engine's report queue")
struct WriteBehindTests {
    @Test("writes run one at a time, in the order queued, and flush waits for all of them")
    func orderAndFlush() async {
        let health = StorageHealth(events: EventHub(), logger: Logger(label: "test"))
        let writes = WriteBehind(storage: health)
        let done = Mutex<[Int]>([])
        let running = Mutex(0)
        let overlapped = Mutex(false)
        for index in 0..<200 {
            writes.enqueue { () throws(StoreError) in
                running.withLock { $0 += 1; if $0 > 1 { overlapped.withLock { $0 = true } } }
                // A suspension inside a write: the next one must still wait for it.
                if index % 7 == 0 { await Task.yield() }
                done.withLock { $0.append(index) }
                running.withLock { $0 -= 1 }
            }
        }
        await writes.flush()
        #expect(done.withLock { $0 } == Array(0..<200))
        #expect(!overlapped.withLock { $0 })
        #expect(health.info.state == "ok" && health.info.failedWrites == 0)
    }

    @Test("a failed write is counted against the storage and the writes after it still run")
    func failureReported() async {
        let health = StorageHealth(events: EventHub(), logger: Logger(label: "test"), settle: .zero)
        let writes = WriteBehind(storage: health)
        let ran = Mutex(0)
        writes.enqueue { () throws(StoreError) in throw StoreError("database or disk is full") }
        await writes.flush()
        #expect(health.info.state == "failing" && health.info.failedWrites == 1)
        #expect(health.info.lastError == "play log write failed: database or disk is full")
        writes.enqueue { () throws(StoreError) in ran.withLock { $0 += 1 } }
        await writes.flush()
        #expect(ran.withLock { $0 } == 1)
        #expect(health.info.state == "ok" && health.info.failedWrites == 1)
    }

    @Test("the engine's reports are taken in order, all that piled up at once, and a wake-up is never lost")
    func reportQueue() async {
        let queue = AudioEventQueue()
        #expect(queue.take().isEmpty)
        for play in 1...50 { queue.push(.xrun(output: "o\(play)")) }
        let batch = queue.take()
        #expect(batch == (1...50).map { AudioEvent.xrun(output: "o\($0)") })
        #expect(queue.take().isEmpty)

        // Pushed from another thread while the consumer waits: each push is taken after a wake-up.
        let pusher = Task.detached {
            for play in 1...1000 { queue.push(.xrun(output: "p\(play)")) }
        }
        var taken: [AudioEvent] = []
        var iterator = queue.wakeups.makeAsyncIterator()
        while taken.count < 1000, await iterator.next() != nil { taken += queue.take() }
        await pusher.value
        #expect(taken == (1...1000).map { AudioEvent.xrun(output: "p\($0)") })
    }
}
