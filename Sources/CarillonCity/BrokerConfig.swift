/// The bureau's broker, generated from its schools file (`carillon city broker-config`): a
/// mosquitto.conf, the ACL files and a script that makes the CAs and one certificate per school.
/// Pure: the client writes the files.
///
/// Two listeners, each with its own CA and ACL (`per_listener_settings`):
/// - the schools' listener takes certificates of the schools' CA only; the certificate's common
///   name (the school's id) is the username (`use_identity_as_username`) and the client id
///   (`use_username_as_clientid`), so a school's certificate can neither take another school's
///   session nor read or write outside `school/<its id>/`, its district and the city;
/// - the bureau's listener takes certificates of the bureau's CA only: only the bureau publishes
///   alerts and bundle notices, and no school certificate opens it.
public struct BrokerConfig: Sendable, Hashable {
    /// One school: its id (its certificate's common name) and its district.
    public struct School: Sendable, Hashable {
        public var id: String
        public var district: String?
        public init(id: String, district: String?) {
            self.id = id
            self.district = district
        }
    }

    public var schools: [School]
    /// The names the schools and the bureau reach the broker by: DNS names or IP addresses, for
    /// the broker certificate's subject alternative names (clients check them).
    public var hosts: [String]
    public var schoolPort: Int
    public var bureauPort: Int
    /// The directory the files are written to, absolute: mosquitto.conf names files in it.
    public var directory: String
    /// How long the certificates last.
    public var days: Int

    /// The common name of the bureau's client certificate: not a school id (`check` refuses a
    /// school of that name), though a school certificate could not open the bureau's listener anyway.
    public static let bureauName = "bureau"

    public init(
        schools: [School], hosts: [String], schoolPort: Int = 8883, bureauPort: Int = 8884, directory: String,
        days: Int = 825
    ) {
        self.schools = schools
        self.hosts = hosts
        self.schoolPort = schoolPort
        self.bureauPort = bureauPort
        self.directory = directory
        self.days = days
    }

    /// What is wrong with the settings, or nil.
    public var problem: String? {
        if schools.isEmpty { return "the schools file names no school" }
        if let bad = schools.first(where: { !CityAlert.isName($0.id) }) {
            return "`\(bad.id)` is not a school id of 1 to 64 of A-Z, a-z, 0-9, `.`, `_`, `-`"
        }
        if let bad = schools.first(where: { $0.district.map { !CityAlert.isName($0) } ?? false }) {
            return "the district of `\(bad.id)` is not 1 to 64 of A-Z, a-z, 0-9, `.`, `_`, `-`"
        }
        if schools.contains(where: { $0.id == Self.bureauName }) {
            return "a school may not be called `\(Self.bureauName)`: it is the bureau's name"
        }
        if Set(schools.map(\.id)).count != schools.count { return "a school id is listed twice" }
        if hosts.isEmpty { return "name the broker's host (--broker-host): its certificate is made for it" }
        if let bad = hosts.first(where: { !Self.isHost($0) }) { return "`\(bad)` is not a host name or IP address" }
        if !(1...65535).contains(schoolPort) || !(1...65535).contains(bureauPort) { return "ports must be 1 to 65535" }
        if schoolPort == bureauPort { return "the schools' and the bureau's ports must differ" }
        if !directory.hasPrefix("/")
            || directory.contains(where: { $0.isNewline || $0 == "'" || $0 == "\"" || $0 == " " })
        {
            return "the output directory must be an absolute path without spaces or quotes"
        }
        if !(1...3650).contains(days) { return "certificates must last 1 to 3650 days" }
        return nil
    }

