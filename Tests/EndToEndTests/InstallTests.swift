import CarillonTesting
import Foundation
import Testing

@Suite("make install and the systemd unit", .ownThread)
struct InstallTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    private func make(_ arguments: [String]) throws -> CommandResult {
        try run("/usr/bin/make", ["-C", Self.root, "--no-print-directory"] + arguments)
    }

    /// The group `make install` gives the config in these tests (CONFGROUP): a gid with no name.
    static let group = 52001

    /// "UID:GID MODE" of a path.
    private func owner(_ path: String) throws -> String {
        var info = stat()
        guard stat(path, &info) == 0 else { throw HarnessError("cannot stat \(path)") }
        return "\(info.st_uid):\(info.st_gid) \(String(info.st_mode & 0o7777, radix: 8))"
    }

    @Test("install lays out the tree, the config readable by the service's group alone, never overwrites it, and uninstall leaves config and data",
          .enabled(if: getuid() == 0, "setting the config's owner and acting as other uids through setpriv needs root"))
    func installTree() throws {
        let directory = try TemporaryDirectory("carillon-install")
        defer { directory.remove() }
        let prefix = directory.file("usr")
        let confdir = directory.file("etc/carillon")
        // The config's group: a gid with no name, so that the test creates no account on this machine.
        let options = [
            "PREFIX=\(prefix)", "CONFDIR=\(confdir)", "NOBUILD=1", "BINSRC=\(Binaries.directory)", "CONFGROUP=\(Self.group)",
        ]
        let installed = try make(["install"] + options)
        try #require(installed.status == 0, "\(installed.stdout)\(installed.stderr)")
        for path in [
            "usr/bin/carillond", "usr/bin/carillon", "usr/lib/systemd/system/carillond.service",
            "usr/lib/sysusers.d/carillon.conf", "usr/lib/tmpfiles.d/carillon.conf",
            "usr/share/carillon/audio-library/catalog.toml", "usr/share/carillon/audio-library/text/tips-fire.toml",
            "usr/share/doc/carillon/OPERATIONS.md", "etc/carillon/carillon.toml", "etc/carillon/schedule.toml",
            "usr/share/man/man1/carillon.1", "usr/share/man/man8/carillond.8",
            "usr/share/bash-completion/completions/carillon", "usr/share/zsh/vendor-completions/_carillon",
            "usr/share/fish/vendor_completions.d/carillon.fish",
        ] {
            #expect(FileManager.default.fileExists(atPath: directory.file(path)), "\(path)")
        }
        #expect(FileManager.default.isExecutableFile(atPath: directory.file("usr/bin/carillond")))
        let unit = try String(contentsOfFile: directory.file("usr/lib/systemd/system/carillond.service"), encoding: .utf8)
        #expect(unit.contains("ExecStart=\(prefix)/bin/carillond --config \(confdir)/carillon.toml"))
        #expect(!["@BINDIR@", "@DOCDIR@", "@CONFDIR@"].contains { unit.contains($0) }, "every placeholder was filled in")

        #expect(try String(contentsOfFile: directory.file("usr/share/bash-completion/completions/carillon"), encoding: .utf8)
            .contains("carillon"))

        // The config is the service's to read and nobody else's: root:CONFGROUP, 0750 and 0640.
        let plans = try FileManager.default.contentsOfDirectory(atPath: confdir + "/plans").sorted()
        #expect(plans.count == (try FileManager.default.contentsOfDirectory(atPath: Self.root + "/config/plans").count))
        for path in [confdir, confdir + "/plans"] {
            #expect(try owner(path) == "0:\(Self.group) 750", "\(path)")
        }
        for path in ["carillon.toml", "schedule.toml"].map({ confdir + "/" + $0 }) + plans.map({ confdir + "/plans/" + $0 }) {
            #expect(try owner(path) == "0:\(Self.group) 640", "\(path)")
        }

        // The installed config is valid as installed, with the installed library, schedule and plans, read
        // as the service reads it: by an account whose group is CONFGROUP. Another account cannot read it.
        try #require(chmod(directory.path, 0o755) == 0)
        let checked = try run(
            "/usr/bin/setpriv",
            ["--reuid=52000", "--regid=\(Self.group)", "--clear-groups", directory.file("usr/bin/carillond"), "--check-config",
             "--config", confdir + "/carillon.toml"])
        #expect(checked.status == 0, "\(checked.stdout)\(checked.stderr)")
        let stranger = try run(
            "/usr/bin/setpriv", ["--reuid=52000", "--regid=52000", "--clear-groups", "/bin/cat", confdir + "/carillon.toml"])
        #expect(stranger.status != 0, "another account reads the config")

        // A second install keeps the school's edits.
        let config = confdir + "/carillon.toml"
        try (try String(contentsOfFile: config, encoding: .utf8) + "# edited by the school\n")
            .write(toFile: config, atomically: true, encoding: .utf8)
        #expect(try make(["install"] + options).status == 0)
        #expect(try String(contentsOfFile: config, encoding: .utf8).hasSuffix("# edited by the school\n"))

        #expect(try make(["uninstall"] + options).status == 0)
        #expect(!FileManager.default.fileExists(atPath: directory.file("usr/bin/carillond")))
        #expect(!FileManager.default.fileExists(atPath: directory.file("usr/share/carillon")))
        #expect(!FileManager.default.fileExists(atPath: directory.file("usr/lib/systemd/system/carillond.service")))
        #expect(FileManager.default.fileExists(atPath: config), "the config stays")
    }

    @Test("systemd-analyze verifies the unit without a warning, and scores its exposure at 2.0 or lower")
    func unitChecks() throws {
        let directory = try TemporaryDirectory("carillon-unit")
        defer { directory.remove() }
        let options = [
            "PREFIX=\(directory.file("usr"))", "CONFDIR=\(directory.file("etc/carillon"))", "NOBUILD=1",
            "BINSRC=\(Binaries.directory)", "CONFGROUP=\(Self.group)",
        ]
        try #require(try make(["install"] + options).status == 0)
        let unit = directory.file("usr/lib/systemd/system/carillond.service")
        let verify = try run("/usr/bin/systemd-analyze", ["verify", unit])
        #expect(verify.status == 0)
        #expect(verify.stdout.isEmpty && verify.stderr.isEmpty, "\(verify.stdout)\(verify.stderr)")
        let security = try run("/usr/bin/systemd-analyze", ["security", "--offline=true", "--no-pager", unit])
        let line = try #require(security.stdout.split(separator: "\n").last { $0.contains("Overall exposure level") })
        let score = try #require(line.split(separator: " ").compactMap { Double($0) }.first, "\(line)")
        #expect(score <= 2.0, "\(line)")
    }
}
