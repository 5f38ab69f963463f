@_spi(Fuzzing) @testable import CarillonControl
import CarillonProtocol
import CarillonTesting
import Dispatch
import Foundation
import Glibc
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// Issue 23's lane, without timing: lines that cannot be requests are answered on the event loop
/// and never reach the connection's task; a connection past its bad-line budget waits; a connection
/// that pipelines a flood is read in bounded turns; an emergency request runs ahead of ordinary
/// ones waiting on the same loop. Ordering is made certain by holding the one event loop with a
/// gate while the clients' bytes arrive. The clients block their thread: each test runs on one of
/// its own, off the cooperative pool that the servers' tasks need.
@Suite("The emergency lane: cheap refusals, the bad-line budget, fair reads, emergencies first", .serialized, .ownThread)
struct LaneTests {
    // MARK: Reading a line

    @Test("a line is object-shaped only if it begins with `{` and ends with `}`, whitespace aside")
    func objectShape() {
        func shaped(_ text: String) -> Bool { Array(text.utf8).withUnsafeBytes(RequestTriage.isObjectShaped) }
        for good in ["{}", #"{"cmd":"status"}"#, " \t{\"cmd\":1} \r", "{not json}"] { #expect(shaped(good), "\(good)") }
        for bad in ["", " ", "{", "}", "this is not json", "[1,2,3]", #""unterminated"#, "42", "null", #"{"cmd":"x"} x"#] {
            #expect(!shaped(bad), "\(bad)")
        }
    }

    @Test("the command name is read from the top level only, past other members of any shape")
    func commandName() {
        func name(_ text: String) -> String? { Array(text.utf8).withUnsafeBytes(RequestTriage.commandName) }
        #expect(name(#"{"cmd":"status"}"#) == "status")
        #expect(name(#"{"id":7,"cmd":"plan.start","args":{"plan":"fire"}}"#) == "plan.start")
        #expect(name(#" { "id" : "a,}" , "args" : {"cmd":"status","x":[1,{"y":"\""}]} , "cmd" : "plan.start" } "#) == "plan.start")
        #expect(name(#"{"args":{"cmd":"plan.start"}}"#) == nil)
        #expect(name(#"{"cmd":42}"#) == nil)
        #expect(name(#"{"cmd":"plan\u002estart"}"#) == nil)
        #expect(name("this is not json") == nil)
        #expect(name(#"{"id":1,"#) == nil)
    }

    // MARK: The bad-line budget

    @Test("the budget: a burst, then one line per refill, never more than the burst in hand")
    func bucket() {
        var bucket = BadLineBucket(BadLineBudget(burst: 3, refill: .milliseconds(100)))
        let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)
        let spent = (0..<3).map { _ in bucket.spend(now: t0) }
        #expect(spent == [false, false, true])
        bucket.refill(now: t0 + .milliseconds(99))
        #expect(bucket.isSpent)
        bucket.refill(now: t0 + .milliseconds(100))
        #expect(bucket.left == 1)
        let spentAgain = bucket.spend(now: t0 + .milliseconds(150))
        #expect(spentAgain)
        // 50 ms of the last 100 were kept: one more line at 200 ms, not at 250.
        bucket.refill(now: t0 + .milliseconds(200))
        #expect(bucket.left == 1)
        bucket.refill(now: t0 + .seconds(60))
        #expect(bucket.left == 3)
    }

    // MARK: Over a bare connection

    /// Lines refused on the event loop, and the lines the connection's task took, over the control
    /// pipeline on one event loop. The task answers `ok` to every line it takes.
    private final class BareServer: Sendable {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let directory: URL
        let path: String
        let taken = Mutex<[String]>([])
        let connections = Mutex<[ServerConnection]>([])
        private let listener: Mutex<(any Channel)?> = Mutex(nil)

