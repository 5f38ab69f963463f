import CMosquitto
import CarillonCore
public import CarillonCity
public import Foundation
import Synchronization

/// An MQTT 3.1.1 client on libmosquitto, on a thread of its own: connecting, the network loop and
/// the waits between reconnects never hold one of the Swift pool's two threads. What the broker
/// sends comes out of `events`, an AsyncStream fed without blocking libmosquitto's thread.
///
/// Reconnects are our own, not libmosquitto's: exponential with full jitter (`Backoff`), so that
/// the schools cut off by one broker restart do not all return in the same second.
public final class MQTTClient: @unchecked Sendable {
    // @unchecked: `handle` is set once in init and libmosquitto's calls on it are thread-safe
    // (mosquitto_threaded_set); the loop's own state lives on the loop thread, `control` under its lock.

    /// What the connection reports.
    public enum Event: Sendable, Hashable {
        /// The broker accepted the connection (CONNACK 0); subscriptions are sent.
        case connected
        /// A connection attempt failed or a connection was lost; the reason, and the delay before the next try.
        case disconnected(reason: String, retryIn: Duration)
        /// A message on a subscribed topic.
        case message(topic: String, payload: Data)
    }

    /// The client's identity to the broker, and what it does on its own.
    public struct Settings: Sendable {
        public var broker: CityBroker
        /// Stable across restarts for a persistent session.
        public var clientID: String
        /// false: the broker keeps the session (subscriptions, QoS 1 messages) while the client is away.
        public var cleanSession: Bool
        /// Published by the broker, retained, when the connection is lost without a DISCONNECT.
        public var will: (topic: String, payload: Data)?
        /// Subscribed at QoS 1 at every connect (a broker that lost its sessions still has them).
        public var subscriptions: [String]
        public var backoff: Backoff

        public init(
            broker: CityBroker, clientID: String, cleanSession: Bool, will: (topic: String, payload: Data)? = nil,
            subscriptions: [String] = [], backoff: Backoff = Backoff()
        ) {
            self.broker = broker
            self.clientID = clientID
            self.cleanSession = cleanSession
            self.will = will
            self.subscriptions = subscriptions
            self.backoff = backoff
        }
    }

    public let events: AsyncStream<Event>
    private let handle: OpaquePointer
    private let box: Box
    private let settings: Settings
    private let control = NSCondition()
    private var stopping = false
    private var finished: [CheckedContinuation<Void, Never>] = []
    private var running = false
    private var done = false

    /// What the C callbacks reach: the stream, the subscriptions and whether CONNACK said yes.
    private final class Box: @unchecked Sendable {
        // `continuation` is thread-safe; `accepted` is touched by the loop thread only.
        let continuation: AsyncStream<Event>.Continuation
        let subscriptions: [String]
        var accepted = false
        var refusal: String?
        init(continuation: AsyncStream<Event>.Continuation, subscriptions: [String]) {
            self.continuation = continuation
            self.subscriptions = subscriptions
        }
    }

    private static let libraryReady: Bool = { mosquitto_lib_init() == MOSQ_ERR_SUCCESS.rawValue }()

    /// Sets up the client; nothing is sent until `start`.
    /// - Throws: `LinkError` when libmosquitto refuses a setting (an unreadable CA, certificate or key).
    public init(_ settings: Settings) throws(LinkError) {
        guard Self.libraryReady else { throw LinkError("libmosquitto could not be initialised") }
        let (stream, continuation) = AsyncStream.makeStream(of: Event.self, bufferingPolicy: .bufferingNewest(4096))
        let box = Box(continuation: continuation, subscriptions: settings.subscriptions)
        guard let handle = mosquitto_new(settings.clientID, settings.cleanSession, Unmanaged.passUnretained(box).toOpaque()) else {
            throw LinkError("libmosquitto could not make a client (\(String(cString: strerror(errno))))")
        }
        self.handle = handle
        self.box = box
        self.settings = settings
        events = stream
        do throws(LinkError) { try configure() } catch {
            mosquitto_destroy(handle)
            throw error
        }
    }

    deinit {
        box.continuation.finish()
        mosquitto_destroy(handle)
    }

