import CarillonAudio
import CarillonCity
import CarillonControl
import CarillonCore
import CarillonProtocol
import CarillonStation
import CarillonTOML
import CarillonWeb
import Foundation
import Testing

@Suite("The daemon's config file")
struct StationConfigTests {
    private func parse(_ text: String, file: String = "/etc/carillon/carillon.toml") throws -> StationConfig {
        try StationConfig.parse(Array(text.utf8), file: file)
    }

    private func errors(_ text: String) -> [String] {
        do {
            _ = try parse(text)
            return []
        } catch let error as ConfigError {
            return error.errors.map(\.description)
        } catch {
            return ["\(error)"]
        }
    }

    @Test("a config holding only the fixed keys is valid, and everything else has a default")
    func fixedKeysOnly() throws {
        let config = try parse(
            """
            [station]
            data_dir = "var"
            [control]
            socket = "var/control.sock"
            [[output]]
            name = "main"
            device = "default"
            """, file: "/srv/school/config/carillon.toml")
        #expect(config.dataDirectory == "/srv/school/config/var")
        #expect(config.controlSocket == "/srv/school/config/var/control.sock")
        #expect(config.outputs == [OutputConfig(name: "main", device: "default")])
        #expect(config.outputs[0].format == AudioFormat(sampleRate: 48000, channels: 2))
        #expect(config.zoneNames == ["main"])
        #expect(config.control.unix.mode == 0o660)
        #expect(config.control.tcp == nil, "TCP is off by default")
        #expect(config.control.access.defaultRole == .viewer)
        #expect(config.libraryDirectory == "/usr/share/carillon/audio-library")
    }

    @Test("an empty config gets one output on the default device")
    func emptyConfig() throws {
        let config = try parse("")
        #expect(config.outputs.map(\.device) == ["default"])
        #expect(config.dataDirectory == "/var/lib/carillon")
    }

    @Test("paths resolve against the config's directory, `..` included, and absolute paths stay")
    func paths() throws {
        let config = try parse(
            """
            [station]
            data_dir = "../var"
            [library]
            dir = "/opt/library"
            """, file: "/repo/config/carillon.toml")
        #expect(config.dataDirectory == "/repo/var")
        #expect(config.libraryDirectory == "/opt/library")
    }

