import CarillonControl
import CarillonProtocol
import CarillonTesting
import Foundation
import Glibc
import Testing

@Suite("Announcements booked for later, and zone groups, in the real daemon", .ownThread)
struct AnnounceTests {
    /// A whole second a few seconds from now, as ISO 8601 in UTC: booked times are to the second.
    static func second(in seconds: Double) -> (Date, String) {
        let date = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.up) + seconds)
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return (date, formatter.string(from: date))
    }

    static func book(_ daemon: DaemonProcess, _ arguments: [String]) throws -> AnnouncementInfo {
        let booked = try daemon.client(["announce"] + arguments + ["--json"])
        try #require(booked.status == 0, "\(booked.stderr)")
        return try Wire.decoder().decode(AnnouncementInfo.self, from: Data(booked.stdout.utf8))
    }

    static func list(_ daemon: DaemonProcess) throws -> [AnnouncementInfo] {
        let listed = try daemon.client(["announce", "list", "--all", "--json"])
        try #require(listed.status == 0, "\(listed.stderr)")
        return try listed.stdout.split(separator: "\n").map {
            try Wire.decoder().decode(AnnouncementInfo.self, from: Data($0.utf8))
        }
    }

    /// Lines of the daemon's log that say an announcement played.
    static func played(_ daemon: DaemonProcess) -> Int {
        daemon.log_.split(separator: "\n").filter { $0.contains("announcement played") }.count
    }

    @Test("a booked clip plays at its second at the announcement level, sample for sample, and is logged")
    func clipPlaysAtItsTime() async throws {
        let rig = try Rig.start()
        defer { rig.stop() }
        let (at, text) = Self.second(in: 3)
        let booked = try Self.book(rig.daemon, ["--at", text, "--clip", "test.noise"])
        #expect(booked.state == "pending" && booked.zones == ["main"] && booked.at == at && booked.clip == "test.noise")
        let pending = try rig.daemon.client(["announce", "list"])
        #expect(
            pending.stdout.contains("\(booked.announcement)  ") && pending.stdout.contains("pending  test.noise  main"),
            "\(pending.stdout)")

        try FileWatch.wait(for: rig.directory.file("daemon.log"), timeout: .seconds(30)) {
            Self.played(rig.daemon) >= 1
        }
        let done = try #require(try Self.list(rig.daemon).first { $0.announcement == booked.announcement })
        #expect(done.state == "played")
        let play = try #require(done.play)
        let outcome = try await ControlConnection.with(.unixDomainSocket(path: rig.daemon.socketPath)) { control in
            try await control.call(.wait, WaitArgs(play: play), returning: PlayOutcome.self)
        }
        #expect(outcome.outcome == "finished" && outcome.level == "announcement")
        let firstFrame = try #require(outcome.zones.first?.firstFrame)
        try rig.capture.waitForSize((Int(firstFrame) + rig.clip.count / 2) * 4)
        let captured = rig.capture.samples()
        let found = try #require(
            firstIndex(of: rig.clip[0..<64], in: captured, stride: 2), "the clip is not in the capture")
        #expect(found == Int(firstFrame) * 2)
        #expect(Array(captured[found..<(found + rig.clip.count)]) == rig.clip)

        let log = try rig.daemon.client(["log", "--source", "announce", "--json"])
        let logged = try Wire.decoder().decode(
            LoggedPlay.self, from: Data(try #require(log.stdout.split(separator: "\n").first).utf8))
        #expect(logged.play == play && logged.requestedBy.hasPrefix("announcement \(booked.announcement) ("))
        #expect(logged.requestedAt >= at, "never before its second: requested \(logged.requestedAt), due \(at)")
    }

    @Test("a booked text is rendered ahead, read after the chime at its time, and a cancelled one never plays")
    func textPlaysAndCancelledDoesNot() throws {
        let rig = try Rig.start()
        defer { rig.stop() }
        // A subscriber to the announcements' events, from before the first booking.
        let events = Process()
        events.executableURL = URL(fileURLWithPath: Binaries.client)
        // Not --json: the client says it listens only in its plain form.
        events.arguments = ["--socket", rig.daemon.socketPath, "events", "--kinds", "announce"]
        events.environment = ProcessInfo.processInfo.environment.merging(ClientTests.english) { $1 }
        let out = Pipe()
        let err = Pipe()
        (events.standardOutput, events.standardError, events.standardInput) = (out, err, FileHandle.nullDevice)
        try events.run()
        defer {
            events.terminate()
            events.waitUntilExit()
        }
        var subscribed = ""
        while !subscribed.contains("listening") {
            let chunk = err.fileHandleForReading.availableData
            try #require(!chunk.isEmpty, "the events client ended: \(subscribed)")
            subscribed += String(decoding: chunk, as: UTF8.self)
        }
        let (_, first) = Self.second(in: 3)
        let (_, second) = Self.second(in: 4)
        let cancelled = try Self.book(rig.daemon, ["--at", first, "--clip", "test.noise"])
        let spoken = try Self.book(rig.daemon, ["--at", second, "--text", "请同学们到操场集合。"])
        #expect(spoken.text == "请同学们到操场集合。" && spoken.voice == "zh")
        let speechCache = rig.directory.file("data/cache/speech")
        func renders() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: speechCache)) ?? []).filter { $0.hasSuffix(".wav") }
        }
        #expect(renders().count == 1, "the text is rendered when it is booked")
        let cancel = try rig.daemon.client(["announce", "cancel", "\(cancelled.announcement)"])
        #expect(
            cancel.status == 0 && cancel.stdout.contains("announcement \(cancelled.announcement) cancelled"),
            "\(cancel.stderr)")
        let again = try rig.daemon.client(["announce", "cancel", "\(cancelled.announcement)"])
        #expect(again.status == 1 && again.stderr.contains("was cancelled at"), "\(again.stderr)")
        let missing = try rig.daemon.client(["announce", "cancel", "99999"])
        #expect(missing.status == 1 && missing.stderr.contains("no announcement 99999"), "\(missing.stderr)")

        // The spoken one, a second after the cancelled one, is the sign that its time has passed.
        try FileWatch.wait(for: rig.directory.file("daemon.log"), timeout: .seconds(30)) {
            Self.played(rig.daemon) >= 1
        }
        let all = try Self.list(rig.daemon)
        #expect(all.first { $0.announcement == cancelled.announcement }?.state == "cancelled")
        let done = try #require(all.first { $0.announcement == spoken.announcement })
        #expect(done.state == "played")
        #expect(Self.played(rig.daemon) == 1, "the cancelled one did not play")
        // Dropped once it has played (just after the log line).
        try FileWatch.wait(for: speechCache + "/.", timeout: .seconds(10)) { renders().isEmpty }
        let log = try rig.daemon.client(["log", "--source", "announce", "--json"])
        #expect(
            log.stdout.split(separator: "\n").count == 1 && log.stdout.contains("\"clip\":\"say\""), "\(log.stdout)")
        let playedAgain = try rig.daemon.client(["announce", "cancel", "\(spoken.announcement)"])
        #expect(playedAgain.status == 1 && playedAgain.stderr.contains("was played at"), "\(playedAgain.stderr)")

        // The events, in order; the last is published as the daemon logs that it played.
        var lines = ""
        while !lines.contains("announce.played") {
            let chunk = out.fileHandleForReading.availableData
            try #require(!chunk.isEmpty, "the events ended: \(lines)")
            lines += String(decoding: chunk, as: UTF8.self)
        }
        let seen = lines.split(separator: "\n").map {
            $0.split(separator: " ").dropFirst(2).first.map(String.init) ?? ""
        }
        #expect(seen == ["announce.created", "announce.created", "announce.cancelled", "announce.played"], "\(lines)")
        #expect(lines.contains("announce.played  #\(try #require(done.play))  "), "\(lines)")
    }

    /// A school of one output on a capture and a bell, for tests that restart its daemon: a
    /// `DaemonProcess` is stopped once, so these do not use `Rig`.
    static func school() throws -> (TemporaryDirectory, String) {
        let directory = try TemporaryDirectory("carillon-announce")
        let capture = CapturePCM(path: directory.file("capture.raw"))
        try directory.write(
            "library/catalog.toml",
            "[[clip]]\nid = \"bell.start\"\ncategory = \"bell\"\ntitle = \"b\"\nsynth = \"two-tone\"\n")
        let config = capture.daemonConfig()
        return (directory, config)
    }

    @Test("a booking survives a crash and plays after the restart, once")
    func survivesRestart() throws {
        let (directory, config) = try Self.school()
        defer { directory.remove() }
        var daemon = try DaemonProcess(config: config, in: directory)
        let (_, at) = Self.second(in: 8)
        let booked = try Self.book(daemon, ["--at", at, "--clip", "bell.start"])
        kill(daemon.process.processIdentifier, SIGKILL)
        daemon.process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: directory.file("daemon.log"))
        daemon = try DaemonProcess(config: config, in: directory)
        defer { daemon.stop() }
        #expect(try Self.list(daemon).first?.state == "pending", "kept across the crash")
        try FileWatch.wait(for: directory.file("daemon.log"), timeout: .seconds(30)) { Self.played(daemon) >= 1 }
        let done = try #require(try Self.list(daemon).first { $0.announcement == booked.announcement })
        #expect(done.state == "played" && done.play != nil)
        // A second restart does not play it again: it is marked played before it sounds.
        daemon.stop()
        try? FileManager.default.removeItem(atPath: directory.file("daemon.log"))
        daemon = try DaemonProcess(config: config, in: directory)
        #expect(try Self.list(daemon).first?.state == "played")
        #expect(Self.played(daemon) == 0)
    }

    @Test(
        "after the daemon was down past an announcement's time: at most 60 s late it plays, later it is marked missed")
    func downPastItsTime() throws {
        let (directory, config) = try Self.school()
        defer { directory.remove() }
        var daemon = try DaemonProcess(config: config, in: directory)
        let (_, later) = Self.second(in: 600)
        let late = try Self.book(daemon, ["--at", later, "--clip", "bell.start"])
        let tooLate = try Self.book(daemon, ["--at", later, "--text", "第一节课取消。"])
        daemon.stop()
        // As if the daemon had been down: one became 20 s late, the other an hour.
        let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
        let database = directory.file("data/carillon.sqlite")
        for (id, ago) in [(late.announcement, Int64(20)), (tooLate.announcement, Int64(3600))] {
            let moved = try run(
                "/usr/bin/sqlite3",
                ["-batch", database, "UPDATE announcement SET at = \(now - ago * 1_000_000) WHERE id = \(id)"])
            try #require(moved.status == 0, "\(moved.stderr)")
        }
        try? FileManager.default.removeItem(atPath: directory.file("daemon.log"))
        daemon = try DaemonProcess(config: config, in: directory)
        defer { daemon.stop() }
        try FileWatch.wait(for: directory.file("daemon.log"), timeout: .seconds(30)) {
            Self.played(daemon) >= 1 && daemon.log_.contains("announcement missed")
        }
        let all = try Self.list(daemon)
        #expect(all.first { $0.announcement == late.announcement }?.state == "played")
        let missed = try #require(all.first { $0.announcement == tooLate.announcement })
        #expect(missed.state == "missed")
        #expect(missed.detail?.contains("past the 60 s grace") == true, "\(missed.detail ?? "")")
        // The play log holds both: the one that played, and the missed one, as the scheduler's missed events are.
        let log = try daemon.client(["log", "--source", "announce", "--json"])
        let plays = try log.stdout.split(separator: "\n").map {
            try Wire.decoder().decode(LoggedPlay.self, from: Data($0.utf8))
        }
        let missedPlay = try #require(plays.first { $0.play == missed.play }, "\(log.stdout)")
        #expect(missedPlay.outcome == "missed" && missedPlay.clip == "say" && missedPlay.firstSampleAt == nil)
        #expect(
            plays.contains {
                $0.clip == "bell.start" && $0.requestedBy.hasPrefix("announcement \(late.announcement) (")
            })
    }

    @Test("--at is read in the client's time zone: HH:MM today and YYYY-MM-DD HH:MM")
    func localTimes() throws {
        let rig = try Rig.start()
        defer { rig.stop() }
        // A zone where it is 10:xx now, so that 12:00 is today and to come, whatever the hour in UTC.
        let utcHour = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: Date())
            .hour!
        var offset = 10 - utcHour
        if offset < -12 { offset += 24 }
        if offset > 14 { offset -= 24 }
        // POSIX inverts the sign: Etc/GMT-3 is UTC+3.
        let zone = "Etc/GMT" + (offset > 0 ? "-\(offset)" : offset < 0 ? "+\(-offset)" : "")
        let timeZone = try #require(TimeZone(identifier: zone))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let today = calendar.dateComponents([.year, .month, .day], from: Date())
        let noon = try #require(
            calendar.date(from: DateComponents(year: today.year, month: today.month, day: today.day, hour: 12)))
        func book(_ at: String) throws -> AnnouncementInfo {
            let result = try run(
                Binaries.client,
                ["--socket", rig.daemon.socketPath, "announce", "--at", at, "--clip", "test.noise", "--json"],
                environment: ["TZ": zone])
            try #require(result.status == 0, "\(result.stderr)")
            return try Wire.decoder().decode(AnnouncementInfo.self, from: Data(result.stdout.utf8))
        }
        #expect(try book("12:00").at == noon)
        let tomorrow = calendar.date(byAdding: .day, value: 1, to: noon)!
        let formatter = DateFormatter()
        formatter.timeZone = timeZone
        formatter.dateFormat = "yyyy-MM-dd"
        #expect(try book("\(formatter.string(from: tomorrow)) 12:00").at == tomorrow)
        let chinese = try run(
            Binaries.client, ["--socket", rig.daemon.socketPath, "announce", "list"],
            environment: ClientTests.chinese.merging(["TZ": zone]) { $1 })
        #expect(chinese.stdout.contains("待播  test.noise  分区 main"), "\(chinese.stdout)")
    }

    @Test(
        "a teacher limited to zones books, lists and cancels only within them, groups included",
        .enabled(if: getuid() == 0, "acting as another uid through setpriv needs root"))
    func zoneLimits() throws {
        let rig = try Rig.start(
            extraOutputs: Rig.output("second", capturingTo: "@DIR@/second.raw"),
            control: "socket_mode = \"0666\"",
            extra: """
                [[zone_group]]
                name = "both"
                zones = ["main", "second"]
                [[access]]
                users = [52011]
                role = "teacher"
                zones = ["main"]
                """)
        defer { rig.stop() }
        // The teacher's uid must reach the socket through the test's private directory.
        chmod(rig.directory.path, 0o755)
        func teacher(_ arguments: [String]) throws -> CommandResult {
            try run(
                "/usr/bin/setpriv",
                ["--reuid=52011", "--regid=52011", "--clear-groups", Binaries.client, "--socket", rig.daemon.socketPath]
                    + arguments, environment: ClientTests.english)
        }
        let (_, soon) = Self.second(in: 600)
        let theirs = try teacher(["announce", "--at", soon, "--clip", "test.noise", "--json"])
        try #require(theirs.status == 0, "\(theirs.stderr)")
        let own = try Wire.decoder().decode(AnnouncementInfo.self, from: Data(theirs.stdout.utf8))
        #expect(own.zones == ["main"], "absent zones are all of theirs")
        let group = try teacher(["announce", "--at", soon, "--clip", "test.noise", "--zones", "both"])
        #expect(group.status == 4 && group.stderr.contains("may use zones main only, not `second`"), "\(group.stderr)")
        let elsewhere = try Self.book(rig.daemon, ["--at", soon, "--clip", "test.noise", "--zones", "second"])
        let everywhere = try Self.book(rig.daemon, ["--at", soon, "--clip", "test.noise", "--zones", "both"])
        let listed = try teacher(["announce", "list", "--json"])
        let seen = try listed.stdout.split(separator: "\n").map {
            try Wire.decoder().decode(AnnouncementInfo.self, from: Data($0.utf8)).announcement
        }
        #expect(seen == [own.announcement, everywhere.announcement], "those that sound in their zone")
        let hidden = try teacher(["announce", "cancel", "\(elsewhere.announcement)"])
        #expect(hidden.status == 1 && hidden.stderr.contains("no announcement \(elsewhere.announcement)"), "\(hidden.stderr)")
        let shared = try teacher(["announce", "cancel", "\(everywhere.announcement)"])
        #expect(shared.status == 4 && shared.stderr.contains("may cancel only one within their zones"), "\(shared.stderr)")
        #expect(try teacher(["announce", "cancel", "\(own.announcement)"]).status == 0)
        #expect(try Self.list(rig.daemon).filter { $0.state == "pending" }.count == 2)
    }

    @Test("bad bookings are refused with a clear error and book nothing")
    func refusals() throws {
        let rig = try Rig.start()
        defer { rig.stop() }
        func refused(_ arguments: [String], status: Int32, _ text: String) throws {
            let result = try rig.daemon.client(["announce"] + arguments)
            #expect(
                result.status == status && result.stderr.contains(text),
                "\(arguments): \(result.status) \(result.stderr)")
        }
        let (_, soon) = Self.second(in: 600)
        let (_, past) = Self.second(in: -60)
        let (_, far) = Self.second(in: 31 * 86400)
        try refused(
            ["--at", "25:00", "--clip", "test.noise"], status: 2,
            "`25:00` is not a time; give HH:MM (today), YYYY-MM-DD HH:MM")
        try refused(["--at", "2026-02-30 08:00", "--clip", "test.noise"], status: 2, "is not a time")
        try refused(["--at", "00:00", "--clip", "test.noise"], status: 2, "00:00 today has already passed")
        try refused(["--at", soon], status: 2, "give either --clip or --text")
        try refused(["--at", soon, "--clip", "test.noise", "--text", "x"], status: 2, "give either --clip or --text")
        try refused(["--at", past, "--clip", "test.noise"], status: 2, "is not after now")
        try refused(["--at", far, "--clip", "test.noise"], status: 2, "announcements are booked at most 30 days ahead")
        try refused(["--at", soon, "--clip", "tip.nope"], status: 1, "no clip `tip.nope` in the library")
        try refused(["--at", soon, "--text", "   "], status: 2, "nothing to say: the text is empty")
        try refused(
            ["--at", soon, "--text", String(repeating: "字", count: 301)], status: 2, "an announcement reads at most 300"
        )
        try refused(["--at", soon, "--clip", "test.noise", "--zones", "roof"], status: 2, "unknown zone `roof`")
        try refused(["--at", soon, "--text", "hi", "--voice", "fr"], status: 2, "voice must be `zh` or `en`")
        #expect(try Self.list(rig.daemon).isEmpty, "nothing was booked")
        // Refusals by the daemon are audited, as every state-changing command is.
        let audit = try rig.daemon.client(["log", "--audit", "--json"])
        #expect(audit.stdout.contains(#""command":"announce""#) && audit.stdout.contains(#""error_code":"unknown-clip""#), "\(audit.stdout)")
    }

    @Test("a zone group plays in its zones, is shown by status, and an unknown name is refused")
    func zoneGroups() async throws {
        let rig = try Rig.start(
            extraOutputs: Rig.output("second", capturingTo: "@DIR@/second.raw"),
            extra: """
                [[zone_group]]
                name = "初一年级"
                zones = ["main", "second"]
                """)
        defer { rig.stop() }
        let played = try rig.daemon.client(["play", "test.noise", "--zones", "初一年级", "--json"])
        #expect(played.status == 0, "\(played.stderr)")
        let info = try Wire.decoder().decode(PlayInfo.self, from: Data(played.stdout.utf8))
        #expect(info.zones == ["main", "second"])
        let unknown = try rig.daemon.client(["play", "test.noise", "--zones", "初二年级"])
        #expect(
            unknown.status == 2 && unknown.stderr.contains("unknown zone `初二年级`")
                && unknown.stderr.contains("the zone groups are `初一年级`"), "\(unknown.stderr)")
        let status = try rig.daemon.client(["status"])
        #expect(status.stdout.contains("zone groups:\n  初一年级  = main,second"), "\(status.stdout)")
        let (_, soon) = Self.second(in: 600)
        let booked = try Self.book(rig.daemon, ["--at", soon, "--text", "放学了", "--zones", "初一年级"])
        #expect(booked.zones == ["main", "second"], "booked with the group's zones")
        // A preview without the config takes a group's name for a group; the daemon knows it.
        let event = #"{ at = "08:00", play = "bell.start", zones = ["初一年级"] }"#
        let scheduleText = SchedulerTests.schedule(version: 1, at: [])
            .replacingOccurrences(of: "events = [\n  \n]", with: "events = [\n  \(event)\n]")
        try rig.directory.write("grade.toml", scheduleText)
        let today = String(ISO8601DateFormatter().string(from: Date()).prefix(10))
        let preview = try rig.daemon.client([
            "schedule", "preview", "--file", rig.directory.file("grade.toml"), "--from", today, "--to", today, "--json",
        ])
        #expect(preview.status == 0 && preview.stdout.contains(#""zones":["初一年级"]"#), "\(preview.stderr)\(scheduleText)")
        let apply = try rig.daemon.client(["schedule", "apply", rig.directory.file("grade.toml")])
        #expect(apply.status == 0, "the daemon accepts a schedule naming the group: \(apply.stderr)")
    }

    @Test("a config whose zone group names an unknown zone does not start, and a reload with one is refused whole")
    func badGroups() throws {
        let rig = try Rig.start(
            extra: """
                [[zone_group]]
                name = "everywhere"
                zones = ["main"]
                """)
        defer { rig.stop() }
        let config = try String(contentsOfFile: rig.daemon.configPath, encoding: .utf8)
        try config.replacingOccurrences(of: #"zones = ["main"]"#, with: #"zones = ["main", "roof"]"#)
            .write(toFile: rig.daemon.configPath, atomically: true, encoding: .utf8)
        let check = try run(Binaries.daemon, ["--config", rig.daemon.configPath, "--check-config"])
        #expect(
            check.status != 0 && check.stdout.contains("zone group `everywhere` lists `roof`, which is not a zone"),
            "\(check.stdout)")
        kill(rig.daemon.process.processIdentifier, SIGHUP)
        try rig.daemon.waitForNotification(timeout: .seconds(20)) { $0 == "RELOADING=1" }
        try rig.daemon.waitForNotification(timeout: .seconds(20)) { $0.hasPrefix("READY=1") }
        #expect(rig.daemon.log_.contains("reload refused"))
        let played = try rig.daemon.client(["play", "test.noise", "--zones", "everywhere", "--json"])
        #expect(played.status == 0, "the running groups stay: \(played.stderr)")
    }
}
