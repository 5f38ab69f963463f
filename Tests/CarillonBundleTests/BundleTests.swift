import CarillonBundle
import CarillonCrypto
import Foundation
import Testing

/// A small bundle to refuse in every way: a schedule, a plan and a clip, signed by `key`.
struct Fixture {
    let key = BundleKey.generate()
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let schedule = Data("version = 8\ntimezone = \"Asia/Shanghai\"\n".utf8)
    let plan = Data("title = \"fire\"\n".utf8)
    let clip = Data((0..<64).map { UInt8($0) })

    func parts(
        clipPath: String = "clips/tip.outdoor.swim-01.wav", planPath: String = "plans/fire.toml"
    ) -> [(part: BundlePart, bytes: Data)] {
        [
            (BundlePart(kind: .schedule, path: "schedule.toml", size: 0, sha256: ""), schedule),
            (BundlePart(kind: .plan, path: planPath, size: 0, sha256: ""), plan),
            (
                BundlePart(
                    kind: .clip, path: clipPath, size: 0, sha256: "",
                    clip: BundleClip(id: "tip.outdoor.swim-01", category: "tip", title: "防溺水", subject: "outdoor", season: "summer")),
                clip
            ),
        ]
    }

    func build(version: Int = 8, schools: [String] = ["*"], expiresIn: TimeInterval = 86400, signer: Curve25519.Signing.PrivateKey? = nil)
        throws -> Data
    {
        try BundleArchive.build(
            version: version, issuedAt: now, expiresAt: now.addingTimeInterval(expiresIn), schools: schools, parts: parts(),
            key: signer ?? key)
    }

    func verify(_ data: Data, school: String? = "sz-0001", floor: Int? = 7, at: Date? = nil) throws(BundleError) {
        try BundleArchive.parse(data).verify(trusting: [key.publicKey], school: school, now: at ?? now, floor: floor)
    }
}

func refusal(_ body: () throws(BundleError) -> Void) -> BundleError.Code? {
    do throws(BundleError) {
        try body()
        return nil
    } catch { return error.code }
}

@Suite struct BundleTests {
    let f = Fixture()

    @Test func aGoodBundleVerifiesAndGivesBackItsParts() throws {
        let data = try f.build()
        try f.verify(data)
        let archive = try BundleArchive.parse(data)
        #expect(archive.manifest.version == 8)
        #expect(archive.manifest.parts.map(\.path) == ["schedule.toml", "plans/fire.toml", "clips/tip.outdoor.swim-01.wav"])
        #expect(archive.contents(of: 0) == f.schedule)
        #expect(archive.contents(of: 1) == f.plan)
        #expect(archive.contents(of: 2) == f.clip)
        #expect(archive.manifest.parts[1].planName == "fire")
        #expect(archive.digest.count == 64)
    }

    @Test func everySingleByteChangeIsRefused() throws {
        let data = try f.build()
        var accepted: [Int] = []
        for index in data.indices {
            for flip: UInt8 in [0x01, 0x80] {
                var changed = data
                changed[index] ^= flip
                if refusal({ () throws(BundleError) in try f.verify(changed) }) == nil { accepted.append(index) }
            }
        }
        #expect(accepted.isEmpty, "bytes changed without refusal at \(accepted)")
    }

    @Test func truncationAndTrailingBytesAreRefused() throws {
        let data = try f.build()
        #expect(refusal { () throws(BundleError) in try f.verify(data.dropLast()) } == .malformed)
        #expect(refusal { () throws(BundleError) in try f.verify(data + Data([0])) } == .malformed)
        #expect(refusal { () throws(BundleError) in try f.verify(Data()) } == .malformed)
        #expect(refusal { () throws(BundleError) in try f.verify(Data("carillon-bundle 1\nmanifest 99999999999\n".utf8)) } == .malformed)
    }

    @Test func anUnknownKeyIsRefused() throws {
        let data = try f.build(signer: BundleKey.generate())
        #expect(refusal { () throws(BundleError) in try f.verify(data) } == .unknownKey)
    }

