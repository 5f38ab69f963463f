import CarillonCore
import ArgumentParser
import CarillonControl
import CarillonProtocol
import Foundation

extension Carillon {
    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "stats",
            abstract: Message.about("Count what was broadcast: one school, or with `pull` every school of a fleet."),
            subcommands: [Show.self, Pull.self], defaultSubcommand: Show.self)

        /// The window and grouping both subcommands take.
        struct Window: ParsableArguments {
            @Option(help: Message.help("From this date (YYYY-MM-DD, local) or instant (ISO 8601).")) var from: String?
            @Option(help: Message.help("Before this date or instant; a date means up to the end of that day."))
            var to: String?
            @Option(help: Message.help("Split the counts by category, day, zone or source.")) var by: String?
            @Flag(help: Message.help("Print JSON lines.")) var json = false
            @Flag(help: Message.help("Print CSV with a header row.")) var csv = false

            func validate() throws {
                if let from, Log.instant(from, endOfDay: false) == nil {
                    throw ValidationError(Message.notADate(option: "--from", text: from).text)
                }
                if let to, Log.instant(to, endOfDay: true) == nil {
                    throw ValidationError(Message.notADate(option: "--to", text: to).text)
                }
                if let by, !StatsArgs.groupings.contains(by) {
                    throw ValidationError(Message.oneOf(option: "--by", choices: StatsArgs.groupings).text)
                }
                if json && csv { throw ValidationError(Message.jsonOrCsv.text) }
            }

            var args: StatsArgs {
                StatsArgs(
                    from: from.flatMap { Log.instant($0, endOfDay: false) }, to: to.flatMap { Log.instant($0, endOfDay: true) },
                    by: by)
            }
        }

        struct Show: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "show", abstract: Message.about("This school's counts (viewer or bureau)."),
                discussion: Message.about("""
                    broadcasts: what went on the air (plays that sounded, and one per plan or drill run); instant: plays, \
                    shouts and `say` a person asked for; safety: tips; bells; plans and drills: runs started; missed: \
                    scheduled events past their grace window. --json prints the whole result as one line; --csv one row \
                    per group, and the total as group `*`.
                    """))
            @ParentCommand var root: Carillon
            @OptionGroup var window: Window

            func run() async throws {
                let result = try await root.connection.with { try await $0.call(.stats, window.args, returning: StatsResult.self) }
                if window.json { return try printJSON(result) }
                if window.csv {
                    print((["group"] + StatsCounts.names).joined(separator: ","))
                    for row in result.rows ?? [] { print(csvRow([row.group], row.counts)) }
                    print(csvRow(["*"], result.total))
                    return
                }
                var rows: [([String], StatsCounts?)] = (result.rows ?? []).map { ([$0.group], $0.counts) }
                rows.append(([Message.total.text], result.total))
                printCounts(header: [result.by.map { Message.statsName($0) } ?? ""], rows)
                if result.by == "day" { print(Message.daysIn(timezone: result.timezone).text) }
            }
        }

        struct Pull: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: Message.about("Every school's counts and the fleet's totals (bureau), over TCP with TLS."),
                discussion: Message.about("""
                    The schools file has the header id,address,token_file,ca,pin and one school per line: address is \
                    HOST:PORT, token_file the bureau's token for that school, and either ca (a PEM file) or pin (a \
                    SHA-256 fingerprint). Relative paths are relative to the file. Lines starting with # are comments. \
                    A school that cannot be reached or refuses is listed with its error, and the exit code is 1.
                    """))
            @ParentCommand var root: Carillon
            @OptionGroup var window: Window
            @OptionGroup var fleet: FleetOptions

            func run() async throws {
                if root.connection.host != nil || root.connection.socket != nil {
                    throw ValidationError(Message.fleetNoHost(command: "stats pull").text)
                }
                let schools = try fleet.loadSchools()
                let args = window.args
                let results = try await fleet.run(schools) { _, connection in
                    try await connection.call(.stats, args, returning: StatsResult.self)
                }
                let answered = results.compactMap(\.value)
                let total = answered.map(\.total).reduce(StatsCounts(), +)
                // The fleet's groups: each group's counts summed over the schools that answered.
                var groups: [String: StatsCounts] = [:]
                for row in answered.flatMap({ $0.rows ?? [] }) { groups[row.group, default: StatsCounts()] = groups[row.group, default: StatsCounts()] + row.counts }
                let groupRows = groups.keys.sorted().map { StatsRow(group: $0, counts: groups[$0]!) }

                if window.json {
                    for result in results {
                        try printJSON(FleetLine(result))
                    }
                    try printJSON(
                        FleetStats(
                            schools: results.count, ok: answered.count, failed: results.count - answered.count, total: total,
                            rows: window.by == nil ? nil : groupRows))
                } else if window.csv {
                    print((["school", "group"] + StatsCounts.names + ["ok", "attempts", "elapsed_seconds", "error"]).joined(separator: ","))
                    func extra(_ result: FleetResult<StatsResult>) -> String {
                        ",\(result.ok),\(result.attempts),\(String(format: "%.3f", result.elapsed.seconds)),\(csvField(result.error ?? ""))"
                    }
                    for result in results {
                        guard let value = result.value else {
                            print(csvField(result.school.id) + ",*" + String(repeating: ",", count: StatsCounts.names.count) + extra(result))
                            continue
                        }
                        print(csvRow([result.school.id, "*"], value.total) + extra(result))
                        for row in value.rows ?? [] { print(csvRow([result.school.id, row.group], row.counts) + extra(result)) }
                    }
                    print(csvRow(["*", "*"], total) + ",,,,")
                    for row in groupRows { print(csvRow(["*", row.group], row.counts) + ",,,,") }
                } else {
                    var rows: [([String], StatsCounts?)] = results.map { result in
                        ([result.school.id, Fleet.verdict(result), "\(result.attempts)"], result.value?.total)
                    }
                    rows.append(([Message.total.text, Message.fleetAnswered(answered.count).text, ""], total))
                    printCounts(header: Array(Fleet.header.prefix(3)), rows)
                    for result in results where !result.ok {
                        print(
                            Message.fleetSchoolError(
                                school: result.school.id,
                                failure: Message.failureName(result.failure?.rawValue ?? "error"),
                                error: result.error ?? ""
                            ).text)
                    }
                    if let by = window.by, !groupRows.isEmpty {
                        print(Message.allSchoolsBy(Message.statsName(by)).text)
                        printCounts(header: [Message.statsName(by)], groupRows.map { ([$0.group], $0.counts) })
                    }
                    print(Fleet.summary(results))
                }
                if answered.count < results.count { throw ExitCode(1) }
            }
        }
    }
}

