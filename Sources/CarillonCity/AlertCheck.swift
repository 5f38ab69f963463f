import CarillonCrypto
import CarillonBundle
public import Foundation

/// Decides whether a signed alert may sound at one school: pure, the time is a parameter. The one
/// rule it cannot see, that the id was not heard before, is the store's (see `CityAlert.id`).
public struct AlertCheck: Sendable {
    /// The bureau's keys, by id.
    private let keys: [String: Curve25519.Signing.PublicKey]
    public let school: String
    public let district: String?

    /// - Parameters:
    ///   - keys: the raw public keys of `[bureau] keys`; a key that does not load is left out.
    ///   - school: this school's id; `district`: its district, if it has one.
    public init(keys: [Data], school: String, district: String?) {
        var byID: [String: Curve25519.Signing.PublicKey] = [:]
        for raw in keys {
            if let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) { byID[BundleKey.id(of: key)] = key }
        }
        self.keys = byID
        self.school = school
        self.district = district
    }

    /// Reads and checks one published envelope, in this order: its size, its JSON, its key and
    /// signature, the alert's fields, its validity at `now` (ms since 1970), its target.
    /// - Returns: the alert, which may sound here if its id is new.
    /// - Throws: `AlertRefusal` with the first rule it breaks.
    public func check(_ envelope: Data, now: Int64) throws(AlertRefusal) -> CityAlert {
        guard envelope.count <= CityAlert.maxEnvelopeBytes else {
            throw AlertRefusal(.oversized, "\(envelope.count) bytes; an alert is at most \(CityAlert.maxEnvelopeBytes)")
        }
        let signed: SignedAlert
        do { signed = try JSONDecoder().decode(SignedAlert.self, from: envelope) } catch {
            throw AlertRefusal(.malformed, "not a signed alert: expected {\"alert\": base64, \"signature\": base64}")
        }
        guard let bytes = Data(base64Encoded: signed.alert), let signature = Data(base64Encoded: signed.signature),
            signature.count == 64, signature.base64EncodedString() == signed.signature
        else {
            throw AlertRefusal(.malformed, "`alert` and `signature` must be base64, the signature of 64 bytes")
        }
        // Only the key id (and the id, to answer with) are read before the signature holds.
        struct Claimed: Decodable {
            var key: String
            var id: String?
        }
        guard let claimed = try? JSONDecoder().decode(Claimed.self, from: bytes) else {
            throw AlertRefusal(.malformed, "the signed alert is not JSON naming its `key`")
        }
        let id = claimed.id.flatMap { CityAlert.isName($0) ? $0 : nil }
        func refusal(_ reason: AlertRefusal.Reason, _ message: String) -> AlertRefusal { AlertRefusal(reason, message, alert: id) }
        guard let key = keys[claimed.key] else {
            throw refusal(.unknownKey, "signed with key \(claimed.key.prefix(64)), which is not in [bureau] keys")
        }
        guard key.isValidSignature(signature, for: bytes) else {
            throw refusal(.badSignature, "the signature does not match the alert: forged or altered")
        }
        let alert: CityAlert
        do { alert = try JSONDecoder().decode(CityAlert.self, from: bytes) } catch {
            throw refusal(.malformed, "the signed alert does not read: \(error)")
        }
        do { try alert.checkShape() } catch { throw refusal(error.reason, error.message) }
        guard now <= alert.expires else { throw refusal(.expired, "it expired \(Self.ago(now, alert.expires)) ago") }
        guard alert.issued <= now || alert.issued - now <= CityAlert.clockSkewMilliseconds else {
            throw refusal(.notYetValid, "issued \(Self.ago(alert.issued, now)) in this school's future; check the clocks")
        }
        guard alert.targets(school: school, district: district) else {
            let target = alert.schools.map { "schools \($0.prefix(5).joined(separator: ", "))\($0.count > 5 ? ", …" : "")" }
                ?? alert.district.map { "district \($0)" } ?? "the city"
            throw refusal(.notForUs, "addressed to \(target), not school \(school)\(district.map { " of district \($0)" } ?? "")")
        }
        return alert
    }

    /// `later - earlier` as people read it; both are checked times, so the difference is in range.
    static func ago(_ later: Int64, _ earlier: Int64) -> String {
        let (difference, overflow) = later.subtractingReportingOverflow(earlier)
        if overflow { return "long" }
        return difference < 10_000 ? "\(difference) ms" : "\(difference / 1000) s"
    }
}
