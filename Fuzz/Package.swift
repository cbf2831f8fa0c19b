// swift-tools-version:6.1
// libFuzzer targets for lbd's BGP wire codec: a separate package, so that the main package's `swift build` never
// links libFuzzer (swift-feasibility.md §7, route B). See README.md for the commands.
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "lbd-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "lbd", path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
    ],
    targets: [
        // Declares libFuzzer's LLVMFuzzerRunDriver, which the executables call from their own main.
        .target(name: "CFuzzDriver"),
        // The checks both fuzzers run, also used by the main package's crasher replay test through the same code.
        .target(
            name: "WireFuzzing",
            dependencies: [
                .product(name: "BGPPlugin", package: "lbd"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // Decodes the input as a stream of messages with each combination of codec options; must never crash.
        .executableTarget(
            name: "fuzz-decode",
            dependencies: ["CFuzzDriver", "WireFuzzing"],
            path: "Sources/FuzzDecode",
            swiftSettings: strictSettings
        ),
        // Decodes, encodes and decodes again; the two decoded messages must be equal.
        .executableTarget(
            name: "fuzz-roundtrip",
            dependencies: ["CFuzzDriver", "WireFuzzing"],
            path: "Sources/FuzzRoundTrip",
            swiftSettings: strictSettings
        ),
    ]
)