        init(budget: BadLineBudget) async throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("carillon-lane-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            path = directory.path + "/lane.sock"
            let channel = try await ServerBootstrap(group: group)
                .childChannelInitializer { [self] channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineFrameDecoder(maxLength: 100)))
                        try channel.pipeline.syncOperations.addHandler(RequestArrivals())
                        let connection = try ServerConnection(wrappingSynchronously: channel, maxLineBytes: 100, badLines: budget)
                        connections.withLock { $0.append(connection) }
                        Task { await serve(connection) }
                    }
                }
                .bind(unixDomainSocketPath: path).get()
            listener.withLock { $0 = channel }
        }

        private func serve(_ connection: ServerConnection) async {
            await withTaskExecutorPreference(LaneExecutor(connection.channel.eventLoop, lane: connection.lane)) {
                while let frame = try? await connection.next(request: true) {
                    guard case .line(let line) = frame else { continue }
                    let text = String(buffer: line)
                    taken.withLock { $0.append(text) }
                    try? await connection.write(ByteBuffer(string: "ok \(text)\n"))
                }
            }
        }

        /// Runs `body` on the event loop, after everything already queued there.
        func onLoop<T: Sendable>(_ body: @escaping @Sendable () -> T) async throws -> T {
            try await group.next().submit(body).get()
        }

        func stop() async throws {
            for connection in connections.withLock({ $0 }) { await connection.close() }
            try await listener.withLock({ $0 })?.close()
            try await group.shutdownGracefully()
            try? FileManager.default.removeItem(at: directory)
        }
    }

    private static let notAnObject = String(decoding: RequestTriage.notAnObject, as: UTF8.self)

    /// A client after one round trip (`{"n":0}`): once `ok` is written, the connection's task is
    /// waiting for the next request (it writes and waits in one turn of the loop), so what follows
    /// arrives while it waits.
    private static func waitingClient(_ server: BareServer) throws -> TestSocket {
        let client = try TestSocket(path: server.path)
        try client.sendAll(Array(#"{"n":0}"#.utf8) + [10])
        #expect(try client.readLine() == #"ok {"n":0}"#)
        return client
    }

    @Test("lines that are not JSON objects, or over the limit, are answered without the connection's task")
    func refusedOnTheLoop() async throws {
        let server = try await BareServer(budget: BadLineBudget())
        let client = try Self.waitingClient(server)
        let overlong = String(repeating: "x", count: 150)
        try client.sendAll(Array("not json\n[1,2]\n\"x\n\(overlong)\n{\"n\":1}\n".utf8))
        for _ in 0..<3 { #expect(try client.readLine() == Self.notAnObject) }
        let tooLong = try #require(try client.readLine())
        #expect(tooLong.contains(#""code":"line-too-long""#), "\(tooLong)")
        #expect(try client.readLine() == #"ok {"n":1}"#)
        #expect(server.taken.withLock { $0 } == [#"{"n":0}"#, #"{"n":1}"#])
        try await server.stop()
    }

    @Test("a connection past its bad-line budget waits unread, its good lines too")
    func budgetSpent() async throws {
        // A refill that cannot come during the test.
        let server = try await BareServer(budget: BadLineBudget(burst: 3, refill: .seconds(3600)))
        let client = try Self.waitingClient(server)
        // One write of six lines is one read on the server: all six are decoded before the
        // state is asked below.
        try client.sendAll(Array("a\nb\nc\nd\ne\n{\"n\":1}\n".utf8))
        for _ in 0..<3 { #expect(try client.readLine() == Self.notAnObject) }
        let connection = try #require(server.connections.withLock { $0.first })
        let state = try await server.onLoop { connection.budgetState }
        #expect(state.throttled)
        #expect(state.waiting == 3)
        #expect(server.taken.withLock { $0 } == [#"{"n":0}"#])
        try await server.stop()
    }

    /// What the commands saw.
    private final class Log: Sendable {
        let order = Mutex<[String]>([])
        let counted = Atomic(0)
    }

    @Test("as the budget refills, the lines that waited are answered in order, none lost")
    func budgetRefills() async throws {
        let server = try await BareServer(budget: BadLineBudget(burst: 2, refill: .milliseconds(10)))
        let client = try Self.waitingClient(server)
        try client.sendAll(Array("a\nb\nc\nd\ne\n{\"n\":1}\n".utf8))
        // Two at once, then one per refill: every line is answered, whatever the clock did.
        for _ in 0..<5 { #expect(try client.readLine() == Self.notAnObject) }
        #expect(try client.readLine() == #"ok {"n":1}"#)
        #expect(server.taken.withLock { $0 } == [#"{"n":0}"#, #"{"n":1}"#])
        try await server.stop()
    }

    // MARK: Through the control server, on one event loop held by a gate

    /// A control server on one event loop, with `metrics` counting its requests, `status` answering
    /// with that count, and `plan.start` in the emergency lane. Every command records its name.
    private final class Rig: Sendable {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let directory: URL
        let path: String
        let log = Log()
        private let task: Mutex<Task<Void, any Error>?> = Mutex(nil)

        init() async throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("carillon-lane-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            path = directory.path + "/control.sock"
            let log = log
            let commands: [CommandSpec] = [
                .command(.metrics, role: .viewer, arguments: Empty.self) { _, _ in
                    log.counted.add(1, ordering: .relaxed)
                    log.order.withLock { $0.append("metrics") }
                    return "x"
                },
                .command(.status, role: .viewer, arguments: Empty.self) { _, _ in
                    log.order.withLock { $0.append("status") }
                    return log.counted.load(ordering: .relaxed)
                },
                .command(.planStart, role: .leader, audited: true, arguments: PlanStartArgs.self) { args, _ in
                    log.order.withLock { $0.append("plan.start") }
                    return args.plan
                }.inEmergencyLane(),
            ]
            let server = ControlServer(
                unix: .init(path: path), tcp: nil, commands: commands, audit: { _, _, _, _ in },
                access: AccessControl(AccessPolicy()), logger: Logger(label: "test"), group: group)
            let (listening, listeningContinuation) = AsyncStream.makeStream(of: Void.self)
            // Of ordinary priority, as the daemon's: the lane, not the priority, must put the emergency first.
            task.withLock { $0 = Task(priority: .medium) { try await server.run { listeningContinuation.yield() } } }
            for await _ in listening { break }
        }

        /// Holds the event loop until the returned closure is called; returns once it is held.
        func holdLoop() -> @Sendable () -> Void {
            let held = DispatchSemaphore(value: 0)
            let release = DispatchSemaphore(value: 0)
            group.next().execute {
                held.signal()
                release.wait()
            }
            held.wait()
            return { release.signal() }
        }

        func stop() async throws {
            let running = task.withLock { $0 }
            running?.cancel()
            _ = await running?.result
            try await group.shutdownGracefully()
            try? FileManager.default.removeItem(at: directory)
        }
    }

    /// A connected client whose connection's task waits for its next request: one round trip done.
    private static func waitingClient(_ rig: Rig) throws -> TestSocket {
        let client = try TestSocket(path: rig.path)
        try client.sendAll(Array(#"{"cmd":"metrics"}"#.utf8) + [10])
        _ = try #require(try client.readLine())
        return client
    }

    @Test("an emergency request behind ten clients' ordinary ones on the same loop is dispatched first")
    func emergencyFirst() async throws {
        let rig = try await Rig()
        let ordinary = try (0..<10).map { _ in try Self.waitingClient(rig) }
        let leader = try Self.waitingClient(rig)
        rig.log.order.withLock { $0.removeAll() }
        let release = rig.holdLoop()
        // While the loop is held, every request is in its socket, the emergency last.
        for client in ordinary { try client.sendAll(Array(#"{"cmd":"status"}"#.utf8) + [10]) }
        try leader.sendAll(Array(#"{"id":1,"cmd":"plan.start","args":{"plan":"fire"}}"#.utf8) + [10])
        release()
        let answer = try #require(try leader.readLine())
        #expect(answer.contains(#""ok":true"#), "\(answer)")
        for client in ordinary { _ = try #require(try client.readLine()) }
        let order = rig.log.order.withLock { $0 }
        #expect(order.count == 11)
        #expect(order.first == "plan.start", "\(order)")
        try await rig.stop()
    }

    @Test("a connection that pipelines a flood is read in bounded turns: another client is served within one")
    func fairReads() async throws {
        let rig = try await Rig()
        let flooder = try Self.waitingClient(rig)
        let other = try Self.waitingClient(rig)
        let before = rig.log.counted.load(ordering: .relaxed)
        let line = Array(#"{"cmd":"metrics"}"#.utf8) + [10]
        let lines = 100_000 / line.count
        let release = rig.holdLoop()
        // 100 kB fit in the socket's buffer: all of it waits to be read, ahead of the other client's line.
        try flooder.sendAll(Array((0..<lines).map { _ in line }.joined()))
        try other.sendAll(Array(#"{"cmd":"status"}"#.utf8) + [10])
        release()
        let answer = try #require(try other.readLine())
        let served = try #require(
            (try JSONSerialization.jsonObject(with: Data(answer.utf8)) as? [String: Any])?["result"] as? Int, "\(answer)")
        // One turn reads at most `readBytesPerTurn` of the flood: fewer than 500 of its lines.
        // NIO's default read (4 × 64 kB a turn) took all 5,555 before the other client's line.
        #expect(served - before <= ControlServer.readBytesPerTurn / line.count, "\(served - before) of \(lines) flood lines first")
        for _ in 0..<lines { _ = try #require(try flooder.readLine()) }
        try await rig.stop()
    }

    // MARK: The loop's lanes

    @Test("on a held loop, an urgent job queued after ten ordinary ones runs first; the rest keep their order")
    func lanes() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let ordinary = LaneExecutor(loop, lane: ConnectionLane())
        let emergency = ConnectionLane()
        emergency.set(urgent: true)
        let urgent = LaneExecutor(loop, lane: emergency)
        let log = Log()
        let held = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        loop.execute {
            held.signal()
            release.wait()
        }
        held.wait()
        // A task's first job is queued on its executor when the task is made.
        var tasks = (0..<10).map { n in Task(executorPreference: ordinary, priority: .medium) { log.order.withLock { $0.append("\(n)") } } }
        tasks.append(Task(executorPreference: urgent, priority: .medium) { log.order.withLock { $0.append("urgent") } })
        release.signal()
        for task in tasks { await task.value }
        #expect(log.order.withLock { $0 } == ["urgent"] + (0..<10).map(String.init))
        try await group.shutdownGracefully()
    }
}
