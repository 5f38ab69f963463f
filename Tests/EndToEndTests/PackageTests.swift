import CarillonTesting
import Foundation
import Testing

/// The Debian package `make deb` built, which `make test` names in CARILLON_DEB and tests on its own,
/// after the other groups (installing it is heavy on the disk and the CPU). Without CARILLON_DEB
/// (a plain `swift test`) these tests are skipped.
@Suite("the Debian package", .serialized, .ownThread)
struct PackageTests {
    static let deb = ProcessInfo.processInfo.environment["CARILLON_DEB"]
    static let plans = (try? FileManager.default.contentsOfDirectory(atPath: InstallTests.root + "/config/plans"))?
        .filter { $0.hasSuffix(".toml") }.count ?? 0

    private func field(_ name: String, _ deb: String) throws -> String {
        let result = try run("/usr/bin/dpkg-deb", ["--field", deb, name])
        try #require(result.status == 0, "\(result.stderr)")
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("depends on Debian's shared libraries, the voices and sysusers, and on no Swift runtime",
          .enabled(if: deb != nil, "make test builds the package and names it in CARILLON_DEB"))
    func dependencies() throws {
        let deb = try #require(Self.deb)
        let depends = try field("Depends", deb)
        for package in [
            "libasound2", "libsndfile1", "libsqlite3-0", "libsoxr0", "libebur128-1", "libical3", "libopus0", "libssl3",
            "libespeak-ng1", "espeak-ng-data", "libc6", "systemd",
        ] {
            #expect(depends.contains(package), "Depends: \(depends) lacks \(package)")
        }
        #expect(!depends.lowercased().contains("swift"), "Depends: \(depends)")
        let contents = try run("/usr/bin/dpkg-deb", ["--contents", deb])
        #expect(!contents.stdout.contains("libswift"), "the package ships no Swift runtime: it is linked in")
        #expect(contents.stdout.contains("./etc/carillon/plans/"))
    }

    @Test("installs into a fresh root with apt, runs as carillon from the installed files with every plan, upgrades from the previous version keeping config, data and play log, and purges",
          .enabled(if: deb != nil, "make test builds the package and names it in CARILLON_DEB"),
          .enabled(if: getuid() == 0, "a mount namespace and chroot need root"),
          .timeLimit(.minutes(10)))
    func installUpgradePurge() throws {
        let deb = try #require(Self.deb)
        try #require(Self.plans > 0)
        let result = try run(InstallTests.root + "/Tests/package/install-test.sh", [deb, String(Self.plans)])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("plan list: \(Self.plans) plans"), "\(result.stdout)")
        #expect(result.stdout.contains("upgrade: config, owners, data and play log kept"), "\(result.stdout)")
        #expect(result.stdout.hasSuffix("PASS\n"), "\(result.stdout)\(result.stderr)")
    }
}
