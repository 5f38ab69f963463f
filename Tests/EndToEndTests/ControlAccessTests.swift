import CarillonControl
import CarillonProtocol
import CarillonTesting
import Foundation
import Testing

/// Roles over both sockets, TLS and tokens, login limits, and the connection limits.
@Suite("Control access: roles, TLS, tokens and limits", .serialized, .ownThread)
struct ControlAccessTests {
    /// UNIX accounts the tests act as, through `setpriv`; they need no passwd entry.
    static let uids: [Role: Int] = [.teacher: 52001, .leader: 52002, .admin: 52003, .bureau: 52004]
    /// An account no rule names: it gets the default role, viewer.
    static let viewerUID = 52000

    /// A self-signed certificate for 127.0.0.1, made for this run.
    struct TLSFiles {
        let certificate: String
        let key: String
        let fingerprint: String

        init(in directory: TemporaryDirectory) throws {
            certificate = directory.file("cert.pem")
            key = directory.file("key.pem")
            let made = try run(
                "/usr/bin/openssl",
                [
                    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
                    "-out", certificate, "-days", "2", "-subj", "/CN=carillon-test",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                ])
            guard made.status == 0 else { throw HarnessError("openssl req failed: \(made.stderr)") }
            let print = try run("/usr/bin/openssl", ["x509", "-in", certificate, "-noout", "-fingerprint", "-sha256"])
            fingerprint = print.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    struct Rigged {
        let rig: Rig
        let port: Int
        let tls: TLSFiles
        /// Token files by role.
        let tokens: [Role: String]
        /// The certificate, its key and the tokens: removed with the rig, never left in /tmp.
        let scratch: TemporaryDirectory
        func stop() {
            rig.stop()
            scratch.remove()
        }
    }

    /// A daemon with TCP on, a token per role, and a UNIX rule per role.
    static func start(control: String = "", tcp: String = "", extra: String = "") throws -> Rigged {
        let scratch = try TemporaryDirectory("carillon-tls")
        var started = false
        defer { if !started { scratch.remove() } }
        let tls = try TLSFiles(in: scratch)
        let port = try freeLoopbackPort()
        var tokens: [Role: String] = [:]
        var entries = ""
        for role in Role.allCases {
            let token = "crl_test_\(role.rawValue)_\(UUID().uuidString)"
            let file = scratch.file("\(role.rawValue).token")
            try scratch.write("\(role.rawValue).token", token + "\n")
            tokens[role] = file
            entries += "[[token]]\nname = \"\(role.rawValue)-token\"\nrole = \"\(role.rawValue)\"\nsha256 = \"\(AccessPolicy.hash(token: token))\"\n"
        }
        for (role, uid) in uids {
            entries += "[[access]]\nusers = [\(uid)]\nrole = \"\(role.rawValue)\"\n"
        }
        let rig = try Rig.start(
            control: "socket_mode = \"0666\"\n" + control,
            extra: """
                [control.tcp]
                listen = "127.0.0.1:\(port)"
                certificate = "\(tls.certificate)"
                key = "\(tls.key)"
                \(tcp)
                \(entries)
                \(extra)
                """)
        // Other accounts must reach the socket through the test's private directory.
        chmod(rig.directory.path, 0o755)
        started = true
        return Rigged(rig: rig, port: port, tls: tls, tokens: tokens, scratch: scratch)
    }

    /// The role each command needs, as docs/PROTOCOL.md states it (its test checks that against the table).
    static func documentedRoles() throws -> [String: Role?] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let doc = try String(contentsOf: root.appendingPathComponent("docs/PROTOCOL.md"), encoding: .utf8)
        var roles: [String: Role?] = [:]
        var current: [String] = []
        for line in doc.split(separator: "\n") {
            if line.hasPrefix("### ") {
                // Every `name` in the heading: one section may document several commands.
                current = line.split(separator: "`").enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
            } else if !current.isEmpty, line.hasPrefix("Role: ") {
                let value = line.dropFirst("Role: ".count).trimmingCharacters(in: CharacterSet(charactersIn: "`. "))
                for command in current { roles[command] = value == "anyone" ? Role?.none : Role(rawValue: value) }
                current = []
            }
        }
        return roles
    }

