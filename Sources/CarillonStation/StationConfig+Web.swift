import CarillonControl
import CarillonTOML
import CarillonWeb
import Foundation

extension StationConfig {
    /// Where the console's pages are: beside the config in a checkout (`../web`), else the
    /// package's `/usr/share/carillon/web`.
    static func defaultWebRoot(base: String) -> String {
        let checkout = resolve("../web", base)
        return FileManager.default.fileExists(atPath: checkout + "/index.html") ? checkout : "/usr/share/carillon/web"
    }

    /// Reads `[web]`. Off unless `listen` is set. TLS with `certificate` and `key`, or those of
    /// `[control.tcp]`; plain HTTP only on a loopback address, which browsers count as secure.
    static func parseWeb(_ web: inout TOMLReader, base: String, control: ControlSettings, errors: inout Errors) -> WebSettings? {
        let listen = errors.run { () throws(TOMLError) -> ControlAddress? in
            guard let text = try web.string("listen") else { return nil }
            guard let address = ControlAddress.parseTCP(text) else {
                throw web.error("`web.listen` must be HOST:PORT, such as \"127.0.0.1:8080\" or \"0.0.0.0:8443\"", at: "listen")
            }
            return address
        } ?? nil
        let certificate = errors.run { () throws(TOMLError) in try web.string("certificate").map { resolve($0, base) } } ?? nil
        let key = errors.run { () throws(TOMLError) in try web.string("key").map { resolve($0, base) } } ?? nil
        let plain = errors.run { () throws(TOMLError) in try web.bool("plain_http") } ?? nil
        let root = errors.run { () throws(TOMLError) in try web.string("root").map { resolve($0, base) } } ?? nil
        let url = errors.run { () throws(TOMLError) -> String? in
            guard let url = try web.string("url") else { return nil }
            guard url.hasPrefix("https://") || url.hasPrefix("http://"), !url.hasSuffix("/") else {
                throw web.error("`web.url` must be the console's address, such as \"https://carillon.school.lan:8443\", without a final /", at: "url")
            }
            return url
        } ?? nil
        func seconds(_ key: String, _ range: ClosedRange<Int>, _ fallback: Int) -> Int {
            errors.run { () throws(TOMLError) -> Int in
                guard let value = try web.integer(key) else { return fallback }
                guard range.contains(value) else {
                    throw web.error("`web.\(key)` must be \(range.lowerBound) to \(range.upperBound)", at: key)
                }
                return value
            } ?? fallback
        }
        let idle = seconds("session_idle_days", 1...365, 7)
        let lifetime = seconds("session_days", 1...3650, 90)
        let consoles = seconds("max_consoles", 1...10000, 512)
        let messageBytes = seconds("max_message_bytes", 1024...1024 * 1024, 64 * 1024)
        let requestTimeout = seconds("request_timeout", 1...300, 30)
        errors.run { () throws(TOMLError) in try web.finish() }
        guard case .tcp(let host, let port)? = listen else { return nil }
        var tls: WebSettings.TLS?
        if plain == true {
            guard WebSettings.isLoopback(host) else {
                errors.append(
                    web.error(
                        "`web.plain_http` is allowed on a loopback address only (127.0.0.1, ::1): phones need HTTPS for the microphone and to keep the session cookie safe; give `certificate` and `key`",
                        at: "plain_http"))
                return nil
            }
        } else if let certificate, let key {
            tls = .init(certificate: certificate, key: key)
        } else if let tcp = control.tcp, certificate == nil, key == nil {
            tls = .init(certificate: tcp.certificate, key: tcp.key)
        } else if !WebSettings.isLoopback(host) {
            errors.append(
                web.error(
                    "`web` on \(host) needs HTTPS: give `certificate` and `key` (or set them in `[control.tcp]`); plain HTTP is allowed on a loopback address only"))
            return nil
        }
        if (certificate == nil) != (key == nil) {
            errors.append(web.error("`web.certificate` and `web.key` go together"))
            return nil
        }
        return WebSettings(
            host: host, port: port, tls: tls, root: root ?? defaultWebRoot(base: base), publicURL: url,
            sessionIdle: .seconds(idle * 86400), sessionLifetime: .seconds(lifetime * 86400), maxMessageBytes: messageBytes,
            maxConsoles: consoles, requestTimeout: .seconds(requestTimeout))
    }
}
