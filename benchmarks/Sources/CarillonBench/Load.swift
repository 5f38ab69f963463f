import CarillonTesting
import Foundation
import Glibc
import Synchronization

/// Clients that send malformed requests as fast as they are answered, reconnecting when the
/// daemon closes on them, until stopped.
final class Flood: @unchecked Sendable {
    /// Bad lines of several kinds; every 50th request is a 70 kB line, over both daemons' limits.
    static let lines = [
        "this is not json", "{\"cmd\":42}", "{\"id\":1,\"cmd\":\"play\",\"args\":{\"clip\":7}}", "{\"cmd\":\"sing\"}",
        "\"unterminated", "[1,2,3]",
    ]
    static let huge = String(repeating: "x", count: 70_000)

    private let running = Atomic<Bool>(true)
    private let answered = Atomic<Int>(0)
    private let finished = DispatchGroup()
    private let started = monotonic()

    init(socket: String, clients: Int) {
        for client in 0..<clients {
            finished.enter()
            let thread = Thread { [self] in
                defer { finished.leave() }
                var i = client
                while running.load(ordering: .relaxed) {
                    guard let connection = try? LineSocket(path: socket) else {
                        usleep(1000)
                        continue
                    }
                    while running.load(ordering: .relaxed) {
                        i += 1
                        let line = i % 50 == 0 ? Self.huge : Self.lines[i % Self.lines.count]
                        guard (try? connection.send(line)) != nil, (try? connection.readLine()) ?? nil != nil else { break }
                        answered.add(1, ordering: .relaxed)
                    }
                }
            }
            thread.start()
        }
    }

    /// Stops every client; returns the rate of answered bad requests.
    func stop() -> Double {
        running.store(false, ordering: .relaxed)
        finished.wait()
        return Double(answered.load(ordering: .relaxed)) / (Double(monotonic() - started) / 1e9)
    }
}

/// `clients` connections each sending `requests` requests one after the other, all at once.
/// Returns every request's latency (ms) and the requests answered per second.
func requestLoad(socket: String, clients: Int, requests: Int, request: String, isLast: @escaping @Sendable (String) -> Bool)
    throws -> (latencies: [Double], perSecond: Double)
{
    let results = Mutex<[Double]>([])
    let failures = Mutex<[String]>([])
    let ready = Atomic<Int>(0)
    let go = Atomic<Bool>(false)
    let finished = DispatchGroup()
    for _ in 0..<clients {
        finished.enter()
        let thread = Thread {
            defer { finished.leave() }
            do {
                let connection = try LineSocket(path: socket)
                func ask() throws {
                    try connection.send(request)
                    while let line = try connection.readLine() {
                        if isLast(line) { return }
                    }
                    throw HarnessError("closed")
                }
                try ask()  // warm-up: the connection is set up before the clock starts
                ready.add(1, ordering: .relaxed)
                while !go.load(ordering: .acquiring) { usleep(100) }
                var mine: [Double] = []
                mine.reserveCapacity(requests)
                for _ in 0..<requests {
                    let t0 = monotonic()
                    try ask()
                    mine.append(milliseconds(from: t0, to: monotonic()))
                }
                results.withLock { $0 += mine }
            } catch {
                ready.add(1, ordering: .relaxed)
                failures.withLock { $0.append("\(error)") }
            }
        }
        thread.start()
    }
    while ready.load(ordering: .relaxed) < clients { usleep(1000) }
    let t0 = monotonic()
    go.store(true, ordering: .releasing)
    finished.wait()
    let seconds = Double(monotonic() - t0) / 1e9
    if let failure = failures.withLock({ $0.first }) { throw HarnessError("a client failed: \(failure)") }
    let latencies = results.withLock { $0 }
    return (latencies, Double(latencies.count) / seconds)
}