    @Test("every error is reported with its file and line, not just the first")
    func everyError() {
        let found = errors(
            """
            [station]
            data_dir = 5
            colour = "red"
            [control]
            socket_mode = "777"
            [[output]]
            name = "Main Hall"
            device = "default"
            rate = 44
            [[output]]
            name = "yard"
            buffer_ms = 4
            """)
        #expect(
            found == [
                "/etc/carillon/carillon.toml:2:12: expected a string for `station.data_dir`, found an integer",
                "/etc/carillon/carillon.toml:3:1: unknown key `colour` in [station]; expected one of `name`, `data_dir`, `log_level`, `storage_settle_seconds`, `keep_shouts_days`",
                "/etc/carillon/carillon.toml:5:15: `control.socket_mode` must be four octal digits such as \"0660\"",
                "/etc/carillon/carillon.toml:7:8: output name `Main Hall` must start with a lower-case letter and hold only a-z, 0-9, - and _ (and not be `all`)",
                "/etc/carillon/carillon.toml:9:8: `rate` must be one of 8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000, 96000",
                "/etc/carillon/carillon.toml:10:1: missing key `device` in [[output]]",
                "/etc/carillon/carillon.toml:12:13: `buffer_ms` must be 10 to 500",
            ], "\(found)")
    }

    @Test("two outputs may not share a name, nor be called `all`")
    func outputNames() {
        let twice = errors(
            """
            [[output]]
            name = "main"
            device = "hw:0"
            [[output]]
            name = "main"
            device = "hw:1"
            """)
        #expect(twice.count == 1 && twice[0].contains(":5:") && twice[0].contains("declared twice"), "\(twice)")
        #expect(errors("[[output]]\nname = \"all\"\ndevice = \"hw:0\"\n").count == 1)
    }

    @Test("a TOML syntax error names its line and column")
    func syntaxError() {
        let found = errors("[station]\nname = \"unterminated\n")
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix("/etc/carillon/carillon.toml:2:") == true, "\(found)")
    }

    @Test("the shipped configs are valid")
    func shippedConfigs() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        for name in ["carillon.toml", "demo.toml"] {
            let config = try StationConfig.load(path: root.appendingPathComponent("config/\(name)").path)
            let library = try Library.load(directory: config.libraryDirectory)
            #expect(library.clips["bell.start"] != nil)
        }
    }

    @Test("access rules and tokens: roles by user and group, zone limits, hashes only")
    func accessAndTokens() throws {
        let hash = AccessPolicy.hash(token: "crl_x")
        let config = try parse(
            """
            [control]
            default_role = "none"
            socket_group = 0
            [[output]]
            name = "main"
            device = "hw:0"
            [[access]]
            users = ["root", 1234]
            role = "teacher"
            zones = ["main"]
            [[access]]
            groups = ["root"]
            role = "leader"
            [[token]]
            name = "phone"
            sha256 = "\(hash)"
            role = "bureau"
            """)
        #expect(config.control.access.defaultRole == nil)
        #expect(config.control.unix.group == 0)
        #expect(config.control.access.unixRules.map(\.uids) == [[0, 1234], []])
        #expect(config.control.access.unixRules.map(\.gids) == [[], [0]])
        #expect(config.control.access.unixRules.first?.zones == ["main"])
        #expect(config.control.access.authenticate(token: "crl_x") == Identity(name: "phone", role: .bureau))
    }

    @Test("bad access rules, tokens and TCP settings are each reported with their line")
    func accessErrors() {
        let found = errors(
            """
            [control]
            default_role = "owner"
            [control.tcp]
            listen = "0.0.0.0:7443"
            [[access]]
            users = ["no-such-user-here"]
            role = "teacher"
            [[access]]
            role = "teacher"
            [[token]]
            name = "phone"
            sha256 = "abc"
            role = "teacher"
            zones = ["nowhere"]
            """)
        #expect(found.count == 6, "\(found)")
        #expect(found.contains { $0.contains(":2:") && $0.contains("default_role") })
        #expect(found.contains { $0.contains("TLS only") })
        #expect(found.contains { $0.contains(":6:") && $0.contains("no-such-user-here") })
        #expect(found.contains { $0.contains("needs `users` or `groups`") })
        #expect(found.contains { $0.contains(":12:") && $0.contains("64 hex digits") })
        #expect(found.contains { $0.contains(":14:") && $0.contains("unknown zone `nowhere`") })
    }

    @Test("[bureau] names the school and loads the trusted keys; every problem is reported")
    func bureau() throws {
        let directory = NSTemporaryDirectory() + "carillon-bureau-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // An Ed25519 public key as OpenSSL writes it, and a private key that is not one.
        try "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAuoToKNZadrlr+7QfGl6LdCnVv10Pe7r/Jd6ya2019h0=\n-----END PUBLIC KEY-----\n"
            .write(toFile: directory + "/bureau.pub", atomically: true, encoding: .utf8)
        try "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n-----END PRIVATE KEY-----\n"
            .write(toFile: directory + "/bureau.key", atomically: true, encoding: .utf8)
        let config = try parse("[bureau]\nschool = \"sz-0421\"\nkeys = [\"bureau.pub\"]\n", file: directory + "/carillon.toml")
        #expect(config.bureau?.school == "sz-0421")
        #expect(config.bureau?.keys.count == 1)
        #expect(config.bureau?.keyFiles == [directory + "/bureau.pub"])
        #expect(try parse("").bureau == nil, "no [bureau]: no bundle is accepted")

        let found = errors("[bureau]\nschool = \"sz 0421\"\nkeys = [\"\(directory)/bureau.key\"]\n")
        #expect(found.count == 2, "\(found)")
        #expect(found.contains { $0.contains(":2:") && $0.contains("bureau.school") })
        #expect(found.contains { $0.contains(":3:") && $0.contains("not a PEM `PUBLIC KEY` block") })
        #expect(errors("[bureau]\nschool = \"a\"\nkeys = [\"/nonexistent.pub\"]\n").contains { $0.contains("cannot read the bureau key /nonexistent.pub") })
        #expect(errors("[bureau]\nschool = \"a\"\nkeys = []\n").contains { $0.contains("lists no key") })
        #expect(errors("[bureau]\nkeys = []\n").contains { $0.contains("school") })
    }

    @Test("[city] dials a loopback broker without TLS, and refuses any other broker without TLS and credentials")
    func city() throws {
        let directory = NSTemporaryDirectory() + "carillon-city-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAuoToKNZadrlr+7QfGl6LdCnVv10Pe7r/Jd6ya2019h0=\n-----END PUBLIC KEY-----\n"
            .write(toFile: directory + "/bureau.pub", atomically: true, encoding: .utf8)
        for name in ["ca.pem", "school.pem", "school.key", "password"] {
            try "x".write(toFile: directory + "/" + name, atomically: true, encoding: .utf8)
        }
        let bureau = "[bureau]\nschool = \"sz-0421\"\nkeys = [\"bureau.pub\"]\n"
        func city(_ text: String) throws -> StationConfig { try parse(bureau + "[city]\n" + text, file: directory + "/carillon.toml") }
        func cityErrors(_ text: String) -> [String] {
            do {
                _ = try city(text)
                return []
            } catch let error as ConfigError {
                return error.errors.map(\.description)
            } catch {
                return ["\(error)"]
            }
        }
        #expect(try parse(bureau, file: directory + "/carillon.toml").city == nil, "off unless configured")
        let local = try #require(try city("broker = \"127.0.0.1:1883\"\ndistrict = \"nanshan\"\n").city)
        #expect(local.broker.host == "127.0.0.1" && local.broker.port == 1883 && !local.broker.usesTLS)
        #expect(local.district == "nanshan" && local.broker.keepalive == 30)
        let remote = try #require(
            try city("broker = \"mqtt.bureau.example:8883\"\nca_file = \"ca.pem\"\ncert_file = \"school.pem\"\nkey_file = \"school.key\"\n").city)
        #expect(remote.broker.caFile == directory + "/ca.pem" && remote.broker.keyFile == directory + "/school.key")
        #expect(try city("broker = \"10.0.0.2:8883\"\nca_file = \"ca.pem\"\nusername = \"sz-0421\"\npassword_file = \"password\"\n").city != nil)

        #expect(cityErrors("broker = \"mqtt.bureau.example:8883\"\n").contains { $0.contains(":5:") && $0.contains("TLS is required") })
        #expect(cityErrors("broker = \"mqtt.bureau.example:8883\"\nca_file = \"ca.pem\"\n").contains { $0.contains("client certificate and key, or a username") })
        #expect(cityErrors("broker = \"127.0.0.1:1883\"\ncert_file = \"school.pem\"\n").contains { $0.contains("needs its key") })
        let several = cityErrors("broker = \"no-port\"\ndistrict = \"a b\"\nkeepalive = 1\nca_file = \"missing.pem\"\n")
        #expect(several.count == 4, "\(several)")
        #expect(several.contains { $0.contains("`city.broker` must be HOST:PORT") })
        #expect(several.contains { $0.contains("`city.district`") })
        #expect(several.contains { $0.contains("`city.keepalive` must be 5 to 3600") })
        #expect(several.contains { $0.contains("cannot read `city.ca_file`") })
        #expect(errors("[city]\nbroker = \"127.0.0.1:1883\"\n").contains { $0.contains("`[city]` needs `[bureau]`") })
        #expect(cityErrors("broker = \"127.0.0.1:1883\"\nport = 1\n").contains { $0.contains("port") }, "unknown keys are errors")
        // Bundles fetched from the bureau's file server: the longest wait before, and its CA.
        #expect(local.bundleDelay == 10 && local.bundleCA == nil)
        let fetching = try #require(try city("broker = \"127.0.0.1:1883\"\nbundle_delay = 0\nbundle_ca = \"ca.pem\"\n").city)
        #expect(fetching.bundleDelay == 0 && fetching.bundleCA == directory + "/ca.pem")
        #expect(cityErrors("broker = \"127.0.0.1:1883\"\nbundle_delay = 601\n").contains { $0.contains("`city.bundle_delay` must be 0 to 600") })
        #expect(cityErrors("broker = \"127.0.0.1:1883\"\nbundle_ca = \"none.pem\"\n").contains { $0.contains("cannot read `city.bundle_ca`") })
    }

    @Test("TCP with a certificate and key is on; its limits are read")
    func tcpListener() throws {
        let config = try parse(
            """
            [control.tcp]
            listen = "[::]:7443"
            certificate = "tls/cert.pem"
            key = "tls/key.pem"
            max_connections = 10
            idle_timeout = 30
            login_timeout = 5
            """)
        let tcp = try #require(config.control.tcp)
        #expect(tcp.host == "::" && tcp.port == 7443)
        #expect(tcp.certificate == "/etc/carillon/tls/cert.pem")
        #expect(tcp.limits.maxConnections == 10)
        #expect(tcp.limits.idleTimeout == .seconds(30))
        #expect(tcp.limits.loginTimeout == .seconds(5))
    }

    @Test("[web]: off unless listen is set; HTTPS with its own or [control.tcp]'s files; plain HTTP on loopback only")
    func web() throws {
        #expect(try parse("").web == nil)
        let loopback = try #require(try parse("[web]\nlisten = \"127.0.0.1:8080\"\nplain_http = true").web)
        #expect(loopback.tls == nil && loopback.publicURL == "http://127.0.0.1:8080")
        let own = try #require(
            try parse("[web]\nlisten = \"0.0.0.0:8443\"\ncertificate = \"c.pem\"\nkey = \"k.pem\"\nurl = \"https://carillon.school.lan:8443\"").web)
        #expect(own.tls?.certificate == "/etc/carillon/c.pem" && own.tls?.key == "/etc/carillon/k.pem")
        #expect(own.publicURL == "https://carillon.school.lan:8443")
        let borrowed = try #require(
            try parse(
                """
                [control.tcp]
                listen = "0.0.0.0:7443"
                certificate = "tcp.pem"
                key = "tcp.key"
                [web]
                listen = "[::]:8443"
                session_days = 30
                session_idle_days = 2
                """
            ).web)
        #expect(borrowed.tls?.certificate == "/etc/carillon/tcp.pem")
        #expect(borrowed.sessionLifetime == .seconds(30 * 86400) && borrowed.sessionIdle == .seconds(2 * 86400))
        let plainOnLAN = errors("[web]\nlisten = \"0.0.0.0:8080\"\nplain_http = true")
        #expect(plainOnLAN.count == 1 && plainOnLAN[0].contains("loopback"), "\(plainOnLAN)")
        let noCertificate = errors("[web]\nlisten = \"192.168.1.5:8443\"")
        #expect(noCertificate.count == 1 && noCertificate[0].contains("needs HTTPS"), "\(noCertificate)")
        #expect(errors("[web]\nlisten = \"127.0.0.1:8443\"\ncertificate = \"c.pem\"").contains { $0.contains("go together") })
        #expect(errors("[web]\nlisten = \"nowhere\"").contains { $0.contains("HOST:PORT") })
        #expect(errors("[web]\nlisten = \"127.0.0.1:8080\"\nplain_http = true\nsession_days = 0").contains { $0.contains("session_days") })
        #expect(errors("[web]\nlisten = \"127.0.0.1:8080\"\nplain_http = true\nurl = \"carillon/\"").contains { $0.contains("web.url") })
        #expect(errors("[web]\nlisten = \"127.0.0.1:8080\"\nplain_http = true\nport = 1").contains { $0.contains("port") })
    }
}
