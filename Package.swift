// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "FrameMark",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "framemark", targets: ["framemark"]),
        .library(name: "FrameMarkPipeline", targets: ["FrameMarkPipeline"]),
        .library(name: "FrameMarkMedia", targets: ["FrameMarkMedia"]),
        .library(name: "FrameMarkCore", targets: ["FrameMarkCore"]),
        .library(name: "FrameMarkForensics", targets: ["FrameMarkForensics"]),
        .library(name: "FrameMarkRegistry", targets: ["FrameMarkRegistry"]),
        .library(name: "FrameMarkBatch", targets: ["FrameMarkBatch"]),
        .library(name: "FrameMarkService", targets: ["FrameMarkService"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
    ],
    targets: [
        // FFmpeg's C libraries through pkg-config, plus a header of tiny inline shims for macros.
        .systemLibrary(
            name: "CFFmpeg",
            pkgConfig: "libavformat",
            providers: [.apt(["libavformat-dev", "libavcodec-dev", "libavutil-dev", "libswscale-dev", "libavfilter-dev"])]
        ),
        // The only module that imports CFFmpeg: owning wrappers over demuxer, decoder, scaler, encoder, muxer.
        .target(name: "FrameMarkMedia", dependencies: ["CFFmpeg"]),
        // The watermark itself, on plain planes of pixels: no FFmpeg here.
        .target(name: "FrameMarkCore", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        // Aggregation over time: segments, source times, tamper regions, the HTML report. No FFmpeg.
        .target(name: "FrameMarkForensics", dependencies: ["FrameMarkCore"]),
        // Streaming transcode with the ordered worker pool; sees Swift types only.
        .target(name: "FrameMarkPipeline", dependencies: ["FrameMarkMedia", "FrameMarkCore", "FrameMarkForensics"]),
        // What was issued: every message, the file it went into and how (SQLite through GRDB, or
        // PostgreSQL through postgres-nio for many machines and a shared queue).
        .target(name: "FrameMarkRegistry", dependencies: ["FrameMarkCore", .product(name: "GRDB", package: "GRDB.swift"),
                                                          .product(name: "PostgresNIO", package: "postgres-nio")]),
        // Many files marked under messages from the registry: inputs, outputs, resume, shards.
        .target(name: "FrameMarkBatch", dependencies: ["FrameMarkPipeline", "FrameMarkMedia", "FrameMarkCore", "FrameMarkRegistry",
                                                       .product(name: "Crypto", package: "swift-crypto")]),
        // The detection API and its page (Hummingbird): jobs, tokens, limits, metrics.
        .target(name: "FrameMarkService", dependencies: ["FrameMarkPipeline", "FrameMarkMedia", "FrameMarkCore", "FrameMarkRegistry",
                                                         .product(name: "Hummingbird", package: "hummingbird"),
                                                         .product(name: "Logging", package: "swift-log"),
                                                         .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                                                         .product(name: "GRDB", package: "GRDB.swift"),
                                                         .product(name: "Crypto", package: "swift-crypto")]),
        .executableTarget(
            name: "framemark",
            dependencies: [
                "FrameMarkPipeline", "FrameMarkMedia", "FrameMarkCore", "FrameMarkForensics", "FrameMarkBatch", "FrameMarkRegistry", "FrameMarkService",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(name: "TestSupport", dependencies: ["FrameMarkMedia"], path: "Tests/TestSupport"),
        .testTarget(name: "FrameMarkCoreTests", dependencies: ["FrameMarkCore", "TestSupport"]),
        .testTarget(name: "FrameMarkForensicsTests", dependencies: ["FrameMarkForensics", "FrameMarkCore"]),
        .testTarget(name: "FrameMarkMediaTests", dependencies: ["FrameMarkMedia", "FrameMarkPipeline", "TestSupport"]),
        .testTarget(name: "FrameMarkPipelineTests", dependencies: ["FrameMarkPipeline", "FrameMarkMedia", "FrameMarkCore", "FrameMarkForensics", "TestSupport"]),
        .testTarget(name: "FrameMarkCLITests", dependencies: ["framemark", "TestSupport"]),
        .testTarget(name: "FrameMarkRegistryTests", dependencies: ["FrameMarkRegistry", "FrameMarkCore", "TestSupport"]),
        .testTarget(name: "FrameMarkBatchTests", dependencies: ["FrameMarkBatch", "FrameMarkRegistry", "FrameMarkCore", "TestSupport"]),
    ]
)
