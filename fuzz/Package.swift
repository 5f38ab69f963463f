// swift-tools-version: 6.1
import PackageDescription

// libFuzzer targets for Carillon's parsers and checks: `make fuzz` builds them with
// `-sanitize=fuzzer,address` and runs each for a bounded time. Not part of `make test` or CI.
// Each target exports `LLVMFuzzerTestOneInput` and a `<Module>_main` that runs libFuzzer's driver.
let fuzzTargets: [(product: String, target: String)] = [
    ("fuzz-protocol", "FuzzProtocol"),
    ("fuzz-toml", "FuzzTOML"),
    ("fuzz-schedule", "FuzzSchedule"),
    ("fuzz-plan", "FuzzPlan"),
    ("fuzz-bundle", "FuzzBundle"),
    ("fuzz-audio", "FuzzAudio"),
    ("fuzz-lines", "FuzzLines"),
]

let package = Package(
    name: "CarillonFuzz",
    platforms: [.macOS(.v15)],
    products: fuzzTargets.map { .executable(name: $0.product, targets: [$0.target]) },
    dependencies: [
        .package(name: "Carillon", path: ".."),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [.target(name: "CLibFuzzer")]
        + fuzzTargets.map {
            .executableTarget(
                name: $0.target,
                dependencies: ["CLibFuzzer", .product(name: "CarillonParsers", package: "Carillon")]
                    // The line framing runs in a NIO pipeline: an EmbeddedChannel stands in for the socket.
                    + ($0.target == "FuzzLines" ? [.product(name: "NIOEmbedded", package: "swift-nio")] : []))
        },
    swiftLanguageModes: [.v6]
)
