// swift-tools-version:6.1
import PackageDescription

// Module map (one capability per module):
//   SealMIME        streaming MIME parser and transfer decoders (no dependencies)
//   SealDetect      unscannable-content detection (labels and decoded bytes)
//   CYAML           system-library target for Debian's libyaml (pkg-config yaml-0.1)
//   SealYAML        YAML reader over libyaml's events: a small tree with marks, bounded
//                   nesting, alias expansion and size (hostile policy files)
//   CHyperscan      system-library target for Debian's libhyperscan (pkg-config libhs)
//   SealPattern     linear-time regular expressions and keywords (Hyperscan databases, scanning)
//   SealPolicy      the policy file: YAML reader core, settings, shared value readers, matchers
//   SealEngine      per-message engine: Action/Condition protocols and the built-in ones,
//                   rule loader and runner, message facts, body pipeline, session
//                   (docs/architecture.md says where each piece lives)
//   SealMetrics     process-wide Prometheus metrics (swift-prometheus)
//   SealmilterCAPI  the C-exported interface declared in include/sealmilter.h, and the
//                   composition root that registers feature modules' actions and conditions
//   SealConnect     TLS connectors (connectors: section, inbound refusal at MAIL, TLS and
//                   connector conditions, the Postfix smtp_tls_policy_maps table)
//   SealSensitive   sensitive-information detectors (cards, IBAN, SSN, VAT, custom) and the
//                   `sensitive:` condition, on the engine's one text scan (TextScanCondition)
//   SealCtl         sealctl's commands (check-config, scan, test, postfix, cert, keys, envelope, rights), in the library
//   SealSMIME       S/MIME: certificate store, sign/encrypt actions, inbound verify/decrypt
//   CSQLite, CPostgres  system-library targets for Debian's libsqlite3 and libpq
//   SealRegistry    the rights registry: protected messages and fingerprints, on SQLite or PostgreSQL
//   SealRights      rights templates (`rights:`), fingerprints, `protect`, Do Not Forward (issue 13)
//   SealEnvelope    envelope encryption (issue 12): the format, the page with the viewer
//                   (Viewer/, embedded in code), the `encrypt` action and `envelope:`
//                   section, secure replies
//
// The C programs are hosts of libsealmilter.so, built against include/sealmilter.h
// by Sources/build-programs.sh after `swift build` (one copy of the engine):
//   Sources/sealmilter  the libmilter daemon (sealmilterd; libmilter linked statically)
//   Sources/sealctl     the command-line tool (its main calls sealmilter_ctl_main)
// Release builds of the hot-path modules leave out the run-time exclusivity checks
// (every access to a class's stored property pays a check otherwise; the code does
// not rely on them: debug builds and the tests keep them on).
let hotPath: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "sealmilter",
    products: [
        .library(name: "sealmilter", type: .dynamic, targets: ["SealmilterCAPI"]),
        .executable(name: "sealbench", targets: ["sealbench"]),
        .executable(name: "smimebench", targets: ["smimebench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        .target(name: "SealMIME", swiftSettings: hotPath),
        .target(name: "SealDetect", swiftSettings: hotPath),
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .target(name: "SealYAML", dependencies: ["CYAML"]),
        .systemLibrary(name: "CHyperscan", pkgConfig: "libhs", providers: [.apt(["libhyperscan-dev"])]),
        .target(name: "SealPattern", dependencies: ["CHyperscan"]),
        .target(name: "SealPolicy", dependencies: ["SealDetect", "SealMIME", "SealYAML", "SealPattern"]),
        .target(name: "SealMetrics", dependencies: [.product(name: "Prometheus", package: "swift-prometheus")]),
        .systemLibrary(name: "COpenSSL"),
        .target(name: "SealCrypto", dependencies: ["COpenSSL"]),
        .target(name: "SealSubmit"),
        .target(name: "SealEngine", dependencies: ["SealMIME", "SealDetect", "SealPolicy", "SealPattern", "SealMetrics", "SealCrypto", "SealSubmit"], swiftSettings: hotPath),
        // Envelope encryption (issue 12): the format, the page with the viewer embedded in code, the encrypt action, secure replies.
        .target(name: "SealEnvelope", dependencies: ["SealEngine", "SealPolicy", "SealCrypto", "SealMIME"],
                resources: [.embedInCode("Viewer/viewer.html"), .embedInCode("Viewer/viewer.css"), .embedInCode("Viewer/viewer.js")]),
        // S/MIME (issue 11): certificate store, outbound sign/encrypt, inbound verify/decrypt.
        // OpenLDAP's client library (libldap-dev) for S/MIME recipient look-ups.
        .systemLibrary(name: "CLDAP", pkgConfig: "ldap", providers: [.apt(["libldap-dev"])]),
        .target(name: "SealSMIME", dependencies: ["SealEngine", "SealPolicy", "SealCrypto", "SealMIME", "COpenSSL", "CLDAP"]),
        .target(name: "SealmilterCAPI", dependencies: ["SealEngine", "SealCtl", "SealConnect", "SealSensitive", "SealSMIME", "SealEnvelope", "SealRights"]),
        // TLS connectors: the connectors: section, inbound enforcement, TLS conditions, the Postfix table.
        .target(name: "SealConnect", dependencies: ["SealEngine", "SealPolicy"]),
        // Sensitive-information detection (`sensitive:` condition, `sensitive_types:` section).
        .target(name: "SealSensitive", dependencies: ["SealEngine", "SealPolicy", "SealPattern"], swiftSettings: hotPath),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CPostgres", providers: [.apt(["libpq-dev"])]),
        .target(name: "SealRegistry", dependencies: ["CSQLite", "CPostgres"]),
        .target(name: "SealRights", dependencies: ["SealEngine", "SealRegistry", "SealEnvelope", "SealCrypto", "SealMIME", "SealPolicy"]),
        // sealctl's commands; they live in libsealmilter, and the sealctl program
        // (Sources/sealctl/main.c) is a C host of the library like the daemon.
        .target(name: "SealCtl", dependencies: [
            "SealEngine", "SealConnect", "SealSMIME", "SealEnvelope", "SealRights", "SealRegistry", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "sealbench", dependencies: ["SealEngine", "SealMIME", "SealPolicy", "SealPattern", "SealSensitive"]),
        // S/MIME through the engine, for Benchmarks/smime (not a test).
        .executableTarget(name: "smimebench", dependencies: ["SealEngine", "SealSMIME"]),
        .executableTarget(name: "envelope-bench", dependencies: ["SealEnvelope", "SealEngine", "SealPolicy", "SealCrypto"], path: "Benchmarks/envelope",
                          exclude: ["run.sh"]),
        // The rights registry check's cost per message (Benchmarks/rights/run.sh).
        .executableTarget(name: "rightsbench", dependencies: ["SealEngine", "SealPolicy", "SealRights", "SealRegistry"], path: "Benchmarks/rights", exclude: ["run.sh"]),
        // Shared by the test targets: the seeded random generator.
        .target(name: "SealTestSupport", path: "Tests/SealTestSupport"),
        .testTarget(name: "SealMIMETests", dependencies: ["SealMIME", "SealTestSupport"]),
        .testTarget(name: "SealDetectTests", dependencies: ["SealDetect", "SealTestSupport"]),
        .testTarget(name: "SealYAMLTests", dependencies: ["SealYAML"]),
        .testTarget(name: "SealPatternTests", dependencies: ["SealPattern", "SealTestSupport"]),
        .testTarget(name: "SealPolicyTests", dependencies: ["SealPolicy", "SealPattern", "SealEngine", "SealTestSupport"]),
        .testTarget(name: "SealConnectTests", dependencies: ["SealConnect", "SealEngine", "SealPolicy"]),
        .testTarget(name: "SealSensitiveTests", dependencies: ["SealSensitive", "SealEngine", "SealPolicy", "SealPattern", "SealTestSupport"]),
        .testTarget(name: "SealSMIMETests", dependencies: ["SealSMIME", "SealCrypto", "SealEngine", "SealPolicy", "SealTestSupport"]),
        .testTarget(name: "SealRegistryTests", dependencies: ["SealRegistry"]),
        .testTarget(name: "SealRightsTests", dependencies: ["SealRights", "SealRegistry", "SealEngine", "SealPolicy", "SealEnvelope", "SealCrypto"]),
        .testTarget(name: "SealEngineTests", dependencies: ["SealEngine", "SealMetrics", "SealTestSupport", "SealCrypto", "SealSubmit"]),
        .testTarget(name: "SealEnvelopeTests", dependencies: ["SealEnvelope", "SealEngine", "SealCrypto", "SealTestSupport"]),
    ]
)
