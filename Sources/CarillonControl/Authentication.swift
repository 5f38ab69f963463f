import CarillonProtocol
import Foundation

extension CommandSpec {
    /// `auth`: a TCP client proves its token. Refused on the UNIX socket, where the peer's uid
    /// already decides; refused without a check while the address is rate-limited. Failures are
    /// audited, with the address and never the token.
    public static func auth(access: AccessControl, limiter: LoginLimiter) -> CommandSpec {
        let name = CommandName.auth.rawValue
        return CommandSpec(name: name, role: nil, audited: true) { line, head, session, audit, _ in
            let peer = session.peer
            let id = head.id
            let outcome: Result<Identity, WireError>
            do throws(WireError) {
                outcome = .success(try authenticate(line: line, peer: peer, access: access, limiter: limiter))
            } catch {
                outcome = .failure(error)
            }
            switch outcome {
            case .success(let identity):
                session.peer.identity = identity
                await audit(session.peer, name, "{}", .success(nil))
                return Dispatcher.Answer(reply: Dispatcher.encodeLine(Response.success(id, identity)))
            case .failure(let error):
                await audit(peer, name, "{}", .failure(error))
                // A failed login is limited per address already (`LoginLimiter`).
                return Dispatcher.Answer(reply: Dispatcher.encodeLine(.failure(id, error)))
            }
        }
    }

    private static func authenticate(line: Data, peer: Peer, access: AccessControl, limiter: LoginLimiter) throws(WireError) -> Identity {
        guard peer.isTCP else {
            throw WireError(.invalidArguments, "`auth` is for TCP; on the UNIX socket your account decides your role")
        }
        let source = Self.host(of: peer.address)
        if let wait = limiter.wait(for: source) {
            let seconds = Int((Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18).rounded(.up))
            throw WireError(.rateLimited, "too many failed logins from \(source); try again in \(max(seconds, 1)) s")
        }
        let args: AuthArgs
        do { args = try Wire.decoder().decode(Request<AuthArgs>.self, from: line).args } catch {
            throw WireError(.invalidArguments, Dispatcher.explain(error))
        }
        guard let identity = access.policy.authenticate(token: args.token) else {
            limiter.failed(source)
            throw WireError(.unauthenticated, "the token is not valid")
        }
        limiter.succeeded(source)
        return identity
    }

    /// `192.0.2.7` of `192.0.2.7:51234`, `::1` of `[::1]:51234`: failures count per host, not per port.
    public static func host(of address: String) -> String {
        if address.hasPrefix("["), let close = address.firstIndex(of: "]") {
            return String(address[address.index(after: address.startIndex)..<close])
        }
        guard let colon = address.lastIndex(of: ":") else { return address }
        return String(address[..<colon])
    }
}
