public import Foundation
import CarillonCore

/// Why a bundle is refused. The code is stable for clients; the message names the part or value.
public struct BundleError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// Not a bundle, truncated, trailing bytes, or a manifest that does not decode or holds.
        case malformed
        /// Signed with a key this school does not trust.
        case unknownKey = "unknown-key"
        /// The signature does not match the manifest.
        case badSignature = "bad-signature"
        /// Past its expiry.
        case expired
        /// Addressed to other schools.
        case wrongSchool = "wrong-school"
        /// Its version is at or below one this school already holds.
        case staleVersion = "stale-version"
        /// A part's bytes do not match the size or hash the manifest signs.
        case badPart = "bad-part"
        /// A part's path is absolute, climbs out with `..`, or is not where its kind belongs.
        case unsafePath = "unsafe-path"
        /// A part is well signed but its content does not check: an invalid schedule, plan or clip.
        case invalidContent = "invalid-content"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(message) [\(code.rawValue)]" }
}

/// What a bundle says it is: signed, so every other byte of the bundle is bound to it through hashes.
public struct BundleManifest: Sendable, Hashable, Codable {
    /// The format of this manifest and its bundle; 1.
    public var format: Int
    /// Shares one sequence with schedule versions: a school accepts only a version above every one it holds.
    public var version: Int
    public var issuedAt: Date
    /// A school refuses the bundle from this instant on.
    public var expiresAt: Date
    /// School ids, or `["*"]` for every school.
    public var schools: [String]
    /// The signing key's id (see `BundleKey.id(of:)`).
    public var key: String
    public var parts: [BundlePart]

    public init(
        version: Int, issuedAt: Date, expiresAt: Date, schools: [String], key: String, parts: [BundlePart]
    ) {
        self.format = 1
        self.version = version
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.schools = schools
        self.key = key
        self.parts = parts
    }

    /// Whether a school is among the bundle's targets.
    public func targets(school: String) -> Bool { schools == ["*"] || schools.contains(school) }

    /// The manifest as it is signed: JSON, snake_case keys, sorted, ISO 8601 dates in UTC.
    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain strings, numbers and dates cannot fail.
        return (try? encoder.encode(self)) ?? Data()
    }

    static func decode(_ data: Data) throws(BundleError) -> BundleManifest {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .iso8601
        let manifest: BundleManifest
        do { manifest = try decoder.decode(BundleManifest.self, from: data) } catch {
            throw BundleError(.malformed, "the manifest does not decode: \(Self.explain(error))")
        }
        try manifest.check()
        return manifest
    }

    /// The rules every manifest obeys, whoever made it.
    func check() throws(BundleError) {
        guard format == 1 else { throw BundleError(.malformed, "manifest format \(format); this daemon reads format 1") }
        guard version >= 1 else { throw BundleError(.malformed, "version must be 1 or more, not \(version)") }
        guard expiresAt > issuedAt else { throw BundleError(.malformed, "it expires before it was issued") }
        guard !schools.isEmpty else { throw BundleError(.malformed, "`schools` is empty; use [\"*\"] for every school") }
        if schools.contains("*") && schools.count > 1 { throw BundleError(.malformed, "`*` stands alone in `schools`") }
        if let bad = schools.first(where: { $0 != "*" && !Self.isSchoolID($0) }) {
            throw BundleError(.malformed, "`\(bad)` is not a school id: 1 to 64 of A-Z, a-z, 0-9, `.`, `_`, `-`")
        }
        guard !parts.isEmpty else { throw BundleError(.malformed, "the bundle has no parts") }
        guard parts.count <= Self.maxParts else { throw BundleError(.malformed, "more than \(Self.maxParts) parts") }
        var seen = Set<String>()
        for part in parts {
            try part.check()
            guard seen.insert(part.path).inserted else { throw BundleError(.malformed, "`\(part.path)` is listed twice") }
        }
        guard parts.filter({ $0.kind == .schedule }).count <= 1 else { throw BundleError(.malformed, "more than one schedule") }
        let clipIDs = parts.compactMap(\.clip?.id)
        guard Set(clipIDs).count == clipIDs.count else { throw BundleError(.malformed, "a clip id is listed twice") }
    }

    static let maxParts = 4096

    /// A school id: as the bureau names schools in schools.csv and each school's config.
    public static func isSchoolID(_ id: String) -> Bool {
        (1...64).contains(id.utf8.count)
            && id.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0)) }
    }

    private static func explain(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): "`\(key.stringValue)` is missing"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            "`\(context.codingPath.map(\.stringValue).joined(separator: "."))`: \(context.debugDescription)"
        case DecodingError.dataCorrupted(let context):
            context.codingPath.isEmpty
                ? "not JSON" : "`\(context.codingPath.map(\.stringValue).joined(separator: "."))`: \(context.debugDescription)"
        default: "\(error)"
        }
    }
}

