import CarillonBundle
import CarillonProtocol
import CarillonTesting
import CarillonCrypto
import Foundation
import Testing

/// Bundles from the bureau, end to end: signed with the client, applied by a real daemon, every
/// refusal leaving the school as it was, history and rollback, and a push to twenty schools.
@Suite("Bureau bundles", .serialized, .ownThread)
struct BundleTests {
    /// The bureau's keys and the bundle's files, in one scratch directory.
    struct Bureau {
        let scratch: TemporaryDirectory
        var key: String { scratch.file("bureau.key") }
        var pub: String { scratch.file("bureau.pub") }

        init() throws {
            scratch = try TemporaryDirectory("carillon-bureau")
            let made = try run(Binaries.client, ["bundle", "keygen", "-o", scratch.file("bureau")])
            guard made.status == 0 else { throw HarnessError("keygen: \(made.stderr)") }
            try WAVFile.write(
                path: scratch.file("tip.outdoor.swim-01.wav"), sampleRate: 48000, channels: 1,
                samples: WAVFile.tone(frequency: 700, seconds: 0.5, sampleRate: 48000, channels: 1))
            try WAVFile.write(
                path: scratch.file("alarm.flood.wav"), sampleRate: 48000, channels: 1,
                samples: WAVFile.tone(frequency: 1200, seconds: 0.5, sampleRate: 48000, channels: 1))
            try scratch.write("flood.toml", "title = \"防汛\"\n[[step]]\nalarm = \"alarm.flood\"\nseconds = 1\n")
        }

        /// The `[bureau]` table of a school that trusts this bureau.
        func config(school: String) -> String { "[bureau]\nschool = \"\(school)\"\nkeys = [\"\(pub)\"]\n" }

        /// Signs a bundle whose schedule plays `clip`; returns its path.
        @discardableResult
        func sign(
            version: Int, name: String? = nil, schools: String = "*", clip: String = "bell.start", extra: [String] = [],
            key: String? = nil
        ) throws -> String {
            let directory = scratch.file("v\(version)-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try SchedulerTests.schedule(version: version, at: [Date().addingTimeInterval(3600)], clip: clip)
                .write(toFile: directory + "/schedule.toml", atomically: true, encoding: .utf8)
            let output = scratch.file(name ?? "v\(version).bundle")
            let signed = try run(
                Binaries.client,
                ["bundle", "sign", "--key", key ?? self.key, "--schools", schools, "-o", output, directory + "/schedule.toml"] + extra)
            guard signed.status == 0 else { throw HarnessError("sign: \(signed.stderr)") }
            return output
        }
    }

    /// A bundle made in the test itself, for what the client refuses to sign.
    static func handMade(
        manifest: BundleManifest, parts: [Data], key: Curve25519.Signing.PrivateKey
    ) throws -> Data {
        let bytes = manifest.encoded()
        let signature = try key.signature(for: bytes)
        return Data("carillon-bundle 1\nmanifest \(bytes.count)\n".utf8) + bytes
            + Data("\nsignature ed25519 \(signature.base64EncodedString())\n".utf8) + parts.reduce(Data(), +)
    }

    static func versions(_ daemon: DaemonProcess) throws -> [String] {
        try daemon.client(["schedule", "history", "--json"]).stdout.split(separator: "\n").map(String.init)
    }

