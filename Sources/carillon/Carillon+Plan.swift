import ArgumentParser
import CarillonControl
import CarillonProtocol
import Foundation

extension Carillon {
    struct PlanCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "plan", abstract: Message.about("Emergency plans and drills."),
            subcommands: [List.self, Status.self, Start.self, Stop.self])

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: Message.about("The school's plans."))
            @ParentCommand var root: Carillon
            @Flag(help: Message.help("Print one JSON object per plan.")) var json = false

            func run() async throws {
                let list = try await root.connection.with { try await $0.call(.planList, Empty(), returning: PlanList.self) }
                if json { return try list.plans.forEach(printJSON) }
                for plan in list.plans {
                    print(
                        Message.planLine(
                            name: plan.name, title: plan.title, zones: plan.zones, cycle: plan.cycleSeconds.map(formatDuration),
                            cycles: plan.cycles
                        ).text)
                }
            }
        }

        struct Status: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: Message.about("The plan that runs, if any."))
            @ParentCommand var root: Carillon
            @Flag(help: Message.help("Print one JSON object.")) var json = false

            func run() async throws {
                let status = try await root.connection.with { try await $0.call(.planStatus, Empty(), returning: PlanStatus.self) }
                if json { return try printJSON(status) }
                guard let active = status.active else { return print(Message.noPlanRunning.text) }
                print(
                    Message.planRunning(
                        name: active.plan, title: active.title, drill: active.drill, zones: active.zones,
                        since: localTime(active.startedAt), cycle: active.cycle, by: active.by
                    ).text)
                for entry in active.rollCall ?? [] {
                    print(Message.rollCall(person: entry.person, tasks: entry.tasks, acknowledged: entry.acknowledgedAt.map(localTime)).text)
                }
            }
        }

        struct Start: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: Message.about("Start a plan: the alarm sounds at once (leader or higher)."),
                discussion: Message.about("On a terminal it asks first, unless --yes; the daemon itself never asks."))
            @ParentCommand var root: Carillon
            @Argument(help: Message.help("The plan's name, e.g. fire.")) var name: String
            @OptionGroup var zones: ZoneSelection
            @Flag(help: Message.help("A drill: every message says it is a drill, and it is logged as one."))
            var drill = false
            @Flag(name: .shortAndLong, help: Message.help("Do not ask.")) var yes = false

            func run() async throws {
                if !yes && isatty(STDIN_FILENO) != 0 {
                    StandardError.write(Message.confirmPlan(name: name, drill: drill).text)
                    guard let answer = readLine(), ["y", "yes", "是"].contains(answer.lowercased()) else {
                        throw LocalFailure(message: Message.notStarted.text)
                    }
                }
                let active = try await root.connection.with {
                    try await $0.call(
                        .planStart, PlanStartArgs(plan: name, zones: try zones.names, drill: drill),
                        returning: ActivePlanInfo.self)
                }
                print(Message.planStarted(name: active.plan, drill: active.drill, zones: active.zones, run: active.run).text)
                // It sounds, so the exit status stays 0; what could not be written goes to stderr.
                if let warning = active.warning { StandardError.write(Message.planWarning(warning).text + "\n") }
            }
        }

        struct Stop: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: Message.about("Stop the running plan; its zones go back to the schedule."))
            @ParentCommand var root: Carillon
            @Argument(help: Message.help("The plan's name, to be sure the right one stops.")) var name: String?

            func run() async throws {
                _ = try await root.connection.with { try await $0.call(.planStop, PlanStopArgs(plan: name), returning: PlanStatus.self) }
                print(Message.planStopped.text)
            }
        }
    }
}
