// swift-tools-version: 6.1
import PackageDescription

// libFuzzer targets for Carillon's parsers and checks: `make fuzz` builds them with
// `-sanitize=fuzzer,address` and runs each for a bounded time. Each target exports
// `LLVMFuzzerTestOneInput` and a `<Module>_main` that runs libFuzzer's driver; what it checks lives
// in the main package's CarillonFuzzChecks, which `make test` also feeds every corpus file.
let fuzzTargets: [(product: String, target: String)] = [
    ("fuzz-protocol", "FuzzProtocol"),
    ("fuzz-toml", "FuzzTOML"),
    ("fuzz-schedule", "FuzzSchedule"),
    ("fuzz-plan", "FuzzPlan"),
    ("fuzz-bundle", "FuzzBundle"),
    ("fuzz-audio", "FuzzAudio"),
    ("fuzz-lines", "FuzzLines"),
    ("fuzz-schools", "FuzzSchools"),
    ("fuzz-shout", "FuzzShout"),
    ("fuzz-wav", "FuzzWAV"),
    ("fuzz-speech", "FuzzSpeech"),
    ("fuzz-city", "FuzzCity"),
]

let package = Package(
    name: "CarillonFuzz",
    platforms: [.macOS(.v15)],
    products: fuzzTargets.map { .executable(name: $0.product, targets: [$0.target]) },
    dependencies: [.package(name: "Carillon", path: "..")],
    targets: [.target(name: "CLibFuzzer")]
        + fuzzTargets.map {
            .executableTarget(
                name: $0.target,
                dependencies: ["CLibFuzzer", .product(name: "CarillonParsers", package: "Carillon")])
        },
    swiftLanguageModes: [.v6]
)