    @Test func applyRefuseHistoryAndRollback() throws {
        let bureau = try Bureau()
        defer { bureau.scratch.remove() }
        let rig = try Rig.start(extra: bureau.config(school: "sz-0001"))
        defer { rig.stop() }
        let daemon = rig.daemon
        #expect((try FileManager.default.attributesOfItem(atPath: bureau.key)[.posixPermissions] as? Int) == 0o600)

        // A schedule, a plan and two clips, the plan sounding one of the bundle's own clips.
        let first = try bureau.sign(
            version: 5, extra: [bureau.scratch.file("flood.toml"), bureau.scratch.file("tip.outdoor.swim-01.wav"), bureau.scratch.file("alarm.flood.wav")])
        let verified = try run(Binaries.client, ["bundle", "verify", "--pubkey", bureau.pub, "--school", "sz-0001", first])
        #expect(verified.status == 0, "\(verified.stderr)")
        #expect(verified.stdout.contains("plan     plans/flood.toml"))
        #expect(verified.stdout.hasSuffix("accepted\n"))
        let applied = try daemon.client(["bundle", "apply", first])
        #expect(applied.status == 0, "\(applied.stderr)")
        #expect(applied.stdout.contains("bundle version 5 in force (was 0): the schedule, plans flood, 2 clips"))
        #expect(try daemon.client(["schedule", "show", "--json"]).stdout.contains("\"version\":5"))
        #expect(try daemon.client(["library", "list"]).stdout.contains("tip.outdoor.swim-01"))
        #expect(try daemon.client(["plan", "list"]).stdout.contains("flood"))
        // The same bundle again, as a retried push sends it: answered, nothing changes.
        #expect(try daemon.client(["bundle", "apply", first]).stdout.contains("already applied"))

        // Every refusal, each leaving the history as it was.
        let before = try Self.versions(daemon)
        #expect(before.count == 1)
        let other = bureau.scratch.file("other")
        #expect(try run(Binaries.client, ["bundle", "keygen", "-o", other]).status == 0)
        var flipped = try Data(contentsOf: URL(fileURLWithPath: try bureau.sign(version: 6, name: "flip.bundle")))
        flipped[flipped.count - 10] ^= 0x01
        try flipped.write(to: URL(fileURLWithPath: bureau.scratch.file("flip.bundle")))
        let key = try BundleKey.privateKey(pem: String(contentsOfFile: bureau.key, encoding: .utf8))
        let schedule = Data(SchedulerTests.schedule(version: 6, at: [Date().addingTimeInterval(3600)]).utf8)
        func part(_ kind: BundlePart.Kind, _ path: String, _ data: Data, clip: BundleClip? = nil) -> BundlePart {
            BundlePart(kind: kind, path: path, size: data.count, sha256: SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined(), clip: clip)
        }
        let now = Date()
        let expired = try Self.handMade(
            manifest: BundleManifest(
                version: 6, issuedAt: now.addingTimeInterval(-7200), expiresAt: now.addingTimeInterval(-3600), schools: ["*"],
                key: BundleKey.id(of: key.publicKey), parts: [part(.schedule, "schedule.toml", schedule)]),
            parts: [schedule], key: key)
        try expired.write(to: URL(fileURLWithPath: bureau.scratch.file("expired.bundle")))
        let noise = Data("x".utf8)
        let escaping = try Self.handMade(
            manifest: BundleManifest(
                version: 6, issuedAt: now, expiresAt: now.addingTimeInterval(3600), schools: ["*"], key: BundleKey.id(of: key.publicKey),
                parts: [part(.clip, "clips/../../../etc/x.wav", noise, clip: BundleClip(id: "bell.x", category: "bell", title: "x"))]),
            parts: [noise], key: key)
        try escaping.write(to: URL(fileURLWithPath: bureau.scratch.file("escape.bundle")))
        try Data("not audio at all".utf8).write(to: URL(fileURLWithPath: bureau.scratch.file("bell.broken.wav")))
        var unsigned = try String(contentsOfFile: try bureau.sign(version: 6, name: "unsigned.bundle"), encoding: .isoLatin1)
        unsigned = unsigned.replacingOccurrences(of: #"signature ed25519 \S+"#, with: "signature ed25519 ", options: .regularExpression)
        try unsigned.write(toFile: bureau.scratch.file("unsigned.bundle"), atomically: true, encoding: .isoLatin1)

        let refusals: [(String, String, String)] = [
            ("one byte changed", bureau.scratch.file("flip.bundle"), "does not match its signed hash (bad-part)"),
            ("unsigned", bureau.scratch.file("unsigned.bundle"), "expected `signature ed25519 <base64 of 64 bytes>`"),
            ("an unknown key", try bureau.sign(version: 6, name: "other.bundle", key: other + ".key"), "which is not trusted here (unknown-key)"),
            ("expired", bureau.scratch.file("expired.bundle"), "(expired)"),
            ("not above", try bureau.sign(version: 5, name: "same.bundle", clip: "test.noise"), "version 5 is not above 5"),
            ("below", try bureau.sign(version: 4, name: "old.bundle"), "version 4 is not above 5"),
            ("another school's", try bureau.sign(version: 6, name: "school.bundle", schools: "sz-0002,sz-0003"), "not sz-0001 (wrong-school)"),
            ("an invalid schedule", try bureau.sign(version: 6, name: "clip.bundle", clip: "bell.nope"), "invalid schedule"),
            ("an escaping path", bureau.scratch.file("escape.bundle"), "(unsafe-path)"),
            ("corrupt audio", try bureau.sign(version: 6, name: "corrupt.bundle", extra: [bureau.scratch.file("bell.broken.wav")]), "clips/bell.broken.wav"),
        ]
        for (what, file, reason) in refusals {
            let refused = try daemon.client(["bundle", "apply", file])
            #expect(refused.status == 1, "\(what) was not refused")
            #expect(refused.stderr.contains(reason), "\(what): \(refused.stderr)")
            #expect(try Self.versions(daemon) == before, "\(what) changed the history")
        }
        #expect(!(try daemon.client(["library", "list"]).stdout.contains("bell.broken")))
        let kept = try FileManager.default.contentsOfDirectory(atPath: rig.directory.file("data/recordings"))
        #expect(kept.count == 2, "only the first bundle's two clips are kept: \(kept)")

        // Forward to 6, back to 5: the floor stays at 6, so 6 cannot come back, and 7 may.
        let six = try bureau.sign(version: 6, name: "six.bundle")
        #expect(try daemon.client(["bundle", "apply", six]).status == 0)
        let back = try daemon.client(["schedule", "rollback"])
        #expect(back.stdout.contains("rolled back from version 6 to 5; schedule version 5 in force; new versions must be above 6"), "\(back.stderr)")
        #expect(try daemon.client(["schedule", "show", "--json"]).stdout.contains("\"version\":5"))
        #expect(try daemon.client(["plan", "list"]).stdout.contains("flood"), "version 5's plan is in force again")
        // The very bundle rolled back is answered as applied before, and stays rolled back.
        #expect(try daemon.client(["bundle", "apply", six]).stdout.contains("already applied"))
        #expect(try daemon.client(["schedule", "show", "--json"]).stdout.contains("\"version\":5"))
        let replay = try daemon.client(["bundle", "apply", try bureau.sign(version: 6, name: "six-again.bundle", clip: "test.noise")])
        #expect(replay.status == 1 && replay.stderr.contains("version 6 is not above 6"), "\(replay.stderr)")
        #expect(try daemon.client(["bundle", "apply", try bureau.sign(version: 7, name: "seven.bundle")]).status == 0)
        // An admin on the box may name a file the daemon reads itself.
        let byPath = try daemon.client(["request", "bundle.apply", "{\"path\": \"\(try bureau.sign(version: 8, name: "eight.bundle"))\"}"])
        #expect(byPath.status == 0 && byPath.stdout.contains("\"version\":8"), "\(byPath.stdout)\(byPath.stderr)")
        let audit = try daemon.client(["log", "--audit", "--command", "schedule.rollback"])
        #expect(audit.stdout.contains("schedule.rollback"), "the rollback is in the audit log: \(audit.stdout)")

        // After a crash the same versions are in force and held.
        let history = try Self.versions(daemon)
        kill(daemon.process.processIdentifier, SIGKILL)
        daemon.process.waitUntilExit()
        let again = try DaemonProcess(config: String(contentsOfFile: daemon.configPath, encoding: .utf8), in: rig.directory)
        defer { again.stop() }
        #expect(try Self.versions(again) == history)
        #expect(try again.client(["schedule", "show", "--json"]).stdout.contains("\"version\":8"))
        #expect(try again.client(["plan", "list"]).stdout.contains("flood"))
    }

    @Test func pushToTwentySchoolsOneDownOneNewer() throws {
        let bureau = try Bureau()
        defer { bureau.scratch.remove() }
        var rigs: [ControlAccessTests.Rigged] = []
        defer { rigs.forEach { $0.stop() } }
        for index in 1...19 {
            rigs.append(try ControlAccessTests.start(extra: bureau.config(school: String(format: "sz-%04d", index))))
        }
        // The nineteenth school already holds a newer version, applied by its own admin.
        let newer = try rigs[18].rig.daemon.client(["bundle", "apply", try bureau.sign(version: 9, name: "v9.bundle")])
        #expect(newer.status == 0, "\(newer.stderr)")
        // The twentieth is down: its address is a port nothing listens on.
        var rows = rigs.enumerated().map { index, rigged in
            String(format: "sz-%04d", index + 1) + ",127.0.0.1:\(rigged.port),\(rigged.tokens[.bureau]!),,\(rigged.tls.fingerprint)"
        }
        rows.append("sz-0020,127.0.0.1:\(try freeLoopbackPort()),\(rigs[0].tokens[.bureau]!),\(rigs[0].tls.certificate),")
        try bureau.scratch.write("schools.csv", "# twenty schools on loopback\nid,address,token_file,ca,pin\n" + rows.joined(separator: "\n") + "\n")

        let bundle = try bureau.sign(version: 8, name: "v8.bundle")
        let failed = bureau.scratch.file("failed.csv")
        let pushed = try run(
            Binaries.client,
            ["bundle", "push", bundle, "--schools", bureau.scratch.file("schools.csv"), "--retries", "1", "--timeout", "20", "--failed-out", failed])
        #expect(pushed.status == 1, "a failed school fails the push: \(pushed.stdout)\(pushed.stderr)")
        // For the record (BENCHMARKS.md, the bureau's estimate): the whole push, as the client timed it.
        print(pushed.stdout.split(separator: "\n").last(where: { $0.contains("pushed in") }) ?? "")
        #expect(pushed.stdout.contains("20 schools: 18 ok, 2 failed (refused 1, unreachable 1)"), "\(pushed.stdout)")
        let lines = pushed.stdout.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("sz-0019") && $0.contains("FAILED") && $0.contains("version 8 is not above 9") }, "\(pushed.stdout)")
        #expect(lines.contains { $0.hasPrefix("sz-0020") && $0.contains("FAILED") && $0.contains("unreachable") }, "\(pushed.stdout)")
        #expect(lines.filter { $0.contains("bundle version 8 in force (was 0)") }.count == 18, "\(pushed.stdout)")
        for rigged in rigs.prefix(18) {
            #expect(try rigged.rig.daemon.client(["schedule", "show", "--json"]).stdout.contains("\"version\":8"))
        }
        #expect(try rigs[18].rig.daemon.client(["schedule", "show", "--json"]).stdout.contains("\"version\":9"))

