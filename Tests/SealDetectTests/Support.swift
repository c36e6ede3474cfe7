import Foundation
import Testing
import SealTestSupport
@testable import SealDetect

/// A failure running one of the sample-making tools (a missing tool is a failure, not a skip).
struct ToolFailure: Error, CustomStringConvertible {
    var description: String
}

/// A scratch directory for one test's samples, removed when the test ends.
final class Scratch: @unchecked Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("sealdetect-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func write(_ name: String, _ bytes: [UInt8]) throws {
        try Data(bytes).write(to: url.appendingPathComponent(name))
    }

    func write(_ name: String, _ text: String) throws { try write(name, Array(text.utf8)) }

    func read(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: url.appendingPathComponent(name)))
    }

    /// Runs a tool found on PATH in this directory; throws unless it exits 0.
    @discardableResult
    func run(_ tool: String, _ args: [String], env: [String: String] = [:]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [tool] + args
        p.currentDirectoryURL = url
        var environment = ProcessInfo.processInfo.environment
        for (k, v) in env { environment[k] = v }
        p.environment = environment
        let errURL = url.appendingPathComponent(".stderr-\(UUID().uuidString)")
        let outURL = url.appendingPathComponent(".stdout-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        let errHandle = try FileHandle(forWritingTo: errURL)
        let outHandle = try FileHandle(forWritingTo: outURL)
        p.standardError = errHandle
        p.standardOutput = outHandle
        p.standardInput = FileHandle.nullDevice
        do {
            try p.run()
        } catch {
            throw ToolFailure(description: "cannot run \(tool): \(error)")
        }
        p.waitUntilExit()
        try? errHandle.close()
        try? outHandle.close()
        let err = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
        let out = (try? String(contentsOf: outURL, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(at: errURL)
        try? FileManager.default.removeItem(at: outURL)
        guard p.terminationReason == .exit, p.terminationStatus == 0 else {
            throw ToolFailure(description: "\(tool) \(args.joined(separator: " ")) failed (\(p.terminationStatus)): \(err)")
        }
        return out
    }

    /// Runs a shell command line in this directory.
    @discardableResult
    func sh(_ command: String, env: [String: String] = [:]) throws -> String {
        try run("sh", ["-c", command], env: env)
    }
}

/// How a sample is cut into chunks.
enum Split: CustomStringConvertible, Sendable {
    case whole
    case fixed(Int)
    case random(seed: UInt64)

    var description: String {
        switch self {
        case .whole: "whole"
        case .fixed(let n): "fixed(\(n))"
        case .random(let s): "random(seed: \(s))"
        }
    }

    static let all: [Split] = [.whole, .fixed(1), .fixed(7), .fixed(4096),
                               .random(seed: 1), .random(seed: 0x5EA1), .random(seed: 99)]
}


struct SniffOutcome {
    var found: UnscannableSet
    /// Decoded bytes the sniffer took before `wantsMore` turned false.
    var consumed: Int
    var stoppedAtLimit: Bool = false
}

/// Feeds `data` like the engine does: chunks while `wantsMore`, then `finish()`.
func sniff(_ data: [UInt8], _ label: PartLabel, split: Split = .whole, maxBytes: Int = 1 << 30) -> SniffOutcome {
    var s = ContentSniffer(label: label, maxBytes: maxBytes)
    var rng = SplitMix(state: 0)
    if case .random(let seed) = split { rng = SplitMix(state: seed) }
    var at = 0
    data.withUnsafeBytes { all in
        while at < all.count && s.wantsMore {
            let size: Int
            switch split {
            case .whole: size = all.count
            case .fixed(let n): size = n
            case .random:
                // Mostly small, sometimes large, chunks.
                size = rng.next() % 4 == 0 ? Int(rng.next() % 65536) + 1 : Int(rng.next() % 300) + 1
            }
            let end = min(all.count, at + size)
            s.feed(UnsafeRawBufferPointer(rebasing: all[at..<end]))
            at = end
        }
    }
    s.finish()
    return SniffOutcome(found: s.found, consumed: at, stoppedAtLimit: s.stoppedAtLimit)
}

/// Checks that every split of the sample yields exactly `expected` (label kinds included).
func expectKinds(_ data: [UInt8], _ label: PartLabel, _ expected: UnscannableSet,
                 _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(!data.isEmpty, "\(what): empty sample", sourceLocation: sourceLocation)
    for split in Split.all {
        let got = sniff(data, label, split: split).found.union(Detector.kinds(fromLabel: label))
        #expect(got == expected, "\(what) [\(split)]: got [\(got.headerValue)], want [\(expected.headerValue)]",
                sourceLocation: sourceLocation)
    }
}

let octet = PartLabel(mediaType: "application/octet-stream", filename: "data.bin")
let plainText = PartLabel(mediaType: "text/plain", parameters: ["charset": "utf-8"])

func kinds(_ k: UnscannableKind...) -> UnscannableSet { UnscannableSet(kinds: k) }
