import CarillonControl
import CarillonTesting
import Foundation
import Testing

/// The `carillon` client as a person or a script meets it: pipes, exit codes and hints, `--zones`,
/// finding clips, and its messages in English and Chinese.
@Suite("The control client", .ownThread)
struct ClientTests {
    /// The locale variables as a shell would set them, whatever the test run's own are.
    static func locale(all: String = "", messages: String = "", lang: String = "C.UTF-8") -> [String: String] {
        ["LC_ALL": all, "LC_MESSAGES": messages, "LANG": lang]
    }

    static let english = locale()
    static let chinese = locale(lang: "zh_CN.UTF-8")

    /// Runs the client against `rig`'s daemon in the given locale.
    static func client(_ rig: Rig, _ arguments: [String], locale: [String: String] = english) throws -> CommandResult {
        try run(Binaries.client, ["--socket", rig.daemon.socketPath] + arguments, environment: locale)
    }

    /// Runs the client with its standard output a pipe that nobody reads any more, as
    /// `carillon log --json | head -2` leaves it once `head` has its lines.
    static func withClosedStdout(_ arguments: [String]) throws -> (
        reason: Process.TerminationReason, status: Int32, stderr: String
    ) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Binaries.client)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(english) { $1 }
        let out = Pipe()
        let err = Pipe()
        try out.fileHandleForReading.close()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try? out.fileHandleForWriting.close()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationReason, process.terminationStatus, String(decoding: stderr, as: UTF8.self))
    }

    @Test("a closed pipe ends the client quietly with status 0, as it ends ls")
    func brokenPipe() throws {
        let rig = try Rig.start()
        defer { rig.stop() }
        for arguments in [["library", "list", "--json"], ["library", "list"], ["log", "--json"], ["status"]] {
            let result = try Self.withClosedStdout(["--socket", rig.daemon.socketPath] + arguments)
            #expect(result.reason == .exit, "\(arguments): killed by signal \(result.status)")
            #expect(result.status == 0, "\(arguments)")
            #expect(result.stderr.isEmpty, "\(arguments): \(result.stderr)")
        }
    }

    @Test("dates are read strictly: a month 13 or February 30 is a usage mistake, not next year or March")
    func strictDates() throws {
        let nowhere = ["--socket", "/nonexistent/carillon.sock"]
        for arguments in [
            ["log", "--from", "2026-13-01"], ["stats", "--from", "2026-02-30"], ["log", "--to", "2026-02-29"],
        ] {
            let result = try run(Binaries.client, nowhere + arguments, environment: Self.english)
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains("not a date"), "\(arguments): \(result.stderr)")
        }
    }

    @Test("`events` exits 1 with a message when the daemon goes away")
    func eventsEndWithTheConnection() throws {
        let rig = try Rig.start()
        var daemonStopped = false
        defer {
            if !daemonStopped { rig.daemon.stop() }
            rig.directory.remove()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Binaries.client)
        process.arguments = ["--socket", rig.daemon.socketPath, "events"]
        process.environment = ProcessInfo.processInfo.environment.merging(Self.english) { $1 }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Subscribed once it says so; then the daemon stops.
        var stderr = Data()
        while !String(decoding: stderr, as: UTF8.self).contains("^C") {
            let chunk = err.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            stderr += chunk
        }
        #expect(String(decoding: stderr, as: UTF8.self).contains("listening for all events"))
        rig.daemon.stop()
        daemonStopped = true
        stderr += err.fileHandleForReading.readDataToEndOfFile()
        _ = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 1)
        #expect(String(decoding: stderr, as: UTF8.self).contains("the connection to the daemon ended"))
    }

    @Test("--zones takes one form everywhere: comma-separated, and repeatable")
    func zonesOneForm() throws {
        let rig = try Rig.start(extraOutputs: Rig.output("yard", capturingTo: "@DIR@/yard.raw"))
        defer { rig.stop() }
        for zones in [
            ["--zones", "main,yard"], ["--zones", "main", "--zones", "yard"],
            ["--zones", "yard,main", "--zones", "main"],
        ] {
            let played = try Self.client(rig, ["play", "test.noise", "--json"] + zones)
            #expect(played.status == 0, "\(zones): \(played.stderr)")
            let info = try JSONSerialization.jsonObject(with: Data(played.stdout.utf8)) as? [String: Any]
            #expect(info?["zones"] as? [String] == ["main", "yard"], "\(zones): \(played.stdout)")
        }
        // `shout` used to take `main,yard` as one zone's name.
        let shout = try Self.client(
            rig, ["shout", "--file", rig.directory.file("library/noise.wav"), "--zones", "main,yard"])
        #expect(shout.status == 0, "\(shout.stderr)")
        #expect(shout.stderr.contains("main, yard"), "\(shout.stderr)")
        let empty = try Self.client(
            rig, ["shout", "--zones", "main,,yard", "--file", rig.directory.file("library/noise.wav")])
        #expect(empty.status == 2)
    }

    @Test("`plan start` reads --zones as comma-separated too")
    func planZones() throws {
        let rig = try PlanTests.start()
        defer { rig.stop() }
        let started = try Self.client(rig, ["plan", "start", "test", "--drill", "--yes", "--zones", "main,all"])
        #expect(started.status == 0, "\(started.stderr)")
        #expect(started.stdout.contains("started in main"), "\(started.stdout)")
        #expect(try Self.client(rig, ["plan", "stop", "test"]).status == 0)
    }

    @Test("`token new` prints the [[token]] entry on stdout, ready to append to carillon.toml")
    func tokenEntryOnStdout() throws {
        let directory = try TemporaryDirectory("carillon-client")
        defer { directory.remove() }
        let file = directory.file("phone.token")
        let result = try run(
            Binaries.client,
            ["token", "new", "phone", "--role", "teacher", "--zones", "a,b", "--zones", "c", "-o", file],
            environment: Self.english)
        #expect(result.status == 0, "\(result.stderr)")
        let token = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(token.hasPrefix("crl_"))
        #expect(result.stdout.contains("[[token]]\nname = \"phone\"\nrole = \"teacher\"\n"), "\(result.stdout)")
        #expect(result.stdout.contains("sha256 = \"\(AccessPolicy.hash(token: token))\""))
        #expect(result.stdout.contains("zones = [\"a\", \"b\", \"c\"]"))
        #expect(!result.stdout.contains(token), "the secret stays in its file")
        #expect(!result.stderr.contains("sha256"), "the entry is not on stderr")
        // Without -o the token is shown once on stderr, and stdout is still just the entry.
        let shown = try run(Binaries.client, ["token", "new", "pc", "--role", "viewer"], environment: Self.english)
        #expect(shown.status == 0)
        #expect(shown.stdout.hasPrefix("\n[[token]]\n"))
        #expect(!shown.stdout.contains("crl_"))
        #expect(shown.stderr.contains("crl_"))
    }

    @Test("exit codes as documented: an invalid argument or unknown zone is 2 and names the zones there are")
    func usageMistakesTheDaemonFinds() throws {
        let rig = try Rig.start(extraOutputs: Rig.output("yard", capturingTo: "@DIR@/yard.raw"))
        defer { rig.stop() }
        let zone = try Self.client(rig, ["play", "test.noise", "--zones", "roof"])
        #expect(zone.status == 2)
        #expect(zone.stderr.contains("unknown zone `roof`; the zones are main, yard"), "\(zone.stderr)")
        let level = try Self.client(rig, ["play", "test.noise", "--level", "loud"])
        #expect(level.status == 2, "\(level.stderr)")
        let category = try Self.client(rig, ["library", "list", "--category", "noises"])
        #expect(category.status == 2, "\(category.stderr)")
        // Refusals of what exists are still 1, and so are a file's problems.
        #expect(try Self.client(rig, ["play", "bell.nope"]).status == 1)
        try rig.directory.write("bad-schedule.toml", "version = \"seven\"\n")
        let schedule = try Self.client(rig, ["schedule", "apply", rig.directory.file("bad-schedule.toml")])
        #expect(schedule.status == 1, "\(schedule.stderr)")
    }

    @Test("a daemon that is not running gets a hint to check the service")
    func notRunningHint() throws {
        let directory = try TemporaryDirectory("carillon-client")
        defer { directory.remove() }
        let missing = try run(
            Binaries.client, ["--socket", directory.file("control.sock"), "status"], environment: Self.english)
        #expect(missing.status == 3)
        #expect(missing.stderr.contains("cannot connect"))
        #expect(missing.stderr.contains("systemctl status carillond"), "\(missing.stderr)")
        // A socket file left behind with nobody listening: the same.
        let stale = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #expect(UnixSocket.bind(stale, to: directory.file("stale.sock")) == 0)
        close(stale)
        let refused = try run(
            Binaries.client, ["--socket", directory.file("stale.sock"), "status"], environment: Self.english)
        #expect(refused.status == 3)
        #expect(refused.stderr.contains("systemctl status carillond"), "\(refused.stderr)")
    }

    @Test(
        "a socket this account may not open exits 4 with a hint to join its group",
        .enabled(if: getuid() == 0, "acting as another uid through setpriv needs root"))
    func socketPermission() throws {
        let rig = try Rig.start()
        defer { rig.stop() }
        chmod(rig.directory.path, 0o755)
        chmod(rig.daemon.socketPath, 0o660)
        let result = try run(
            "/usr/bin/setpriv",
            [
                "--reuid=52011", "--regid=52011", "--clear-groups", Binaries.client, "--socket", rig.daemon.socketPath,
                "status",
            ],
            environment: Self.english)
        #expect(result.status == 4, "\(result.stderr)")
        #expect(result.stderr.contains("may not open the control socket"), "\(result.stderr)")
        #expect(result.stderr.contains("usermod -aG"), "\(result.stderr)")
    }

    /// A library with two fire tips read aloud, beside the rig's recordings and bells.
    static func tipRig() throws -> Rig {
        try Rig.start(prepare: { directory in
            try directory.write(
                "library/text/tips-fire.toml",
                """
                subject = "fire"
                title = "消防安全"

                [[tip]]
                id = "tip.fire.001"
                season = "all"
                text = "发现火情，要立即拨打119报警。"

                [[tip]]
                id = "tip.fire.002"
                season = "all"
                text = "遇到浓烟，要用湿毛巾捂住口鼻，弯腰低姿撤离。"
                """)
        })
    }

    static func ids(_ output: String) throws -> [String] {
        try output.split(separator: "\n").map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return object?["id"] as? String ?? ""
        }
    }

    @Test("a teacher finds a clip: search by text, title or id, and --subject")
    func search() throws {
        let rig = try Self.tipRig()
        defer { rig.stop() }
        let byText = try Self.client(rig, ["library", "search", "湿毛巾", "--json"])
        #expect(byText.status == 0, "\(byText.stderr)")
        #expect(try Self.ids(byText.stdout) == ["tip.fire.002"])
        let byTitle = try Self.client(rig, ["library", "search", "上课", "--json"])
        #expect(try Self.ids(byTitle.stdout) == ["bell.start"])
        let byID = try Self.client(rig, ["library", "search", "NOISE", "--json"])
        #expect(try Self.ids(byID.stdout) == ["test.noise"])
        let subject = try Self.client(rig, ["library", "list", "--subject", "fire", "--json"])
        #expect(try Self.ids(subject.stdout) == ["tip.fire.001", "tip.fire.002"])
        let both = try Self.client(rig, ["library", "search", "119", "--subject", "fire", "--json"])
        #expect(try Self.ids(both.stdout) == ["tip.fire.001"])
        let none = try Self.client(rig, ["library", "search", "地震"])
        #expect(none.status == 0)
        #expect(none.stdout.isEmpty)
        #expect(none.stderr.contains("no clips match"))
        #expect(try Self.client(rig, ["library", "list", "--subject", "dragons"]).status == 2)
    }

    /// Display columns as a terminal counts them for this test's text: CJK and fullwidth take two.
    static func columns(_ text: Substring) -> Int {
        text.unicodeScalars.reduce(0) { width, scalar in
            let wide = (0x2E80...0xA4CF).contains(scalar.value) || (0xFF00...0xFF60).contains(scalar.value)
            return width + (wide ? 2 : 1)
        }
    }

    /// Where each line's cells start, in display columns: cells are two or more spaces apart.
    static func cellStarts(_ line: String) -> [Int] {
        var starts: [Int] = []
        var spaces = 2
        var index = line.startIndex
        while index < line.endIndex {
            if line[index] == " " {
                spaces += 1
            } else {
                if spaces >= 2 { starts.append(columns(line[..<index])) }
                spaces = 0
            }
            index = line.index(after: index)
        }
        return starts
    }

    @Test("the list shows lengths, a header, and columns aligned by display width in both languages")
    func table() throws {
        let rig = try Self.tipRig()
        defer { rig.stop() }
        _ = try Self.client(rig, ["library", "render"])
        let json = try Self.client(rig, ["library", "list", "--json"])
        let clips = try json.stdout.split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:]
        }
        let bell = clips.first { $0["id"] as? String == "bell.start" }
        #expect(
            (bell?["duration_seconds"] as? Double ?? 0) > 0,
            "a rendered bell has its length: \(String(describing: bell))")

        for (locale, header, category) in [(Self.english, "ID", "tip"), (Self.chinese, "编号", "安全提示")] {
            let list = try Self.client(rig, ["library", "list"], locale: locale)
            #expect(list.status == 0, "\(list.stderr)")
            let lines = list.stdout.split(separator: "\n").map(String.init)
            #expect(lines.first?.hasPrefix(header) == true, "\(list.stdout)")
            #expect(lines.count == 7, "a header and six clips: \(list.stdout)")
            let noise = lines.first { $0.hasPrefix("test.noise") } ?? ""
            #expect(noise.contains("0:01"), "the recording's length: \(noise)")
            #expect(lines.contains { $0.hasPrefix("tip.fire.001") && $0.contains(category) }, "\(list.stdout)")
            // ID, title, length and category start at the same column on every line; the subject
            // is empty for clips that are not tips.
            let starts = lines.map { Array(Self.cellStarts($0).prefix(4)) }
            #expect(Set(starts).count == 1, "columns not aligned:\n\(list.stdout)\n\(starts)")
        }
    }

    @Test("messages are in Chinese when the locale for messages is zh_CN, and in English otherwise")
    func languages() throws {
        let rig = try Rig.start()
        defer { rig.stop() }
        let zh = try Self.client(rig, ["play", "test.noise", "--zones", "roof"], locale: Self.chinese)
        #expect(zh.status == 2)
        #expect(zh.stderr.contains("没有这个分区"), "\(zh.stderr)")
        let en = try Self.client(rig, ["play", "test.noise", "--zones", "roof"], locale: Self.english)
        #expect(!en.stderr.contains("没有这个分区"))
        // LC_ALL wins over LANG, and LC_MESSAGES over LANG.
        let all = try Self.client(
            rig, ["play", "test.noise", "--zones", "roof"], locale: Self.locale(all: "C", lang: "zh_CN.UTF-8"))
        #expect(!all.stderr.contains("没有这个分区"), "\(all.stderr)")
        let messages = try Self.client(
            rig, ["play", "test.noise", "--zones", "roof"], locale: Self.locale(messages: "zh_CN.UTF-8", lang: "C"))
        #expect(messages.stderr.contains("没有这个分区"), "\(messages.stderr)")

        let status = try Self.client(rig, ["status"], locale: Self.chinese)
        #expect(status.stdout.contains("音频库：4 个音频"), "\(status.stdout)")
        #expect(try Self.client(rig, ["status"]).stdout.contains("library: 4 clips"))
        let shown = try Self.client(rig, ["library", "show", "bell.start"], locale: Self.chinese)
        #expect(shown.stdout.contains("类别 铃声"), "\(shown.stdout)")
        let noPlan = try Self.client(rig, ["plan", "status"], locale: Self.chinese)
        #expect(noPlan.stdout.contains("没有正在运行的预案"), "\(noPlan.stdout)")
        let played = try Self.client(rig, ["play", "test.noise"], locale: Self.chinese)
        #expect(played.stdout.contains("正在播放"), "\(played.stdout)")
        let usage = try Self.client(rig, ["play", "test.noise", "--zones", "main,,x"], locale: Self.chinese)
        #expect(usage.status == 2)
        #expect(usage.stderr.contains("错误：--zones 需要用逗号分隔"), "\(usage.stderr)")
        #expect(usage.stderr.contains("用法：carillon play"), "\(usage.stderr)")
        let help = try run(Binaries.client, ["--help"], environment: Self.chinese)
        #expect(help.stdout.contains("退出码"), "\(help.stdout)")
        #expect(try run(Binaries.client, ["--help"], environment: Self.english).stdout.contains("Exit codes"))

        let directory = try TemporaryDirectory("carillon-client")
        defer { directory.remove() }
        let down = try run(
            Binaries.client, ["--socket", directory.file("control.sock"), "status"], environment: Self.chinese)
        #expect(down.status == 3)
        #expect(down.stderr.contains("无法连接"), "\(down.stderr)")
        #expect(down.stderr.contains("systemctl status carillond"))
    }
}
