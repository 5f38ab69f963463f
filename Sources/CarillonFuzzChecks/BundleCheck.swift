import CarillonBundle
import CarillonCore
import CarillonCrypto
import Foundation

/// Any bytes as a bundle file, read and verified as a school does (`BundleArchive.parse`, then
/// `verify` against one trusted key). A mutated manifest never carries a good signature, so each
/// parsed bundle is also re-signed with the fixed key and verified again: that reaches the expiry,
/// school, version and part-hash checks, and the parts' own parsers, for any manifest.
enum BundleCheck {
    static func run(_ input: [UInt8]) throws(FuzzFinding) {
        let data = Data(input)
        guard let archive = try? BundleArchive.parse(data) else { return }
        _ = archive.digest
        guard let key else { throw FuzzFinding("the fixed Ed25519 key does not load") }
        verify(archive, key)
        // The same bundle with the manifest signed by the trusted key: the parts follow the signature line.
        guard let signature = try? key.signature(for: archive.manifestBytes),
            let partsStart = partsOffset(data, manifestBytes: archive.manifestBytes.count)
        else { return }
        var resigned = Data("carillon-bundle 1\nmanifest \(archive.manifestBytes.count)\n".utf8)
        resigned += archive.manifestBytes
        resigned += Data("\nsignature ed25519 \(signature.base64EncodedString())\n".utf8)
        resigned += data[partsStart...]
        guard let again = try? BundleArchive.parse(resigned) else {
            throw FuzzFinding("a bundle that parsed no longer parses once re-signed")
        }
        guard verify(again, key) else { return }
        for (index, part) in again.manifest.parts.enumerated() {
            let bytes = Array(again.contents(of: index))
            switch part.kind {
            case .schedule: _ = try? Schedule.parse(bytes, file: part.path)
            case .plan: _ = try? Plan.parse(bytes, file: part.path, name: part.planName ?? "", context: PlanContext())
            case .clip:
                guard bytes.count == part.size else { throw FuzzFinding("part \(index) holds \(bytes.count) bytes, not \(part.size)") }
            }
        }
    }

    /// The bureau's key, fixed so the seed corpus (fuzz/make-seeds.py) can sign with it: 32 bytes 1…32.
    private static let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: Data(1...32))
    private static let now = Date(timeIntervalSince1970: 1_800_000_000)

    @discardableResult
    private static func verify(_ archive: BundleArchive, _ key: Curve25519.Signing.PrivateKey) -> Bool {
        do {
            try archive.verify(trusting: [key.publicKey], school: "sz-0001", now: now, floor: 7)
            return true
        } catch {
            _ = error.description
            return false
        }
    }

    /// Where the parts begin: after the header, the manifest and the signature line.
    private static func partsOffset(_ data: Data, manifestBytes: Int) -> Data.Index? {
        let header = "carillon-bundle 1\nmanifest \(manifestBytes)\n".utf8.count
        guard header + manifestBytes + 1 <= data.count else { return nil }
        let signatureLine = data.index(data.startIndex, offsetBy: header + manifestBytes + 1)
        guard let newline = data[signatureLine...].firstIndex(of: 0x0A) else { return nil }
        return newline + 1
    }
}
