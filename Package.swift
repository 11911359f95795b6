// swift-tools-version:6.1
//
// aamped: a self-hosted engine for personalized messaging.
//
// Targets are layered; a target imports only targets listed above it here. The README's
// "Architecture" table says the same thing in prose. Keep the two in step.

import PackageDescription

let package = Package(
    name: "aamped",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "aampectl", targets: ["aampectl"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    ],
    targets: [
        // MARK: Layer 0: vocabulary and system libraries

        .target(name: "AampeCore"),
        .target(name: "CAampeChecksum"),
        .systemLibrary(
            name: "CZstd",
            pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"])]
        ),

        // MARK: Layer 1: compression and storage

        .target(
            name: "AampeCompression",
            dependencies: ["AampeCore", "CZstd"]
        ),
        .target(
            name: "AampeSegments",
            dependencies: ["AampeCore", "AampeCompression", "CAampeChecksum"]
        ),
        .target(
            name: "AampeStore",
            dependencies: [
                "AampeCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),

        // Events: the event column schema and reading imported events; every consumer of events reads
        // through it, and the importers write through it.
        .target(
            name: "AampeEvents",
            dependencies: ["AampeCore", "AampeSegments", "AampeStore"]
        ),

        .target(
            name: "AampeIngest",
            dependencies: ["AampeCore", "AampeCompression", "AampeEvents", "AampeSegments", "AampeStore"]
        ),

        // Learning: the recommender and its evaluation, the landscape and timing (pure compute over
        // dense indices; no I/O but segment files, the ratings files an evaluation reads, and the
        // decoded event columns it aggregates).
        .target(
            name: "AampeLearning",
            dependencies: ["AampeCore", "AampeEvents", "AampeSegments"]
        ),

        // Content: label sets, formulas and their variants, goals and campaigns, loaded from a YAML
        // folder and validated; rendering a variant for a user through swift-mustache.
        .target(
            name: "AampeContent",
            dependencies: [
                "AampeCore",
                "AampeStore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),

        // Outbox: the message and lease state machine (pure, fed `now:`) and its append-only journal.
        .target(name: "AampeOutbox", dependencies: ["AampeCore", "AampeSegments"]),

        // Reports: what the messages did, from the message log, the events and the control group; every
        // kind as a document, rendered as a terminal table, CSV, JSON or a self-contained HTML page.
        .target(
            name: "AampeReports",
            dependencies: ["AampeContent", "AampeCore", "AampeEvents", "AampeLearning", "AampeSegments", "AampeStore"]
        ),

        // Jobs: what a batch run does (lock, run record, inputs, generation build, carry-over, publish,
        // retire) for training, evaluation, audiences and verification; the nightly pipeline (import, train,
        // assign in one pass); the commands call one function.
        .target(
            name: "AampeJobs",
            dependencies: [
                "AampeContent", "AampeCore", "AampeEvents", "AampeIngest", "AampeLearning", "AampeOutbox",
                "AampeReports", "AampeSegments", "AampeStore",
            ]
        ),

        // MARK: Layer 2: the wire protocol, the server, the client

        .target(
            name: "AampeProtocol",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            exclude: ["Generated/README.md"]
        ),

        .target(
            name: "AampeServer",
            dependencies: [
                "AampeCore",
                "AampeProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),

        .target(
            name: "AampeDaemon",
            dependencies: [
                "AampeContent",
                "AampeCore",
                "AampeJobs",
                "AampeLearning",
                "AampeOutbox",
                "AampeProtocol",
                "AampeSegments",
                "AampeServer",
                "AampeStore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),

        .target(
            name: "AampeClient",
            dependencies: [
                "AampeCore",
                "AampeProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),

        // MARK: Executables

        .executableTarget(
            name: "aamped",
            dependencies: [
                "AampeCore",
                "AampeDaemon",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        .executableTarget(
            name: "aampectl",
            dependencies: [
                "AampeClient",
                "AampeContent",
                "AampeCore",
                "AampeEvents",
                "AampeIngest",
                "AampeJobs",
                "AampeLearning",
                "AampeOutbox",
                "AampeProtocol",
                "AampeReports",
                "AampeStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),

        // MARK: Tools (benchmarks and harnesses; not part of the product)

        .executableTarget(
            name: "aampe-bench-segments",
            dependencies: ["AampeCore", "AampeSegments"],
            path: "tools/benchmarks/segments",
            exclude: ["parquet_peer.py"]
        ),

        .executableTarget(
            name: "aampe-bench-content",
            dependencies: ["AampeContent"],
            path: "tools/benchmarks/content",
            exclude: ["python_peer.py"]
        ),

        // The outbox benchmark's and crash test's Swift side (tools/bench-outbox, tools/crash-outbox): writes
        // batch files, runs aamped's and Redis Streams' consumers, and the crash test's logging consumer.
        .executableTarget(
            name: "aampe-bench-outbox",
            dependencies: ["AampeClient", "AampeCore", "AampeOutbox", "AampeProtocol"],
            path: "tools/benchmarks/outbox"
        ),

        // The SCORE benchmark's world (tools/bench-score): a model generation of random summaries.
        .executableTarget(
            name: "aampe-bench-score",
            dependencies: ["AampeCore", "AampeJobs", "AampeLearning", "AampeSegments"],
            path: "tools/benchmarks/score"
        ),

        .executableTarget(
            name: "aampe-loadgen",
            dependencies: [
                "AampeCore",
                "AampeProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            path: "tools/loadgen"
        ),

        // The app simulator: an outside party. Its library (the world, the users, their responses) imports
        // no engine target, only libzstd's module map; the executable talks to a running aamped only as a
        // messaging service's bridge would, through the client library and the wire protocol.
        .target(
            name: "AampeSimulator",
            dependencies: ["CZstd"],
            path: "tools/simulator/AampeSimulator"
        ),
        .executableTarget(
            name: "aampe-sim",
            dependencies: [
                "AampeClient", "AampeCore", "AampeProtocol", "AampeSimulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "tools/simulator/aampe-sim"
        ),

        // MARK: Tests

        // Helpers shared by the test targets: temporary folders, a seeded generator, running the built
        // executables, and a live aamped over a fresh data directory.
        .target(name: "AampeTestSupport", dependencies: ["AampeCore", "AampeStore"], path: "Tests/AampeTestSupport"),

        .testTarget(name: "AampeCoreTests", dependencies: ["AampeCore"]),
        .testTarget(
            name: "AampeContentTests",
            dependencies: [
                "AampeContent", "AampeCore", "AampeStore", "AampeTestSupport", "aampectl",
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "AampeIngestTests",
            dependencies: [
                "AampeCompression", "AampeCore", "AampeEvents", "AampeIngest", "AampeStore", "AampeTestSupport",
            ],
            resources: [.copy("Fixtures")]
        ),
        // The daemon's operations and its generation manager, in process, without a socket.
        .testTarget(
            name: "AampeDaemonTests",
            dependencies: [
                "AampeCore", "AampeDaemon", "AampeJobs", "AampeLearning", "AampeOutbox", "AampeProtocol",
                "AampeSegments", "AampeServer", "AampeStore", "AampeTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .testTarget(
            name: "AampeReportsTests",
            dependencies: [
                "AampeCore", "AampeEvents", "AampeIngest", "AampeLearning", "AampeReports", "AampeStore",
                "AampeTestSupport",
            ]
        ),
        .testTarget(name: "AampeOutboxTests", dependencies: ["AampeCore", "AampeOutbox", "AampeTestSupport"]),
        .testTarget(
            name: "AampeJobsTests",
            dependencies: [
                "AampeCore", "AampeJobs", "AampeLearning", "AampeSegments", "AampeStore", "AampeTestSupport",
            ]
        ),
        .testTarget(
            name: "AampeLearningTests",
            dependencies: ["AampeCore", "AampeEvents", "AampeLearning", "AampeSegments", "AampeTestSupport"],
            // Read by path (`#filePath`), not bundled: the off-policy fixture obp wrote.
            exclude: ["Fixtures"]
        ),
        .testTarget(name: "AampeCompressionTests", dependencies: ["AampeCompression", "AampeTestSupport"]),
        .testTarget(name: "AampeSegmentsTests", dependencies: ["AampeCore", "AampeSegments", "AampeTestSupport"]),
        .testTarget(
            name: "AampeProtocolTests",
            dependencies: [
                "AampeProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .testTarget(
            name: "AampeStoreTests",
            dependencies: [
                "AampeCore", "AampeStore", "AampeTestSupport", .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .testTarget(
            name: "AampeServerTests",
            dependencies: [
                "AampeClient",
                "AampeCore",
                "AampeProtocol",
                "AampeServer",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "aampedTests",
            dependencies: [
                "aamped",
                "aampectl",
                "aampe-loadgen",
                "AampeClient",
                "AampeCore",
                "AampeJobs",
                "AampeLearning",
                "AampeOutbox",
                "AampeProtocol",
                "AampeTestSupport",
                "AampeSegments",
            ]
        ),
        .testTarget(
            name: "AampeSimulatorTests",
            dependencies: [
                "AampeCore", "AampeSimulator", "AampeTestSupport", "aampe-sim", "aampectl", "aamped",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "aampectlTests",
            dependencies: [
                "aampectl", "AampeCore", "AampeIngest", "AampeOutbox", "AampeSegments", "AampeStore",
                "AampeTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
    ]
)

// Strict settings on every Swift target, in one place, as swift-log does.
for target in package.targets where [.executable, .test, .regular].contains(target.type) {
    var settings = target.swiftSettings ?? []
    // SE-0335: existential types are spelled `any P`.
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    // SE-0444: a file sees only the members of modules it imports itself.
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    // SE-0409: imports are internal unless marked `public import`, so API leaks are visible.
    settings.append(.enableUpcomingFeature("InternalImportsByDefault"))
    target.swiftSettings = settings
}
