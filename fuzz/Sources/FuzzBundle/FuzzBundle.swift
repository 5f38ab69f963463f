import CLibFuzzer
import CarillonBundle
import CarillonCore
import CarillonCrypto
import Foundation

/// Any bytes as a bundle file, read and verified as a school does (`BundleArchive.parse`, then
/// `verify` against one trusted key). A mutated manifest never carries a good signature, so each
/// parsed bundle is also re-signed with the fixed key and verified again: that reaches the expiry,
/// school, version and part-hash checks, and the parts' own parsers, for any manifest.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = Data(UnsafeBufferPointer(start: start, count: count))
    guard let archive = try? BundleArchive.parse(data) else { return 0 }
    _ = archive.digest
    verify(archive)
    // The same bundle with the manifest signed by the trusted key: the parts follow the signature line.
    guard let signature = try? key.signature(for: archive.manifestBytes),
        let partsStart = partsOffset(data, manifestBytes: archive.manifestBytes.count)
    else { return 0 }
    var resigned = Data("carillon-bundle 1\nmanifest \(archive.manifestBytes.count)\n".utf8)
    resigned += archive.manifestBytes
    resigned += Data("\nsignature ed25519 \(signature.base64EncodedString())\n".utf8)
    resigned += data[partsStart...]
    guard let again = try? BundleArchive.parse(resigned) else {
        fatalError("a bundle that parsed no longer parses once re-signed")
    }
    if verify(again) {
        for (index, part) in again.manifest.parts.enumerated() {
            let bytes = Array(again.contents(of: index))
            switch part.kind {
            case .schedule: _ = try? Schedule.parse(bytes, file: part.path)
            case .plan: _ = try? Plan.parse(bytes, file: part.path, name: part.planName ?? "", context: PlanContext())
            case .clip: precondition(bytes.count == part.size)
            }
        }
    }
    return 0
}

/// The bureau's key, fixed so the seed corpus (fuzz/make-seeds.py) can sign with it: 32 bytes 1…32.
// libFuzzer calls the target from one thread.
nonisolated(unsafe) private let key = try! Curve25519.Signing.PrivateKey(rawRepresentation: Data(1...32))
private let now = Date(timeIntervalSince1970: 1_800_000_000)

@discardableResult
private func verify(_ archive: BundleArchive) -> Bool {
    do {
        try archive.verify(trusting: [key.publicKey], school: "sz-0001", now: now, floor: 7)
        return true
    } catch {
        _ = error.description
        return false
    }
}

/// Where the parts begin: after the header, the manifest and the signature line.
private func partsOffset(_ data: Data, manifestBytes: Int) -> Data.Index? {
    let header = "carillon-bundle 1\nmanifest \(manifestBytes)\n".utf8.count
    let signatureLine = data.index(data.startIndex, offsetBy: header + manifestBytes + 1)
    guard let newline = data[signatureLine...].firstIndex(of: 0x0A) else { return nil }
    return newline + 1
}

/// The executable's entry: SwiftPM links `main` to `FuzzBundle_main`; libFuzzer parses the arguments.
@_cdecl("FuzzBundle_main")
public func run(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzz)
}
