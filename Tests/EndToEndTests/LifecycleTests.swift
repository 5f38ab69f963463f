import CarillonTesting
import Foundation
import Glibc
import Testing

@Suite("The daemon under a service manager", .ownThread)
struct LifecycleTests {
    @Test("READY, then WATCHDOG from the audio loop, RELOADING and READY around SIGHUP, STOPPING and exit 0 on SIGTERM")
    func notifyProtocol() throws {
        let rig = try Rig.start(environment: ["WATCHDOG_USEC": "400000"])
        defer { rig.stop() }
        let daemon = rig.daemon
        #expect(daemon.notifications.contains { $0.hasPrefix("READY=1") })
        // The watchdog keeps coming from the audio loop, at half of WATCHDOG_USEC.
        for _ in 0..<3 { try daemon.waitForNotification(timeout: .seconds(10)) { $0 == "WATCHDOG=1" } }
        #expect(daemon.notifications.filter { $0.hasPrefix("READY=1") }.count == 1, "READY once, when ready")

        kill(daemon.process.processIdentifier, SIGHUP)
        try daemon.waitForNotification(timeout: .seconds(10)) { $0 == "RELOADING=1" }
        try daemon.waitForNotification(timeout: .seconds(10)) { $0.hasPrefix("READY=1") }

        kill(daemon.process.processIdentifier, SIGTERM)
        try daemon.waitForNotification(timeout: .seconds(10)) { $0 == "STOPPING=1" }
        daemon.process.waitUntilExit()
        #expect(daemon.process.terminationStatus == 0)
        #expect(!FileManager.default.fileExists(atPath: daemon.socketPath), "the socket file is removed on exit")
    }

