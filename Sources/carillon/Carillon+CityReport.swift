import ArgumentParser
import CarillonCity
import CarillonControl
import CarillonCore
import CarillonProtocol
import Foundation

extension Carillon.City {
    /// `carillon city status`.
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: Message.about("Every school of the schools file as the broker last heard it."),
            discussion: Message.about(
                """
                Reads the schools' retained statuses: online or offline, when last heard, the schedule and bundle \
                versions in force, the last alert sounded; a school the broker has never heard of is `unknown`. \
                The last line is the totals. --json prints one object per school and the totals; --csv a header \
                row and one row per school.
                """))

        @Option(help: Message.help("The schools file (id,address,token_file,ca,pin,district).")) var schools: String
        @Flag(help: Message.help("Print JSON lines.")) var json = false
        @Flag(help: Message.help("Print CSV with a header row.")) var csv = false
        @OptionGroup var connection: BrokerOptions

        func validate() throws {
            if json && csv { throw ValidationError(Message.jsonOrCsv.text) }
        }

        /// One school's line.
        struct Line: Codable {
            var school: String
            var district: String?
            /// `online`, `offline` or `unknown`.
            var state: String
            var lastHeard: Date?
            var version: String?
            var schedule: Int?
            var bundle: Int?
            var lastSounded: String?
        }

        struct Totals: Codable {
            var schools: Int
            var online: Int
            var offline: Int
            var unknown: Int
        }

        func run() async throws {
            let list = try citySchools(schools)
            // Each school's own topic, not a wildcard: RabbitMQ sends retained messages for exact topics only.
            let heard = try await connection.collect(list.map { CityTopics.status($0.id) }, wait: .seconds(60))
            var statuses: [String: SchoolStatus] = [:]
            for message in heard {
                if let status = try? JSONDecoder().decode(SchoolStatus.self, from: message.payload),
                    message.topic == CityTopics.status(status.school)
                {
                    statuses[status.school] = status
                }
            }
            let lines = list.map { school in
                let status = statuses[school.id]
                return Line(
                    school: school.id, district: school.district ?? status?.district, state: status?.state ?? "unknown",
                    lastHeard: status?.at.map { Date(timeIntervalSince1970: Double($0) / 1000) },
                    version: status?.version,
                    schedule: status?.schedule, bundle: status?.bundle, lastSounded: status?.lastSounded)
            }
            let totals = Totals(
                schools: lines.count, online: lines.filter { $0.state == "online" }.count,
                offline: lines.filter { $0.state == "offline" }.count,
                unknown: lines.filter { $0.state == "unknown" }.count)
            let time: (Date?) -> String = { $0.map { $0.ISO8601Format() } ?? "" }
            if json {
                for line in lines { try printJSON(line) }
                try printJSON(totals)
            } else if csv {
                print("school,district,state,last_heard,version,schedule,bundle,last_sounded")
                for line in lines {
                    print(
                        [
                            line.school, line.district ?? "", line.state, time(line.lastHeard), line.version ?? "",
                            line.schedule.map(String.init) ?? "",
                            line.bundle.map(String.init) ?? "", line.lastSounded ?? "",
                        ].map(csvField).joined(separator: ","))
                }
            } else {
                let rows =
                    [
                        [
                            "school", "district", "state", "last heard", "version", "schedule", "bundle",
                            "last alert sounded",
                        ]
                    ]
                    + lines.map {
                        [
                            $0.school, $0.district ?? "-", $0.state, time($0.lastHeard), $0.version ?? "-",
                            $0.schedule.map(String.init) ?? "-",
                            $0.bundle.map(String.init) ?? "-", $0.lastSounded ?? "-",
                        ]
                    }
                printTable(rows)
                print(
                    "\(totals.schools) school\(totals.schools == 1 ? "" : "s"): \(totals.online) online, \(totals.offline) offline, \(totals.unknown) never heard"
                )
            }
        }
    }

    /// `carillon city stats`.
    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: Message.about("The city's report for one month, from the counts the schools publish."),
            discussion: Message.about(
                """
                Reads each school's retained counts for the month (published at every connection, after every \
                alert and hourly) and prints them by school, district or category, with the city's total; the \
                schools of the file that did not report are listed, and the exit code is then 1. --png draws the \
                month's broadcasts per district as a bar chart (gnuplot).
                """))

        @Option(help: Message.help("The month, YYYY-MM.")) var month: String
        @Option(help: Message.help("The schools file (id,address,token_file,ca,pin,district).")) var schools: String
        @Option(help: Message.help("Split the counts by school, district or category.")) var by = "school"
        @Flag(help: Message.help("Print JSON lines.")) var json = false
        @Flag(help: Message.help("Print CSV with a header row.")) var csv = false
        @Option(help: Message.help("Draw the broadcasts per district as a bar chart in this PNG file.")) var png:
            String?
        @OptionGroup var connection: BrokerOptions

        static let groupings = ["school", "district", "category"]

        func validate() throws {
            guard SchoolMonthStats.isMonth(month) else {
                throw ValidationError("--month must be YYYY-MM, such as 2026-11")
            }
            guard Self.groupings.contains(by) else {
                throw ValidationError(Message.oneOf(option: "--by", choices: Self.groupings).text)
            }
            if json && csv { throw ValidationError(Message.jsonOrCsv.text) }
        }

        struct Row: Codable {
            var group: String
            var schools: Int
            var counts: StatsCounts
        }

        struct Report: Codable {
            var month: String
            var by: String
            var schools: Int
            var reported: Int
            var missing: [String]
            var total: StatsCounts
        }

        func run() async throws {
            let list = try citySchools(schools)
            // Each school's own topic, not a wildcard: RabbitMQ sends retained messages for exact topics only.
            let heard = try await connection.collect(
                list.map { CityTopics.stats($0.id, month: month) }, wait: .seconds(60))
            let known = Set(list.map(\.id))
            var reports: [String: SchoolMonthStats] = [:]
            for message in heard {
                // A school's counts under its own topic only, for this month, and only schools of the file.
                guard let stats = try? JSONDecoder().decode(SchoolMonthStats.self, from: message.payload),
                    message.topic == CityTopics.stats(stats.school, month: month), stats.month == month,
                    known.contains(stats.school)
                else { continue }
                reports[stats.school] = stats
            }
            let districtOf = Dictionary(
                list.map { ($0.id, $0.district ?? reports[$0.id]?.district ?? "-") }, uniquingKeysWith: { a, _ in a })
            var groups: [String: (schools: Int, counts: StatsCounts)] = [:]
            for (school, stats) in reports {
                switch by {
                case "school": groups[school] = (1, stats.total)
                case "district":
                    let key = districtOf[school] ?? "-"
                    groups[key] = (
                        (groups[key]?.schools ?? 0) + 1, (groups[key]?.counts ?? StatsCounts()) + stats.total
                    )
                default:
                    for (category, counts) in stats.categories {
                        groups[category] = (
                            (groups[category]?.schools ?? 0) + 1, (groups[category]?.counts ?? StatsCounts()) + counts
                        )
                    }
                }
            }
            let rows = groups.keys.sorted().map {
                Row(group: $0, schools: groups[$0]!.schools, counts: groups[$0]!.counts)
            }
            let total = reports.values.map(\.total).reduce(StatsCounts(), +)
            let missing = list.map(\.id).filter { reports[$0] == nil }
            let report = Report(
                month: month, by: by, schools: list.count, reported: reports.count, missing: missing, total: total)
            if json {
                for row in rows { try printJSON(row) }
                try printJSON(report)
            } else if csv {
                print(([by, "schools"] + StatsCounts.names).joined(separator: ","))
                for row in rows { print(csvRow([row.group, "\(row.schools)"], row.counts)) }
                print(csvRow(["*", "\(reports.count)"], total))
            } else {
                print("\(month): \(reports.count) of \(list.count) schools reported")
                printCounts(
                    header: [by, "schools"],
                    rows.map { ([$0.group, "\($0.schools)"], $0.counts) } + [(["total", "\(reports.count)"], total)])
                if !missing.isEmpty { print("did not report (\(missing.count)): \(missing.joined(separator: ", "))") }
            }
            if let png {
                var districts: [String: Int] = [:]
                for (school, stats) in reports {
                    districts[districtOf[school] ?? "-", default: 0] += stats.total.broadcasts
                }
                try Self.plot(districts, month: month, to: png)
            }
            if !missing.isEmpty { throw ExitCode(1) }
        }

        /// The broadcasts per district as a bar chart, drawn by gnuplot (as the soak's plot is).
        static func plot(_ districts: [String: Int], month: String, to png: String) throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "carillon-city-\(UUID().uuidString)"
            ).path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let data = districts.keys.sorted().map { "\"\($0)\" \(districts[$0]!)" }.joined(separator: "\n") + "\n"
            try data.write(toFile: directory + "/districts.dat", atomically: true, encoding: .utf8)
            let output = URL(fileURLWithPath: png).standardizedFileURL.path
            let script = """
                set terminal pngcairo size 1000,600 font 'sans,10' noenhanced
                set output '\(output.replacingOccurrences(of: "'", with: "''"))'
                set title 'Broadcasts per district, \(month)'
                set ylabel 'broadcasts'
                set style fill solid 0.8
                set boxwidth 0.7
                set yrange [0:*]
                set xtics rotate by -45
                set grid ytics
                unset key
                plot '\(directory)/districts.dat' using 2:xtic(1) with boxes lc rgb '#1f77b4'
                """
            try script.write(toFile: directory + "/plot.gp", atomically: true, encoding: .utf8)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/gnuplot")
            process.arguments = [directory + "/plot.gp"]
            let errors = Pipe()
            process.standardError = errors
            do { try process.run() } catch {
                throw LocalFailure(
                    message: "cannot run gnuplot (apt install gnuplot-nox): \(error.localizedDescription)")
            }
            let said = errors.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw LocalFailure(message: "gnuplot failed: \(String(decoding: said, as: UTF8.self))")
            }
        }
    }
}

/// Prints rows as columns, padded to their display width.
func printTable(_ rows: [[String]]) {
    guard let first = rows.first else { return }
    let widths = (0..<first.count).map { column in rows.map { displayWidth($0[column]) }.max() ?? 0 }
    for row in rows {
        print(
            row.enumerated().map { $1 + String(repeating: " ", count: widths[$0] - displayWidth($1)) }.joined(
                separator: "  "
            ).trimmingCharacters(in: .whitespaces))
    }
}
