import CarillonCrypto
import Foundation
import Testing

/// CarillonCrypto against published vectors: FIPS 180-2 for SHA-256, RFC 8032 §7.1 for Ed25519.
@Suite("SHA-256 and Ed25519 over libcrypto")
struct CryptoTests {
    static func bytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            out.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return out
    }

    static func hex<S: Sequence<UInt8>>(_ bytes: S) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    @Test("SHA-256 of the FIPS vectors, at once and in pieces")
    func sha256() {
        #expect(Self.hex(SHA256.hash(data: [UInt8]())) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Self.hex(SHA256.hash(data: Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let long = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        var pieces = SHA256()
        for chunk in stride(from: 0, to: long.count, by: 7) { pieces.update(data: long[chunk..<min(chunk + 7, long.count)]) }
        #expect(Self.hex(pieces.finalize()) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test("Ed25519: RFC 8032 test 1 signs and verifies; a changed message, signature or key does not verify")
    func ed25519() throws {
        let key = try Curve25519.Signing.PrivateKey(
            rawRepresentation: Self.bytes("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"))
        #expect(Self.hex(key.publicKey.rawRepresentation) == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        let signature = try key.signature(for: [UInt8]())
        #expect(
            Self.hex(signature)
                == "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")
        #expect(key.publicKey.isValidSignature(signature, for: [UInt8]()))
        #expect(!key.publicKey.isValidSignature(signature, for: [0]))
        var bent = signature
        bent[5] ^= 1
        #expect(!key.publicKey.isValidSignature(bent, for: [UInt8]()))
        #expect(!key.publicKey.isValidSignature(signature.prefix(63), for: [UInt8]()))
        let other = Curve25519.Signing.PrivateKey()
        #expect(other.rawRepresentation != key.rawRepresentation)
        #expect(!other.publicKey.isValidSignature(signature, for: [UInt8]()))
        #expect(throws: CryptoError.self) { try Curve25519.Signing.PublicKey(rawRepresentation: [UInt8](repeating: 1, count: 31)) }
        #expect(throws: CryptoError.self) { try Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: 1, count: 33)) }
    }
}
