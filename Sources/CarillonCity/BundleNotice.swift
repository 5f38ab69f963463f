public import CarillonCore
import CarillonCrypto
public import Foundation

/// The retained notice of the bundle the bureau wants in force, on `city/bundle`,
/// `district/D/bundle` or `school/ID/bundle`. It is not signed: the bundle is, and the school
/// verifies it exactly as `bundle apply` does. A small bundle travels in the notice; a larger one
/// is fetched over HTTPS from the bureau's file server, so the broker never holds a copy per school.
public struct BundleNotice: Sendable, Hashable, Codable {
    public var v: Int = 1
    /// The bundle's version, from its manifest.
    public var version: Int
    /// SHA-256 of the manifest, as `bundle verify` prints it.
    public var digest: String
    /// SHA-256 of the whole file, and its size: a fetched copy is checked against them before it is read.
    public var sha256: String
    public var size: Int
    /// The bundle itself, base64; or where to fetch it.
    public var inline: String?
    public var url: String?
    /// When the bureau published it, ms since 1970.
    public var issued: Int64

    /// The largest bundle carried in a notice.
    public static let maxInlineBytes = 256 * 1024
    /// The largest notice a school reads: an inline bundle, base64, and the fields.
    public static let maxNoticeBytes = maxInlineBytes / 3 * 4 + 8 * 1024
    /// The largest bundle a school fetches (as `bundle apply` takes).
    public static let maxBundleBytes = 200 * 1024 * 1024

    public init(
        version: Int, digest: String, sha256: String, size: Int, inline: String? = nil, url: String? = nil,
        issued: Int64
    ) {
        self.version = version
        self.digest = digest
        self.sha256 = sha256
        self.size = size
        self.inline = inline
        self.url = url
        self.issued = issued
    }

    /// The notice for `bundle`: inline when it is small enough and `url` is nil.
    public static func make(bundle: Data, version: Int, digest: String, url: String?, issued: Int64) -> BundleNotice {
        BundleNotice(
            version: version, digest: digest, sha256: hex(SHA256.hash(data: bundle)), size: bundle.count,
            inline: url == nil ? bundle.base64EncodedString() : nil, url: url, issued: issued)
    }

    /// Reads and checks a published notice; an empty payload (a cleared retained notice) is nil.
    /// - Throws: `NoticeError` saying what is wrong.
    public static func read(_ payload: Data) throws(NoticeError) -> BundleNotice? {
        if payload.isEmpty { return nil }
        guard payload.count <= maxNoticeBytes else {
            throw NoticeError("the notice is \(payload.count) bytes; at most \(maxNoticeBytes)")
        }
        let notice: BundleNotice
        do { notice = try JSONDecoder().decode(BundleNotice.self, from: payload) } catch {
            throw NoticeError("not a bundle notice: \(error)")
        }
        guard notice.v == 1 else { throw NoticeError("notice version \(notice.v) is not 1") }
        guard (1...Int(Int32.max)).contains(notice.version) else {
            throw NoticeError("`version` must be 1 to \(Int32.max)")
        }
        guard isHex(notice.digest), isHex(notice.sha256) else {
            throw NoticeError("`digest` and `sha256` must be 64 hex digits")
        }
        guard (1...maxBundleBytes).contains(notice.size) else {
            throw NoticeError("`size` must be 1 to \(maxBundleBytes) bytes")
        }
        switch (notice.inline, notice.url) {
        case (let inline?, nil):
            guard notice.size <= maxInlineBytes, let bytes = Data(base64Encoded: inline), bytes.count == notice.size
            else {
                throw NoticeError(
                    "`inline` must be the bundle's \(notice.size) bytes, base64, at most \(maxInlineBytes)")
            }
        case (nil, let url?):
            if let problem = urlProblem(url) { throw NoticeError(problem) }
        default:
            throw NoticeError("a notice carries the bundle (`inline`) or where to fetch it (`url`), one of them")
        }
        return notice
    }

    /// Whether fetched (or inline) bytes are the bundle this notice announces.
    public func matches(_ bundle: Data) -> Bool {
        bundle.count == size && BundleNotice.hex(SHA256.hash(data: bundle)) == sha256
    }

