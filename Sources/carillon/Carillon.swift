import ArgumentParser
import CarillonControl
import CarillonProtocol
import Foundation
import Glibc

/// The control client: how teachers, leaders, school IT and the bureau operate the daemon.
@main
struct Carillon: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "carillon",
        abstract: Message.abstract.text,
        discussion: Message.exitCodes.text,
        version: "0.2.0",
        subcommands: [
            Status.self, Play.self, Say.self, Stop.self, Shout.self, PlanCommand.self, Events.self, Log.self, Library.self,
            ScheduleCommand.self, BundleCommand.self, Admin.self, Token.self, RawRequest.self, Stats.self,
            SpeechCommand.self, City.self, Announce.self, Web.self,
        ])

    @OptionGroup var connection: Connection

    /// Runs the command and maps every failure to the exit codes of the fixed interface.
    static func main() async {
        StandardOutput.ignoreBrokenPipe()
        do {
            var command = try parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch let error as ClientError {
            fail(Failure(error))
        } catch let failure as Failure {
            fail(failure)
        } catch let error as LocalFailure {
            fail(Failure(status: 1, message: error.message))
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                // `--help` and `--version`; in Chinese, ArgumentParser's own headings too.
                if Language.current == .chinese {
                    print(Message.parserHelp(fullMessage(for: error)))
                    Foundation.exit(0)
                }
                exit(withError: error)
            }
            // ArgumentParser's usage errors exit 64; the fixed interface says 2.
            if code == .validationFailure || error is ValidationError || code.rawValue == 64 {
                StandardError.write(Message.parserMessage(fullMessage(for: error)) + "\n")
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }

    private static func fail(_ failure: Failure) -> Never {
        StandardError.write("carillon: \(failure.message)\n")
        if let hint = failure.hint { StandardError.write("carillon: \(hint)\n") }
        Foundation.exit(failure.status)
    }
}

/// A failure with its exit status (docs/PROTOCOL.md, "The client's exit codes") and, where the
/// user can do something about it, a hint.
struct Failure: Error, CustomStringConvertible {
    var status: Int32
    var message: String
    var hint: String?

    init(status: Int32, message: String, hint: String? = nil) {
        self.status = status
        self.message = message
        self.hint = hint
    }

    /// What a daemon's answer or a lost connection means for the exit status.
    init(_ error: ClientError) {
        switch error {
        case .cannotConnect(let reason): self.init(status: 3, message: Message.connectionLost(reason: reason).text)
        case .refused(let wire):
            self.init(status: Self.status(for: wire.code), message: Message.refused(code: wire.code, message: wire.message).text)
        case .protocolViolation: self.init(status: 1, message: error.description)
        }
    }

    /// 4 for a caller who may not; 2 for an argument or zone the daemon found wrong in what was
    /// typed (a usage mistake, like one the client finds itself); 1 for any other refusal.
    static func status(for code: ErrorCode) -> Int32 {
        switch code {
        case .permissionDenied, .unauthenticated, .rateLimited: 4
        case .invalidArguments, .unknownZone: 2
        default: 1
        }
    }

    /// A refusal about a file's content rather than the command line (a schedule, a backup): 1, as
    /// `schedule preview` exits for the same file.
    static func aboutContent(_ error: any Error) -> any Error {
        guard case .refused(let wire) = error as? ClientError, status(for: wire.code) == 2 else { return error }
        return Failure(status: 1, message: Message.refused(code: wire.code, message: wire.message).text)
    }

    var description: String { message }
}

/// Where the daemon is and how to reach it, shared by every command.
struct Connection: ParsableArguments {
    @Option(
        name: .long,
        help: Message.help("The daemon's control socket (default: $CARILLON_SOCKET or /run/carillon/control.sock)."))
    var socket: String?

    @Option(name: .long, help: Message.help("Reach the daemon over TCP with TLS at HOST:PORT instead of the socket."))
    var host: String?

    @Option(name: .long, help: Message.help("A file holding this client's token, for --host."))
    var tokenFile: String?

    @Option(name: .long, help: Message.help("PEM file of the CA that signed the daemon's certificate, for --host."))
    var ca: String?

    @Option(
        name: .long, help: Message.help("The daemon certificate's SHA-256 fingerprint, to trust it alone, for --host."))
    var pin: String?

    func validate() throws {
        if host != nil && socket != nil { throw ValidationError(Message.socketOrHost.text) }
        if host == nil && (tokenFile != nil || ca != nil || pin != nil) {
            throw ValidationError(Message.tlsOptionsNeedHost.text)
        }
        if let host, ControlAddress.parseTCP(host) == nil { throw ValidationError(Message.hostFormat(host).text) }
        if host != nil && tokenFile == nil { throw ValidationError(Message.hostNeedsToken.text) }
        if let pin, ClientTLS.parsePin(pin) == nil {
            throw ValidationError(Message.pinFormat.text)
        }
    }

    var address: ControlAddress {
        if let host, let address = ControlAddress.parseTCP(host) { return address }
        return .unixDomainSocket(
            path: socket ?? ProcessInfo.processInfo.environment["CARILLON_SOCKET"] ?? "/run/carillon/control.sock")
    }

    /// Connects, runs `body`, and closes.
    /// - Throws: `Failure` with status 3 and a hint when the daemon cannot be reached, 4 when the
    ///   socket may not be opened; what `body` throws otherwise.
    func with<T>(_ body: (ControlConnection) async throws -> T) async throws -> T {
        var token: String?
        if let tokenFile {
            guard let data = FileManager.default.contents(atPath: tokenFile) else {
                throw ValidationError(Message.tokenFileUnreadable(tokenFile).text)
            }
            token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let tls = ClientTLS(caFile: ca, pin: pin.flatMap(ClientTLS.parsePin))
        var connected = false
        do {
            return try await ControlConnection.with(address, tls: tls, token: token) { connection in
                connected = true
                return try await body(connection)
            }
        } catch ClientError.cannotConnect(let reason) where !connected {
            throw Self.unreachable(address, reason: reason)
        }
    }

    /// Why the daemon cannot be reached, and what to do about it.
    static func unreachable(_ address: ControlAddress, reason: String) -> Failure {
        guard case .unixDomainSocket(let path) = address else {
            return Failure(status: 3, message: Message.cannotConnect(address: "\(address)", reason: reason).text)
        }
        // The connection's error text does not say which errno it was: ask the socket again.
        switch UnixSocketProbe.connectError(path) {
        case EACCES, EPERM:
            var group = "carillon"
            var info = stat()
            if stat(path, &info) == 0, let entry = getgrgid(info.st_gid) { group = String(cString: entry.pointee.gr_name) }
            let user = getpwuid(getuid()).map { String(cString: $0.pointee.pw_name) } ?? "$USER"
            return Failure(
                status: 4, message: Message.socketPermission(path: path).text,
                hint: Message.joinGroupHint(group: group, user: user).text)
        default:
            return Failure(
                status: 3, message: Message.cannotConnect(address: path, reason: reason).text, hint: Message.notRunningHint.text)
        }
    }
}

/// Connects to a UNIX socket once, only to learn why a connection failed.
enum UnixSocketProbe {
    /// The errno of `connect(2)` to `path`, or 0 if it connects.
    static func connectError(_ path: String) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return errno }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return ENAMETOOLONG }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
            raw[bytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        return result == 0 ? 0 : errno
    }
}

/// `--zones`, the same in every command: comma-separated, and the option may be repeated
/// (`--zones teaching,playground` or `--zones teaching --zones playground`).
struct ZoneSelection: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(Message.helpZones.text, valueName: "zones"))
    var zones: [String] = []

    func validate() throws { _ = try names }

    /// The zones named, in order, each once; nil when the option was not given.
    var names: [String]? {
        get throws {
            guard !zones.isEmpty else { return nil }
            var names: [String] = []
            for zone in try zones.flatMap(parseZones) where !names.contains(zone) { names.append(zone) }
            return names
        }
    }
}

/// Prints one value as one JSON line, in the wire's form.
func printJSON<T: Encodable>(_ value: T) throws {
    let data = try Wire.encoder().encode(value)
    StandardOutput.write(data + Data("\n".utf8))
}
