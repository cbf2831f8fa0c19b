// swift-tools-version:6.1
// lbd: a load balancer for bare-metal networks.
//
// The dependency rule is visible here: LBKernel <- each plugin <- lbd. LBKernel holds the model, the role
// protocols, the allocator, the reconciler, configuration loading and the two built-in plugins (file source, log
// announcer); it opens no sockets. Plugins never import each other. lbd is the thin binary.
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "lbd",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "LBKernel", targets: ["LBKernel"]),
        .library(name: "LBKernelTestKit", targets: ["LBKernelTestKit"]),
        .executable(name: "lbd", targets: ["lbd"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
    ],
    targets: [
        .target(
            name: "LBKernel",
            dependencies: [
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "LBKernelTestKit",
            dependencies: [
                "LBKernel",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "lbd",
            dependencies: [
                "LBKernel",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // A benchmark executable: build it with `-c release` (see `make bench`); it prints one line per figure.
        .executableTarget(
            name: "lbd-bench",
            dependencies: ["LBKernel"],
            path: "Benchmarks/AllocatorBenchmark",
            swiftSettings: strictSettings
        ),
        // The complete custom announcer walked through in docs/writing-a-plugin.md.
        .executableTarget(
            name: "CustomAnnouncerExample",
            dependencies: [
                "LBKernel",
                "LBKernelTestKit",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            path: "Examples/CustomAnnouncer",
            swiftSettings: strictSettings
        ),
        // The kernel embedded in another Swift program, as docs/embedding.md shows.
        .executableTarget(
            name: "EmbeddingExample",
            dependencies: [
                "LBKernel",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            path: "Examples/Embedding",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "LBKernelTests",
            dependencies: [
                "LBKernel",
                "LBKernelTestKit",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "LBKernelTestKitTests",
            dependencies: ["LBKernel", "LBKernelTestKit"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "lbdTests",
            dependencies: ["LBKernel", "LBKernelTestKit"],
            swiftSettings: strictSettings
        ),
    ]
)