    /// Letters, digits, `.`, `-` and `:` (an IPv6 address): what a certificate's SAN and a shell word hold safely.
    static func isHost(_ text: String) -> Bool {
        (1...253).contains(text.utf8.count)
            && text.unicodeScalars.allSatisfy {
                $0.isASCII
                    && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || ".-:".unicodeScalars.contains($0))
            }
    }

    private func path(_ name: String) -> String { directory + "/" + name }

    /// mosquitto.conf.
    public var mosquittoConf: String {
        func listener(_ port: Int, ca: String, acl: String, clientID: Bool) -> String {
            """
            listener \(port)
            protocol mqtt
            cafile \(path(ca))
            certfile \(path("broker.crt"))
            keyfile \(path("broker.key"))
            tls_version tlsv1.2
            require_certificate true
            use_identity_as_username true
            \(clientID ? "use_username_as_clientid true\n" : "")allow_anonymous false
            acl_file \(path(acl))
            """
        }
        return """
            # Generated by `carillon city broker-config` for \(schools.count) schools (docs/CITY.md).
            # Each listener has its own CA and ACL: schools on \(schoolPort), the bureau on \(bureauPort).
            per_listener_settings true

            # Sessions and retained messages (statuses, statistics, bundle notices) survive a restart;
            # an offline school's session is kept a week.
            persistence true
            persistence_location \(path("data"))/
            autosave_interval 60
            persistent_client_expiration 7d
            max_queued_messages 1000
            # A bundle notice holds an inline bundle of up to 256 KiB, base64.
            message_size_limit 1048576

            # Schools: a certificate of the schools' CA; its common name is the username and the client id.
            \(listener(schoolPort, ca: "schools-ca.crt", acl: "acl-schools", clientID: true))

            # The bureau: a certificate of the bureau's CA.
            \(listener(bureauPort, ca: "bureau-ca.crt", acl: "acl-bureau", clientID: false))

            """
    }

    /// The schools' ACL: `%u` is the certificate's common name, the school's id.
    public var schoolsACL: String {
        var text = """
            # Generated by `carillon city broker-config`. %u is the school's id, its certificate's common name.
            # Every school reads the city's alerts and bundle notices and its own bundle notice; writes its own
            # status (and last will), statistics and answers; nothing else.
            pattern read \(CityTopics.root)/city/#
            pattern read \(CityTopics.root)/school/%u/bundle
            pattern write \(CityTopics.root)/school/%u/status
            pattern write \(CityTopics.root)/school/%u/ack
            pattern write \(CityTopics.root)/school/%u/stats/+

            # Each school's district.

            """
        for school in schools {
            guard let district = school.district else { continue }
            text += "user \(school.id)\ntopic read \(CityTopics.root)/district/\(district)/#\n\n"
        }
        return text
    }

    /// The bureau's ACL: everything under the versioned root.
    public var bureauACL: String {
        """
        # Generated by `carillon city broker-config`: the bureau's certificates may read and write all of Carillon's topics.
        pattern readwrite \(CityTopics.root)/#

        """
    }

    /// A POSIX shell script (openssl) that makes the two CAs, the broker's certificate, the
    /// bureau's and one per school; run again, it makes only what is missing (a school added).
    public var certificateScript: String {
        let sans = hosts.map { host in
            host.contains(":")
                || host.split(separator: ".").allSatisfy({ Int($0) != nil }) && host.split(separator: ".").count == 4
                ? "IP:\(host)" : "DNS:\(host)"
        }
        var text = """
            #!/bin/sh
            # Generated by `carillon city broker-config`: run it in this directory on the bureau's machine.
            # Makes the schools' CA and the bureau's CA, the broker's certificate, the bureau's client
            # certificate and one per school (in schools/ID/: ID.crt, ID.key and the CA that signed the
            # broker's certificate). Keys never leave this machine except each school's own, to it.
            # Run again, it makes only what is missing. Keep *-ca.key offline once done.
            set -eu
            cd "$(dirname "$0")"
            umask 077
            DAYS=\(days)
            mkdir -p data schools

            ca() { # name, subject
                [ -f "$1.crt" ] && return 0
                openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" -out "$1.crt" \\
                    -days 3650 -subj "/CN=$2" -addext "basicConstraints=critical,CA:TRUE" \\
                    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
            }

            cert() { # ca, common name, output stem, extensions
                [ -f "$3.crt" ] && return 0
                openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$3.key" -out "$3.csr" \\
                    -subj "/CN=$2" 2>/dev/null
                printf '%s\\n' "$4" > "$3.ext"
                openssl x509 -req -in "$3.csr" -CA "$1.crt" -CAkey "$1.key" -CAcreateserial -days "$DAYS" \\
                    -extfile "$3.ext" -out "$3.crt" 2>/dev/null
                rm -f "$3.csr" "$3.ext"
            }

            ca schools-ca "Carillon schools CA"
            ca bureau-ca "Carillon bureau CA"
            # The broker's certificate, signed by the schools' CA: schools and the bureau check it with schools-ca.crt.
            cert schools-ca broker broker "basicConstraints=CA:FALSE
            extendedKeyUsage=serverAuth
            subjectAltName=\(sans.joined(separator: ","))"
            cert bureau-ca \(Self.bureauName) \(Self.bureauName) "basicConstraints=CA:FALSE
            extendedKeyUsage=clientAuth"

            school() { # id
                mkdir -p "schools/$1"
                cert schools-ca "$1" "schools/$1/$1" "basicConstraints=CA:FALSE
            extendedKeyUsage=clientAuth"
                cp schools-ca.crt "schools/$1/ca.crt"
            }

            """
        for school in schools { text += "school \(school.id)\n" }
        text += """
            # mosquitto reads the broker's key as its own user.
            chmod 644 schools-ca.crt bureau-ca.crt broker.crt acl-schools acl-bureau mosquitto.conf
            if id mosquitto >/dev/null 2>&1; then chown mosquitto broker.key data 2>/dev/null || true; fi
            echo "certificates made for \(schools.count) schools in $(pwd)"

            """
        return text
    }

    /// Every file, by name in `directory`.
    public var files: [(name: String, text: String, executable: Bool)] {
        [
            ("mosquitto.conf", mosquittoConf, false), ("acl-schools", schoolsACL, false),
            ("acl-bureau", bureauACL, false),
            ("make-certs.sh", certificateScript, true),
        ]
    }
}
