// swift-tools-version:6.1
import PackageDescription

// Module map (one capability per module):
//   SealMIME        streaming MIME parser and transfer decoders (no dependencies)
//   SealDetect      unscannable-content detection (labels and decoded bytes)
//   SealPolicy      the policy file: YAML reader core, settings, shared value readers, matchers
//   SealEngine      per-message engine: Action/Condition protocols and the built-in ones,
//                   rule loader and runner, message facts, body pipeline, session
//                   (docs/architecture.md says where each piece lives)
//   COpenSSL        system-library target for OpenSSL (libssl, libcrypto)
//   SealCrypto      HMAC-SHA-256, SHA-256, constant-time comparison, random bytes (OpenSSL)
//   SealSubmit      submission of messages to the local MTA (SMTP to a loopback listener,
//                   or the sendmail interface)
//   SealMetrics     process-wide Prometheus metrics (swift-prometheus)
//   SealmilterCAPI  the C-exported interface declared in include/sealmilter.h, and the
//                   composition root that registers feature modules' actions and conditions
//   CLibMilter      system-library target for Debian's libmilter
//   sealmilter      the libmilter daemon (C, talks to the engine only through sealmilter.h)
//   sealctl         command-line tool: check-config, scan
let package = Package(
    name: "sealmilter",
    products: [
        .library(name: "sealmilter", type: .dynamic, targets: ["SealmilterCAPI"]),
        .executable(name: "sealctl", targets: ["sealctl"]),
        .executable(name: "sealmilterd", targets: ["sealmilter"]),
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
        .target(name: "SealmilterCAPI", dependencies: ["SealEngine"]),
        .systemLibrary(name: "CLibMilter"),
        .executableTarget(
            name: "sealmilter",
            dependencies: ["SealmilterCAPI", "CLibMilter"],
            cSettings: [.headerSearchPath("../../include"), .define("_GNU_SOURCE")],
            // libmilter is linked statically so its accept/read/close/sigwait calls can be
            // wrapped (Sources/sealmilter/wrap.c): TCP_NODELAY/TCP_QUICKACK on milter
            // sockets, and SIGHUP kept for policy reloads.
            linkerSettings: [.linkedLibrary("pthread"), .unsafeFlags([
                "-Xlinker", "--wrap=accept", "-Xlinker", "--wrap=read",
                "-Xlinker", "--wrap=close", "-Xlinker", "--wrap=sigwait",
                "-Xlinker", "-l:libmilter.a",
            ])]
        ),
        .executableTarget(name: "sealctl", dependencies: [
            "SealEngine", "SealmilterCAPI", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "sealbench", dependencies: ["SealEngine", "SealMIME"]),
        .testTarget(name: "SealMIMETests", dependencies: ["SealMIME"]),
        .testTarget(name: "SealDetectTests", dependencies: ["SealDetect"]),
        .testTarget(name: "SealPolicyTests", dependencies: ["SealPolicy", "SealEngine"]),
        .testTarget(name: "SealEngineTests", dependencies: ["SealEngine", "SealMetrics", "SealCrypto", "SealSubmit"]),
    ]
)
