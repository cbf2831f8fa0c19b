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
        .library(name: "BGPPlugin", targets: ["BGPPlugin"]),
        .library(name: "Layer2Plugin", targets: ["Layer2Plugin"]),
        .library(name: "KubeSourcePlugin", targets: ["KubeSourcePlugin"]),
        .executable(name: "lbd", targets: ["lbd"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
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
        // The BGP speaker (`plugin: bgp`): Wire/ (codecs on ByteBuffer only), Session/ (RFC 4271 state machine and
        // its NIO shell), BFD/ (RFC 5880), Announce/ (Adj-RIB-Out per peer) and the announcer itself.
        .target(
            name: "BGPPlugin",
            dependencies: [
                "LBKernel",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/Plugins/BGP",
            swiftSettings: strictSettings
        ),
        // libpcap (system library; Debian package libpcap-dev), for the Layer 2 plugin's raw ARP/NDP frames.
        .systemLibrary(
            name: "CPcap",
            path: "Sources/CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"])]
        ),
        // ARP/NDP announcement (`plugin: layer2`): Frames/ (Ethernet, ARP, NDP codecs, no deps), Responder/ (the pure
        // reply decision), Link/ (libpcap handles, interface selection, multicast joins), Membership/ (authenticated
        // heartbeats), Ownership/ (election and handover state machine) and the announcer itself.
        .target(
            name: "Layer2Plugin",
            dependencies: [
                "LBKernel",
                "CPcap",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/Plugins/Layer2",
            swiftSettings: strictSettings
        ),
        // The Kubernetes source (`plugin: kubernetes`): Client/ (REST client on async-http-client, kubeconfig and
        // in-cluster configuration, informers), Mapping/ (Kubernetes objects to the kernel's model and back; Kubernetes
        // types stop in this module), and the source itself (leader election, status write-back, events).
        .target(
            name: "KubeSourcePlugin",
            dependencies: [
                "LBKernel",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/Plugins/KubeSource",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "lbd",
            dependencies: [
                "LBKernel",
                "BGPPlugin",
                "Layer2Plugin",
                "KubeSourcePlugin",
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
        // The Kubernetes source benchmark: lbd (release build) against the API test server; see `make kube-bench`.
        .executableTarget(
            name: "lbd-kube-bench",
            dependencies: ["KubeTestServer", "LabKit"],
            path: "Benchmarks/KubeBenchmark",
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
            name: "BGPPluginTests",
            dependencies: [
                "BGPPlugin",
                "LBKernel",
                "LBKernelTestKit",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),
        // Acceptance tests against real routers (BIRD 2, FRR, GoBGP) in network namespaces the tests create; they
        // need root and the routers installed (`make test` installs them) and fail, never skip, without them.
        // Support for the acceptance tests that need root: network namespaces, children started with posix_spawn,
        // bounded waits, required tools. Shared by BGPRouterTests and Layer2LabTests.
        .target(
            name: "LabKit",
            dependencies: ["LBKernel"],
            path: "Tests/LabKit",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "BGPRouterTests",
            dependencies: [
                "LabKit",
                "KubeTestServer",
                "BGPPlugin",
                "LBKernel",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "Layer2PluginTests",
            dependencies: [
                "Layer2Plugin",
                "LabKit",
                "LBKernel",
                "LBKernelTestKit",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),
        // A Kubernetes API test server (the subset lbd uses, over TLS with its own CA), started in-process by tests;
        // its fidelity is checked with kubectl.
        .target(
            name: "KubeTestServer",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/KubeTestServer",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KubeTestServerTests",
            dependencies: ["KubeTestServer", "LabKit",
                           .product(name: "AsyncHTTPClient", package: "async-http-client"),
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOHTTP1", package: "swift-nio"),
                           .product(name: "NIOSSL", package: "swift-nio-ssl")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KubeSourcePluginTests",
            dependencies: [
                "KubeSourcePlugin",
                "KubeTestServer",
                "LBKernel",
                "LBKernelTestKit",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),
        // Acceptance tests of the Layer 2 plugin (root): a bridge, a client and three lbd nodes in network namespaces
        // the tests create, probed with arping, ndisc6, the client's neighbour cache and UDP through the address.
        .testTarget(
            name: "Layer2LabTests",
            dependencies: ["LabKit", "LBKernel", "KubeTestServer", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings
        ),
        // End-to-end tests of the Kubernetes source: lbd processes against the API test server (issue 5).
        .testTarget(
            name: "KubeSourceE2ETests",
            dependencies: ["KubeTestServer", "LabKit", "LBKernel"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "lbdTests",
            dependencies: ["LBKernel", "LBKernelTestKit"],
            swiftSettings: strictSettings
        ),
    ]
)
