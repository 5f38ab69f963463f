import ArgumentParser
import CarillonControl
import CarillonProtocol
import Foundation

/// The control client: how teachers, leaders, school IT and the bureau operate the daemon.
@main
struct Carillon: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "carillon",
        abstract: "Control a Carillon daemon.",
        discussion: """
            Exit codes: 0 ok; 1 the daemon refused or failed; 2 usage; 3 cannot connect; 4 permission denied.
            """,
        version: "0.1.0",
        subcommands: [Status.self, Play.self, Say.self, Stop.self, Library.self, ScheduleCommand.self, Admin.self])

    @OptionGroup var connection: Connection

    /// Runs the command and maps every failure to the exit codes of the fixed interface.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch let error as ClientError {
            FileHandle.standardError.write(Data("carillon: \(error)\n".utf8))
            switch error {
            case .cannotConnect: Foundation.exit(3)
            case .refused(let wire) where wire.code == .permissionDenied: Foundation.exit(4)
            case .refused, .protocolViolation: Foundation.exit(1)
            }
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                exit(withError: error)
            }
            // ArgumentParser's usage errors exit 64; the fixed interface says 2.
            if code == .validationFailure || error is ValidationError || code.rawValue == 64 {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

/// Where the daemon is and how to print, shared by every command.
struct Connection: ParsableArguments {
    @Option(name: .long, help: "The daemon's control socket (default: $CARILLON_SOCKET or /run/carillon/control.sock).")
    var socket: String?

    var address: ControlAddress {
        .unixDomainSocket(
            path: socket ?? ProcessInfo.processInfo.environment["CARILLON_SOCKET"] ?? "/run/carillon/control.sock")
    }

    func with<T>(_ body: (ControlConnection) async throws -> T) async throws -> T {
        try await ControlConnection.with(address, body)
    }
}

/// Prints one value as one JSON line, in the wire's form.
func printJSON<T: Encodable>(_ value: T) throws {
    let data = try Wire.encoder().encode(value)
    FileHandle.standardOutput.write(data + Data("\n".utf8))
}
