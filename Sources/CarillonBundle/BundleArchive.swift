public import CarillonCrypto
public import Foundation

/// A bundle file: a short text header, the signed manifest, its Ed25519 signature, then the parts'
/// bytes back to back in manifest order. docs/BUNDLES.md specifies it byte for byte:
///
///     carillon-bundle 1\n
///     manifest <N>\n
///     <N bytes: the manifest JSON>\n
///     signature ed25519 <base64 of the 64-byte signature of those N bytes>\n
///     <part 1><part 2>…
public struct BundleArchive: Sendable {
    public let manifest: BundleManifest
    /// The manifest exactly as signed.
    public let manifestBytes: Data
    public let signature: Data
    /// The whole file; parts are slices of it.
    private let data: Data
    private let ranges: [Range<Int>]

    static let magic = "carillon-bundle 1\n"
    /// The largest manifest read: 4,096 parts fit in well under this.
    static let maxManifestBytes = 4 << 20

    /// The bytes of part `index`, as the manifest lists it.
    public func contents(of index: Int) -> Data { data.subdata(in: ranges[index]) }

    /// SHA-256 of the manifest bytes: names this exact bundle in the school's history.
    public var digest: String { Self.hex(SHA256.hash(data: manifestBytes)) }

    /// Reads a bundle's structure. Nothing is trusted yet: see `verify`.
    public static func parse(_ data: Data) throws(BundleError) -> BundleArchive {
        var cursor = data.startIndex
        func line(_ what: String, limit: Int = 200) throws(BundleError) -> String {
            let end = min(data.endIndex, cursor + limit)
            guard let newline = data[cursor..<end].firstIndex(of: 0x0A) else {
                throw BundleError(.malformed, "the \(what) line is missing or too long")
            }
            defer { cursor = newline + 1 }
            guard let text = String(data: data[cursor..<newline], encoding: .utf8) else {
                throw BundleError(.malformed, "the \(what) line is not text")
            }
            return text
        }
        guard data.starts(with: Data(magic.utf8)) else { throw BundleError(.malformed, "not a Carillon bundle (format 1)") }
        cursor += magic.utf8.count
        let header = try line("manifest").split(separator: " ")
        guard header.count == 2, header[0] == "manifest", let count = Int(header[1]), (1...maxManifestBytes).contains(count),
            String(count) == header[1]
        else { throw BundleError(.malformed, "expected `manifest <bytes>`") }
        guard data.endIndex - cursor > count, data[cursor + count] == 0x0A else {
            throw BundleError(.malformed, "the manifest is cut short")
        }
        let manifestBytes = data.subdata(in: cursor..<(cursor + count))
        cursor += count + 1
        let signatureLine = try line("signature").split(separator: " ")
        guard signatureLine.count == 3, signatureLine[0] == "signature", signatureLine[1] == "ed25519",
            let signature = Data(base64Encoded: String(signatureLine[2])), signature.count == 64,
            // Canonical only: unused low bits in the last character would make two texts of one signature.
            signature.base64EncodedString() == signatureLine[2]
        else { throw BundleError(.malformed, "expected `signature ed25519 <base64 of 64 bytes>`") }
        let manifest = try BundleManifest.decode(manifestBytes)
        var ranges: [Range<Int>] = []
        for part in manifest.parts {
            guard data.endIndex - cursor >= part.size else { throw BundleError(.malformed, "`\(part.path)` is cut short") }
            ranges.append(cursor..<(cursor + part.size))
            cursor += part.size
        }
        guard cursor == data.endIndex else {
            throw BundleError(.malformed, "\(data.endIndex - cursor) bytes follow the last part")
        }
        return BundleArchive(manifest: manifest, manifestBytes: manifestBytes, signature: signature, data: data, ranges: ranges)
    }

    /// Writes a bundle: the manifest lists `parts` with their sizes and hashes, and is signed with `key`.
    public static func build(
        version: Int, issuedAt: Date, expiresAt: Date, schools: [String], parts: [(part: BundlePart, bytes: Data)],
        key: Curve25519.Signing.PrivateKey
    ) throws(BundleError) -> Data {
        var listed: [BundlePart] = []
        for (part, bytes) in parts {
            var part = part
            part.size = bytes.count
            part.sha256 = hex(SHA256.hash(data: bytes))
            listed.append(part)
        }
        let manifest = BundleManifest(
            version: version, issuedAt: issuedAt, expiresAt: expiresAt, schools: schools,
            key: BundleKey.id(of: key.publicKey), parts: listed)
        try manifest.check()
        let manifestBytes = manifest.encoded()
        let signature: Data
        do { signature = try key.signature(for: manifestBytes) } catch {
            throw BundleError(.badSignature, "cannot sign: \(error)")
        }
        var out = Data(magic.utf8)
        out += Data("manifest \(manifestBytes.count)\n".utf8)
        out += manifestBytes
        out += Data("\nsignature ed25519 \(signature.base64EncodedString())\n".utf8)
        for (_, bytes) in parts { out += bytes }
        return out
    }

    /// Checks what a school checks before it looks at any part's content, in this order: the key is
    /// trusted, the signature holds, the bundle is current and addressed here, its version is new,
    /// and every part is the one signed.
    /// - Parameters:
    ///   - trusted: the public keys the school trusts.
    ///   - school: this school's id; nil skips the target check (the bureau's own `verify`).
    ///   - floor: the highest version the school holds; nil skips the version check.
    public func verify(
        trusting trusted: [Curve25519.Signing.PublicKey], school: String?, now: Date, floor: Int?
    ) throws(BundleError) {
        guard let key = trusted.first(where: { BundleKey.id(of: $0) == manifest.key }) else {
            throw BundleError(.unknownKey, "signed with key \(manifest.key), which is not trusted here")
        }
        guard key.isValidSignature(signature, for: manifestBytes) else {
            throw BundleError(.badSignature, "the signature does not match the manifest")
        }
        guard now < manifest.expiresAt else {
            throw BundleError(.expired, "it expired at \(manifest.expiresAt.ISO8601Format())")
        }
        if let school, !manifest.targets(school: school) {
            throw BundleError(.wrongSchool, "it is for \(manifest.schools.joined(separator: ", ")), not \(school)")
        }
        if let floor, manifest.version <= floor {
            throw BundleError(.staleVersion, "version \(manifest.version) is not above \(floor), which this school holds")
        }
        for (index, part) in manifest.parts.enumerated() {
            guard Self.hex(SHA256.hash(data: data[ranges[index]])) == part.sha256 else {
                throw BundleError(.badPart, "`\(part.path)` does not match its signed hash")
            }
        }
    }

    static func hex(_ digest: some Sequence<UInt8>) -> String { digest.map { String(format: "%02x", $0) }.joined() }
}
