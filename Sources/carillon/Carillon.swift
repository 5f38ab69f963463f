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
        subcommands: [
            Status.self, Play.self, Say.self, Stop.self, Shout.self, PlanCommand.self, Events.self, Log.self, Library.self,
            ScheduleCommand.self, BundleCommand.self, Admin.self, Token.self, RawRequest.self, Stats.self,
            SpeechCommand.self,
        ])

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
            case .refused(let wire) where [.permissionDenied, .unauthenticated, .rateLimited].contains(wire.code):
                Foundation.exit(4)
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

/// Where the daemon is and how to reach it, shared by every command.
struct Connection: ParsableArguments {
    @Option(name: .long, help: "The daemon's control socket (default: $CARILLON_SOCKET or /run/carillon/control.sock).")
    var socket: String?

    @Option(name: .long, help: "Reach the daemon over TCP with TLS at HOST:PORT instead of the socket.")
    var host: String?

    @Option(name: .long, help: "A file holding this client's token, for --host.")
    var tokenFile: String?

    @Option(name: .long, help: "PEM file of the CA that signed the daemon's certificate, for --host.")
    var ca: String?

    @Option(name: .long, help: "The daemon certificate's SHA-256 fingerprint, to trust it alone, for --host.")
    var pin: String?

    func validate() throws {
        if host != nil && socket != nil { throw ValidationError("give --socket or --host, not both") }
        if host == nil && (tokenFile != nil || ca != nil || pin != nil) {
            throw ValidationError("--token-file, --ca and --pin go with --host")
        }
        if let host, ControlAddress.parseTCP(host) == nil { throw ValidationError("--host must be HOST:PORT, not `\(host)`") }
        if host != nil && tokenFile == nil { throw ValidationError("--host needs --token-file") }
        if let pin, ClientTLS.parsePin(pin) == nil {
            throw ValidationError("--pin must be a SHA-256 fingerprint: 64 hex digits, colons allowed")
        }
    }

    var address: ControlAddress {
        if let host, let address = ControlAddress.parseTCP(host) { return address }
        return .unixDomainSocket(
            path: socket ?? ProcessInfo.processInfo.environment["CARILLON_SOCKET"] ?? "/run/carillon/control.sock")
    }

    func with<T>(_ body: (ControlConnection) async throws -> T) async throws -> T {
        var token: String?
        if let tokenFile {
            guard let data = FileManager.default.contents(atPath: tokenFile) else {
                throw ValidationError("cannot read the token file \(tokenFile)")
            }
            token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let tls = ClientTLS(caFile: ca, pin: pin.flatMap(ClientTLS.parsePin))
        return try await ControlConnection.with(address, tls: tls, token: token, body)
    }
}

/// Prints one value as one JSON line, in the wire's form.
func printJSON<T: Encodable>(_ value: T) throws {
    let data = try Wire.encoder().encode(value)
    FileHandle.standardOutput.write(data + Data("\n".utf8))
}
