import CarillonBundle
import CarillonCity
import CarillonCrypto
import Foundation

/// Any bytes as what the city link reads from the broker: a signed alert's envelope, checked as a
/// school does (`AlertCheck`), and a bundle notice (`BundleNotice.read`). A fuzzed envelope never
/// carries a good signature, so any input that is a JSON object is also taken as the alert itself,
/// named with the fixed key and signed by it: that reaches the field, time and target rules.
/// Properties: an alert let through obeys its shape and is addressed here; a notice read back from
/// its own encoding is the same notice.
enum CityCheck {
    static func run(_ input: [UInt8]) throws(FuzzFinding) { _ = try outcomes(input) }

    /// What the school decided for the envelope, then for the input re-signed as an alert (when it
    /// is a JSON object): `admitted` or the refusal's reason; then `notice` if it read as a bundle notice. The corpus test checks that the seeds
    /// reach past the signature.
    static func outcomes(_ input: [UInt8]) throws(FuzzFinding) -> [String] {
        let data = Data(input)
        var outcomes: [String] = []
        guard let key else { throw FuzzFinding("the fixed Ed25519 key does not load") }
        let check = AlertCheck(keys: [key.publicKey.rawRepresentation], school: school, district: district)
        outcomes.append(try admitted(check, data))

        if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            var alert = object
            alert["key"] = BundleKey.id(of: key.publicKey)
            if let bytes = try? JSONSerialization.data(withJSONObject: alert, options: [.sortedKeys]),
                let signature = try? key.signature(for: bytes)
            {
                let envelope = SignedAlert(alert: bytes.base64EncodedString(), signature: signature.base64EncodedString())
                guard let wrapped = try? JSONEncoder().encode(envelope) else { throw FuzzFinding("a signed alert does not encode") }
                outcomes.append(try admitted(check, wrapped))
            }
        }

        let notice: BundleNotice?
        do { notice = try BundleNotice.read(data) } catch {
            _ = error.description
            return outcomes
        }
        guard let notice else { return outcomes }
        guard (try? BundleNotice.read(notice.encoded())) == notice else {
            throw FuzzFinding("a notice read back from its own encoding differs: \(notice)")
        }
        outcomes.append("notice")
        return outcomes
    }

    /// Checks `envelope`; an alert let through must hold every rule the check promises.
    private static func admitted(_ check: AlertCheck, _ envelope: Data) throws(FuzzFinding) -> String {
        let alert: CityAlert
        do { alert = try check.check(envelope, now: now) } catch {
            _ = error.message
            return error.reason.rawValue
        }
        do { try alert.checkShape() } catch { throw FuzzFinding("alert \(alert.id) let through breaks its shape: \(error.message)") }
        guard alert.sound != nil else { throw FuzzFinding("alert \(alert.id) let through sounds nothing") }
        guard now <= alert.expires, alert.targets(school: school, district: district) else {
            throw FuzzFinding("alert \(alert.id) let through is expired or not addressed here")
        }
        if let seconds = alert.countdown {
            let remaining = Double(seconds) - Double(now - alert.issued) / 1000
            _ = Countdown(remaining: remaining)
        }
        return "admitted"
    }

    /// The bureau's key, fixed as the bundle target's: 32 bytes 1…32.
    private static let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: Data(1...32))
    private static let school = "sz-0001"
    private static let district = "futian"
    /// 2027-01-15T08:00Z in ms: the seeds' alerts are valid then.
    private static let now: Int64 = 1_800_000_000_000
}