    private func configure() throws(LinkError) {
        func check(_ rc: Int32, _ what: String) throws(LinkError) {
            guard rc == MOSQ_ERR_SUCCESS.rawValue else { throw LinkError("\(what): \(Self.describe(rc))") }
        }
        _ = mosquitto_threaded_set(handle, true)
        // 3.1.1 only: it is what every broker speaks, RabbitMQ's MQTT plugin included.
        try check(mosquitto_int_option(handle, MOSQ_OPT_PROTOCOL_VERSION, carillon_mqtt_protocol_v311()), "MQTT 3.1.1")
        let broker = settings.broker
        if let ca = broker.caFile {
            try check(mosquitto_tls_set(handle, ca, nil, broker.certFile, broker.keyFile, nil), "TLS (CA \(ca))")
        }
        if let user = broker.username, let file = broker.passwordFile {
            guard let data = FileManager.default.contents(atPath: file) else { throw LinkError("cannot read the password file \(file)") }
            let password = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
            try check(mosquitto_username_pw_set(handle, user, password), "username and password")
        }
        if let will = settings.will {
            guard will.payload.count <= 65535 else { throw LinkError("the last will is too long") }
            let rc = will.payload.withUnsafeBytes { bytes in
                mosquitto_will_set(handle, will.topic, Int32(bytes.count), bytes.baseAddress, 1, true)
            }
            try check(rc, "last will")
        }
        mosquitto_connect_callback_set(handle) { _, context, rc in
            guard let context else { return }
            let box = Unmanaged<Box>.fromOpaque(context).takeUnretainedValue()
            guard rc == 0 else {
                box.refusal = "the broker refused the connection: " + String(cString: mosquitto_connack_string(rc))
                return
            }
            // On the loop thread, which subscribes once it sees this.
            box.accepted = true
            box.refusal = nil
        }
        mosquitto_message_callback_set(handle) { _, context, message in
            guard let context, let message, let topic = message.pointee.topic else { return }
            let box = Unmanaged<Box>.fromOpaque(context).takeUnretainedValue()
            let length = Int(max(message.pointee.payloadlen, 0))
            let payload = message.pointee.payload.map { Data(bytes: $0, count: length) } ?? Data()
            box.continuation.yield(.message(topic: String(cString: topic), payload: payload))
        }
    }

    /// Starts the loop thread: it connects, and reconnects after each loss, until `stop`.
    public func start() {
        control.lock()
        defer { control.unlock() }
        guard !running else { return }
        running = true
        Thread.start(named: "carillon-mqtt") { [self] in loop() }
    }

    /// Publishes at QoS 1. Thread-safe; never blocks on the network.
    /// - Returns: false when libmosquitto refused it (no connection, or too large).
    @discardableResult
    public func publish(_ topic: String, _ payload: Data, retain: Bool = false) -> Bool {
        guard payload.count <= 256 * 1024 * 1024 else { return false }
        let rc = payload.withUnsafeBytes { bytes in
            mosquitto_publish(handle, nil, topic, Int32(bytes.count), bytes.baseAddress, 1, retain)
        }
        return rc == MOSQ_ERR_SUCCESS.rawValue
    }

    /// Disconnects cleanly (the broker does not send the will) and ends the thread. What was
    /// published just before goes out ahead of the DISCONNECT.
    public func stop() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            control.lock()
            stopping = true
            if done || !running {
                control.unlock()
                continuation.resume()
                return
            }
            finished.append(continuation)
            control.signal()
            control.unlock()
        }
        box.continuation.finish()
    }

    private var isStopping: Bool {
        control.lock()
        defer { control.unlock() }
        return stopping
    }

    /// The loop thread: connect, run the network loop, wait out a jittered delay, again.
    private func loop() {
        var backoff = settings.backoff
        let broker = settings.broker
        while !isStopping {
            box.accepted = false
            box.refusal = nil
            var rc = mosquitto_connect(handle, broker.host, Int32(broker.port), Int32(broker.keepalive))
            var subscribed = false
            while rc == MOSQ_ERR_SUCCESS.rawValue && !isStopping {
                rc = mosquitto_loop(handle, 200, 1)
                if box.accepted && !subscribed {
                    subscribed = true
                    backoff.reset()
                    for topic in settings.subscriptions { _ = mosquitto_subscribe(handle, nil, topic, 1) }
                    box.continuation.yield(.connected)
                }
            }
            if isStopping {
                if rc == MOSQ_ERR_SUCCESS.rawValue {
                    _ = mosquitto_disconnect(handle)
                    // Sends what is queued, then the DISCONNECT; returns once the socket is closed.
                    var turns = 0
                    while mosquitto_loop(handle, 100, 1) == MOSQ_ERR_SUCCESS.rawValue && turns < 50 { turns += 1 }
                }
                break
            }
            let reason = box.refusal ?? Self.describe(rc)
            let delay = backoff.next()
            box.continuation.yield(.disconnected(reason: reason, retryIn: delay))
            control.lock()
            let deadline = Date().addingTimeInterval(Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18)
            while !stopping && control.wait(until: deadline) {}
            control.unlock()
        }
        control.lock()
        done = true
        let waiters = finished
        finished = []
        control.unlock()
        for waiter in waiters { waiter.resume() }
    }

    /// libmosquitto's words for an error code; `errno`'s for a system error.
    static func describe(_ rc: Int32) -> String {
        if rc == MOSQ_ERR_ERRNO.rawValue { return String(cString: strerror(errno)) }
        if rc == MOSQ_ERR_CONN_LOST.rawValue { return "the connection to the broker was lost" }
        if rc == MOSQ_ERR_NO_CONN.rawValue { return "not connected to the broker" }
        return String(cString: mosquitto_strerror(rc))
    }
}

/// A city link failure, in words for the log and `status`.
public struct LinkError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
