import ArgumentParser
import CarillonControl
import CarillonProtocol
import Foundation

extension Carillon {
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: Message.about("Show what the daemon is doing."))
        @ParentCommand var root: Carillon
        @Flag(help: Message.help("Print one JSON object.")) var json = false
        @Flag(
            help: Message.help("Print the metrics in Prometheus' text format (for node_exporter's textfile collector).")
        )
        var prometheus = false

        func run() async throws {
            if prometheus {
                let metrics = try await root.connection.with { try await $0.call(.metrics, Empty(), returning: MetricsResult.self) }
                return print(metrics.text, terminator: "")
            }
            let status = try await root.connection.with { try await $0.call(.status, Empty(), returning: StatusResult.self) }
            if json { return try printJSON(status) }
            print(Message.statusServer(server: status.server, version: status.version, up: formatDuration(status.uptimeSeconds)).text)
            print(Message.statusLibrary(clips: status.clips).text)
            if let storage = status.storage, let line = Self.describe(storage) { print(line) }
            print(Message.statusOutputs.text)
            for output in status.outputs {
                print(
                    Message.statusOutput(
                        name: output.name, device: output.device, sampleRate: output.sampleRate,
                        channels: output.channels,
                        state: output.state, fault: output.fault, xruns: output.xruns
                    ).text)
            }
            print(Message.statusZones.text)
            for zone in status.zones {
                print(Message.statusZone(zone: zone.zone, output: zone.output, sounding: zone.sounding, waiting: zone.queued).text)
            }
            if let groups = status.zoneGroups, !groups.isEmpty {
                print(Message.statusZoneGroups.text)
                for group in groups { print(Message.statusZoneGroup(name: group.name, zones: group.zones).text) }
            }
            if status.playing.isEmpty {
                print(Message.statusNothingPlaying.text)
            } else {
                print(Message.statusPlaying.text)
                for play in status.playing {
                    print("  #\(play.play)  \(play.clip)  \(play.level)  \(play.zones.joined(separator: ","))")
                }
            }
        }

        /// The storage line: always while writes fail; after a recovery, a reminder that some did;
        /// nothing while every write has succeeded.
        static func describe(_ storage: StorageInfo) -> String? {
            let lastAt = storage.lastErrorAt.map(localTime)
            if storage.state != StorageInfo.ok {
                return Message.storageFailing(
                    state: storage.state, since: storage.since.map(localTime), failedWrites: storage.failedWrites,
                    lastError: storage.lastError, lastAt: lastAt
                ).text
            }
            guard storage.failedWrites > 0 else { return nil }
            return Message.storageRecovered(
                failedWrites: storage.failedWrites, lastError: storage.lastError, lastAt: lastAt
            ).text
        }
    }

    struct Play: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: Message.abstractPlay.text)
        @ParentCommand var root: Carillon
        @Argument(help: Message.help("The clip's id, e.g. bell.start.")) var clip: String
        @OptionGroup var zones: ZoneSelection
        @Option(
            help: Message.help(
                "Priority level: background, announcement, bell, shout or emergency (default: bell for bells, else announcement)."
            ))
        var level: String?
        @Flag(help: Message.help("Wait until the clip has finished, and report how it went.")) var wait = false
        @Flag(help: Message.help("Print JSON lines.")) var json = false

        func run() async throws {
            let zoneList = try zones.names
            try await root.connection.with { control in
                let info = try await control.call(
                    .play, PlayArgs(clip: clip, zones: zoneList, level: level), returning: PlayInfo.self)
                if json { try printJSON(info) } else {
                    let sounding = info.zones.filter { !info.queued.contains($0) }
                    print(
                        Message.playing(play: info.play, clip: info.clip, level: info.level, sounding: sounding, waiting: info.queued)
                            .text)
                }
                guard wait else { return }
                let outcome = try await control.call(.wait, WaitArgs(play: info.play), returning: PlayOutcome.self)
                if json { try printJSON(outcome) } else {
                    print(Message.outcome(play: outcome.play, outcome: outcome.outcome, detail: outcome.detail).text)
                }
                if outcome.outcome == "failed" || outcome.outcome == "missed" { throw ExitCode(1) }
            }
        }
    }

    struct Stop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: Message.abstractStop.text)
        @ParentCommand var root: Carillon
        @Argument(help: Message.help("The play's number, as `play` and `status` show it; omit to stop all."))
        var play: Int64?
        @Flag(help: Message.help("Print one JSON object.")) var json = false

        func run() async throws {
            let result = try await root.connection.with { try await $0.call(.stop, StopArgs(play: play), returning: StopResult.self) }
            if json { return try printJSON(result) }
            print(result.stopped.isEmpty ? Message.nothingPlaying.text : Message.stopped(plays: result.stopped).text)
        }
    }
}

/// Splits `a,b` into zone names, refusing empty ones.
func parseZones(_ text: String) throws -> [String] {
    let zones = text.split(separator: ",", omittingEmptySubsequences: false).map {
        $0.trimmingCharacters(in: .whitespaces)
    }
    guard !zones.isEmpty, !zones.contains(where: \.isEmpty) else {
        throw ValidationError(Message.zonesFormat.text)
    }
    return zones
}

/// A clip's length for a table: `0:07`, `1:05`, `12:30`.
func formatLength(_ seconds: Double) -> String {
    let s = Int(seconds.rounded(.up))
    return "\(s / 60):" + (s % 60 < 10 ? "0" : "") + "\(s % 60)"
}

/// A length of time in the locale's language (`Message.duration`).
func formatDuration(_ seconds: Double) -> String { Message.duration(seconds) }
