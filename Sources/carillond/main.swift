import ArgumentParser
import CarillonStation
import Foundation
import Logging

/// The Carillon daemon: plays the school's bells, tips, announcements and alarms.
@main
struct Carillond: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "carillond",
        abstract: "The Carillon campus broadcast daemon.",
        version: Station.version)

    @Option(name: .long, help: "The config file.")
    var config: String = Self.defaultConfig

    @Flag(name: .long, help: "Validate the config, the library, the schedule and the plans, print every error, and exit.")
    var checkConfig = false

    /// `/etc/carillon/carillon.toml`, or `config/carillon.toml` when run from a checkout.
    static var defaultConfig: String {
        let installed = "/etc/carillon/carillon.toml"
        if !FileManager.default.fileExists(atPath: installed),
            FileManager.default.fileExists(atPath: "config/carillon.toml")
        {
            return "config/carillon.toml"
        }
        return installed
    }

    func run() async throws {
        Daemon.tuneMalloc()
        if checkConfig {
            let problems = Daemon.check(configPath: config)
            for problem in problems { print(problem) }
            if problems.isEmpty {
                print("\(config): ok")
                return
            }
            throw ExitCode(1)
        }
        // Under systemd, lines carry their priority for the journal; on a terminal, timestamps.
        let journal = JournalLogHandler.stderrIsJournal
        LoggingSystem.bootstrap { label in
            if journal {
                var handler = JournalLogHandler(label: label)
                handler.logLevel = .trace
                return handler
            }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .trace
            return handler
        }
        let logger = Logger(label: "carillond")
        do {
            try await Daemon.run(configPath: config, logger: logger)
        } catch {
            FileHandle.standardError.write(Data("carillond: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