    /// The URL rule: `https://HOST[:PORT]/PATH`, or `http://` to a loopback host only; nil when it holds.
    public static func urlProblem(_ text: String) -> String? {
        guard text.utf8.count <= 2048, let url = URL(string: text), let scheme = url.scheme?.lowercased(),
            let host = url.host, !host.isEmpty
        else { return "`url` `\(text.prefix(100))` is not an http(s) URL" }
        switch scheme {
        case "https": return nil
        case "http" where CityBroker.isLoopback(host): return nil
        case "http": return "`url` must be https:// (http:// only to this machine): \(text.prefix(100))"
        default: return "`url` must be https://, not \(scheme)://"
        }
    }

    public func encoded() -> Data { encodeSorted(self) }

    static func isHex(_ text: String) -> Bool {
        text.utf8.count == 64
            && text.utf8.allSatisfy {
                ("0"..."9").contains(Character(UnicodeScalar($0))) || ("a"..."f").contains(Character(UnicodeScalar($0)))
            }
    }

    static func hex(_ digest: some Sequence<UInt8>) -> String { digest.map { String(format: "%02x", $0) }.joined() }
}

/// A notice that is not one: what is wrong, for the log and the ack.
public struct NoticeError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A school's answer to a bundle notice, on `school/ID/ack` beside its alert answers (those have
/// `alert`, these `bundle`).
public struct BundleAck: Sendable, Hashable, Codable {
    public var v: Int = 1
    public var school: String
    /// The notice's version and digest (the digest absent when the notice could not be read).
    public var bundle: Int?
    public var digest: String?
    /// `applied`, `already` (in force before), `refused` (the bundle did not verify or check here:
    /// `reason` is the error code of `bundle apply`) or `failed` (it could not be fetched: tried again
    /// at the next connection).
    public var outcome: String
    public var reason: String?
    public var detail: String?
    /// When it was settled, ms since 1970.
    public var at: Int64

    public init(
        school: String, bundle: Int?, digest: String?, outcome: String, reason: String? = nil, detail: String? = nil,
        at: Int64
    ) {
        self.school = school
        self.bundle = bundle
        self.digest = digest
        self.outcome = outcome
        self.reason = reason
        self.detail = detail
        self.at = at
    }

    public func encoded() -> Data { encodeSorted(self) }
}

/// A school's counts for one month, retained on `school/ID/stats/YYYY-MM`: as `stats` gives them
/// for that month in the school's time zone, in total and by category.
public struct SchoolMonthStats: Sendable, Hashable, Codable {
    public var v: Int = 1
    public var school: String
    public var district: String?
    /// `YYYY-MM`.
    public var month: String
    /// The IANA time zone whose month was counted.
    public var timezone: String
    public var total: BroadcastCounts
    /// By category (`bell`, `tip`, `alarm`, …), only those with something to count.
    public var categories: [String: BroadcastCounts]
    /// When it was counted, ms since 1970.
    public var at: Int64

    public init(
        school: String, district: String?, month: String, timezone: String, total: BroadcastCounts,
        categories: [String: BroadcastCounts],
        at: Int64
    ) {
        self.school = school
        self.district = district
        self.month = month
        self.timezone = timezone
        self.total = total
        self.categories = categories
        self.at = at
    }

    public func encoded() -> Data { encodeSorted(self) }

    /// `YYYY-MM` with a month of 01 to 12 and a year of 2000 to 2999.
    public static func isMonth(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2, let year = Int(parts[0]),
            let month = Int(parts[1])
        else { return false }
        return (2000...2999).contains(year) && (1...12).contains(month)
    }

    /// The month `date` falls in, in `zone`, as `YYYY-MM`, and its start and end (exclusive).
    public static func month(of date: Date, in zone: TimeZone) -> (name: String, start: Date, end: Date) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = calendar.dateComponents([.year, .month], from: date)
        let start = calendar.date(from: parts) ?? date
        let end = calendar.date(byAdding: .month, value: 1, to: start) ?? date
        return (String(format: "%04d-%02d", parts.year ?? 2000, parts.month ?? 1), start, end)
    }
}

/// JSON with sorted keys, as published: two equal values are equal bytes.
func encodeSorted(_ value: some Encodable) -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    // Strings, integers and dictionaries of them cannot fail to encode.
    return (try? encoder.encode(value)) ?? Data()
}