    @Test func aSignatureByAnotherKeyUnderATrustedKeysNameIsRefused() throws {
        // A forger copies the trusted key's id into a manifest signed with their own key.
        let forger = BundleKey.generate()
        let honest = try BundleArchive.parse(try f.build())
        var manifest = honest.manifest
        manifest.version = 99
        let bytes = manifest.encoded()
        let signature = try forger.signature(for: bytes)
        var forged = Data("carillon-bundle 1\nmanifest \(bytes.count)\n".utf8) + bytes
        forged += Data("\nsignature ed25519 \(signature.base64EncodedString())\n".utf8)
        forged += f.schedule + f.plan + f.clip
        #expect(refusal { () throws(BundleError) in try f.verify(forged) } == .badSignature)
    }

    @Test func aMissingSignatureIsRefused() throws {
        let text = String(decoding: try f.build(), as: UTF8.self)
        let unsigned = text.replacingOccurrences(of: #"signature ed25519 [A-Za-z0-9+/=]+"#, with: "signature ed25519 ", options: .regularExpression)
        #expect(refusal { () throws(BundleError) in try f.verify(Data(unsigned.utf8)) } == .malformed)
    }

    @Test func anExpiredBundleIsRefusedFromItsExpiryOn() throws {
        let data = try f.build(expiresIn: 3600)
        try f.verify(data, at: f.now.addingTimeInterval(3599))
        #expect(refusal { () throws(BundleError) in try f.verify(data, at: f.now.addingTimeInterval(3600)) } == .expired)
    }

    @Test func anotherSchoolsBundleIsRefused() throws {
        let data = try f.build(schools: ["sz-0002", "sz-0003"])
        #expect(refusal { () throws(BundleError) in try f.verify(data, school: "sz-0001") } == .wrongSchool)
        try f.verify(data, school: "sz-0003")
    }

    @Test func aVersionAtOrBelowTheFloorIsRefused() throws {
        let data = try f.build(version: 8)
        #expect(refusal { () throws(BundleError) in try f.verify(data, floor: 8) } == .staleVersion)
        #expect(refusal { () throws(BundleError) in try f.verify(data, floor: 12) } == .staleVersion)
        try f.verify(data, floor: 7)
    }

    @Test(arguments: [
        ("clips/../../etc/passwd.wav", BundlePart.Kind.clip), ("/etc/cron.d/x.toml", .plan), ("plans/../schedule.toml", .plan),
        ("plans/.hidden.toml", .plan), ("plans/sub/fire.toml", .plan), ("clips/a.exe", .clip), ("schedule2.toml", .schedule),
        ("clips\\..\\a.wav", .clip), ("plans//fire.toml", .plan),
    ])
    func pathsOutsideTheirPlaceAreRefusedAtSigningAndReading(path: String, kind: BundlePart.Kind) throws {
        let part = BundlePart(
            kind: kind, path: path, size: 0, sha256: "",
            clip: kind == .clip ? BundleClip(id: "bell.x", category: "bell", title: "x") : nil)
        let signing = refusal { () throws(BundleError) in
            _ = try BundleArchive.build(
                version: 8, issuedAt: f.now, expiresAt: f.now.addingTimeInterval(60), schools: ["*"], parts: [(part, Data("x".utf8))],
                key: f.key)
        }
        #expect(signing == .unsafePath)
        // A hand-made manifest is read with the same rules, before any signature is looked at.
        var listed = part
        listed.size = 1
        listed.sha256 = String(repeating: "0", count: 64)
        let manifest = BundleManifest(
            version: 8, issuedAt: f.now, expiresAt: f.now.addingTimeInterval(60), schools: ["*"],
            key: BundleKey.id(of: f.key.publicKey), parts: [listed]
        ).encoded()
        let signature = try f.key.signature(for: manifest)
        let data =
            Data("carillon-bundle 1\nmanifest \(manifest.count)\n".utf8) + manifest
            + Data("\nsignature ed25519 \(signature.base64EncodedString())\nx".utf8)
        #expect(refusal { () throws(BundleError) in try f.verify(data) } == .unsafePath)
    }

    @Test func aManifestThatDoesNotHoldIsRefused() throws {
        let bad: [(String, (inout BundleManifest) -> Void)] = [
            ("format", { $0.format = 2 }), ("version", { $0.version = 0 }),
            ("expiry", { $0.expiresAt = $0.issuedAt }), ("no schools", { $0.schools = [] }),
            ("star with others", { $0.schools = ["*", "a"] }), ("bad school", { $0.schools = ["a b"] }),
            ("no parts", { $0.parts = [] }), ("two schedules", { $0.parts.append($0.parts[0]) }),
            ("bad hash", { $0.parts[0].sha256 = "ABC" }),
            ("clip without description", { $0.parts[2].clip = nil }),
            ("plan with description", { $0.parts[1].clip = $0.parts[2].clip }),
            ("bad category", { $0.parts[2].clip?.category = "music" }),
            ("tip without subject", { $0.parts[2].clip?.subject = nil }),
            ("bad clip id", { $0.parts[2].clip?.id = "Tip X" }),
            ("huge plan", { $0.parts[1].size = BundlePart.maxTextBytes + 1 }),
        ]
        let archive = try BundleArchive.parse(try f.build())
        for (name, change) in bad {
            var manifest = archive.manifest
            change(&manifest)
            let bytes = manifest.encoded()
            let signature = try f.key.signature(for: bytes)
            let data =
                Data("carillon-bundle 1\nmanifest \(bytes.count)\n".utf8) + bytes
                + Data("\nsignature ed25519 \(signature.base64EncodedString())\n".utf8) + f.schedule + f.plan + f.clip
            let code = refusal { () throws(BundleError) in try f.verify(data) }
            #expect(code == .malformed, "\(name): \(String(describing: code))")
        }
    }

    @Test func keysRoundTripThroughPEMAsOpenSSLWritesThem() throws {
        let key = BundleKey.generate()
        let again = try BundleKey.privateKey(pem: BundleKey.pem(key))
        #expect(again.rawRepresentation == key.rawRepresentation)
        let pub = try BundleKey.publicKey(pem: BundleKey.pem(key.publicKey))
        #expect(pub.rawRepresentation == key.publicKey.rawRepresentation)
        // The private PEM is not a public key, nor the reverse.
        #expect(refusal { () throws(BundleError) in _ = try BundleKey.publicKey(pem: BundleKey.pem(key)) } == .malformed)
        #expect(refusal { () throws(BundleError) in _ = try BundleKey.privateKey(pem: BundleKey.pem(key.publicKey)) } == .malformed)
        #expect(BundleKey.id(of: key.publicKey).count == 16)
    }
}

/// The format is enough to write a bundle with other tools: OpenSSL makes the key and signs the
/// manifest, the shell assembles the file, and the school accepts it.
@Suite struct OpenSSLInteropTests {
    @Test func aBundleMadeWithOpenSSLAndTheShellVerifies() throws {
        let directory = NSTemporaryDirectory() + "carillon-openssl-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let plan = "title = \"防汛\"\n"
        try plan.write(toFile: directory + "/flood.toml", atomically: true, encoding: .utf8)
        let script = """
            set -e
            cd "$1"
            openssl genpkey -algorithm ed25519 -out key.pem
            openssl pkey -in key.pem -pubout -out pub.pem
            id=$(openssl pkey -pubin -in pub.pem -outform DER | tail -c 32 | sha256sum | cut -c1-16)
            size=$(stat -c %s flood.toml)
            hash=$(sha256sum flood.toml | cut -c1-64)
            printf '{"format":1,"version":3,"issued_at":"2026-01-01T00:00:00Z","expires_at":"2099-01-01T00:00:00Z","schools":["*"],"key":"%s","parts":[{"kind":"plan","path":"plans/flood.toml","size":%s,"sha256":"%s"}]}' "$id" "$size" "$hash" > manifest.json
            sig=$(openssl pkeyutl -sign -inkey key.pem -rawin -in manifest.json | base64 -w0)
            { printf 'carillon-bundle 1\\nmanifest %s\\n' "$(stat -c %s manifest.json)"; cat manifest.json
              printf '\\nsignature ed25519 %s\\n' "$sig"; cat flood.toml; } > made.bundle
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script, "sh", directory]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let key = try BundleKey.publicKey(pem: String(contentsOfFile: directory + "/pub.pem", encoding: .utf8))
        let archive = try BundleArchive.parse(Data(contentsOf: URL(fileURLWithPath: directory + "/made.bundle")))
        try archive.verify(trusting: [key], school: "sz-0001", now: Date(), floor: 2)
        #expect(archive.manifest.parts.first?.planName == "flood")
        #expect(String(decoding: archive.contents(of: 0), as: UTF8.self) == plan)
    }
}
