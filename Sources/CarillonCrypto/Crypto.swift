public import Foundation
import COpenSSL

// SHA-256 and Ed25519 from Debian's libcrypto (OpenSSL 3), with the names and shapes of
// swift-crypto's API that Carillon used. Why not swift-crypto: it compiles a second copy of
// BoringSSL (swift-nio-ssl has its own), about half of a clean release build here, and Debian
// patches libcrypto with the rest of the system.

/// SHA-256, at once or in pieces.
public struct SHA256: Sendable {
    private let context: DigestContext

    public init() {
        context = DigestContext()
    }

    /// Adds `data` to what is hashed.
    public mutating func update<D: DataProtocol>(data: D) {
        context.update(Array(data))
    }

    /// The digest of everything added; the hasher is spent afterwards.
    public func finalize() -> SHA256Digest { SHA256Digest(bytes: context.finish()) }

    /// The digest of `data`.
    public static func hash<D: DataProtocol>(data: D) -> SHA256Digest {
        var hasher = SHA256()
        hasher.update(data: data)
        return hasher.finalize()
    }
}

/// A SHA-256 digest: 32 bytes.
public struct SHA256Digest: Sendable, Hashable, RandomAccessCollection {
    let bytes: [UInt8]
    public var startIndex: Int { bytes.startIndex }
    public var endIndex: Int { bytes.endIndex }
    public subscript(position: Int) -> UInt8 { bytes[position] }
}

/// An OpenSSL digest context; a class so that it is freed once.
private final class DigestContext: @unchecked Sendable {
    // Confined to its SHA256 value, which is not shared across threads while hashing.
    private let context: OpaquePointer

    init() {
        // Allocation failure of a few bytes is not survivable anyway.
        context = EVP_MD_CTX_new()!
        precondition(EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1, "EVP_DigestInit_ex(sha256) failed")
    }

    deinit { EVP_MD_CTX_free(context) }

    func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            precondition(EVP_DigestUpdate(context, buffer.baseAddress, buffer.count) == 1, "EVP_DigestUpdate failed")
        }
    }

    func finish() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        precondition(EVP_DigestFinal_ex(context, &digest, &length) == 1, "EVP_DigestFinal_ex failed")
        return Array(digest.prefix(Int(length)))
    }
}

/// A key or signature that OpenSSL refused.
public struct CryptoError: Error, Sendable, CustomStringConvertible {
    public let description: String
}

/// Ed25519 signing keys (RFC 8032), as raw 32-byte values.
public enum Curve25519 {
    public enum Signing {
        /// An Ed25519 private key: its 32-byte seed.
        public struct PrivateKey: Sendable {
            /// Held as an array, not `Data`: a 32-byte `Data` is an enum case whose tag sits in the
            /// spare bits of its storage pointer, and LeakSanitizer, not seeing the pointer, reported
            /// a key held in a global as leaked (`make fuzz`, the bundle target).
            private let seed: [UInt8]

            public var rawRepresentation: Data { Data(seed) }

            /// A new random key, from OpenSSL's CSPRNG.
            public init() {
                var seed = [UInt8](repeating: 0, count: 32)
                precondition(RAND_bytes(&seed, 32) == 1, "RAND_bytes failed: no randomness for a new key")
                self.seed = seed
            }

            /// - Throws: `CryptoError` unless `rawRepresentation` is 32 bytes.
            public init<D: ContiguousBytes>(rawRepresentation: D) throws {
                let bytes = rawRepresentation.withUnsafeBytes { [UInt8]($0) }
                guard bytes.count == 32 else { throw CryptoError(description: "an Ed25519 private key is 32 bytes, not \(bytes.count)") }
                seed = bytes
            }

            public var publicKey: PublicKey {
                let key = Ed25519Key(privateSeed: rawRepresentation)!
                return PublicKey(checked: key.rawPublicKey())
            }

            /// The 64-byte signature of `data`.
            public func signature<D: DataProtocol>(for data: D) throws -> Data {
                guard let key = Ed25519Key(privateSeed: rawRepresentation), let signature = key.sign(Array(data)) else {
                    throw CryptoError(description: "OpenSSL could not sign with the Ed25519 key")
                }
                return signature
            }
        }

        /// An Ed25519 public key: 32 bytes.
        public struct PublicKey: Sendable {
            /// An array, for the reason `PrivateKey` gives.
            private let raw: [UInt8]

            public var rawRepresentation: Data { Data(raw) }

            init(checked raw: Data) { self.raw = [UInt8](raw) }

            /// - Throws: `CryptoError` unless `rawRepresentation` is a 32-byte key OpenSSL accepts.
            public init<D: ContiguousBytes>(rawRepresentation: D) throws {
                let bytes = rawRepresentation.withUnsafeBytes { Data($0) }
                guard bytes.count == 32, Ed25519Key(publicKey: bytes) != nil else {
                    throw CryptoError(description: "not an Ed25519 public key (\(bytes.count) bytes)")
                }
                raw = [UInt8](bytes)
            }

            /// Whether `signature` is this key's signature of `data`.
            public func isValidSignature<S: DataProtocol, D: DataProtocol>(_ signature: S, for data: D) -> Bool {
                let signature = Array(signature)
                guard signature.count == 64, let key = Ed25519Key(publicKey: rawRepresentation) else { return false }
                return key.verify(signature, Array(data))
            }
        }
    }
}

/// An OpenSSL EVP_PKEY holding an Ed25519 key, freed once.
private final class Ed25519Key {
    let key: OpaquePointer

    init?(privateSeed: Data) {
        guard let key = privateSeed.withUnsafeBytes({ raw in
            EVP_PKEY_new_raw_private_key(carillon_evp_pkey_ed25519(), nil, raw.bindMemory(to: UInt8.self).baseAddress, raw.count)
        }) else { return nil }
        self.key = key
    }

    init?(publicKey: Data) {
        guard let key = publicKey.withUnsafeBytes({ raw in
            EVP_PKEY_new_raw_public_key(carillon_evp_pkey_ed25519(), nil, raw.bindMemory(to: UInt8.self).baseAddress, raw.count)
        }) else { return nil }
        self.key = key
    }

    deinit { EVP_PKEY_free(key) }

    func rawPublicKey() -> Data {
        var raw = [UInt8](repeating: 0, count: 32)
        var length = raw.count
        precondition(EVP_PKEY_get_raw_public_key(key, &raw, &length) == 1 && length == 32, "EVP_PKEY_get_raw_public_key failed")
        return Data(raw)
    }

    func sign(_ message: [UInt8]) -> Data? {
        guard let context = EVP_MD_CTX_new() else { return nil }
        defer { EVP_MD_CTX_free(context) }
        // Ed25519 hashes internally: no digest is named, and the message goes in one call.
        guard EVP_DigestSignInit(context, nil, nil, nil, key) == 1 else { return nil }
        var signature = [UInt8](repeating: 0, count: 64)
        var length = signature.count
        guard EVP_DigestSign(context, &signature, &length, message, message.count) == 1, length == 64 else { return nil }
        return Data(signature)
    }

    func verify(_ signature: [UInt8], _ message: [UInt8]) -> Bool {
        guard let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestVerifyInit(context, nil, nil, nil, key) == 1 else { return false }
        return EVP_DigestVerify(context, signature, signature.count, message, message.count) == 1
    }
}
