public import CarillonCrypto
import Foundation

/// An Ed25519 key pair's files, in the PEM forms OpenSSL writes (`openssl genpkey -algorithm ed25519`):
/// PKCS #8 for the private key, SubjectPublicKeyInfo for the public one. So the bureau may make and
/// keep its keys with either tool.
public enum BundleKey {
    // The DER of both forms for Ed25519 is a fixed prefix followed by the 32 raw key bytes (RFC 8410).
    private static let privatePrefix: [UInt8] = [
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
    ]
    private static let publicPrefix: [UInt8] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]

    /// A new private key.
    public static func generate() -> Curve25519.Signing.PrivateKey { Curve25519.Signing.PrivateKey() }

    /// The private key as a `PRIVATE KEY` PEM block.
    public static func pem(_ key: Curve25519.Signing.PrivateKey) -> String {
        pem(label: "PRIVATE KEY", der: privatePrefix + Array(key.rawRepresentation))
    }

    /// The public key as a `PUBLIC KEY` PEM block.
    public static func pem(_ key: Curve25519.Signing.PublicKey) -> String {
        pem(label: "PUBLIC KEY", der: publicPrefix + Array(key.rawRepresentation))
    }

    /// Reads a private key from PEM text.
    public static func privateKey(pem text: String) throws(BundleError) -> Curve25519.Signing.PrivateKey {
        let raw = try rawKey(pem: text, label: "PRIVATE KEY", prefix: privatePrefix)
        do { return try Curve25519.Signing.PrivateKey(rawRepresentation: raw) } catch {
            throw BundleError(.malformed, "not an Ed25519 private key")
        }
    }

    /// Reads a public key from PEM text.
    public static func publicKey(pem text: String) throws(BundleError) -> Curve25519.Signing.PublicKey {
        let raw = try rawKey(pem: text, label: "PUBLIC KEY", prefix: publicPrefix)
        do { return try Curve25519.Signing.PublicKey(rawRepresentation: raw) } catch {
            throw BundleError(.malformed, "not an Ed25519 public key")
        }
    }

    /// A key's short name, as a manifest names its signer: the first 8 bytes of the SHA-256 of the
    /// raw public key, in hex.
    public static func id(of key: Curve25519.Signing.PublicKey) -> String {
        BundleArchive.hex(SHA256.hash(data: key.rawRepresentation).prefix(8))
    }

    private static func rawKey(pem text: String, label: String, prefix: [UInt8]) throws(BundleError) -> Data {
        let begin = "-----BEGIN \(label)-----"
        let end = "-----END \(label)-----"
        guard let start = text.range(of: begin), let stop = text.range(of: end, range: start.upperBound..<text.endIndex) else {
            throw BundleError(.malformed, "not a PEM `\(label)` block")
        }
        let body = text[start.upperBound..<stop.lowerBound].filter { !$0.isWhitespace }
        guard let der = Data(base64Encoded: String(body)), der.count == prefix.count + 32, Array(der.prefix(prefix.count)) == prefix
        else {
            throw BundleError(.malformed, "the `\(label)` is not an Ed25519 key")
        }
        return der.suffix(32)
    }

    private static func pem(label: String, der: [UInt8]) -> String {
        "-----BEGIN \(label)-----\n" + Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
            + "\n-----END \(label)-----\n"
    }
}
