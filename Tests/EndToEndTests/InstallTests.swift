import CarillonTesting
import Foundation
import Testing

@Suite("make install and the systemd unit")
struct InstallTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    private func make(_ arguments: [String]) throws -> CommandResult {
        try run("/usr/bin/make", ["-C", Self.root, "--no-print-directory"] + arguments)
    }

    @Test("install lays out the tree, never overwrites the config, and uninstall leaves config and data")
    func installTree() throws {
        let directory = try TemporaryDirectory("carillon-install")
        defer { directory.remove() }
        let prefix = directory.file("usr")
        let confdir = directory.file("etc/carillon")
        let options = ["PREFIX=\(prefix)", "CONFDIR=\(confdir)", "NOBUILD=1", "BINSRC=\(Binaries.directory)"]
        let installed = try make(["install"] + options)
        try #require(installed.status == 0, "\(installed.stdout)\(installed.stderr)")
        for path in [
            "usr/bin/carillond", "usr/bin/carillon", "usr/lib/systemd/system/carillond.service",
            "usr/lib/sysusers.d/carillon.conf", "usr/lib/tmpfiles.d/carillon.conf",
            "usr/share/carillon/audio-library/catalog.toml", "usr/share/carillon/audio-library/text/tips-fire.toml",
            "usr/share/doc/carillon/OPERATIONS.md", "etc/carillon/carillon.toml", "etc/carillon/schedule.toml",
        ] {
            #expect(FileManager.default.fileExists(atPath: directory.file(path)), "\(path)")
        }
        #expect(FileManager.default.isExecutableFile(atPath: directory.file("usr/bin/carillond")))
        let unit = try String(contentsOfFile: directory.file("usr/lib/systemd/system/carillond.service"), encoding: .utf8)
        #expect(unit.contains("ExecStart=\(prefix)/bin/carillond --config \(confdir)/carillon.toml"))
        #expect(!["@BINDIR@", "@DOCDIR@", "@CONFDIR@"].contains { unit.contains($0) }, "every placeholder was filled in")

        // The installed config is valid as installed, with the installed library and schedule.
        let checked = try run(directory.file("usr/bin/carillond"), ["--check-config", "--config", confdir + "/carillon.toml"])
        #expect(checked.status == 0, "\(checked.stdout)\(checked.stderr)")

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
            "BINSRC=\(Binaries.directory)",
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
