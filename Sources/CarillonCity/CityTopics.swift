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

    /// Every school's acks, for the bureau.
    public static let allAcks = root + "/school/+/ack"

    /// Every school's status, for the bureau.
    public static let allStatuses = root + "/school/+/status"

    /// The alert topics a school subscribes to.
    public static func alertTopics(district: String?) -> [String] {
        [cityAlert] + (district.map { [districtAlert($0)] } ?? [])
    }
}