    /// One request per command, with arguments that can never decode (an array), so that an allowed
    /// command answers `invalid-arguments` and runs nothing, and a refused one `permission-denied`.
    static func matrixInput(_ commands: [String]) -> String {
        commands.enumerated().map { #"{"id":\#($0.offset),"cmd":"\#($0.element)","args":[]}"# }.joined(separator: "\n") + "\n"
    }

    static func check(_ output: String, commands: [String], roles: [String: Role?], as role: Role, via: String) throws {
        let replies = output.split(separator: "\n")
        #expect(replies.count == commands.count, "\(via) \(role): \(output)")
        for (command, reply) in zip(commands, replies) {
            let head = try Wire.decoder().decode(ResponseHead.self, from: Data(reply.utf8))
            let required = roles[command] ?? nil
            let allowed = required.map(role.permits) ?? true
            let code = head.error?.code
            if allowed {
                #expect(code != .permissionDenied && code != .unauthenticated, "\(via): \(role) may run \(command): \(reply)")
            } else {
                #expect(code == .permissionDenied, "\(via): \(role) may not run \(command): \(reply)")
            }
        }
    }

    /// The documented commands, and one request for each.
    static func matrix() throws -> (roles: [String: Role?], commands: [String], input: String) {
        let roles = try documentedRoles()
        let commands = roles.keys.filter { $0 != "auth" }.sorted()
        #expect(commands.count >= 20, "PROTOCOL.md's roles were not found: \(roles)")
        return (roles, commands, matrixInput(commands))
    }

    @Test(
        "every role against every command on the UNIX socket, by uid",
        .enabled(if: getuid() == 0, "acting as other uids through setpriv needs root"))
    func permissionMatrixUnix() throws {
        let (roles, commands, input) = try Self.matrix()
        let r = try Self.start()
        defer { r.stop() }
        for role in Role.allCases {
            let uid = Self.uids[role] ?? Self.viewerUID
            let unix = try run(
                "/usr/bin/setpriv",
                ["--reuid=\(uid)", "--regid=\(uid)", "--clear-groups", Binaries.client, "--socket", r.rig.daemon.socketPath,
                 "request", "--stdin"], input: input)
            #expect(unix.status == 0, "\(unix.stderr)")
            try Self.check(unix.stdout, commands: commands, roles: roles, as: role, via: "unix")
        }
        // Root is admin on the socket whatever the rules say.
        let root = try r.rig.daemon.client(["request", "--stdin"], input: input)
        try Self.check(root.stdout, commands: commands, roles: roles, as: .admin, via: "unix root")
    }

    @Test("every role against every command on TCP, by token")
    func permissionMatrixTCP() throws {
        let (roles, commands, input) = try Self.matrix()
        let r = try Self.start()
        defer { r.stop() }
        for role in Role.allCases {
            let tcp = try run(
                Binaries.client,
                ["--host", "127.0.0.1:\(r.port)", "--token-file", r.tokens[role]!, "--ca", r.tls.certificate, "request", "--stdin"],
                input: input)
            #expect(tcp.status == 0, "\(tcp.stderr)")
            try Self.check(tcp.stdout, commands: commands, roles: roles, as: role, via: "tcp")
        }
    }

    @Test("TLS 1.2 and 1.3 only; before auth a client learns the version and nothing else")
    func whatAStrangerSees() throws {
        let r = try Self.start(tcp: "login_timeout = 1")
        defer { r.stop() }
        // A raw TLS client: the lines go in, the daemon's answers come out until it closes.
        func converse(_ version: String, _ lines: String) throws -> CommandResult {
            try run(
                "/usr/bin/openssl",
                // SECLEVEL=0 lets the client offer old versions, so a refusal is the daemon's own.
                ["s_client", "-connect", "127.0.0.1:\(r.port)", "-quiet", "-ign_eof", "-\(version)", "-cipher", "DEFAULT@SECLEVEL=0"],
                input: lines)
        }
        for old in ["tls1", "tls1_1"] {
            let refused = try converse(old, "{\"id\":1,\"cmd\":\"hello\",\"args\":{\"protocols\":[1]}}\n")
            #expect(refused.status != 0 && !refused.stdout.contains("\"ok\""), "\(old) was accepted: \(refused.stdout)")
        }
        let lines = [
            #"{"id":1,"cmd":"hello","args":{"protocols":[1]}}"#, #"{"id":2,"cmd":"status"}"#, #"{"id":3,"cmd":"schedule.history"}"#,
            #"{"id":4,"cmd":"no.such.command"}"#, #"{"id":5,"cmd":"bundle.apply","args":{"path":"/etc/shadow"}}"#, "not json",
        ]
        for version in ["tls1_2", "tls1_3"] {
            let answered = try converse(version, lines.joined(separator: "\n") + "\n")
            let replies = answered.stdout.split(separator: "\n").map(String.init)
            #expect(replies.count == lines.count, "\(version): \(answered.stdout) \(answered.stderr)")
            #expect(replies.first?.contains(#""server":"carillond""#) == true && replies.first?.contains(#""version":"#) == true)
            // Every other request, whatever it asked, gets the same answer: no name, state or path
            // leaks. A line that is no request at all is only told so.
            #expect(replies.last?.contains(#""code":"malformed-request""#) == true)
            for reply in replies.dropFirst().dropLast() {
                #expect(reply.contains(#""code":"unauthenticated""#) && reply.contains("send `auth` with your token first"), "\(reply)")
            }
        }
    }

    @Test("TLS: the CA or the pinned fingerprint is trusted, another pin is not; a wrong token is refused")
    func tlsAndTokens() throws {
        let r = try Self.start()
        defer { r.stop() }
        let host = ["--host", "127.0.0.1:\(r.port)"]
        let viewer = ["--token-file", r.tokens[.viewer]!]
        let byCA = try run(Binaries.client, host + viewer + ["--ca", r.tls.certificate, "status", "--json"])
        #expect(byCA.status == 0, "\(byCA.stderr)")
        #expect(byCA.stdout.contains("\"outputs\""))
        let byPin = try run(Binaries.client, host + viewer + ["--pin", r.tls.fingerprint, "status", "--json"])
        #expect(byPin.status == 0, "\(byPin.stderr)")
        let otherPin = String(repeating: "00:", count: 31) + "00"
        let wrongPin = try run(Binaries.client, host + viewer + ["--pin", otherPin, "status"])
        #expect(wrongPin.status == 3, "a certificate that is not the pinned one is not trusted: \(wrongPin.stderr)")
        // With neither, the self-signed certificate is not in the system's roots.
        let untrusted = try run(Binaries.client, host + viewer + ["status"])
        #expect(untrusted.status == 3, "\(untrusted.stderr)")

        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        try scratch.write("bad.token", "crl_not_a_token\n")
        let wrong = try run(Binaries.client, host + ["--token-file", scratch.file("bad.token"), "--ca", r.tls.certificate, "status"])
        #expect(wrong.status == 4, "\(wrong.stderr)")
        #expect(wrong.stderr.contains("not valid"))
    }

    @Test("failed logins are limited per address: after 3, even the right token waits")
    func rateLimit() throws {
        let r = try Self.start(tcp: "max_failed_logins = 3\nfailed_login_window = 600")
        defer { r.stop() }
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        try scratch.write("bad.token", "crl_guess\n")
        let base = ["--host", "127.0.0.1:\(r.port)", "--ca", r.tls.certificate]
        for _ in 0..<3 {
            let guess = try run(Binaries.client, base + ["--token-file", scratch.file("bad.token"), "status"])
            #expect(guess.status == 4 && guess.stderr.contains("not valid"), "\(guess.stderr)")
        }
        let blocked = try run(Binaries.client, base + ["--token-file", r.tokens[.admin]!, "status"])
        #expect(blocked.status == 4, "\(blocked.stderr)")
        #expect(blocked.stderr.contains("too many failed logins"), "\(blocked.stderr)")
        // The UNIX socket is not affected, and the audit log has every failure with its address.
        let audit = try r.rig.daemon.client(["log", "--audit", "--json", "--command", "auth"])
        let failures = audit.stdout.split(separator: "\n").filter { $0.contains("\"ok\":false") && $0.contains("127.0.0.1") }
        #expect(failures.count == 4, "\(audit.stdout)")
    }

    @Test("audit: who did what from where, refusals included; the play log records the identity")
    func audit() throws {
        let r = try Self.start()
        defer { r.stop() }
        let tcp = ["--host", "127.0.0.1:\(r.port)", "--ca", r.tls.certificate]
        let refused = try run(Binaries.client, tcp + ["--token-file", r.tokens[.viewer]!, "play", "test.noise"])
        #expect(refused.status == 4, "\(refused.stderr)")
        let played = try run(Binaries.client, tcp + ["--token-file", r.tokens[.teacher]!, "play", "test.noise", "--wait"])
        #expect(played.status == 0, "\(played.stderr)")
        let audit = try r.rig.daemon.client(["log", "--audit", "--json", "--command", "play"])
        let entries = try audit.stdout.split(separator: "\n").map { try Wire.decoder().decode(AuditEntry.self, from: Data($0.utf8)) }
        #expect(entries.count == 2, "\(audit.stdout)")
        let denied = entries.first { $0.actor == "viewer-token" }
        #expect(denied?.ok == false && denied?.errorCode == "permission-denied" && denied?.source.hasPrefix("127.0.0.1:") == true)
        let ok = entries.first { $0.actor == "teacher-token" }
        #expect(ok?.ok == true && ok?.arguments.contains("test.noise") == true && ok?.role == "teacher")
        let plays = try r.rig.daemon.client(["log", "--json", "--source", "manual"])
        #expect(plays.stdout.contains("teacher-token@127.0.0.1"), "\(plays.stdout)")
    }
}
