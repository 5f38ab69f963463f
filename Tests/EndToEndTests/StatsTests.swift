import CarillonCore
import CarillonControl
import CarillonProtocol
import CarillonTesting
import Foundation
import Testing

/// `carillon stats` against one daemon, and `stats pull` against a fleet of them over TLS.
@Suite("Statistics: stats and stats pull", .serialized, .ownThread)
struct StatsTests {
    /// Plays `bell.start` `bells` times and `test.noise` `noise` times, each to its end.
    static func play(_ daemon: DaemonProcess, bells: Int, noise: Int = 0) throws {
        for clip in Array(repeating: "bell.start", count: bells) + Array(repeating: "test.noise", count: noise) {
            let played = try daemon.client(["play", clip, "--wait"])
            #expect(played.status == 0 && played.stdout.contains("finished"), "\(played.stdout) \(played.stderr)")
        }
    }

    @Test("stats counts what the daemon played, in total and by group, as a table, JSON and CSV")
    func single() throws {
        let rig = try Rig.start()
        defer { rig.stop() }
        try Self.play(rig.daemon, bells: 2, noise: 1)

        let json = try rig.daemon.client(["stats", "--json"])
        #expect(json.status == 0, "\(json.stderr)")
        let result = try Wire.decoder().decode(StatsResult.self, from: Data(json.stdout.utf8))
        // Manual plays: all three are instant; two are bells.
        let log = try rig.daemon.client(["log", "--json"]).stdout
        #expect(result.total == StatsCounts(broadcasts: 3, instant: 3, bells: 2), "\(json.stdout)\n\(log)")
        #expect(result.rows == nil)

        let byCategory = try rig.daemon.client(["stats", "--by", "category", "--json"])
        let grouped = try Wire.decoder().decode(StatsResult.self, from: Data(byCategory.stdout.utf8))
        #expect(grouped.by == "category")
        #expect(grouped.rows == [
            StatsRow(group: "bell", counts: StatsCounts(broadcasts: 2, instant: 2, bells: 2)),
            StatsRow(group: "recorded", counts: StatsCounts(broadcasts: 1, instant: 1)),
        ])
        // The wire form is flat: the group beside its counters.
        #expect(byCategory.stdout.contains(#"{"bells":2,"broadcasts":2,"drills":0,"group":"bell","#), "\(byCategory.stdout)")

        let byZone = try rig.daemon.client(["stats", "show", "--by", "zone", "--csv"])
        #expect(byZone.status == 0, "\(byZone.stderr)")
        #expect(byZone.stdout == """
            group,broadcasts,instant,safety,bells,plans,drills,missed
            main,3,3,0,2,0,0,0
            *,3,3,0,2,0,0,0

            """)

        // Today only, by day: one row, all three plays.
        let today = DateFormatter()
        today.dateFormat = "yyyy-MM-dd"
        let day = today.string(from: Date())
        let byDay = try rig.daemon.client(["stats", "--from", day, "--to", day, "--by", "day", "--json"])
        let days = try Wire.decoder().decode(StatsResult.self, from: Data(byDay.stdout.utf8))
        #expect(days.rows?.map(\.counts) == [result.total], "\(byDay.stdout)")
        // Before today, nothing.
        let yesterday = today.string(from: Date().addingTimeInterval(-86400 * 2))
        let before = try rig.daemon.client(["stats", "--to", yesterday, "--json"])
        #expect(try Wire.decoder().decode(StatsResult.self, from: Data(before.stdout.utf8)).total == StatsCounts())

        let table = try rig.daemon.client(["stats", "--by", "source"])
        let lines = table.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(lines.first == ["source"] + StatsCounts.names, "\(table.stdout)")
        #expect(lines.dropFirst().first == ["manual", "3", "3", "0", "2", "0", "0", "0"], "\(table.stdout)")
        #expect(lines.last == ["total", "3", "3", "0", "2", "0", "0", "0"], "\(table.stdout)")

        let badGroup = try rig.daemon.client(["stats", "--by", "week"])
        #expect(badGroup.status == 2, "\(badGroup.stderr)")
        let raw = try rig.daemon.client(["request", "stats", #"{"by":"week"}"#])
        #expect(raw.status == 1 && raw.stdout.contains("invalid-arguments"), "\(raw.stdout)")
    }

    /// One school's line of `stats pull --json`.
    struct SchoolLine: Decodable {
        var school: String
        var address: String
        var ok: Bool
        var attempts: Int
        var failure: String?
        var error: String?
        var total: StatsCounts?
        var rows: [StatsRow]?
    }

    /// The last line of `stats pull --json`.
    struct FleetLine: Decodable {
        var schools: Int
        var ok: Int
        var failed: Int
        var total: StatsCounts
        var rows: [StatsRow]?
    }

    static func decode(_ output: String) throws -> (schools: [SchoolLine], fleet: FleetLine?) {
        var schools: [SchoolLine] = []
        var fleet: FleetLine?
        for line in output.split(separator: "\n") {
            let data = Data(line.utf8)
            if line.contains(#""school":"#) {
                schools.append(try Wire.decoder().decode(SchoolLine.self, from: data))
            } else {
                fleet = try Wire.decoder().decode(FleetLine.self, from: data)
            }
        }
        return (schools, fleet)
    }

    @Test("stats pull: every school over TLS with the bureau's token; one down and one refusing are listed, exit 1")
    func pull() throws {
        let daemons = try (0..<3).map { _ in try ControlAccessTests.start() }
        defer { daemons.forEach { $0.stop() } }
        // School i plays i+1 bells.
        for (index, daemon) in daemons.enumerated() { try Self.play(daemon.rig.daemon, bells: index + 1) }

        let fleet = try TemporaryDirectory("carillon-fleet")
        defer { fleet.remove() }
        // A relative token path is relative to the schools file, not to the working directory.
        try fleet.write("tokens/s1.token", try String(contentsOfFile: daemons[0].tokens[.bureau]!, encoding: .utf8))
        try fleet.write("wrong.token", "crl_not_this_one\n")
        let down = try freeLoopbackPort()
        let d = daemons.map { (port: $0.port, tls: $0.tls, token: $0.tokens[.bureau]!) }
        try fleet.write(
            "schools.csv",
            """
            # the city's test fleet
            id,address,token_file,ca,pin
            s1,127.0.0.1:\(d[0].port),tokens/s1.token,\(d[0].tls.certificate),
            s2,127.0.0.1:\(d[1].port),\(d[1].token),,"\(d[1].tls.fingerprint)"

            s3, 127.0.0.1:\(d[2].port) ,\(d[2].token),\(d[2].tls.certificate),
            down,127.0.0.1:\(down),\(d[0].token),\(d[0].tls.certificate),
            refusing,127.0.0.1:\(d[0].port),wrong.token,\(d[0].tls.certificate),

            """)
        let pulled = try run(
            Binaries.client,
            ["stats", "pull", "--schools", fleet.file("schools.csv"), "--by", "category", "--json", "--retries", "1",
             "--failed-out", fleet.file("failed.csv")])
        #expect(pulled.status == 1, "a school failed: \(pulled.stderr)")
        let (schools, totals) = try Self.decode(pulled.stdout)
        #expect(schools.map(\.school) == ["s1", "s2", "s3", "down", "refusing"], "\(pulled.stdout)")
        for (index, school) in schools.prefix(3).enumerated() {
            let bells = index + 1
            #expect(school.ok && school.attempts == 1, "\(school)")
            #expect(school.total == StatsCounts(broadcasts: bells, instant: bells, bells: bells), "\(school)")
            #expect(school.rows == [StatsRow(group: "bell", counts: StatsCounts(broadcasts: bells, instant: bells, bells: bells))])
        }
        // Unreachable: tried again; refused: never tried again, and the daemon's error is shown.
        #expect(!schools[3].ok && schools[3].failure == "unreachable" && schools[3].attempts == 2, "\(schools[3])")
        #expect(schools[3].address == "127.0.0.1:\(down)")
        #expect(!schools[4].ok && schools[4].failure == "refused" && schools[4].attempts == 1, "\(schools[4])")
        #expect(schools[4].error?.hasPrefix("unauthenticated") == true, "\(schools[4])")
        #expect(schools[3].total == nil && schools[4].total == nil)
        let total = try #require(totals)
        #expect(total.schools == 5 && total.ok == 3 && total.failed == 2)
        #expect(total.total == StatsCounts(broadcasts: 6, instant: 6, bells: 6))
        #expect(total.rows == [StatsRow(group: "bell", counts: StatsCounts(broadcasts: 6, instant: 6, bells: 6))])

        // The failed schools, as a schools file: a rerun tries those two and no others.
        let failed = Self.rows(try String(contentsOfFile: fleet.file("failed.csv"), encoding: .utf8))
        #expect(failed.map(\.first) == ["down", "refusing"])
        #expect(failed.last?[2] == fleet.file("wrong.token"), "paths are written absolute: \(failed)")
        let rerun = try run(
            Binaries.client, ["stats", "pull", "--schools", fleet.file("failed.csv"), "--json", "--retries", "0"])
        #expect(rerun.status == 1)
        #expect(try Self.decode(rerun.stdout).schools.map(\.school) == ["down", "refusing"], "\(rerun.stdout)")

        // The table names each failed school with its error, and ends with the summary.
        let table = try run(Binaries.client, ["stats", "pull", "--schools", fleet.file("schools.csv"), "--retries", "0"])
        #expect(table.status == 1)
        #expect(table.stdout.contains("down: unreachable: "), "\(table.stdout)")
        #expect(table.stdout.contains("refusing: refused: unauthenticated"), "\(table.stdout)")
        let rows = table.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(rows.contains(["s3", "ok", "1", "3", "3", "0", "3", "0", "0", "0"]), "\(table.stdout)")
        #expect(rows.contains(["total", "3", "ok", "6", "6", "0", "6", "0", "0", "0"]), "\(table.stdout)")
        #expect(rows.last == ["5", "schools:", "3", "ok,", "2", "failed", "(refused", "1,", "unreachable", "1)"], "\(table.stdout)")

        let csv = try run(Binaries.client, ["stats", "pull", "--schools", fleet.file("schools.csv"), "--csv", "--retries", "0"])
        let csvLines = csv.stdout.split(separator: "\n").map(String.init)
        #expect(csvLines.first == "school,group,broadcasts,instant,safety,bells,plans,drills,missed,ok,attempts,elapsed_seconds,error")
        #expect(csvLines.contains { $0.hasPrefix("s2,*,2,2,0,2,0,0,0,true,1,") }, "\(csv.stdout)")
        #expect(csvLines.contains { $0.hasPrefix("down,*,,,,,,,,false,1,") }, "\(csv.stdout)")
        #expect(csvLines.last == "*,*,6,6,0,6,0,0,0,,,,", "\(csv.stdout)")
    }

    /// A schools file and the error `stats pull` must report for it: line and message.
    static let badFiles: [(text: String, line: Int?, message: String)] = [
        ("a,127.0.0.1:7443,t,ca.pem,\n", 1, "the header must be `id,address,token_file,ca,pin`"),
        ("# fleet\n\nid,address,token\n", 3, "the header must be"),
        ("id,address,token_file,ca,pin\na,127.0.0.1:7443,t,ca.pem\n", 2, "expected 5 fields (id,address,token_file,ca,pin), found 4"),
        ("id,address,token_file,ca,pin\n,127.0.0.1:7443,t,ca.pem,\n", 2, "`id` is empty"),
        ("id,address,token_file,ca,pin\na b,127.0.0.1:7443,t,ca.pem,\n", 2, "`id` `a b` may hold only"),
        ("id,address,token_file,ca,pin\na,127.0.0.1:7443,t,ca.pem,\n# again\na,127.0.0.1:7444,t,ca.pem,\n", 4, "`id` `a` is already on line 2"),
        ("id,address,token_file,ca,pin\na,school.example,t,ca.pem,\n", 2, "`address` must be HOST:PORT with a port of 1 to 65535, not `school.example`"),
        ("id,address,token_file,ca,pin\na,:7443,t,ca.pem,\n", 2, "`address` must be HOST:PORT"),
        ("id,address,token_file,ca,pin\na,127.0.0.1:70000,t,ca.pem,\n", 2, "`address` must be HOST:PORT"),
        ("id,address,token_file,ca,pin\na,127.0.0.1:7443,,ca.pem,\n", 2, "`token_file` is empty"),
        ("id,address,token_file,ca,pin\na,127.0.0.1:7443,t,,\n", 2, "give `ca` (a PEM file) or `pin`"),
        ("id,address,token_file,ca,pin\na,127.0.0.1:7443,t,ca.pem,\(String(repeating: "ab", count: 32))\n", 2, "give `ca` or `pin`, not both"),
        ("id,address,token_file,ca,pin\na,127.0.0.1:7443,t,,abcd\n", 2, "`pin` must be a SHA-256 fingerprint"),
        ("id,address,token_file,ca,pin\n\"a,127.0.0.1:7443,t,ca.pem,\n", 2, "a quoted field is not closed"),
        ("# nothing but a comment\n", nil, "no header"),
        ("id,address,token_file,ca,pin,district\na,127.0.0.1:7443,t,ca.pem,\n", 2, "expected 6 fields (id,address,token_file,ca,pin,district), found 5"),
        ("id,address,token_file,ca,pin,district\na,127.0.0.1:7443,t,ca.pem,,nan shan\n", 2, "`district` `nan shan` must be 1 to 64 of letters"),
    ]

    @Test("a wrong schools file is refused with its line, before any school is contacted (exit 2)")
    func badSchoolsFiles() throws {
        let directory = try TemporaryDirectory("carillon-schools")
        defer { directory.remove() }
        for (index, bad) in Self.badFiles.enumerated() {
            let name = "bad\(index).csv"
            try directory.write(name, bad.text)
            let result = try run(Binaries.client, ["stats", "pull", "--schools", directory.file(name)])
            #expect(result.status == 2, "\(bad.text): \(result.stderr)")
            let place = directory.file(name) + (bad.line.map { ":\($0)" } ?? "")
            #expect(result.stderr.contains("\(place): \(bad.message)"), "\(bad.text)\n\(result.stderr)")
            #expect(result.stdout.isEmpty)
        }
        let missing = try run(Binaries.client, ["stats", "pull", "--schools", directory.file("none.csv")])
        #expect(missing.status == 2 && missing.stderr.contains("cannot read the schools file"), "\(missing.stderr)")
    }

    @Test("a good schools file: comments, blank lines, CRLF, quoted fields, relative paths; local errors are not retried")
    func goodSchoolsFile() throws {
        let directory = try TemporaryDirectory("carillon-schools")
        defer { directory.remove() }
        try directory.write("certs/ca.pem", "not a certificate\n")
        try directory.write("t.token", "crl_x\n")
        let pin = String(repeating: "AB:", count: 31) + "AB"
        let port = try freeLoopbackPort()
        // Listens, so the connection is made, but never answers the TLS handshake.
        let silent = try Self.silentListener()
        defer { close(silent.fd) }
        try directory.write(
            "fleet/schools.csv",
            "# fleet\r\n\r\nid , address,token_file,ca,pin\r\n"
                + "  one ,\"127.0.0.1:\(port)\",../t.token,,\"\(pin)\"\r\n"
                + "# a comment between rows\r\n"
                + "two,127.0.0.1:\(port),../t.token,../certs/ca.pem,\r\n"
                + "three,127.0.0.1:\(port),\"../no, such.token\",,\(pin)\r\n"
                + "silent,127.0.0.1:\(silent.port),../t.token,,\(pin)\r\n")
        let result = try run(
            Binaries.client,
            ["stats", "pull", "--schools", directory.file("fleet/schools.csv"), "--json", "--retries", "2", "--timeout", "0.5",
             "--failed-out", directory.file("failed.csv")])
        #expect(result.status == 1, "\(result.stderr)")
        let schools = try Self.decode(result.stdout).schools
        #expect(schools.map(\.school) == ["one", "two", "three", "silent"])
        // Nothing listens: retried twice more.
        #expect(schools[0].failure == "unreachable" && schools[0].attempts == 3, "\(schools[0])")
        // A bad CA file and a missing token are local errors: not connected to, not retried.
        #expect(schools[1].failure == "error" && schools[1].attempts == 0, "\(schools[1])")
        #expect(schools[1].error?.contains(directory.file("certs/ca.pem")) == true, "\(schools[1])")
        #expect(schools[2].failure == "error" && schools[2].error == "cannot read the token file \(directory.file("no, such.token"))")
        // No answer within the timeout: given up on, and tried again like an unreachable one.
        #expect(schools[3].failure == "timeout" && schools[3].attempts == 3, "\(schools[3])")
        // Rows written back: absolute paths, the quoted one quoted again, and readable by the parser.
        let rows = Self.rows(try String(contentsOfFile: directory.file("failed.csv"), encoding: .utf8))
        #expect(rows == [
            ["one", "127.0.0.1:\(port)", directory.file("t.token"), "", pin],
            ["two", "127.0.0.1:\(port)", directory.file("t.token"), directory.file("certs/ca.pem"), ""],
            ["three", "127.0.0.1:\(port)", directory.file("no, such.token"), "", pin],
            ["silent", "127.0.0.1:\(silent.port)", directory.file("t.token"), "", pin],
        ])
    }
}

extension StatsTests {
    /// A TCP socket on 127.0.0.1 that listens and never accepts: connects complete in the kernel's
    /// backlog, and nothing is ever said on them.
    static func silentListener() throws -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard let port = bindToLoopback(fd), listen(fd, 16) == 0 else {
            close(fd)
            throw HarnessError("cannot listen on 127.0.0.1")
        }
        return (fd, port)
    }

    /// The rows of a schools file as `--failed-out` writes it, each as its fields; the header and
    /// comments left out. Quoted fields are unquoted.
    static func rows(_ text: String) -> [[String]] {
        text.split(separator: "\n").filter { !$0.hasPrefix("#") }.dropFirst().map { line in
            var fields: [String] = []
            var field = ""
            var quoted = false
            var previous: Character?
            for character in line {
                if character == "\"" {
                    if !quoted, previous == "\"" { field.append("\"") }
                    quoted.toggle()
                } else if character == ",", !quoted {
                    fields.append(field)
                    field = ""
                } else {
                    field.append(character)
                }
                previous = character
            }
            fields.append(field)
            return fields
        }
    }
}