        // Rerunning the failures only: the two schools, and nothing else touched.
        let failures = try String(contentsOfFile: failed, encoding: .utf8)
        #expect(failures.contains("sz-0019") && failures.contains("sz-0020") && !failures.contains("sz-0001,"))
        let rerun = try run(Binaries.client, ["bundle", "push", bundle, "--schools", failed, "--retries", "0", "--timeout", "20"])
        #expect(rerun.status == 1)
        #expect(rerun.stdout.contains("2 schools: 0 ok, 2 failed"), "\(rerun.stdout)")
        // The next version to the eighteen that are up: every one applies it.
        try bureau.scratch.write("up.csv", "id,address,token_file,ca,pin\n" + rows.prefix(18).joined(separator: "\n") + "\n")
        let next = try run(Binaries.client, ["bundle", "push", try bureau.sign(version: 10, name: "v10.bundle"), "--schools", bureau.scratch.file("up.csv")])
        #expect(next.status == 0 && next.stdout.contains("18 schools: 18 ok, 0 failed"), "\(next.stdout)\(next.stderr)")
        print(next.stdout.split(separator: "\n").last(where: { $0.contains("pushed in") }) ?? "")
        // And a push of the same bundle again finds it applied everywhere it was.
        try bureau.scratch.write("first.csv", "id,address,token_file,ca,pin\n" + rows[0] + "\n")
        let again = try run(Binaries.client, ["bundle", "push", bundle, "--schools", bureau.scratch.file("first.csv")])
        #expect(again.status == 0 && again.stdout.contains("already applied"), "\(again.stdout)")
    }
}
