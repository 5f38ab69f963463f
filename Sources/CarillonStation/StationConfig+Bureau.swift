import CarillonBundle
import CarillonTOML
import CarillonCrypto
public import Foundation

/// `[bureau]`: who this school is to the bureau, and whose bundles it accepts.
public struct BureauConfig: Sendable {
    /// This school's id, as bundles and schools.csv name it.
    public var school: String
    /// The public keys whose signatures the school accepts, raw; nothing else is trusted.
    public var keys: [Data]
    /// The key files, for `--check-config` and the log.
    public var keyFiles: [String]
}

extension StationConfig {
    /// Reads `[bureau]`: `school` and `keys` (PEM files of Ed25519 public keys), both required.
    static func parseBureau(_ table: inout TOMLReader, base: String, errors: inout Errors) -> BureauConfig? {
        let before = errors.list.count
        let school = errors.run { () throws(TOMLError) in
            let school = try table.requiredString("school")
            guard BundleManifest.isSchoolID(school) else {
                throw table.error("`bureau.school` must be 1 to 64 of A-Z, a-z, 0-9, `.`, `_`, `-`", at: "school")
            }
            return school
        }
        let keys = errors.run { () throws(TOMLError) -> [(file: String, key: Data)] in
            let files = try table.requiredStringArray("keys")
            guard !files.isEmpty else { throw table.error("`bureau.keys` lists no key; name the bureau's public key files", at: "keys") }
            return try files.map { name throws(TOMLError) in
                let file = resolve(name, base)
                guard let data = FileManager.default.contents(atPath: file) else {
                    throw table.error("cannot read the bureau key \(file)", at: "keys")
                }
                do throws(BundleError) {
                    return (file, try BundleKey.publicKey(pem: String(decoding: data, as: UTF8.self)).rawRepresentation)
                } catch {
                    throw table.error("\(file): \(error.message)", at: "keys")
                }
            }
        }
        guard errors.list.count == before, let school, let keys else { return nil }
        return BureauConfig(school: school, keys: keys.map(\.key), keyFiles: keys.map(\.file))
    }
}
