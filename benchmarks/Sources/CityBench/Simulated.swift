import CMosquitto
import CarillonCity
import Foundation
import Glibc
import Synchronization

/// N simulated schools on libmosquitto in one thread: each a client with a persistent session,
/// subscribed to the city's alerts at every connect, reconnecting with the link's own backoff
/// (full jitter from 0.5 s). It records when each school received each alert; it does not sound
/// anything (the real daemons beside it do).
final class SimulatedSchools: @unchecked Sendable {
    // The clients are touched by the loop thread only; `record` is shared under its lock.
    struct Record {
        /// Receive times (ms since 1970) by the payload's hash, one per school that got it: the
        /// bench knows what it published, and decoding 2,000 copies here would delay the next school's.
        var received: [Int: [Int64]] = [:]
        var connected = 0
        /// Connections made, in total.
        var connections = 0
        var lastConnect: Int64 = 0
    }

    final class Client {
        let index: Int
        let handle: OpaquePointer
        var up = false
        /// Connected once (reconnect from then on), and when to try again after a loss; nil while a socket is open.
        var started = false
        var retryAt: Double? = 0
        var backoff = Backoff()
        /// A bundle notice heard: when its simulated apply is done (after the link's random wait of
        /// up to `fetchDelay`), and what to answer.
        var applyAt: Double?
        var notice: BundleNotice?
        unowned let owner: SimulatedSchools
        init(index: Int, handle: OpaquePointer, owner: SimulatedSchools) {
            self.index = index
            self.handle = handle
            self.owner = owner
        }
    }

    let record = Mutex(Record())
    private var clients: [Client] = []
    private let host: String
    private let port: Int
    private let stopping = Atomic(false)
    private var thread: Thread?
    /// The district the simulated schools are in: bundle notices for it reach them, not the real daemons.
    static let district = "simulated"
    let fetchDelay: Double

    init(count: Int, host: String, port: Int, fetchDelay: Double = 10) {
        self.host = host
        self.port = port
        self.fetchDelay = fetchDelay
        mosquitto_lib_init()
        for index in 0..<count {
            guard let handle = mosquitto_new("sim-school-\(index)", false, nil) else { fatalError("mosquitto_new") }
            let made = Client(index: index, handle: handle, owner: self)
            mosquitto_user_data_set(handle, Unmanaged.passUnretained(made).toOpaque())
            _ = mosquitto_int_option(handle, MOSQ_OPT_PROTOCOL_VERSION, carillon_mqtt_protocol_v311())
            mosquitto_connect_callback_set(handle) { mosq, context, rc in
                guard let context, rc == 0 else { return }
                let client = Unmanaged<Client>.fromOpaque(context).takeUnretainedValue()
                client.up = true
                client.backoff.reset()
                _ = mosquitto_subscribe(mosq, nil, CityTopics.cityAlert, 1)
                _ = mosquitto_subscribe(mosq, nil, CityTopics.districtBundle(SimulatedSchools.district), 1)
                let now = millisecondsSince1970(Date())
                client.owner.record.withLock {
                    $0.connected += 1
                    $0.connections += 1
                    $0.lastConnect = now
                }
            }
            mosquitto_message_callback_set(handle) { _, context, message in
                let now = millisecondsSince1970(Date())
                guard let context, let message else { return }
                let client = Unmanaged<Client>.fromOpaque(context).takeUnretainedValue()
                let length = Int(max(message.pointee.payloadlen, 0))
                let payload = message.pointee.payload.map { Data(bytes: $0, count: length) } ?? Data()
                if let topic = message.pointee.topic, String(cString: topic).hasSuffix("/bundle") {
                    // A simulated apply: only the wait a real school makes before it fetches.
                    guard let notice = try? BundleNotice.read(payload) else { return }
                    client.notice = notice
                    client.applyAt = Date().timeIntervalSince1970 + Double.random(in: 0...client.owner.fetchDelay)
                    return
                }
                let key = payloadKey(payload)
                client.owner.record.withLock { $0.received[key, default: []].append(now) }
            }
            clients.append(made)
        }
    }

    /// Connects every school (one after another, as fast as the broker takes them) and runs the loop.
    func start() {
        let thread = Thread { [self] in loop() }
        thread.name = "simulated-schools"
        thread.stackSize = 8 << 20
        self.thread = thread
        thread.start()
    }

    func stop() { stopping.store(true, ordering: .relaxed) }

    private func loop() {
        var fds = [pollfd](repeating: pollfd(), count: clients.count)
        func lost(_ client: Client) {
            let delay = client.backoff.next()
            client.retryAt =
                Date().timeIntervalSince1970 + Double(delay.components.seconds) + Double(delay.components.attoseconds)
                / 1e18
            if client.up {
                client.up = false
                record.withLock { $0.connected -= 1 }
            }
        }
        while !stopping.load(ordering: .relaxed) {
            let now = Date().timeIntervalSince1970
            for client in clients {
                guard let at = client.retryAt, now >= at else { continue }
                client.retryAt = nil
                let rc =
                    client.started
                    ? mosquitto_reconnect_async(client.handle)
                    : mosquitto_connect_async(client.handle, host, Int32(port), 60)
                client.started = true
                if rc != MOSQ_ERR_SUCCESS.rawValue { lost(client) }
            }
            for (index, client) in clients.enumerated() {
                let fd = client.retryAt == nil ? mosquitto_socket(client.handle) : -1
                fds[index] = pollfd(
                    fd: fd, events: Int16(POLLIN) | (mosquitto_want_write(client.handle) ? Int16(POLLOUT) : 0),
                    revents: 0)
            }
            _ = poll(&fds, nfds_t(fds.count), 50)
            let settled = Date().timeIntervalSince1970
            for client in clients where client.up {
                guard let at = client.applyAt, at <= settled, let notice = client.notice else { continue }
                client.applyAt = nil
                let ack = BundleAck(
                    school: "sim-school-\(client.index)", bundle: notice.version, digest: notice.digest, outcome: "applied",
                    at: millisecondsSince1970(Date())
                ).encoded()
                _ = ack.withUnsafeBytes { bytes in
                    mosquitto_publish(
                        client.handle, nil, CityTopics.ack("sim-school-\(client.index)"), Int32(bytes.count), bytes.baseAddress, 1, false)
                }
            }
            for (index, client) in clients.enumerated() where fds[index].fd >= 0 {
                var rc = MOSQ_ERR_SUCCESS.rawValue
                if fds[index].revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                    rc = mosquitto_loop_read(client.handle, 1)
                }
                if rc == MOSQ_ERR_SUCCESS.rawValue, mosquitto_want_write(client.handle) {
                    rc = mosquitto_loop_write(client.handle, 1)
                }
                if rc == MOSQ_ERR_SUCCESS.rawValue { rc = mosquitto_loop_misc(client.handle) }
                // Lost: mosquitto_reconnect_async closes the old socket when the backoff is over.
                if rc != MOSQ_ERR_SUCCESS.rawValue { lost(client) }
            }
        }
        for client in clients {
            _ = mosquitto_disconnect(client.handle)
            _ = mosquitto_loop_write(client.handle, 1)
            mosquitto_destroy(client.handle)
        }
    }
}

/// A cheap key for a published alert: the hash of its last bytes, which hold the signature (Data
/// hashes only its first 80 bytes, the same in every envelope).
func payloadKey(_ payload: Data) -> Int { Data(payload.suffix(80)).hashValue }
