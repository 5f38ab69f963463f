import CarillonTesting
import Foundation
import Testing

/// The client's words in both languages: every command a person reads speaks Chinese under
/// zh_CN and keeps its English under C; what scripts read (`--json`, `--csv`) is the same bytes
/// in both.
extension ClientTests {
    /// The output of one command under zh_CN and under C.
    struct Both {
        var zh: CommandResult
        var en: CommandResult
    }

    /// Runs the client with `arguments` in both locales (against `rig`'s daemon when there is one).
    static func both(_ rig: Rig?, _ arguments: [String]) throws -> Both {
        func client(_ locale: [String: String]) throws -> CommandResult {
            guard let rig else { return try run(Binaries.client, arguments, environment: locale) }
            return try Self.client(rig, arguments, locale: locale)
        }
        return Both(zh: try client(chinese), en: try client(english))
    }

    /// Whether `text` holds a Chinese character.
    static func hasChinese(_ text: some StringProtocol) -> Bool {
        text.unicodeScalars.contains { (0x4E00...0x9FFF).contains($0.value) }
    }

    /// Runs `arguments` in both locales and expects the same status and the same bytes on stdout.
    static func expectSameBytes(_ rig: Rig?, _ arguments: [String], status: Int32 = 0) throws {
        let result = try both(rig, arguments)
        #expect(result.zh.status == status && result.en.status == status, "\(arguments): \(result.zh.stderr)\(result.en.stderr)")
        #expect(!result.en.stdout.isEmpty, "\(arguments): no output")
        #expect(result.zh.stdout == result.en.stdout, "\(arguments):\n\(result.zh.stdout)\n---\n\(result.en.stdout)")
    }