/// The last line of `stats pull --json`: the fleet's totals over the schools that answered.
private struct FleetStats: Encodable {
    var schools: Int
    var ok: Int
    var failed: Int
    var total: StatsCounts
    var rows: [StatsRow]?
}

/// The leading fields, then the counters, as one CSV line.
func csvRow(_ leading: [String], _ counts: StatsCounts) -> String {
    (leading.map(csvField) + counts.values.map(String.init)).joined(separator: ",")
}

/// A table: the leading columns left-aligned, the counters right-aligned, `-` where there are none;
/// aligned by display width, for the Chinese headers.
func printCounts(header: [String], _ rows: [([String], StatsCounts?)]) {
    let names = StatsCounts.names.map { Message.statsName($0) }
    let lines =
        [header + names] + rows.map { $0.0 + ($0.1?.values.map(String.init) ?? StatsCounts.names.map { _ in "-" }) }
    let widths = (0..<lines[0].count).map { column in lines.map { displayWidth($0[column]) }.max() ?? 0 }
    for line in lines {
        let cells = line.enumerated().map { column, cell in
            let pad = String(repeating: " ", count: widths[column] - displayWidth(cell))
            return column < header.count ? cell + pad : pad + cell
        }
        print(cells.joined(separator: "  ").trimmingCharacters(in: .whitespaces))
    }
}
