import CarillonProtocol
import Synchronization

/// Fans the daemon's events out to `events` subscribers. Publishing never waits: a subscriber
/// whose queue is full is dropped, and its connection closed.
final class EventHub: Sendable {
    /// Events a subscriber may fall behind by.
    static let queueLimit = 256

    private struct Subscriber {
        var kinds: [String]
        /// The subscriber's role and staff groups, to pick its own tasks out of a plan event.
        var audience: [String]
        var continuation: AsyncStream<Event>.Continuation
        var onDrop: @Sendable () -> Void
    }

    private let subscribers = Mutex<(next: Int, all: [Int: Subscriber])>((0, [:]))

    /// Subscribes to events whose name starts with one of `kinds` (all when empty).
    /// - Parameter onDrop: called, once, if the subscriber falls `queueLimit` events behind.
    func subscribe(kinds: [String], audience: [String] = [], onDrop: @escaping @Sendable () -> Void) -> (id: Int, events: AsyncStream<Event>) {
        let (stream, continuation) = AsyncStream.makeStream(of: Event.self, bufferingPolicy: .bufferingOldest(Self.queueLimit))
        let id = subscribers.withLock { state in
            state.next += 1
            state.all[state.next] = Subscriber(kinds: kinds, audience: audience, continuation: continuation, onDrop: onDrop)
            return state.next
        }
        return (id, stream)
    }

    func unsubscribe(_ id: Int) {
        let gone = subscribers.withLock { $0.all.removeValue(forKey: id) }
        gone?.continuation.finish()
    }

    var count: Int { subscribers.withLock { $0.all.count } }

    func publish(_ event: Event) {
        let dropped = subscribers.withLock { state -> [Subscriber] in
            var dropped: [Subscriber] = []
            for (id, subscriber) in state.all
            where subscriber.kinds.isEmpty || subscriber.kinds.contains(where: { event.event.hasPrefix($0) }) {
                var event = event
                let own = event.tasks?.filter { subscriber.audience.contains($0.audience) }.map(\.task) ?? []
                event.task = own.isEmpty ? nil : own.joined(separator: "\n")
                if case .dropped = subscriber.continuation.yield(event) {
                    state.all[id] = nil
                    dropped.append(subscriber)
                }
            }
            return dropped
        }
        for subscriber in dropped {
            subscriber.continuation.finish()
            subscriber.onDrop()
        }
    }
}
