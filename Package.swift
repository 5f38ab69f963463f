// swift-tools-version: 6.1
import PackageDescription

/// Every Carillon target uses the same strictness: imports that leak into an API are `public import`.
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Carillon",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "carillond", targets: ["carillond"]),
        .executable(name: "carillon", targets: ["carillon"]),
        // The parsers and checks, and the control line framing, for the fuzzing package in fuzz/ (make fuzz).
        .library(
            name: "CarillonParsers",
            targets: [
                "CarillonTOML", "CarillonCore", "CarillonProtocol", "CarillonCrypto", "CarillonBundle", "CarillonCity", "CarillonAudio",
                "CarillonLoudness", "CarillonControl", "CarillonSpeech", "CarillonFuzzChecks",
            ]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        // The phone console's HTTPS and WebSocket server; without swift-configuration (no traits).
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
    ],
    targets: [
        // C libraries, from Debian's -dev packages.
        .systemLibrary(name: "CALSA", pkgConfig: "alsa", providers: [.apt(["libasound2-dev"])]),
        .systemLibrary(name: "CSndFile", pkgConfig: "sndfile", providers: [.apt(["libsndfile1-dev"])]),
        // Linux calls the Glibc module leaves out; a C target, so _GNU_SOURCE stays inside shim.c.
        .target(name: "CLinux"),
        .systemLibrary(name: "CSoxr", pkgConfig: "soxr", providers: [.apt(["libsoxr-dev"])]),
        .systemLibrary(name: "CEspeakNG", pkgConfig: "espeak-ng", providers: [.apt(["libespeak-ng-dev"])]),
        .systemLibrary(name: "CEbur128", pkgConfig: "libebur128", providers: [.apt(["libebur128-dev"])]),
        .systemLibrary(name: "CICal", pkgConfig: "libical", providers: [.apt(["libical-dev"])]),
        .systemLibrary(name: "COpus", pkgConfig: "opus", providers: [.apt(["libopus-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CMosquitto", pkgConfig: "libmosquitto", providers: [.apt(["libmosquitto-dev"])]),
        // The pairing link's QR code in the terminal.
        .systemLibrary(name: "CQREncode", pkgConfig: "libqrencode", providers: [.apt(["libqrencode-dev"])]),

        .target(name: "CarillonTOML", swiftSettings: strict),
        .target(name: "CarillonCrypto", dependencies: ["COpenSSL"], swiftSettings: strict),
        .target(name: "CarillonCore", dependencies: ["CarillonTOML"], swiftSettings: strict),
        .target(name: "CarillonSynth", swiftSettings: strict),
        .target(
            name: "CarillonSpeech", dependencies: ["CEspeakNG", "CarillonCrypto"],
            swiftSettings: strict),
        .target(name: "CarillonLoudness", dependencies: ["CEbur128"], swiftSettings: strict),
        .target(name: "CarillonCalendar", dependencies: ["CarillonCore", "CICal"], swiftSettings: strict),
        .target(
            name: "CarillonAudio",
            dependencies: ["CarillonCore", "CarillonSynth", "CALSA", "CSndFile", "CSoxr", "COpus"],
            swiftSettings: strict
        ),
        .target(
            name: "CarillonStore",
            dependencies: ["CarillonCore", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict
        ),
        .target(name: "CarillonProtocol", dependencies: ["CarillonCore"], swiftSettings: strict),
        // The city link's pure parts: the signed alert, its checks, the topics, the countdown, the backoff.
        .target(name: "CarillonCity", dependencies: ["CarillonCore", "CarillonCrypto", "CarillonBundle"], swiftSettings: strict),
        .target(
            name: "CarillonBundle", dependencies: ["CarillonCore", "CarillonCrypto"],
            swiftSettings: strict),
        .target(
            name: "CarillonControl",
            dependencies: [
                "CarillonProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                "CarillonCrypto",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The city link: MQTT to the bureau's broker, into the same command table as the control socket.
        .target(
            name: "CarillonLink",
            dependencies: [
                "CMosquitto", "CarillonCity", "CarillonControl", "CarillonProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // The phone console: HTTPS and a WebSocket in front of the same command table as the control socket.
        .target(
            name: "CarillonWeb",
            dependencies: [
                "CarillonControl", "CarillonProtocol", "CarillonCrypto",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "CarillonStation",
            dependencies: [
                "CarillonCore", "CarillonAudio", "CarillonStore", "CarillonProtocol", "CarillonControl",
                "CarillonTOML", "CarillonSynth", "CarillonSpeech", "CarillonLoudness", "CLinux", "CarillonCalendar",
                "CarillonBundle",
                "CarillonCrypto", "CarillonCity", "CarillonLink", "CarillonWeb",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "carillond",
            dependencies: [
                "CarillonStation",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "carillon",
            dependencies: [
                "CarillonProtocol", "CarillonControl", "CarillonCore", "CarillonCalendar", "CarillonAudio",
                "CarillonSpeech", "CarillonTOML", "CarillonBundle",
                "CarillonCrypto", "CarillonCity", "CarillonLink", "CQREncode",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),

        // What each fuzz target checks: the executables in fuzz/ and the corpus replay in make test share it.
        .target(
            name: "CarillonFuzzChecks",
            dependencies: [
                "CarillonTOML", "CarillonCore", "CarillonProtocol", "CarillonCrypto", "CarillonBundle", "CarillonAudio",
                "CarillonLoudness", "CarillonControl", "CarillonSpeech", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: strict),

        // The benchmark harness: measures a real daemon from outside (make bench).
        .executableTarget(
            name: "carillon-bench",
            dependencies: ["CarillonTesting", "CarillonAudio"],
            path: "benchmarks/Sources/CarillonBench",
            swiftSettings: strict),
        // The city link under load: simulated schools on libmosquitto beside real daemons (`make bench-city`).
        .executableTarget(
            name: "carillon-city-bench",
            dependencies: ["CarillonTesting", "CMosquitto", "CarillonCity", "CarillonBundle", "CarillonCrypto", "CarillonLink"],
            path: "benchmarks/Sources/CityBench",
            swiftSettings: strict),

        // Shared harnesses for the tests: capture PCMs, a daemon runner, signal analysis.
        .target(name: "CarillonTesting", dependencies: ["CarillonCore"], path: "Tests/CarillonTesting", swiftSettings: strict),
        .testTarget(name: "CarillonTOMLTests", dependencies: ["CarillonTOML"], swiftSettings: strict),
        .testTarget(name: "CarillonSynthTests", dependencies: ["CarillonSynth"], swiftSettings: strict),
        .testTarget(name: "CarillonSpeechTests", dependencies: ["CarillonSpeech", "CarillonTesting"], exclude: ["Data"], swiftSettings: strict),
        .testTarget(name: "CarillonLoudnessTests", dependencies: ["CarillonLoudness"], swiftSettings: strict),
        .testTarget(name: "CarillonCalendarTests", dependencies: ["CarillonCalendar", "CarillonCore", "CarillonTOML"], swiftSettings: strict),
        .testTarget(name: "CarillonCoreTests", dependencies: ["CarillonCore", "CarillonTOML", "CarillonTesting"], swiftSettings: strict),
        .testTarget(
            name: "CarillonAudioTests", dependencies: ["CarillonAudio", "CarillonTesting", "CSndFile", "COpus"], swiftSettings: strict),
        .testTarget(
            name: "CarillonStoreTests",
            dependencies: ["CarillonStore", "CarillonCore", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict),
        .testTarget(
            name: "CarillonBundleTests",
            dependencies: ["CarillonBundle", "CarillonCrypto"], swiftSettings: strict),
        .testTarget(
            name: "CarillonCityTests", dependencies: ["CarillonCity", "CarillonCrypto", "CarillonBundle"], swiftSettings: strict),
        .testTarget(name: "CarillonFuzzChecksTests", dependencies: ["CarillonFuzzChecks"], swiftSettings: strict),
        .testTarget(name: "CarillonProtocolTests", dependencies: ["CarillonProtocol", "CarillonCore"], swiftSettings: strict),
        .testTarget(
            name: "CarillonControlTests",
            dependencies: [
                "CarillonControl", "CarillonProtocol", "CarillonTesting",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CarillonStationTests",
            dependencies: [
                "CarillonStation", "CarillonTesting", "CarillonAudio", "CarillonCore", "CarillonTOML", "CarillonStore",
                "CarillonProtocol", "CarillonControl", "CarillonSpeech", "CarillonCity", "CarillonWeb",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "CarillonTesting", "CarillonProtocol", "CarillonControl", "CarillonLoudness", "CarillonBundle",
                "CarillonCrypto", "CarillonCity", "CarillonLink",
            ],
            swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)
