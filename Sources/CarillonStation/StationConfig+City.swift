public import CarillonCity
import CarillonTOML
import Foundation

/// `[city]`: the link to the bureau's MQTT broker. The school's id is `[bureau] school`, and
/// alerts are checked against `[bureau] keys`, so `[city]` needs `[bureau]`.
public struct CityConfig: Sendable, Hashable {
    /// The broker's address, TLS files and credentials, checked against the TLS rule.
    public var broker: CityBroker
    /// The school's district, for `district/D/alert`; nil: city-wide alerts and ones naming the school only.
    public var district: String?
    /// The longest random wait before fetching a bundle over HTTPS, in seconds (`bundle_delay`, 0 to 600).
    public var bundleDelay: Int = 10
    /// The CA of the bureau's file server (`bundle_ca`); nil: the broker's CA, else the system's roots.
    public var bundleCA: String?
}

extension StationConfig {
    /// Reads `[city]`: `broker` (HOST:PORT) required; `district`, `ca_file`, `cert_file`,
    /// `key_file`, `username`, `password_file`, `keepalive`, `bundle_delay`, `bundle_ca` optional. TLS is required unless
    /// the broker is on loopback.
    static func parseCity(_ table: inout TOMLReader, base: String, hasBureau: Bool, errors: inout Errors) -> CityConfig? {
        let before = errors.list.count
        let address = errors.run { () throws(TOMLError) in
            let text = try table.requiredString("broker")
            guard let address = CityBroker.parseAddress(text) else {
                throw table.error("`city.broker` must be HOST:PORT, such as \"mqtt.bureau.example:8883\" (a port of 1 to 65535)", at: "broker")
            }
            return address
        }
        let district = errors.run { () throws(TOMLError) -> String? in
            guard let district = try table.string("district") else { return nil }
            guard CityAlert.isName(district) else {
                throw table.error("`city.district` must be 1 to 64 of A-Z, a-z, 0-9, `.`, `_`, `-`", at: "district")
            }
            return district
        }
        var files: [String: String] = [:]
        for key in ["ca_file", "cert_file", "key_file", "password_file", "bundle_ca"] {
            errors.run { () throws(TOMLError) in
                guard let name = try table.string(key) else { return }
                let path = resolve(name, base)
                guard FileManager.default.isReadableFile(atPath: path) else {
                    throw table.error("cannot read `city.\(key)` \(path)", at: key)
                }
                files[key] = path
            }
        }
        let username = errors.run { () throws(TOMLError) -> String? in
            guard let user = try table.string("username") else { return nil }
            guard (1...256).contains(user.utf8.count), !user.contains(where: { $0.isNewline || $0 == "\0" }) else {
                throw table.error("`city.username` must be 1 to 256 bytes on one line", at: "username")
            }
            return user
        }
        let keepalive = errors.run { () throws(TOMLError) in
            let seconds = try table.integer("keepalive") ?? 30
            guard (5...3600).contains(seconds) else { throw table.error("`city.keepalive` must be 5 to 3600 seconds", at: "keepalive") }
            return seconds
        }
        let bundleDelay = errors.run { () throws(TOMLError) in
            let seconds = try table.integer("bundle_delay") ?? 10
            guard (0...600).contains(seconds) else { throw table.error("`city.bundle_delay` must be 0 to 600 seconds", at: "bundle_delay") }
            return seconds
        }
        if !hasBureau {
            errors.append(table.error("`[city]` needs `[bureau]`: its `school` is this school's id, its `keys` check the alerts", at: "broker"))
        }
        guard errors.list.count == before, let address, let district, let username, let keepalive, let bundleDelay else { return nil }
        let broker = CityBroker(
            host: address.host, port: address.port, caFile: files["ca_file"], certFile: files["cert_file"], keyFile: files["key_file"],
            username: username, passwordFile: files["password_file"], keepalive: keepalive)
        if let problem = broker.problem {
            errors.append(table.error("[city]: \(problem)", at: "broker"))
            return nil
        }
        return CityConfig(broker: broker, district: district, bundleDelay: bundleDelay, bundleCA: files["bundle_ca"])
    }
}
