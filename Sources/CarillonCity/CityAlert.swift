public import CarillonCrypto
import CarillonBundle
public import Foundation

/// A city-wide alert, as the bureau signs it: what to sound, where, and for how long it is valid.
///
/// On the wire it travels inside a `SignedAlert`: the alert's JSON bytes exactly as signed, and the
/// Ed25519 signature of those bytes by a bureau key, as a bundle's manifest is signed. Times are
/// milliseconds since 1970 (UTC), so that every number can be range-checked as it is read.
public struct CityAlert: Sendable, Hashable, Codable {
    /// The format's version; this build reads 1.
    public var v: Int
    /// Unique for every alert the bureau sends: 8 to 64 of A-Z, a-z, 0-9, `.`, `_`, `-`.
    public var id: String
    /// The signing key's id (`BundleKey.id`), as a bundle manifest names its signer.
    public var key: String
    /// When the bureau issued it, in ms since 1970.
    public var issued: Int64
    /// After this instant (ms since 1970) it is never sounded: an alert that arrives late stays silent.
    public var expires: Int64
    /// Where: absent `district` and `schools` mean the whole city.
    public var district: String?
    /// Only these schools, by `[bureau] school`.
    public var schools: [String]?
    /// A drill: logged and announced as one.
    public var drill: Bool
    /// What sounds: exactly one of `plan`, `message`, `clip`.
    public var plan: String?
    /// Text read aloud after the alarm.
    public var message: String?
    /// A library clip played at the emergency level.
    public var clip: String?
    /// Seconds from `issued` until the event (an earthquake's shaking): counted down aloud before
    /// the plan; only with `plan`.
    public var countdown: Int?

    /// The largest signed envelope a school reads; a larger one is refused unread.
    public static let maxEnvelopeBytes = 64 * 1024
    /// The longest an alert may be valid: a day.
    public static let maxLifetimeMilliseconds: Int64 = 24 * 3600 * 1000
    /// How far `issued` may lie in the school's future: clocks disagree a little, never by much.
    public static let clockSkewMilliseconds: Int64 = 5 * 60 * 1000
    /// The longest countdown, in seconds.
    public static let maxCountdown = 600
    /// The longest message, in characters (as `say` reads).
    public static let maxMessageCharacters = 300
    /// The most schools one alert may name.
    public static let maxSchools = 5000

    public init(
        id: String, key: String, issued: Int64, expires: Int64, district: String? = nil, schools: [String]? = nil,
        drill: Bool = false, plan: String? = nil, message: String? = nil, clip: String? = nil, countdown: Int? = nil
    ) {
        v = 1
        self.id = id
        self.key = key
        self.issued = issued
        self.expires = expires
        self.district = district
        self.schools = schools
        self.drill = drill
        self.plan = plan
        self.message = message
        self.clip = clip
        self.countdown = countdown
    }

    /// What the alert sounds.
    public enum Sound: Sendable, Hashable {
        case plan(String)
        case message(String)
        case clip(String)
    }

    /// The one thing to sound; nil unless exactly one of `plan`, `message`, `clip` is set.
    public var sound: Sound? {
        switch (plan, message, clip) {
        case (let plan?, nil, nil): .plan(plan)
        case (nil, let message?, nil): .message(message)
        case (nil, nil, let clip?): .clip(clip)
        default: nil
        }
    }

    /// Whether an alert's id, a district or a school id is well formed: 1 to 64 of A-Z, a-z, 0-9, `.`, `_`, `-`.
    public static func isName(_ text: String) -> Bool { BundleManifest.isSchoolID(text) }

    /// Whether the alert is addressed to `school` of `district`.
    public func targets(school: String, district: String?) -> Bool {
        if let schools { return schools.contains(school) }
        if let wanted = self.district { return wanted == district }
        return true
    }

