import CarillonBundle
import CarillonCity
import CarillonProtocol
import CarillonTesting
import Foundation
import Glibc
import Testing

/// The city link on a broker cluster: RabbitMQ 3.10 with its MQTT plugin, three nodes on loopback
/// (tools/rabbitmq-cluster.sh), the school on one node and the bureau on another. Opt-in:
/// `make test-rabbitmq` starts the cluster and sets `CARILLON_RABBITMQ_PORT` (node 1's MQTT port;
/// node 2's is the next).
@Suite(
    "City link on a RabbitMQ cluster", .serialized, .ownThread,
    .enabled(if: ProcessInfo.processInfo.environment["CARILLON_RABBITMQ_PORT"] != nil, "needs make test-rabbitmq"))
struct CityRabbitMQTests {
    static var node1: Int { Int(ProcessInfo.processInfo.environment["CARILLON_RABBITMQ_PORT"] ?? "") ?? 0 }
    static var node2: Int { node1 + 1 }

    @Test(
        "an alert from another node sounds; a bundle published while the school is away reaches it through its session, not the retained message; the last will crosses nodes; retained statuses are per node"
    )
    func acrossNodes() async throws {
        let bureau = try BundleTests.Bureau()
        defer { bureau.scratch.remove() }
        let school = "rmq-\(UUID().uuidString.prefix(8).lowercased())"
        // The bureau listens first: what the school retains on node 1 is not kept on node 2.
        let inbox = try Inbox(port: Self.node2)
        defer { inbox.close() }
        try await inbox.connected(times: 1)
        var rig = try Rig.start(
            extra: bureau.config(school: school) + """
                [city]
                broker = "127.0.0.1:\(Self.node1)"
                district = "nanshan"
                bundle_delay = 0
                """)
        defer { rig.stop() }
        _ = try await inbox.status(of: school, "online")

        // An alert published on node 2 sounds at the school on node 1.
        let alert = try run(
            Binaries.client,
            [
                "city", "alert", "--key", bureau.key, "--clip", "test.noise", "--drill", "--schools", school,
                "--broker",
                "127.0.0.1:\(Self.node2)", "--wait", "30s",
            ])
        #expect(alert.status == 0, "\(alert.stdout)\(alert.stderr)\n\(rig.daemon.log_)")
        #expect(alert.stdout.contains("sounded at 1 school"), "\(alert.stdout)")

        // Away: the notice is queued in its persistent session (node 1 holds the queue), and applied when it returns.
        rig.daemon.stop()
        _ = try await inbox.status(of: school, "offline")
        let bundle = try bureau.sign(version: 5, schools: school)
        let published = try run(
            Binaries.client, ["city", "publish", bundle, "--schools", school, "--broker", "127.0.0.1:\(Self.node2)"])
        #expect(published.status == 0, "\(published.stderr)")
        let again = try DaemonProcess(
            config: String(contentsOfFile: rig.daemon.configPath, encoding: .utf8), in: rig.directory)
        rig = Rig(directory: rig.directory, capture: rig.capture, daemon: again, clip: rig.clip)
        let applied = try await inbox.wait("the answer to bundle v5") { heard in
            heard.filter { $0.topic == CityTopics.ack(school) }.compactMap {
                try? JSONDecoder().decode(BundleAck.self, from: $0.payload)
            }
            .first { $0.bundle == 5 }
        }
        #expect(applied.outcome == "applied", "\(applied)\n\(rig.daemon.log_)")

        // Killed: node 1 publishes its last will, heard on node 2.
        kill(rig.daemon.process.processIdentifier, SIGKILL)
        rig.daemon.process.waitUntilExit()
        _ = try await inbox.status(of: school, "offline")

        // What differs: a retained message stays on the node it was published to.
        let schools = bureau.scratch.file("schools.csv")
        try bureau.scratch.write(
            "schools.csv",
            "id,address,token_file,ca,pin,district\n\(school),127.0.0.1:1,t,,\(String(repeating: "ab", count: 32)),nanshan\n"
        )
        let onNode1 = try run(
            Binaries.client, ["city", "status", "--schools", schools, "--broker", "127.0.0.1:\(Self.node1)"])
        let onNode2 = try run(
            Binaries.client, ["city", "status", "--schools", schools, "--broker", "127.0.0.1:\(Self.node2)"])
        #expect(
            onNode1.stdout.contains("1 school: 0 online, 1 offline, 0 never heard"),
            "\(onNode1.stdout)\(onNode1.stderr)")
        #expect(
            onNode2.stdout.contains("1 school: 0 online, 0 offline, 1 never heard"),
            "\(onNode2.stdout)\(onNode2.stderr)")
    }
}
