// swift-tools-version:6.2
import PackageDescription

// Swift 6 language mode everywhere; existentials are spelled `any`, as in the
// libraries we build on.
let settings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

func service(_ name: String, _ path: String) -> Target {
    .executableTarget(
        name: name,
        dependencies: [
            "Auth", "Contracts", "Domain", "EventBus", "HTTPKit", "ServiceKit", "Storage",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Logging", package: "swift-log"),
        ],
        path: path,
        swiftSettings: settings
    )
}

let package = Package(
    name: "lomash-wood-customer",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "profiles", targets: ["profiles"]),
        .executable(name: "engagement", targets: ["engagement"]),
        .executable(name: "support", targets: ["support"]),
        .executable(name: "loyalty", targets: ["loyalty"]),
        .executable(name: "lw-dev", targets: ["lw-dev"]),
    ],
    dependencies: [
        // No traits: we need neither swift-configuration nor full Foundation from Hummingbird.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.7.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        // Traces over OTLP/HTTP only: the gRPC exporter's packages are never built.
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0", traits: ["OTLPHTTP"]),
    ],
    targets: [
        // C libraries from Debian packages.
        .systemLibrary(
            name: "CRdKafka", path: "Shared/CSystem/CRdKafka", pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]
        ),
        .systemLibrary(
            name: "CHiredis", path: "Shared/CSystem/CHiredis", pkgConfig: "hiredis",
            providers: [.apt(["libhiredis-dev"])]
        ),

        // The published language: topics, payloads, the envelope and the wire coding.
        .target(name: "Contracts", path: "Shared/Contracts", swiftSettings: settings),
        .target(
            name: "Auth",
            dependencies: ["Contracts", .product(name: "JWTKit", package: "jwt-kit"), .product(name: "Crypto", package: "swift-crypto")],
            path: "Shared/Auth",
            swiftSettings: settings
        ),
        .target(
            name: "Storage",
            dependencies: [
                "CHiredis", "Contracts",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "_ConnectionPoolModule", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            path: "Shared/Storage",
            swiftSettings: settings
        ),
        .target(
            name: "EventBus",
            dependencies: [
                "CRdKafka", "Contracts", "Storage",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            path: "Shared/EventBus",
            swiftSettings: settings
        ),
        .target(
            name: "HTTPKit",
            dependencies: [
                "Auth", "Contracts", "Storage",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            path: "Shared/HTTPKit",
            swiftSettings: settings
        ),
        .target(
            name: "ServiceKit",
            dependencies: [
                "Auth", "Contracts", "EventBus", "HTTPKit", "Storage",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "OTel", package: "swift-otel"),
            ],
            path: "Shared/ServiceKit",
            swiftSettings: settings
        ),
        // The little domain two contexts share: customer names, loyalty tiers, export chunks.
        .target(
            name: "Domain",
            dependencies: [
                "Contracts", "EventBus", "ServiceKit", "Storage",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Shared/Domain",
            swiftSettings: settings
        ),

        service("profiles", "Services/Profiles"),
        service("engagement", "Services/Engagement"),
        service("support", "Services/Support"),
        service("loyalty", "Services/Loyalty"),

        // Developer tool: mint tokens (scripts/token), publish other services' events, benchmark the event bus (bench/).
        .executableTarget(
            name: "lw-dev",
            dependencies: [
                "Auth", "Contracts", "EventBus", "Storage",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tools/DevTool",
            swiftSettings: settings
        ),
        // The dev/test Kafka: librdkafka's mock cluster on loopback.
        .executableTarget(
            name: "kafka-dev-broker",
            dependencies: ["EventBus", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Tools/KafkaDevBroker",
            swiftSettings: settings
        ),

        .target(
            name: "TestSupport",
            dependencies: [
                "Auth", "Contracts", "EventBus", "HTTPKit", "ServiceKit", "Storage",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            path: "Tests/TestSupport",
            swiftSettings: settings
        ),
        .testTarget(name: "ContractsTests", dependencies: ["Contracts"], path: "Tests/ContractsTests", swiftSettings: settings),
        .testTarget(name: "DomainTests", dependencies: ["Domain", "Contracts"], path: "Tests/DomainTests", swiftSettings: settings),
        .testTarget(
            name: "AuthTests",
            dependencies: ["Auth", .product(name: "JWTKit", package: "jwt-kit"), .product(name: "Crypto", package: "swift-crypto")],
            path: "Tests/AuthTests", swiftSettings: settings),
        .testTarget(
            name: "StorageTests",
            dependencies: ["Storage", "Contracts", "EventBus", "HTTPKit", "TestSupport", .product(name: "NIOPosix", package: "swift-nio")],
            path: "Tests/StorageTests", swiftSettings: settings),
        .testTarget(
            name: "EventBusTests", dependencies: ["EventBus", "Contracts", "Domain", "Storage", "TestSupport"], path: "Tests/EventBusTests",
            swiftSettings: settings),
        .testTarget(
            name: "HTTPKitTests",
            dependencies: [
                "HTTPKit", "Contracts", "EventBus", "ServiceKit", "Storage", "TestSupport",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ], path: "Tests/HTTPKitTests", swiftSettings: settings),
        .testTarget(name: "ServiceKitTests", dependencies: ["ServiceKit"], path: "Tests/ServiceKitTests", swiftSettings: settings),
        .testTarget(
            name: "ProfilesTests", dependencies: ["profiles", "Contracts", "EventBus", "ServiceKit", "TestSupport"], path: "Tests/ProfilesTests",
            swiftSettings: settings),
        .testTarget(
            name: "EngagementTests", dependencies: ["engagement", "Auth", "Contracts", "ServiceKit", "Storage", "TestSupport"],
            path: "Tests/EngagementTests", swiftSettings: settings),
        .testTarget(
            name: "SupportTests", dependencies: ["support", "Auth", "Contracts", "HTTPKit", "ServiceKit", "TestSupport"], path: "Tests/SupportTests",
            swiftSettings: settings),
        .testTarget(
            name: "LoyaltyTests", dependencies: ["loyalty", "Contracts", "ServiceKit", "TestSupport"], path: "Tests/LoyaltyTests",
            swiftSettings: settings),
        .testTarget(
            name: "StackTests",
            dependencies: [
                "TestSupport", "Auth", "Contracts", "EventBus", "HTTPKit", "profiles", "engagement", "support", "loyalty",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ], path: "Tests/StackTests", swiftSettings: settings),
    ]
)
