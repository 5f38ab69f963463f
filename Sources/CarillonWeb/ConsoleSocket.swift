import CarillonControl
import CarillonProtocol
import Foundation
import HummingbirdWebSocket
import Logging
import NIOCore
import Synchronization

/// One console page's WebSocket, in front of the command table.
///
/// Text messages are request lines, answered in any order (the client matches `id`s); `events`
/// and `shout` each stream on a sub-session of their own, so the page keeps sending requests while
/// they run. Binary messages are the voice of the running shout (`ShoutFrame`). The dispatcher
/// checks roles, arguments and zones; this type checks only the CSRF token of state-changing
/// commands and how many requests may wait at once.
struct ConsoleSocket {
    /// Requests of one console waiting at once; more are refused with `busy`.
    static let maxInFlight = 16

    let dispatcher: Dispatcher
    let peer: Peer
    let csrf: String
    let logger: Logger

    /// Serves the socket until the page closes it or `closed` fires.
    func serve(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, maxMessage: Int) async {
        let send: @Sendable (Data) async throws -> Void = { line in
            try await outbound.writeTextMessage(String(decoding: line, as: UTF8.self))
        }
        let stateChanging = dispatcher.stateChanging
        let state = SocketState()
        await withTaskGroup(of: Void.self) { group in
            defer {
                state.finishStreams()
                group.cancelAll()
            }
            do {
                for try await message in inbound.messages(maxSize: maxMessage) {
                    switch message {
                    case .text(let text):
                        let line = Data(text.utf8)
                        let head = Self.head(of: line)
                        if let refusal = refusal(head: head, stateChanging: stateChanging) {
                            try await send(Dispatcher.encode(.failure(head?.id, refusal)))
                            continue
                        }
                        switch head?.cmd {
                        case "shout.end":
                            // The end of the voice: the shout's `.` line.
                            state.stream("shout")?.push(Data(".".utf8))
                        case "events", "shout":
                            let sub = SubSession(peer: peer, send: send)
                            // A second stream of a kind replaces the first.
                            state.replace(head?.cmd ?? "", with: sub)?.finish()
                            group.addTask {
                                if let reply = await dispatcher.respond(to: line, session: sub) { try? await send(reply) }
                                sub.finish()
                            }
                        default:
                            guard state.inFlight.add(1, ordering: .relaxed).newValue <= Self.maxInFlight else {
                                state.inFlight.subtract(1, ordering: .relaxed)
                                try await send(
                                    Dispatcher.encode(
                                        .failure(head?.id, WireError(.busy, "more than \(Self.maxInFlight) requests wait; send fewer at once"))))
                                continue
                            }
                            let sub = SubSession(peer: peer, send: send)
                            group.addTask {
                                defer { state.inFlight.subtract(1, ordering: .relaxed) }
                                if let reply = await dispatcher.respond(to: line, session: sub) { try? await send(reply) }
                            }
                        }
                    case .binary(let buffer):
                        let frame: ShoutFrame
                        do { frame = try ShoutFrame(parsing: buffer.readableBytesView) } catch {
                            try await send(
                                Dispatcher.encode(.failure(nil, WireError(.invalidArguments, "\(error)"))))
                            continue
                        }
                        let taken = state.stream("shout")?.push(frame.line) ?? false
                        if !taken {
                            try await send(
                                Dispatcher.encode(.failure(nil, WireError(.invalidArguments, "voice sent without a `shout` on the air"))))
                        }
                    }
                }
            } catch {
                logger.debug("console socket ended", metadata: ["peer": "\(peer)", "error": "\(error)"])
            }
        }
    }

    /// A state-changing command without the page's CSRF token is refused before the table sees it.
    private func refusal(head: Head?, stateChanging: Set<String>) -> WireError? {
        guard let head else { return nil }  // the dispatcher explains a malformed line
        guard stateChanging.contains(head.cmd) else { return nil }
        guard let token = head.csrf, AccessPolicy.constantTimeEqual(Array(token.utf8), Array(csrf.utf8)) else {
            return WireError(.permissionDenied, "`\(head.cmd)` needs the page's CSRF token; reload the page")
        }
        return nil
    }

    struct Head: Decodable {
        var id: RequestID?
        var cmd: String
        var csrf: String?
    }

    static func head(of line: Data) -> Head? { try? JSONDecoder().decode(Head.self, from: line) }
}

/// What the tasks of one console socket share: requests waiting, and its streams by kind.
final class SocketState: Sendable {
    let inFlight = Atomic(0)
    private let streams = Mutex<[String: SubSession]>([:])

    func stream(_ kind: String) -> SubSession? { streams.withLock { $0[kind] } }

    /// Makes `sub` the stream of `kind`; returns the one it replaced.
    func replace(_ kind: String, with sub: SubSession) -> SubSession? {
        streams.withLock { streams in
            defer { streams[kind] = sub }
            return streams[kind]
        }
    }

    func finishStreams() {
        for sub in streams.withLock({ Array($0.values) }) { sub.finish() }
    }
}

/// One streaming command, or one plain request, of a console socket: the command table's view of
/// it. Its lines come from the socket's reader through `push`.
final class SubSession: ControlSession, @unchecked Sendable {
    var peer: Peer
    private let send: @Sendable (Data) async throws -> Void
    private var currentID: RequestID?
    private(set) var wasAccepted = false
    private var iterator: AsyncStream<Data>.Iterator
    private let feed: AsyncStream<Data>.Continuation

    init(peer: Peer, send: @escaping @Sendable (Data) async throws -> Void) {
        self.peer = peer
        self.send = send
        // A shout's voice arrives every 20 ms; 50 lines is a second held if the daemon lags.
        let (stream, feed) = AsyncStream.makeStream(of: Data.self, bufferingPolicy: .bufferingOldest(50))
        self.iterator = stream.makeAsyncIterator()
        self.feed = feed
    }

    /// Hands a line to the command; false once the command has ended.
    @discardableResult
    func push(_ line: Data) -> Bool {
        switch feed.yield(line) {
        case .enqueued, .dropped: true
        case .terminated: false
        @unknown default: false
        }
    }

    /// The socket closed, or a newer stream of the same kind replaced this one.
    func finish() { feed.finish() }

    /// Closing it ends this command's stream only (a shout that timed out, events that fell
    /// behind): the page and its other streams go on.
    var writer: LineWriter {
        let feed = feed
        return LineWriter(write: send, close: { feed.finish() })
    }

    func begin(_ id: RequestID?) {
        currentID = id
        wasAccepted = false
    }

    func accept<R: Encodable & Sendable>(_ result: R) async throws(WireError) {
        wasAccepted = true
        do { try await send(Dispatcher.acceptance(currentID, result)) } catch {
            throw WireError(.internal, "the console went away")
        }
    }

    func nextLine() async throws(WireError) -> Data? { await iterator.next() }
}
