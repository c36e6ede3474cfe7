// swift-tools-version:6.1
import PackageDescription

// Module map (one capability per module):
//   SealMIME        streaming MIME parser and transfer decoders (no dependencies)
//   SealDetect      unscannable-content detection (labels and decoded bytes)
//   SealPolicy      the policy file: YAML reader core, settings, shared value readers, matchers
//   SealEngine      per-message engine: Action/Condition protocols and the built-in ones,
//                   rule loader and runner, message facts, body pipeline, session
//                   (docs/architecture.md says where each piece lives)
//   SealMetrics     process-wide Prometheus metrics (swift-prometheus)
//   SealmilterCAPI  the C-exported interface declared in include/sealmilter.h, and the
//                   composition root that registers feature modules' actions and conditions
//   SealCtl         sealctl's commands (check-config, scan), in the library
//
// The C programs are hosts of libsealmilter.so, built against include/sealmilter.h
// by Sources/build-programs.sh after `swift build` (one copy of the engine):
//   Sources/sealmilter  the libmilter daemon (sealmilterd; libmilter linked statically)
//   Sources/sealctl     the command-line tool (its main calls sealmilter_ctl_main)
let package = Package(
    name: "sealmilter",
    products: [
        .library(name: "sealmilter", type: .dynamic, targets: ["SealmilterCAPI"]),
        .executable(name: "sealbench", targets: ["sealbench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        .target(name: "SealMIME"),
        .target(name: "SealDetect"),
        .target(name: "SealPolicy", dependencies: ["SealDetect", "SealMIME", .product(name: "Yams", package: "Yams")]),
        .target(name: "SealMetrics", dependencies: [.product(name: "Prometheus", package: "swift-prometheus")]),
        .systemLibrary(name: "COpenSSL"),
        .target(name: "SealCrypto", dependencies: ["COpenSSL"]),
        .target(name: "SealSubmit"),
        .target(name: "SealEngine", dependencies: ["SealMIME", "SealDetect", "SealPolicy", "SealMetrics", "SealCrypto", "SealSubmit"]),
        .target(name: "SealmilterCAPI", dependencies: ["SealEngine", "SealCtl"]),
        // sealctl's commands; they live in libsealmilter, and the sealctl program
        // (Sources/sealctl/main.c) is a C host of the library like the daemon.
        .target(name: "SealCtl", dependencies: [
            "SealEngine", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "sealbench", dependencies: ["SealEngine", "SealMIME"]),
        // Shared by the test targets: the seeded random generator.
        .target(name: "SealTestSupport", path: "Tests/SealTestSupport"),
        .testTarget(name: "SealMIMETests", dependencies: ["SealMIME"]),
        .testTarget(name: "SealDetectTests", dependencies: ["SealDetect"]),
        .testTarget(name: "SealPolicyTests", dependencies: ["SealPolicy", "SealEngine", "SealTestSupport"]),
        .testTarget(name: "SealEngineTests", dependencies: ["SealEngine", "SealMetrics", "SealTestSupport", "SealCrypto", "SealSubmit"]),
    ]
)