    @Test("the logs, the schedule's history, next and rollback, statistics, status and a clip's details speak the locale")
    func daemonCommandsInBothLanguages() throws {
        let rig = try PlanTests.start()
        defer { rig.stop() }
        #expect(try Self.client(rig, ["play", "test.noise", "--wait"]).status == 0)
        #expect(try Self.client(rig, ["plan", "start", "test", "--drill", "--yes"]).status == 0)
        #expect(try Self.client(rig, ["plan", "stop", "test"]).status == 0)
        let inAnHour = [Date().addingTimeInterval(3600)]
        for version in [2, 3] {
            try rig.directory.write("v\(version).toml", SchedulerTests.schedule(version: version, at: inAnHour))
            #expect(try Self.client(rig, ["schedule", "apply", rig.directory.file("v\(version).toml")]).status == 0)
        }

        let plays = try Self.both(rig, ["log"])
        #expect(plays.zh.stdout.contains("test.noise") && plays.zh.stdout.contains("请求者"), "\(plays.zh.stdout)")
        #expect(plays.en.stdout.contains("test.noise") && plays.en.stdout.contains(" by "), "\(plays.en.stdout)")
        #expect(!Self.hasChinese(plays.en.stdout), "\(plays.en.stdout)")
        let audit = try Self.both(rig, ["log", "--audit"])
        #expect(audit.zh.stdout.contains("来自") && audit.zh.stdout.contains("成功"), "\(audit.zh.stdout)")
        #expect(audit.en.stdout.contains(" from ") && audit.en.stdout.contains("  ok"), "\(audit.en.stdout)")
        let plans = try Self.both(rig, ["log", "--plans"])
        #expect(plans.zh.stdout.contains("演练 test（测试预案）") && plans.zh.stdout.contains("启动者"), "\(plans.zh.stdout)")
        #expect(plans.en.stdout.contains("drill test (测试预案)") && plans.en.stdout.contains("  by "), "\(plans.en.stdout)")

        let history = try Self.both(rig, ["schedule", "history"])
        #expect(history.zh.stdout.hasPrefix("新版本号必须大于 3\n") && history.zh.stdout.contains("生效中"), "\(history.zh.stdout)")
        #expect(history.en.stdout.hasPrefix("new versions must be above 3\n") && history.en.stdout.contains("in force"))
        let next = try Self.both(rig, ["schedule", "next", "1"])
        #expect(next.zh.stdout.contains("后 ") && next.zh.stdout.contains("bell.start"), "\(next.zh.stdout)")
        #expect(next.en.stdout.hasPrefix("in ") && next.en.stdout.contains("bell.start"), "\(next.en.stdout)")
        #expect(!Self.hasChinese(next.en.stdout))

        let stats = try Self.both(rig, ["stats", "--by", "source"])
        #expect(stats.zh.stdout.contains("广播") && stats.zh.stdout.contains("合计"), "\(stats.zh.stdout)")
        #expect(stats.en.stdout.hasPrefix("source ") && stats.en.stdout.contains(" broadcasts  instant  safety"), "\(stats.en.stdout)")
        #expect(stats.en.stdout.contains("\ntotal "), "\(stats.en.stdout)")
        // The counters' columns end where their headers end, Chinese headers counted two columns a character.
        let header = stats.zh.stdout.split(separator: "\n")[0]
        let total = stats.zh.stdout.split(separator: "\n").last { $0.hasPrefix("合计") } ?? ""
        #expect(Self.columns(header) == Self.columns(total), "\(stats.zh.stdout)")

        let shown = try Self.both(rig, ["library", "show", "test.noise"])
        #expect(shown.zh.stdout.contains("  增益 ") && !shown.zh.stdout.contains("gain"), "\(shown.zh.stdout)")
        #expect(shown.en.stdout.contains("  gain "), "\(shown.en.stdout)")
        let status = try Self.both(rig, ["status"])
        #expect(status.zh.stdout.contains("声道"), "\(status.zh.stdout)")
        #expect(status.en.stdout.contains(" ch "), "\(status.en.stdout)")

        for arguments in [
            ["log", "--json"], ["log", "--audit", "--json"], ["log", "--plans", "--json"], ["schedule", "history", "--json"],
            ["schedule", "next", "--json"], ["stats", "--json"], ["stats", "--by", "source", "--csv"],
            ["library", "show", "test.noise", "--json"], ["library", "list", "--json"],
        ] {
            try Self.expectSameBytes(rig, arguments)
        }

        // Back from 3 to 2 in Chinese; then 4 is applied and English goes back to 2 again.
        let zhBack = try Self.client(rig, ["schedule", "rollback"], locale: Self.chinese)
        #expect(zhBack.stdout == "已从版本 3 回滚到 2；时间表版本 2 已生效；新版本号必须大于 3\n", "\(zhBack.stdout)\(zhBack.stderr)")
        try rig.directory.write("v4.toml", SchedulerTests.schedule(version: 4, at: inAnHour))
        #expect(try Self.client(rig, ["schedule", "apply", rig.directory.file("v4.toml")]).status == 0)
        let enBack = try Self.client(rig, ["schedule", "rollback", "--to", "2"])
        #expect(
            enBack.stdout == "rolled back from version 4 to 2; schedule version 2 in force; new versions must be above 4\n",
            "\(enBack.stdout)\(enBack.stderr)")
    }

    @Test("schedule preview, bundle keygen, sign and verify, and a fleet's summary speak the locale; --json and --csv do not")
    func offlineAndFleetCommandsInBothLanguages() throws {
        let directory = try TemporaryDirectory("carillon-client")
        defer { directory.remove() }
        try directory.write(
            "schedule.toml",
            SchedulerTests.schedule(version: 5, at: [Date().addingTimeInterval(3600)])
                .replacingOccurrences(of: "[timetables.d]\nevents = [", with: "[timetables.d]\nevents = [\n  { at = \"12:00\", say = \"午饭时间到了\" },"))
        let today = String(ISO8601DateFormatter().string(from: Date()).prefix(10))
        let preview = try Self.both(nil, ["schedule", "preview", "--file", directory.file("schedule.toml"), "--from", today, "--to", today])
        #expect(preview.zh.status == 0, "\(preview.zh.stderr)")
        #expect(preview.zh.stdout.contains("朗读“午饭时间到了”"), "\(preview.zh.stdout)")
        #expect(preview.en.stdout.contains("say \"午饭时间到了\""), "\(preview.en.stdout)")
        try Self.expectSameBytes(nil, ["schedule", "preview", "--file", directory.file("schedule.toml"), "--from", today, "--to", today, "--json"])
        let backwards = try Self.both(nil, ["schedule", "preview", "--file", directory.file("schedule.toml"), "--from", "2026-10-02", "--to", "2026-10-01"])
        #expect(backwards.zh.status == 2 && backwards.zh.stderr.contains("--from 不能晚于 --to"), "\(backwards.zh.stderr)")
        #expect(backwards.en.status == 2 && backwards.en.stderr.contains("--from must not be after --to"), "\(backwards.en.stderr)")

        let zhKey = try run(Binaries.client, ["bundle", "keygen", "-o", directory.file("zh")], environment: Self.chinese)
        #expect(zhKey.stdout.hasPrefix("密钥 ") && zhKey.stdout.contains("：私钥 "), "\(zhKey.stdout)\(zhKey.stderr)")
        let enKey = try run(Binaries.client, ["bundle", "keygen", "-o", directory.file("en")], environment: Self.english)
        #expect(enKey.stdout.hasPrefix("key ") && enKey.stdout.contains(": private "), "\(enKey.stdout)\(enKey.stderr)")
        let again = try run(Binaries.client, ["bundle", "keygen", "-o", directory.file("zh")], environment: Self.chinese)
        #expect(again.status == 1 && again.stderr.contains("已存在；密钥从不覆盖"), "\(again.stderr)")

        let sign = ["bundle", "sign", "--key", directory.file("zh.key"), directory.file("schedule.toml"), "-o"]
        let zhSigned = try run(Binaries.client, sign + [directory.file("zh.bundle")], environment: Self.chinese)
        #expect(zhSigned.stdout.hasPrefix("更新包版本 5，1 个部分，"), "\(zhSigned.stdout)\(zhSigned.stderr)")
        let enSigned = try run(Binaries.client, sign + [directory.file("en.bundle")], environment: Self.english)
        #expect(enSigned.stdout.hasPrefix("bundle version 5, 1 parts, "), "\(enSigned.stdout)\(enSigned.stderr)")
        let verify = ["bundle", "verify", "--pubkey", directory.file("zh.pub"), directory.file("zh.bundle")]
        let verified = try Self.both(nil, verify)
        #expect(verified.zh.stdout.contains("适用学校：*") && verified.zh.stdout.hasSuffix("接受\n"), "\(verified.zh.stdout)")
        #expect(verified.en.stdout.contains("schools: *") && verified.en.stdout.hasSuffix("accepted\n"), "\(verified.en.stdout)")
        try Self.expectSameBytes(nil, verify + ["--json"])

        // A school whose token file is missing fails before any connection: the report, not the network, is tested.
        try directory.write("schools.csv", "id,address,token_file,ca,pin\ns1,127.0.0.1:9,missing.token,,\(String(repeating: "ab", count: 32))\n")
        let fleet = ["--schools", directory.file("schools.csv"), "--quiet"]
        let pulled = try Self.both(nil, ["stats", "pull"] + fleet)
        #expect(pulled.zh.status == 1 && pulled.en.status == 1)
        #expect(pulled.zh.stdout.contains("s1：错误：cannot read the token file"), "\(pulled.zh.stdout)")
        #expect(pulled.zh.stdout.hasSuffix("1 所学校：0 所成功，1 所失败（错误 1）\n"), "\(pulled.zh.stdout)")
        #expect(pulled.en.stdout.hasSuffix("1 school: 0 ok, 1 failed (error 1)\n"), "\(pulled.en.stdout)")
        try Self.expectSameBytes(nil, ["stats", "pull", "--json"] + fleet, status: 1)
        try Self.expectSameBytes(nil, ["stats", "pull", "--csv"] + fleet, status: 1)
        let pushed = try Self.both(nil, ["bundle", "push", directory.file("zh.bundle")] + fleet)
        #expect(pushed.zh.stdout.hasPrefix("学校  结果    尝试次数  秒       信息\n"), "\(pushed.zh.stdout)")
        #expect(pushed.zh.stdout.contains("更新包版本 5 已推送，用时 "), "\(pushed.zh.stdout)")
        #expect(pushed.en.stdout.hasPrefix("school  result  tries  seconds  message\n"), "\(pushed.en.stdout)")
        #expect(pushed.en.stdout.contains("s1      FAILED  0      "), "\(pushed.en.stdout)")
        #expect(pushed.en.stdout.contains("bundle version 5 pushed in "), "\(pushed.en.stdout)")
    }

    /// The commands below `path` (`carillon`, `carillon schedule` …), found in their own help.
    static func commands(below path: [String]) throws -> [[String]] {
        let help = try run(Binaries.client, path + ["--help"], environment: english).stdout
        guard let section = help.components(separatedBy: "SUBCOMMANDS:\n").dropFirst().first else { return [path] }
        let names = section.split(separator: "\n").prefix { $0.hasPrefix("  ") && !$0.hasPrefix("  See ") }
            .filter { !$0.hasPrefix("   ") }.compactMap { $0.split(separator: " ").first.map(String.init) }
        return try [path] + names.filter { $0 != "help" }.flatMap { try commands(below: path + [$0]) }
    }

    @Test("every command's help is in Chinese under zh_CN, ArgumentParser's headings and --help included, and English under C")
    func helpInBothLanguages() throws {
        let commands = try Self.commands(below: [])
        #expect(commands.count > 40, "\(commands)")
        for command in commands {
            let zh = try run(Binaries.client, command + ["--help"], environment: Self.chinese).stdout
            let en = try run(Binaries.client, command + ["--help"], environment: Self.english).stdout
            let overview = { (help: String, heading: String) in help.split(separator: "\n").first { $0.hasPrefix(heading) } ?? "" }
            #expect(Self.hasChinese(overview(zh, "概述：").dropFirst(3)), "\(command): \(zh)")
            #expect(!Self.hasChinese(overview(en, "OVERVIEW: ")), "\(command): \(en)")
            #expect(zh.contains("用法：carillon") && zh.contains("显示帮助信息。"), "\(command): \(zh)")
            #expect(!zh.contains("OPTIONS:") && !zh.contains("(default:"), "\(command): \(zh)")
            #expect(en.contains("USAGE: carillon") && en.contains("OPTIONS:\n"), "\(command): \(en)")
            // An entry of ARGUMENTS or OPTIONS: its first line two spaces in, its help running on below.
            var entries: [String] = []
            var inList = false
            for line in zh.split(separator: "\n", omittingEmptySubsequences: false) {
                if line == "参数：" || line == "选项：" {
                    inList = true
                } else if line.isEmpty || !line.hasPrefix(" ") {
                    inList = false
                } else if inList {
                    if line.hasPrefix("   "), !entries.isEmpty { entries[entries.count - 1] += line } else { entries.append(String(line)) }
                }
            }
            for entry in entries {
                #expect(Self.hasChinese(entry), "\(command): untranslated: \(entry)")
            }
        }
    }
}
