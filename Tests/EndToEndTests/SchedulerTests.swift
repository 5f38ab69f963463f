import CarillonControl
import CarillonProtocol
import CarillonTesting
import Foundation
import Glibc
import Testing

@Suite("The scheduler in the real daemon", .ownThread)
struct SchedulerTests {
    /// A schedule in UTC whose timetable rings `bell.start` at the given instants, every day of a term around today.
    static func schedule(version: Int, at instants: [Date], clip: String = "bell.start") -> String {
        let day = DateFormatter()
        day.timeZone = TimeZone(identifier: "UTC")
        day.dateFormat = "yyyy-MM-dd"
        let time = DateFormatter()
        time.timeZone = TimeZone(identifier: "UTC")
        time.dateFormat = "HH:mm:ss"
        let today = Date()
        let events = instants.map { #"{ at = "\#(time.string(from: $0))", play = "\#(clip)" }"# }.joined(separator: ",\n  ")
        return """
            version = \(version)
            timezone = "UTC"
            grace = 60
            [terms]
            "t" = { from = \(day.string(from: today.addingTimeInterval(-86400 * 2))), to = \(day.string(from: today.addingTimeInterval(86400 * 2))) }
            [week]
            mon = "d"
            tue = "d"
            wed = "d"
            thu = "d"
            fri = "d"
            sat = "d"
            sun = "d"
            [timetables.d]
            events = [
              \(events)
            ]
            """
    }

    /// Lines of the daemon's log that record a play by the scheduler.
    static func scheduledPlays(_ daemon: DaemonProcess) -> Int {
        daemon.log_.split(separator: "\n").filter { $0.contains("by=schedule") && $0.contains(" play") }.count
    }

    @Test("events ring at their time, once, and a restart within the grace window replays none of them")
    func ringsOnceAcrossRestart() throws {
        let directory = try TemporaryDirectory("carillon-sched")
        defer { directory.remove() }
        let now = Date()
        // Whole seconds: the schedule's times are to the second.
        let base = Date(timeIntervalSince1970: (now.timeIntervalSince1970).rounded(.up))
        let first = base.addingTimeInterval(3)
        let second = base.addingTimeInterval(5)
        let capture = CapturePCM(path: directory.file("capture.raw"))
        try directory.write("library/catalog.toml", "[[clip]]\nid = \"bell.start\"\ncategory = \"bell\"\ntitle = \"b\"\nsynth = \"two-tone\"\n")
        try directory.write("schedule.toml", Self.schedule(version: 1, at: [first, second]))
        let config = capture.daemonConfig(tables: "[schedule]\nfile = \"@DIR@/schedule.toml\"")
        var daemon = try DaemonProcess(config: config, in: directory)
        try FileWatch.wait(for: directory.file("daemon.log"), timeout: .seconds(30)) { Self.scheduledPlays(daemon) >= 2 }
        #expect(Self.scheduledPlays(daemon) == 2)
        let next = try daemon.client(["schedule", "next", "1", "--json"])
        #expect(next.stdout.contains("\"play\":\"bell.start\""))

        // Crash, and come back within the grace window of both events.
        kill(daemon.process.processIdentifier, SIGKILL)
        daemon.process.waitUntilExit()
        let third = Date().addingTimeInterval(4).rounded()
        try Self.schedule(version: 2, at: [first, second, third]).write(
            toFile: directory.file("schedule.toml"), atomically: true, encoding: .utf8)
        try? FileManager.default.removeItem(atPath: directory.file("daemon.log"))
        daemon = try DaemonProcess(config: config, in: directory)
        defer { daemon.stop() }
        // The third event is the sign that the scheduler has run since the restart.
        try FileWatch.wait(for: directory.file("daemon.log"), timeout: .seconds(30)) { Self.scheduledPlays(daemon) >= 1 }
        #expect(Self.scheduledPlays(daemon) == 1, "only the new event rang; the two before the crash were not replayed")
        #expect(daemon.log_.contains("schedule in force") && daemon.log_.contains("version=2"))
    }

    @Test("SIGHUP puts a schedule file with a higher version in force; a broken one is refused")
    func reloadSchedule() throws {
        let directory = try TemporaryDirectory("carillon-sched")
        defer { directory.remove() }
        let capture = CapturePCM(path: directory.file("capture.raw"))
        try directory.write("library/catalog.toml", "[[clip]]\nid = \"bell.start\"\ncategory = \"bell\"\ntitle = \"b\"\nsynth = \"two-tone\"\n")
        let later = Date().addingTimeInterval(3600)
        try directory.write("schedule.toml", Self.schedule(version: 1, at: [later]))
        let daemon = try DaemonProcess(
            config: capture.daemonConfig(tables: "[schedule]\nfile = \"@DIR@/schedule.toml\""), in: directory)
        defer { daemon.stop() }
        func reload() throws {
            kill(daemon.process.processIdentifier, SIGHUP)
            try daemon.waitForNotification(timeout: .seconds(20)) { $0 == "RELOADING=1" }
            try daemon.waitForNotification(timeout: .seconds(20)) { $0.hasPrefix("READY=1") }
        }
        try directory.write("schedule.toml", Self.schedule(version: 2, at: [later]) + "\n[themes]\n1 = \"astrology\"\n")
        try reload()
        #expect(try daemon.client(["schedule", "show", "--json"]).stdout.contains("\"version\":1"), "a broken file is refused")
        #expect(daemon.log_.contains("reload refused"))
        try directory.write("schedule.toml", Self.schedule(version: 2, at: [later]))
        try reload()
        let shown = try daemon.client(["schedule", "show", "--json"]).stdout
        #expect(shown.contains("\"version\":2"))
        // The zone as the schedule names it: Foundation calls UTC "GMT".
        #expect(shown.contains("\"timezone\":\"UTC\""), "\(shown)")
    }

    @Test("apply refuses an invalid schedule or a version not above the one in force, and puts a higher one in force live")
    func apply() throws {
        let rig = try Rig.start()
        defer { rig.stop() }
        let dir = rig.directory
        try dir.write("bad.toml", "version = 2\ntimezone = \"Mars/Olympus\"\n[timetables.d]\nevents = [{ at = \"25:00\", play = \"bell.nope\" }]\n")
        let bad = try rig.daemon.client(["schedule", "apply", dir.file("bad.toml")])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("bad.toml:2:12:"), "\(bad.stderr)")
        #expect(bad.stderr.contains("bad.toml:4:18: `25:00` is not a time of day"), "\(bad.stderr)")
        #expect(bad.stderr.contains("bell.nope"), "the unknown clip is reported too")

        try dir.write("v3.toml", Self.schedule(version: 3, at: [Date().addingTimeInterval(3600)]))
        let applied = try rig.daemon.client(["schedule", "apply", dir.file("v3.toml")])
        #expect(applied.status == 0, "\(applied.stderr)")
        #expect(applied.stdout.contains("schedule version 3 in force (was 0)"))
        let shown = try rig.daemon.client(["schedule", "show", "--json"])
        #expect(shown.stdout.contains("\"version\":3"))

        try dir.write("v2.toml", Self.schedule(version: 2, at: [Date().addingTimeInterval(3600)]))
        let older = try rig.daemon.client(["schedule", "apply", dir.file("v2.toml")])
        #expect(older.status == 1)
        #expect(older.stderr.contains("v2.toml: version 2 is not above 3, the highest this school has held"))
    }
}

extension Date {
    /// To the whole second, up.
    fileprivate func rounded() -> Date { Date(timeIntervalSince1970: timeIntervalSince1970.rounded(.up)) }
}
