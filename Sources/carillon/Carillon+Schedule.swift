import ArgumentParser
import CarillonCalendar
import CarillonControl
import CarillonCore
import CarillonTOML
import CarillonProtocol
import Foundation

extension Carillon {
    struct ScheduleCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "schedule",
            abstract: Message.about("The school's timetable: show, next, preview, apply, history and rollback."),
            subcommands: [Show.self, Next.self, Preview.self, Apply.self, History.self, Rollback.self])
        @ParentCommand var root: Carillon
    }
}

extension Carillon.ScheduleCommand {
    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: Message.about("Every version held, from schedules and bundles, newest first."))
        @ParentCommand var schedule: Carillon.ScheduleCommand
        @Flag(help: Message.help("Print one JSON object per version.")) var json = false

        func run() async throws {
            let history = try await schedule.root.connection.with {
                try await $0.call(.scheduleHistory, Empty(), returning: ScheduleHistory.self)
            }
            if json { return try history.versions.forEach(printJSON) }
            print(Message.historyFloor(history.floor).text)
            for version in history.versions {
                print(
                    Message.historyLine(
                        version: version.version, bundle: version.bundle, schedule: version.schedule,
                        appliedAt: localTime(version.appliedAt), source: version.source, inForce: version.inForce,
                        rolledBackAt: version.rolledBackAt.map(localTime)
                    ).text)
            }
        }
    }

    struct Rollback: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: Message.about(
                "Go back to an earlier version (admin); new bundles must still be above the highest ever held."))
        @ParentCommand var schedule: Carillon.ScheduleCommand
        @Option(help: Message.help("The version to go back to; by default the one before the version in force."))
        var to: Int?
        @Flag(help: Message.help("Print one JSON object.")) var json = false

        func run() async throws {
            let result = try await schedule.root.connection.with {
                try await $0.call(.scheduleRollback, ScheduleRollbackArgs(to: to), returning: ScheduleRolledBack.self)
            }
            if json { return try printJSON(result) }
            print(
                Message.rolledBack(from: result.from, to: result.to, schedule: result.schedule, floor: result.floor)
                    .text)
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: Message.about("The schedule in force and today's plan."))
        @ParentCommand var schedule: Carillon.ScheduleCommand
        @Flag(help: Message.help("Print one JSON object.")) var json = false

        func run() async throws {
            let summary = try await schedule.root.connection.with {
                try await $0.call(.scheduleShow, Empty(), returning: ScheduleSummary.self)
            }
            if json { return try printJSON(summary) }
            print(
                Message.scheduleSummary(
                    version: summary.version, timezone: summary.timezone, grace: summary.graceSeconds, source: summary.source
                ).text)
            print(Message.scheduleToday(today: summary.today, timetable: summary.timetable, rule: summary.rule).text)
            if let theme = summary.theme { print(Message.scheduleTheme(Message.subjectName(theme)).text) }
            print(Message.scheduleEvents(today: summary.eventsToday, left: summary.eventsLeftToday).text)
        }
    }

    struct Next: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: Message.about("The next events, with countdowns."))
        @ParentCommand var schedule: Carillon.ScheduleCommand
        @Argument(help: Message.help("How many (default 10).")) var count: Int?
        @Flag(help: Message.help("Print one JSON object per event.")) var json = false

        func run() async throws {
            let next = try await schedule.root.connection.with {
                try await $0.call(.scheduleNext, ScheduleNextArgs(count: count), returning: ScheduleNextResult.self)
            }
            for event in next.events {
                if json { print(event.preview) } else {
                    print(Message.nextIn(formatDuration(event.inSeconds)).text + " " + Self.describe(event.preview))
                }
            }
        }

        /// A readable line from an event's preview JSON.
        static func describe(_ preview: String) -> String {
            guard let object = try? JSONSerialization.jsonObject(with: Data(preview.utf8)) as? [String: Any] else { return preview }
            let what =
                (object["play"] as? String) ?? ((object["say"] as? String).map { Message.sayEvent($0).text } ?? "?")
            let zones = (object["zones"] as? [String])?.joined(separator: ",") ?? "all"
            return "\(object["at"] as? String ?? "")  \(what)  [\(zones)]  \(object["timetable"] as? String ?? "") / \(object["day"] as? String ?? "")"
        }
    }

    struct Preview: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: Message.about("Evaluate a schedule file offline, with no daemon and no library."))
        @Option(help: Message.help("The schedule.toml.")) var file: String
        @Option(help: Message.help("First local date, YYYY-MM-DD.")) var from: String
        @Option(help: Message.help("Last local date, YYYY-MM-DD (included).")) var to: String
        @Flag(help: Message.help("One JSON object per event.")) var json = false

        func run() throws {
            guard let first = LocalDate(from) else {
                throw ValidationError(Message.dateSuchAs(option: "--from", example: "2026-10-01").text)
            }
            guard let last = LocalDate(to) else {
                throw ValidationError(Message.dateSuchAs(option: "--to", example: "2026-10-12").text)
            }
            guard first <= last else { throw ValidationError(Message.fromAfterTo.text) }
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ValidationError(Message.cannotReadFile(file).text)
            }
            let schedule: Schedule
            do {
                // No config here: a zone group's name is taken as one; the daemon checks it against the config.
                var context = ScheduleContext(calendarLoader: ICalendar.loader)
                context.anyZoneGroup = true
                schedule = try Schedule.parse(Array(data), file: file, context: context)
            } catch {
                StandardError.write(Data((error.description + "\n").utf8))
                throw ExitCode(1)
            }
            // Calendar files: how many days they gave, and what they left out, on stderr.
            for calendar in schedule.calendars {
                StandardError.write(
                    Message.calendarRead(file: calendar.file, days: calendar.dayCount, ignored: calendar.ignoredEvents)
                        .text + "\n")
            }
            for event in schedule.events(from: first, through: last) {
                if json { print(event.previewJSON) } else { print(Next.describe(event.previewJSON)) }
            }
        }
    }

    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: Message.about(
                "Check a schedule file and put it in force, live; its version must be above the current one."))
        @ParentCommand var schedule: Carillon.ScheduleCommand
        @Argument(help: Message.help("The schedule.toml.")) var file: String

        func run() async throws {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ValidationError(Message.cannotReadFile(file).text)
            }
            let applied: ScheduleApplied
            do {
                applied = try await schedule.root.connection.with {
                    try await $0.call(
                        .scheduleApply, ScheduleApplyArgs(text: String(decoding: data, as: UTF8.self), name: file),
                        returning: ScheduleApplied.self)
                }
            } catch {
                // The file's problems are not a usage mistake: 1, as `schedule preview` exits for them.
                throw Failure.aboutContent(error)
            }
            print(Message.scheduleApplied(version: applied.version, previous: applied.previous).text)
        }
    }
}