/// One file the bundle carries.
public struct BundlePart: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        /// `schedule.toml`: the school's timetable; its `version` equals the bundle's.
        case schedule
        /// `plans/NAME.toml`: an emergency plan, replacing the school's plan of that name.
        case plan
        /// `clips/FILE`: an audio file added to the library, described by `clip`.
        case clip
    }

    public var kind: Kind
    /// Where the part belongs: `schedule.toml`, `plans/NAME.toml` or `clips/NAME.EXT`.
    public var path: String
    public var size: Int
    /// SHA-256 of the part's bytes, lower-case hex.
    public var sha256: String
    /// For a clip: what the library lists it as.
    public var clip: BundleClip?

    public init(kind: Kind, path: String, size: Int, sha256: String, clip: BundleClip? = nil) {
        self.kind = kind
        self.path = path
        self.size = size
        self.sha256 = sha256
        self.clip = clip
    }

    /// The audio formats a clip part may be in (libsndfile reads them).
    public static let audioExtensions: Set<String> = ["wav", "flac", "ogg", "opus", "mp3"]
    /// The largest schedule or plan: they are text.
    public static let maxTextBytes = 1 << 20

    /// A plan part's name: `fire` for `plans/fire.toml`.
    public var planName: String? {
        guard kind == .plan else { return nil }
        return String(path.dropFirst("plans/".count).dropLast(".toml".count))
    }

    func check() throws(BundleError) {
        try Self.checkPath(path, kind: kind)
        guard size >= 0 else { throw BundleError(.malformed, "`\(path)` has a negative size") }
        if kind != .clip, size > Self.maxTextBytes {
            throw BundleError(.malformed, "`\(path)` is \(size) bytes; a schedule or plan may be \(Self.maxTextBytes)")
        }
        guard sha256.utf8.count == 64, sha256.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else {
            throw BundleError(.malformed, "`\(path)`: sha256 must be 64 lower-case hex digits")
        }
        switch (kind, clip) {
        case (.clip, nil): throw BundleError(.malformed, "`\(path)` is a clip with no `clip` description")
        case (.clip, let clip?): try clip.check(path: path)
        case (_, nil): break
        case (_, .some): throw BundleError(.malformed, "`\(path)` is not a clip but has a `clip` description")
        }
    }

    /// A path is relative, plain, and where its kind belongs: nothing in a bundle can name a file
    /// outside the directory it is unpacked into.
    static func checkPath(_ path: String, kind: Kind) throws(BundleError) {
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        let plain = components.allSatisfy { component in
            !component.isEmpty && component != "." && component != ".." && !component.hasPrefix(".")
                && component.unicodeScalars.allSatisfy {
                    $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0))
                }
        }
        guard plain, path.utf8.count <= 200 else {
            throw BundleError(
                .unsafePath, "`\(path)` is not a plain relative path (letters, digits, `.`, `_`, `-`; no `..`, no leading `/` or `.`)")
        }
        let fits: Bool =
            switch kind {
            case .schedule: path == "schedule.toml"
            case .plan: components.count == 2 && components[0] == "plans" && path.hasSuffix(".toml") && path.count > "plans/.toml".count
            case .clip:
                components.count == 2 && components[0] == "clips"
                    && audioExtensions.contains((String(components[1]) as NSString).pathExtension.lowercased())
            }
        guard fits else {
            let expected =
                switch kind {
                case .schedule: "schedule.toml"
                case .plan: "plans/NAME.toml"
                case .clip: "clips/NAME.EXT, EXT one of " + audioExtensions.sorted().joined(separator: ", ")
                }
            throw BundleError(.unsafePath, "a \(kind.rawValue) part must be at \(expected), not `\(path)`")
        }
    }
}

/// How the library lists a clip that a bundle carries.
public struct BundleClip: Sendable, Hashable, Codable {
    public var id: String
    /// bell, tip, culture, recorded, alarm or message.
    public var category: String
    public var title: String
    public var language: String?
    /// For a tip: its safety subject, e.g. `outdoor`.
    public var subject: String?
    /// all, spring, summer, autumn or winter.
    public var season: String?

    public init(id: String, category: String, title: String, language: String? = nil, subject: String? = nil, season: String? = nil) {
        self.id = id
        self.category = category
        self.title = title
        self.language = language
        self.subject = subject
        self.season = season
    }

    func check(path: String) throws(BundleError) {
        guard Clip.isWellFormedID(id) else { throw BundleError(.malformed, "`\(path)`: `\(id)` is not a clip id") }
        guard ClipCategory(rawValue: category) != nil else {
            throw BundleError(
                .malformed, "`\(path)`: unknown category `\(category)`; expected one of "
                    + ClipCategory.allCases.map(\.rawValue).joined(separator: ", "))
        }
        guard (1...200).contains(title.count) else { throw BundleError(.malformed, "`\(path)`: the title must be 1 to 200 characters") }
        if let season, ClipSeason(rawValue: season) == nil {
            throw BundleError(.malformed, "`\(path)`: season must be all, spring, summer, autumn or winter")
        }
        if let subject, !Clip.tipSubjects.contains(subject) {
            throw BundleError(.malformed, "`\(path)`: unknown subject `\(subject)`; expected one of " + Clip.tipSubjects.joined(separator: ", "))
        }
        if (category == "tip") != (subject != nil) {
            throw BundleError(.malformed, "`\(path)`: a tip has a subject, and only a tip")
        }
    }
}
