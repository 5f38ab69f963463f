import ArgumentParser
import CarillonControl
import CarillonProtocol
import CarillonCore
import Foundation

extension Carillon {
    struct Events: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: Message.abstractEvents.text,
            discussion: Message.about(
                "Runs until interrupted. A client that cannot keep up is dropped by the daemon; when the connection ends, "
                    + "whatever the reason, it exits 1."))
        @ParentCommand var root: Carillon
        @Flag(help: Message.help("Print each event as one JSON object.")) var json = false
        @Option(
            name: .long, parsing: .upToNextOption,
            help: Message.help("Only events whose names start with these, e.g. play output."))
        var kinds: [String] = []

        func run() async throws {
            try await root.connection.with { connection in
                let accepted = try await connection.call(
                    .events, EventsArgs(kinds: kinds.isEmpty ? nil : kinds), returning: EventsSubscribed.self)
                if !json { StandardError.write(Message.listening(kinds: accepted.kinds).text + "\n") }
                do {
                    while let line = try await connection.nextLine() {
                        if json {
                            StandardOutput.write(line + Data("\n".utf8))
                            continue
                        }
                        guard let event = try? Wire.decoder().decode(Event.self, from: line) else { continue }
                        StandardOutput.write(Data((Self.describe(event) + "\n").utf8))
                    }
                } catch ClientError.cannotConnect {
                    // A reset is the same news as a close: fall through.
                }
                // Only ^C ends a subscription the client asked for; a script watching for
                // faults must learn that it no longer hears any.
                throw Failure(status: 1, message: Message.eventsEnded.text)
            }
        }

        static func describe(_ event: Event) -> String {
            var parts = [localTime(event.at), event.event]
            if let plan = event.plan {
                parts.append("\(event.drill == true ? Message.eventDrill.text : "")\(plan) \(event.title ?? "")")
            }
            if let play = event.play { parts.append("#\(play)") }
            if let clip = event.clip { parts.append(clip) }
            if let level = event.level { parts.append(level) }
            if let zones = event.zones { parts.append(zones.joined(separator: ",")) }
            if let output = event.output { parts.append(Message.eventOutput(output).text) }
            if let version = event.version { parts.append(Message.eventVersion(version).text) }
            if let outcome = event.outcome { parts.append(outcome) }
            if let detail = event.detail { parts.append("(\(detail))") }
            if let by = event.by { parts.append(Message.eventBy(by).text) }
            if let task = event.task { parts.append("\n" + Message.yourTask(task).text) }
            return parts.joined(separator: "  ")
        }
    }

    struct Log: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: Message.about("Show the play log, or with --audit the audit log of state-changing commands."))
        @ParentCommand var root: Carillon
        @Flag(help: Message.help("Show who changed what instead of what played (admin).")) var audit = false
        @Flag(help: Message.help("Show emergency plan runs and drills, with their timelines.")) var plans = false
        @Option(help: Message.help("From this date (YYYY-MM-DD, local) or instant (ISO 8601).")) var from: String?
        @Option(help: Message.help("Before this date or instant; a date means up to the end of that day."))
        var to: String?
        @Option(help: Message.help("Plays of this clip category: bell, tip, culture, emergency, …"))
        var category: String?
        @Option(help: Message.help("Plays in this zone.")) var zone: String?
        @Option(help: Message.help("Plays from this source: manual, schedule, plan, shout, tts.")) var source: String?
        @Option(help: Message.help("Plays at this level.")) var level: String?
        @Option(help: Message.help("Audit entries by this identity.")) var actor: String?
        @Option(help: Message.help("Audit entries of this command, or of a group such as library."))
        var command: String?
        @Option(help: Message.help("At most this many rows (1 to 10000).")) var limit = 100
        @Flag(help: Message.help("Print one JSON object per line.")) var json = false

        func validate() throws {
            if audit && (category != nil || zone != nil || source != nil || level != nil) {
                throw ValidationError(Message.auditFilters.text)
            }
            if !audit && (actor != nil || command != nil) { throw ValidationError(Message.auditOnly.text) }
            if let from, Self.instant(from, endOfDay: false) == nil {
                throw ValidationError(Message.notADate(option: "--from", text: from).text)
            }
            if let to, Self.instant(to, endOfDay: true) == nil { throw ValidationError(Message.notADate(option: "--to", text: to).text) }
        }

        func run() async throws {
            if plans {
                let log = try await root.connection.with { try await $0.call(.logPlans, PlanLogArgs(limit: limit), returning: PlanLog.self) }
                if json { return try log.runs.forEach(printJSON) }
                for run in log.runs {
                    print(
                        Message.logPlanRun(
                            at: localTime(run.startedAt), run: run.run, drill: run.drill, plan: run.plan,
                            title: run.title,
                            zones: run.zones, by: run.startedBy, outcome: run.outcome
                        ).text)
                    for step in run.timeline { print("    \(localTime(step.at))  \(step.step)") }
                    for entry in run.rollCall ?? [] {
                        print(Message.rollCall(person: entry.person, tasks: entry.tasks, acknowledged: entry.acknowledgedAt.map(localTime)).text)
                    }
                }
                return
            }
            let from = self.from.flatMap { Self.instant($0, endOfDay: false) }
            let to = self.to.flatMap { Self.instant($0, endOfDay: true) }
            if audit {
                let result = try await root.connection.with {
                    try await $0.call(
                        .logAudit, AuditArgs(from: from, to: to, actor: actor, command: command, limit: limit),
                        returning: AuditResult.self)
                }
                if json { return try result.entries.forEach(printJSON) }
                for entry in result.entries {
                    print(
                        Message.logAudit(
                            at: localTime(entry.at), actor: entry.actor, role: entry.role, source: entry.source,
                            command: entry.command, arguments: entry.arguments, ok: entry.ok, code: entry.errorCode,
                            message: entry.message
                        ).text)
                }
                return
            }
            let result = try await root.connection.with {
                try await $0.call(
                    .logPlays,
                    LogArgs(from: from, to: to, category: category, zone: zone, source: source, level: level, limit: limit),
                    returning: LogResult.self)
            }
            if json { return try result.plays.forEach(printJSON) }
            for play in result.plays {
                print(
                    Message.logPlay(
                        at: localTime(play.requestedAt), play: play.play, clip: play.clip, category: play.category,
                        level: play.level,
                        zones: play.zones, source: play.source, by: play.requestedBy, outcome: play.outcome,
                        latencyMs: play.latencyMs, heardMs: play.heardLatencyMs
                    ).text)
            }
        }

        /// A local date means its midnight (or the next midnight, for `--to`); anything else must be ISO 8601.
        static func instant(_ text: String, endOfDay: Bool) -> Date? {
            // Strictly: Foundation's own parsers read 2026-13-01 as 2027-01-01 and 2026-02-30 as March 2.
            if let date = LocalDate(text) {
                var calendar = Calendar(identifier: .gregorian)
                calendar.timeZone = .current
                guard let day = calendar.date(from: DateComponents(year: date.year, month: date.month, day: date.day)) else {
                    return nil
                }
                return endOfDay ? calendar.date(byAdding: .day, value: 1, to: day) : day
            }
            return Wire.date(text)
        }
    }

    struct Token: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: Message.about("Make tokens for TCP clients."), subcommands: [New.self])

        struct New: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: Message.about(
                    "Make a token: the client keeps the token, carillon.toml keeps only its SHA-256."),
                discussion: Message.about(
                    """
                    Prints the [[token]] entry on standard output, so that it can be appended to carillon.toml \
                    (`carillon token new NAME --role R -o NAME.token >> carillon.toml`); reload the daemon (SIGHUP) to \
                    accept it. The token itself goes to the -o file, or without -o to standard error: it is shown once.
                    """))
            @Argument(help: Message.help("The client's name, e.g. principal-phone; the logs show it.")) var name: String
            @Option(help: Message.help("viewer, teacher, leader, admin or bureau.")) var role: String
            @OptionGroup var zones: ZoneSelection
            @Option(
                name: .shortAndLong,
                help: Message.help("Write the token to this file (mode 0600) instead of showing it on standard error."))
            var output: String?

            func validate() throws {
                guard Role(rawValue: role) != nil else {
                    throw ValidationError(Message.oneOf(option: "--role", choices: Role.allCases.map(\.rawValue)).text)
                }
                guard !name.isEmpty, name.count <= 64, !name.contains("\"") else { throw ValidationError(Message.tokenName.text) }
            }

            func run() throws {
                var bytes = [UInt8](repeating: 0, count: 32)
                guard getentropy(&bytes, bytes.count) == 0 else {
                    throw ValidationError(Message.noEntropy(String(cString: strerror(errno))).text)
                }
                let token = "crl_" + Data(bytes).base64EncodedString()
                    .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                    .replacingOccurrences(of: "=", with: "")
                if let output {
                    try writeSecret(token + "\n", to: output)
                    StandardError.write(Message.tokenWritten(path: output).text + "\n")
                } else {
                    StandardError.write(Message.tokenShownOnce(token: token).text + "\n")
                }
                let zoneList = try zones.names ?? []
                let zoneLine = zoneList.isEmpty ? "" : "zones = [" + zoneList.map { "\"\($0)\"" }.joined(separator: ", ") + "]\n"
                // The entry alone on stdout: `>> carillon.toml` appends it as it is.
                print("\n[[token]]\nname = \"\(name)\"\nrole = \"\(role)\"\nsha256 = \"\(AccessPolicy.hash(token: token))\"\n\(zoneLine)", terminator: "")
                StandardError.write(Message.tokenAddEntry.text + "\n")
            }
        }
    }

    struct RawRequest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "request",
            abstract: Message.about("Send raw protocol requests and print the raw replies: for scripts and debugging."),
            discussion: Message.about(
                "With a command, sends {\"cmd\":COMMAND,\"args\":ARGS}; with --stdin, sends each line of standard input as it is."
            ))
        @ParentCommand var root: Carillon
        @Argument(help: Message.help("A command name, e.g. status.")) var command: String?
        @Argument(help: Message.help("Its arguments as a JSON object.")) var args: String?
        @Flag(help: Message.help("Send each line of standard input and print each reply.")) var stdin = false

        func validate() throws {
            if stdin == (command != nil) { throw ValidationError(Message.commandOrStdin.text) }
        }

        func run() async throws {
            var failed = false
            try await root.connection.with { connection in
                if let command {
                    let line = Data(#"{"id":1,"cmd":"#.utf8) + (try Wire.encoder().encode(command)) + Data(#","args":"#.utf8)
                        + Data((args ?? "{}").utf8) + Data("}".utf8)
                    let reply = try await connection.send(line)
                    StandardOutput.write(reply + Data("\n".utf8))
                    failed = (try? Wire.decoder().decode(ResponseHead.self, from: reply))?.ok != true
                    return
                }
                while let line = readLine(strippingNewline: true) {
                    let reply = try await connection.send(Data(line.utf8))
                    StandardOutput.write(reply + Data("\n".utf8))
                }
            }
            if failed { throw ExitCode(1) }
        }
    }
}

/// A date in the local time zone, to the second.
/// Writes a secret (a token, a private key) to a new file that only its owner may read: created
/// with mode 0600 and O_EXCL, so it is never readable by others, even for a moment, and never
/// replaces a file.
func writeSecret(_ text: String, to path: String) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
    guard fd >= 0 else {
        throw LocalFailure(message: Message.cannotCreate(path, reason: String(cString: strerror(errno))).text)
    }
    defer { close(fd) }
    let bytes = Array(text.utf8)
    guard write(fd, bytes, bytes.count) == bytes.count else {
        throw LocalFailure(message: Message.cannotWrite(path, reason: nil).text)
    }
}

func localTime(_ date: Date) -> String {
    let formatter = DateFormatter()
    formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
    formatter.timeZone = .current
    return formatter.string(from: date)
}