    /// Checks the shape of the alert on its own: every field within its range.
    /// - Throws: `AlertRefusal` with reason `malformed`.
    public func checkShape() throws(AlertRefusal) {
        func malformed(_ message: String) -> AlertRefusal { AlertRefusal(.malformed, message) }
        guard v == 1 else { throw malformed("alert format v\(v) is not read by this version; it reads v1") }
        guard id.utf8.count >= 8, Self.isName(id) else {
            throw malformed("`id` must be 8 to 64 of A-Z, a-z, 0-9, `.`, `_`, `-`")
        }
        guard issued > 0, expires > issued else { throw malformed("`expires` must come after `issued`, both after 1970") }
        // Subtraction of two positive Int64 values cannot overflow.
        guard expires - issued <= Self.maxLifetimeMilliseconds else { throw malformed("an alert is valid for a day at most") }
        if let district, !Self.isName(district) { throw malformed("`district` is not a district id") }
        if let schools {
            guard district == nil else { throw malformed("name `district` or `schools`, not both") }
            guard !schools.isEmpty, schools.count <= Self.maxSchools else {
                throw malformed("`schools` must list 1 to \(Self.maxSchools) schools")
            }
            if let bad = schools.first(where: { !Self.isName($0) }) { throw malformed("`\(bad)` is not a school id") }
        }
        guard let sound else { throw malformed("an alert sounds exactly one of `plan`, `message` and `clip`") }
        switch sound {
        case .plan(let name):
            guard Self.isName(name) else { throw malformed("`plan` is not a plan name") }
        case .clip(let id):
            guard Self.isName(id) else { throw malformed("`clip` is not a clip id") }
        case .message(let text):
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty, trimmed.count <= Self.maxMessageCharacters else {
                throw malformed("`message` must be 1 to \(Self.maxMessageCharacters) characters")
            }
        }
        if let countdown {
            guard plan != nil else { throw malformed("`countdown` goes with `plan` only") }
            guard (1...Self.maxCountdown).contains(countdown) else {
                throw malformed("`countdown` must be 1 to \(Self.maxCountdown) seconds")
            }
        }
    }
}

/// An alert as published: its JSON bytes exactly as signed, base64, and the signature.
public struct SignedAlert: Sendable, Hashable, Codable {
    /// The alert's JSON, base64: the bytes the signature covers.
    public var alert: String
    /// The Ed25519 signature of those bytes, base64.
    public var signature: String

    public init(alert: String, signature: String) {
        self.alert = alert
        self.signature = signature
    }

    /// Signs `alert` with the bureau's key; the alert's `key` must name it.
    /// - Throws: `AlertRefusal` (`malformed`) when the alert does not check or cannot be signed.
    public static func sign(_ alert: CityAlert, with key: Curve25519.Signing.PrivateKey) throws(AlertRefusal) -> Data {
        try alert.checkShape()
        guard alert.key == BundleKey.id(of: key.publicKey) else {
            throw AlertRefusal(.malformed, "the alert names key \(alert.key), not the signing key")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            let bytes = try encoder.encode(alert)
            let envelope = SignedAlert(alert: bytes.base64EncodedString(), signature: try key.signature(for: bytes).base64EncodedString())
            return try encoder.encode(envelope)
        } catch {
            throw AlertRefusal(.malformed, "cannot sign the alert: \(error)")
        }
    }
}

/// Why a school did not sound an alert; the reason goes back to the bureau in the ack.
public struct AlertRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    /// Stable reasons, as sent in acks.
    public enum Reason: String, Sendable, Hashable, CaseIterable, Codable {
        /// Larger than `CityAlert.maxEnvelopeBytes`.
        case oversized
        /// Not JSON, a field missing or out of range.
        case malformed
        /// Signed by a key that is not in `[bureau] keys`.
        case unknownKey = "unknown-key"
        /// The signature does not match the alert's bytes.
        case badSignature = "bad-signature"
        /// Past `expires`.
        case expired
        /// `issued` lies further in the future than clocks disagree.
        case notYetValid = "not-yet-valid"
        /// Its id was heard before.
        case replayed
        /// Addressed to other schools or another district.
        case notForUs = "not-for-us"
        /// Valid, but what it names cannot sound here: a plan or clip this school lacks, no output.
        case failed
    }

    public var reason: Reason
    public var message: String
    /// The id the refused alert claims, when it could be read: unverified, for matching the answer
    /// to what the bureau sent, never for anything else.
    public var alert: String?

    public init(_ reason: Reason, _ message: String, alert: String? = nil) {
        self.reason = reason
        self.message = message
        self.alert = alert
    }

    public var description: String { "\(reason.rawValue): \(message)" }
}