    @Test("under systemd the log carries syslog priorities for the journal, with fields as key=value")
    func journalLog() throws {
        let rig = try Rig.start(environment: ["JOURNAL_STREAM": "8:12345"])
        defer { rig.stop() }
        _ = try rig.daemon.client(["play", "bell.nope"])
        #expect(try rig.daemon.client(["play", "test.noise", "--wait"]).status == 0)
        let lines = rig.daemon.log_.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("<5>carillond ready ") && $0.contains("clips=4") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("<6>play ") && $0.contains("clip=test.noise") })
        #expect(lines.allSatisfy { $0.hasPrefix("<") }, "every line has a priority")
    }

    @Test("a reload with a broken config keeps the running one, and a good reload takes effect")
    func reload() throws {
        let rig = try Rig.start()
        defer { rig.stop() }
        let daemon = rig.daemon
        let original = try String(contentsOfFile: daemon.configPath, encoding: .utf8)

        try (original + "\n[station]\nname = 1\n").write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
        kill(daemon.process.processIdentifier, SIGHUP)
        try daemon.waitForNotification(timeout: .seconds(10)) { $0.hasPrefix("READY=1") }
        #expect(daemon.log_.contains("reload refused"))
        #expect(try daemon.client(["status"]).status == 0)

        try rig.directory.write("library/catalog.toml", "")
        try original.replacingOccurrences(of: "[station]", with: "[station]\nname = \"Renamed School\"")
            .write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
        kill(daemon.process.processIdentifier, SIGHUP)
        try daemon.waitForNotification(timeout: .seconds(10)) { $0 == "RELOADING=1" }
        try daemon.waitForNotification(timeout: .seconds(10)) { $0.hasPrefix("READY=1") }
        let status = try daemon.client(["status"])
        #expect(status.stdout.hasPrefix("Renamed School"), "\(status.stdout)")
        #expect(status.stdout.contains("library: 0 clips"))
    }

    @Test("--check-config prints every error with file and line and exits 1; a good config exits 0")
    func checkConfig() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("lib/catalog.toml", "")
        try FileManager.default.createDirectory(atPath: directory.file("plans"), withIntermediateDirectories: true)
        try directory.write("good.toml", "[library]\ndir = \"lib\"\n")
        try directory.write("bad.toml", "[library]\ndir = \"lib\"\n[station]\ndata_dir = 3\n[[output]]\nname = \"x\"\n")
        let good = try run(Binaries.daemon, ["--check-config", "--config", directory.file("good.toml")])
        #expect(good.status == 0, "\(good.stdout)\(good.stderr)")
        let bad = try run(Binaries.daemon, ["--check-config", "--config", directory.file("bad.toml")])
        #expect(bad.status == 1)
        #expect(bad.stdout == """
            \(directory.file("bad.toml")):4:12: expected a string for `station.data_dir`, found an integer
            \(directory.file("bad.toml")):5:1: missing key `device` in [[output]]

            """)
    }

    @Test(
        "a plans directory that is missing, not a directory, or that the service cannot list or read is an error at start and in --check-config",
        .enabled(if: getuid() == 0, "acting as the service's uid through setpriv needs root"))
    func plansDirectoryMustBeReadable() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // Readable by the unprivileged uid below, as /etc/carillon is by the service's user.
        chmod(directory.path, 0o755)
        try directory.write("lib/catalog.toml", "")
        try directory.write(
            "c.toml", "[station]\ndata_dir = \"data\"\n[control]\nsocket = \"s.sock\"\n[library]\ndir = \"lib\"\n[plans]\ndir = \"plans\"\n")
        let plans = directory.file("plans")
        let service = ["--reuid=52010", "--regid=52010", "--clear-groups"]
        func check(asService: Bool = false) throws -> CommandResult {
            asService
                ? try run("/usr/bin/setpriv", service + [Binaries.daemon, "--check-config", "--config", directory.file("c.toml")])
                : try run(Binaries.daemon, ["--check-config", "--config", directory.file("c.toml")])
        }

        // Missing: a typo in `[plans] dir` used to pass, and the daemon started with no plans.
        let missing = try check()
        #expect(missing.status == 1 && missing.stdout.contains("the plans directory \(plans) does not exist"), "\(missing.stdout)")
        let started = try run(Binaries.daemon, ["--config", directory.file("c.toml")])
        #expect(started.status == 1 && started.stderr.contains("the plans directory \(plans) does not exist"), "\(started.stderr)")

        try directory.write("plans", "not a directory")
        let file = try check()
        #expect(file.status == 1 && file.stdout.contains("is not a directory"), "\(file.stdout)")
        unlink(plans)

        // Created as `make install` did, root-only: the service's user cannot list it.
        mkdir(plans, 0o700)
        try directory.write("plans/fire.toml", "title = \"火灾\"\n[[step]]\nsay = \"请撤离\"\n")
        chmod(directory.file("plans/fire.toml"), 0o644)
        #expect(try check().status == 0, "root reads it")
        let unlisted = try check(asService: true)
        #expect(unlisted.status == 1 && unlisted.stdout.contains("cannot list the plans directory: Permission denied"), "\(unlisted.stdout)")

        // Listable, but one plan is not readable.
        chmod(plans, 0o755)
        chmod(directory.file("plans/fire.toml"), 0o600)
        let unread = try check(asService: true)
        #expect(unread.status == 1 && unread.stdout.contains("fire.toml:1:1: cannot read the plan: Permission denied"), "\(unread.stdout)")

        chmod(directory.file("plans/fire.toml"), 0o644)
        let good = try check(asService: true)
        #expect(good.status == 0, "\(good.stdout)\(good.stderr)")
    }

    @Test("a reload refused because the plans directory went away is a fault in status, metrics and events until a reload succeeds")
    func reloadFault() throws {
        let rig = try Rig.start()
        defer { rig.stop() }
        let daemon = rig.daemon
        let plans = rig.directory.file("plans")
        rename(plans, plans + ".gone")
        kill(daemon.process.processIdentifier, SIGHUP)
        try daemon.waitForNotification(timeout: .seconds(10)) { $0.hasPrefix("READY=1") && daemon.notifications.filter { $0.hasPrefix("READY=1") }.count == 2 }
        let failing = try daemon.client(["status", "--json"])
        #expect(failing.stdout.contains(#""config":{"failed_reloads":1,"#) && failing.stdout.contains(#""state":"failing""#), "\(failing.stdout)")
        #expect(failing.stdout.contains("does not exist"), "\(failing.stdout)")
        let metrics = try daemon.client(["status", "--prometheus"])
        #expect(metrics.stdout.contains("carillon_config_failing 1\n") && metrics.stdout.contains("carillon_config_failed_reloads_total 1\n"))

        rename(plans + ".gone", plans)
        kill(daemon.process.processIdentifier, SIGHUP)
        try daemon.waitForNotification(timeout: .seconds(10)) { _ in daemon.notifications.filter { $0.hasPrefix("READY=1") }.count == 3 }
        let ok = try daemon.client(["status", "--json"])
        #expect(ok.stdout.contains(#""state":"ok""#) && ok.stdout.contains(#""failed_reloads":1"#), "\(ok.stdout)")
        #expect(try daemon.client(["status", "--prometheus"]).stdout.contains("carillon_config_failing 0\n"))
    }

    @Test("GET /metrics over HTTP gives the metrics command's text; other paths and methods are refused")
    func metricsOverHTTP() throws {
        let port = try freeLoopbackPort()
        let rig = try Rig.start(extra: "[metrics]\nlisten = \"127.0.0.1:\(port)\"\n")
        defer { rig.stop() }
        try FileWatch.wait(for: rig.daemon.directory.file("daemon.log"), timeout: .seconds(20)) {
            rig.daemon.log_.contains("metrics listening")
        }
        func ask(_ request: String) throws -> String {
            let socket = try RawSocket(tcpPort: port)
            #expect(socket.send(request))
            return socket.readAll(timeout: .seconds(20)).text
        }
        let scrape = try ask("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        #expect(scrape.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(scrape)")
        #expect(scrape.contains("Content-Type: text/plain; version=0.0.4; charset=utf-8"))
        #expect(scrape.contains("\r\n\r\n# HELP carillon_uptime_seconds") && scrape.contains("carillon_config_failing 0\n"))
        let head = try ask("HEAD /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        #expect(head.hasPrefix("HTTP/1.1 200 OK\r\n") && !head.contains("# HELP"), "\(head)")
        #expect(try ask("GET / HTTP/1.1\r\nConnection: close\r\n\r\n").hasPrefix("HTTP/1.1 404 Not Found"))
        #expect(try ask("GET /../etc/passwd HTTP/1.1\r\nConnection: close\r\n\r\n").hasPrefix("HTTP/1.1 404 Not Found"))
        let post = try ask("POST /metrics HTTP/1.1\r\nContent-Length: 2\r\nConnection: close\r\n\r\nxx")
        #expect(post.hasPrefix("HTTP/1.1 405 Method Not Allowed") && post.contains("Allow: GET, HEAD"), "\(post)")
        #expect(try ask("not http at all\r\n\r\n").contains("400 Bad Request"))
        #expect(try rig.daemon.client(["status"]).status == 0)
    }

    @Test("a metrics port already in use is logged, and the daemon serves everything else")
    func metricsPortInUse() throws {
        let port = try freeLoopbackPort()
        // Hold the port, as another program would.
        let holder = try RawSocket(listeningOn: port)
        defer { withExtendedLifetime(holder) {} }
        let rig = try Rig.start(extra: "[metrics]\nlisten = \"127.0.0.1:\(port)\"\n")
        defer { rig.stop() }
        try FileWatch.wait(for: rig.daemon.directory.file("daemon.log"), timeout: .seconds(20)) {
            rig.daemon.log_.contains("metrics not served")
        }
        #expect(try rig.daemon.client(["play", "test.noise", "--wait"]).status == 0)
    }

    @Test("a first start renders the shipped library in the background, and SIGTERM still stops the daemon at once")
    func stopsWhileRendering() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let library = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("audio-library").path
        let capture = CapturePCM(path: directory.file("capture.raw"))
        let daemon = try DaemonProcess(config: capture.daemonConfig(library: library), in: directory)
        defer { daemon.stop() }
        // The render of a thousand spoken clips has begun: wait for its first files.
        try FileWatch.wait(for: directory.file("data/cache/speech"), timeout: .seconds(120)) {
            ((try? FileManager.default.contentsOfDirectory(atPath: directory.file("data/cache/speech"))) ?? []).count >= 3
        }
        let clock = ContinuousClock()
        let asked = clock.now
        kill(daemon.process.processIdentifier, SIGTERM)
        daemon.process.waitUntilExit()
        // systemd's TimeoutStopSec is 10 s; before, the first start's render held the stop for minutes.
        #expect(clock.now - asked < .seconds(8), "stopped after \(clock.now - asked)")
        #expect(daemon.process.terminationStatus == 0)
        let rendered = (try? FileManager.default.contentsOfDirectory(atPath: directory.file("data/cache/speech")))?.count ?? 0
        #expect(rendered < 1000, "the whole library rendered before the stop (\(rendered)): the test proves nothing")
    }

    @Test("a daemon whose database cannot be opened exits with a clear error")
    func badDatabase() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("lib/catalog.toml", "")
        try directory.write("data/carillon.sqlite", String(repeating: "not a database ", count: 1000))
        try directory.write(
            "c.toml", "[station]\ndata_dir = \"data\"\n[control]\nsocket = \"s.sock\"\n[library]\ndir = \"lib\"\n")
        let result = try run(Binaries.daemon, ["--config", directory.file("c.toml")])
        #expect(result.status == 1)
        #expect(result.stderr.contains("cannot open database \(directory.file("data/carillon.sqlite"))"), "\(result.stderr)")
    }
}

@Suite("A second daemon on the same socket", .ownThread)
struct SecondDaemonTests {
    @Test("refuses to start and leaves the first one's capture and socket alone")
    func refuses() throws {
        let rig = try Rig.start()
        defer { rig.stop() }
        try rig.capture.waitForSize(48000)
        let before = rig.capture.size
        let second = try run(Binaries.daemon, ["--config", rig.daemon.configPath])
        #expect(second.status == 1)
        #expect(second.stderr.contains("another carillond is already serving \(rig.daemon.socketPath)"), "\(second.stderr)")
        #expect(rig.capture.size >= before, "the capture was not truncated by a second open")
        #expect(try rig.daemon.client(["status"]).status == 0)
    }
}

@Suite("Backup and restore", .ownThread)
struct BackupTests {
    @Test("a backup taken while running restores the play log as it was, after the daemon restarts")
    func backupAndRestore() throws {
        let directory = try TemporaryDirectory("carillon-backup")
        defer { directory.remove() }
        try directory.write("library/catalog.toml", "[[clip]]\nid = \"bell.start\"\ncategory = \"bell\"\ntitle = \"b\"\nsynth = \"two-tone\"\n")
        let capture = CapturePCM(path: directory.file("capture.raw"))
        let config = capture.daemonConfig()
        let daemon = try DaemonProcess(config: config, in: directory)
        let first = try daemon.client(["play", "bell.start"])
        #expect(first.stdout.hasPrefix("playing #1 "), "\(first.stdout)\(first.stderr)")
        let backup = try daemon.client(["admin", "backup", directory.file("saved.sqlite")])
        #expect(backup.status == 0, "\(backup.stderr)")
        #expect(backup.stdout.hasPrefix("backed up "))
        let second = try daemon.client(["play", "bell.start"])
        #expect(second.stdout.hasPrefix("playing #2 "), "\(second.stdout)\(second.stderr)")

        // A file that is not a database is refused and nothing changes.
        try directory.write("junk.sqlite", String(repeating: "junk", count: 2000))
        let junk = try daemon.client(["admin", "restore", directory.file("junk.sqlite")])
        #expect(junk.status == 1)
        #expect(try daemon.client(["status"]).status == 0, "still running")

        let restore = try daemon.client(["admin", "restore", directory.file("saved.sqlite")])
        try #require(restore.status == 0, "\(restore.stderr)")
        // The daemon stops by itself to take the restore in at its next start.
        try daemon.waitForNotification(timeout: .seconds(30)) { $0 == "STOPPING=1" }
        daemon.process.waitUntilExit()
        #expect(daemon.process.terminationStatus == 0)
        daemon.stop()

        let again = try DaemonProcess(config: config, in: directory)
        defer { again.stop() }
        #expect(again.log_.contains("database restored from a backup"))
        // Play numbers continue from the restored log: the second play is not in it.
        let next = try again.client(["play", "bell.start"])
        #expect(next.stdout.hasPrefix("playing #2 "), "\(next.stdout)\(next.stderr)")
    }
}
