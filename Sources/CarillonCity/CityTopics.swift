/// The broker's topics, versioned under `carillon/v1/` (docs/CITY.md).
public enum CityTopics {
    public static let root = "carillon/v1"

    /// Alerts for every school: QoS 1, not retained.
    public static let cityAlert = root + "/city/alert"

    /// Alerts for one district's schools.
    public static func districtAlert(_ district: String) -> String { root + "/district/\(district)/alert" }

    /// A school's status: retained, `online` while connected, `offline` by its last will.
    public static func status(_ school: String) -> String { root + "/school/\(school)/status" }

    /// A school's answers to alerts.
    public static func ack(_ school: String) -> String { root + "/school/\(school)/ack" }

    /// The bundle notices: the city's, a district's, a school's; retained.
    public static let cityBundle = root + "/city/bundle"
    public static func districtBundle(_ district: String) -> String { root + "/district/\(district)/bundle" }
    public static func schoolBundle(_ school: String) -> String { root + "/school/\(school)/bundle" }

    /// The bundle topics a school subscribes to.
    public static func bundleTopics(school: String, district: String?) -> [String] {
        [cityBundle] + (district.map { [districtBundle($0)] } ?? []) + [schoolBundle(school)]
    }

    /// A school's counts for one month (`YYYY-MM`), retained.
    public static func stats(_ school: String, month: String) -> String { root + "/school/\(school)/stats/\(month)" }

    /// Every school's counts for one month, for the bureau.
    public static func allStats(month: String) -> String { root + "/school/+/stats/\(month)" }

    /// A bureau client's own topic, for knowing when the retained messages it subscribed to have
    /// all come: what it publishes there after subscribing comes back after them.
    public static func bureauSync(_ client: String) -> String { root + "/bureau/sync/\(client)" }

    /// Every school's acks, for the bureau.
    public static let allAcks = root + "/school/+/ack"

    /// Every school's status, for the bureau.
    public static let allStatuses = root + "/school/+/status"

    /// The alert topics a school subscribes to.
    public static func alertTopics(district: String?) -> [String] {
        [cityAlert] + (district.map { [districtAlert($0)] } ?? [])
    }
}
