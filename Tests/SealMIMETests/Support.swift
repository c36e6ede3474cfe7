import Testing
import SealTestSupport
import Foundation
@testable import SealMIME

/// A handler that records everything the parser reports, and checks the call
/// protocol as it goes (each part begins once, data only between begin and end,
/// each part ends once).
final class Recorder: MIMEHandler {
    var data: [Int: [UInt8]] = [:]
    var headers: [(String, String)] = []
    var limits: [LimitKind] = []
    /// "b<index>" / "e<index>" in call order (data calls are not logged: their
    /// granularity depends on chunking).
    var events: [String] = []
    var began: Set<Int> = []
    var ended: Set<Int> = []
    var protocolErrors: [String] = []
    /// What partBegan answers for leaves; nil wants everything.
    var want: ((MIMEParser, Int) -> Bool)? = nil
    /// Stop accepting data for a part after this many bytes (nil: never).
    var stopAfter: Int? = nil

    func topLevelHeader(name: String, value: String) { headers.append((name, value)) }
    func partBegan(_ parser: MIMEParser, index: Int) -> Bool {
        if !began.insert(index).inserted { protocolErrors.append("began twice \(index)") }
        events.append("b\(index)")
        return want?(parser, index) ?? true
    }
    func partData(_ parser: MIMEParser, index: Int, _ bytes: UnsafeRawBufferPointer) -> Bool {
        if !began.contains(index) || ended.contains(index) { protocolErrors.append("data outside part \(index)") }
        if bytes.isEmpty { protocolErrors.append("empty data call \(index)") }
        data[index, default: []] += bytes
        if let s = stopAfter, data[index]!.count >= s { return false }
        return true
    }
    func partEnded(_ parser: MIMEParser, index: Int) {
        if !ended.insert(index).inserted { protocolErrors.append("ended twice \(index)") }
        events.append("e\(index)")
    }
    func limitExceeded(_ parser: MIMEParser, _ kind: LimitKind) {
        if limits.contains(kind) { protocolErrors.append("limit twice \(kind)") }
        limits.append(kind)
    }
}

/// Everything observable about one part, for equality across chunkings.
struct PartSnap: Equatable, CustomStringConvertible {
    var path: String
    var parent: Int?
    var kind: MIMEPart.Kind
    var mediaType: String
    var encoding: String
    var filename: String?
    var encodedSize: Int64
    var decodedSize: Int64
    var decodedAll: Bool
    var headerOffset: Int64
    var contentOffset: Int64
    var endOffset: Int64
    var delimiterOffset: Int64?
    var missingClose: Bool
    var ambiguity: Ambiguity = []
    var uninspected: LimitKind? = nil
    var data: [UInt8]

    var description: String {
        "\(path) \(kind) \(mediaType) \(encoding) fn=\(filename ?? "-") enc=\(encodedSize) dec=\(decodedSize) "
            + "h=\(headerOffset) c=\(contentOffset) e=\(endOffset) d=\(delimiterOffset.map(String.init) ?? "-")"
            + (missingClose ? " missing-close" : "") + (ambiguity.isEmpty ? "" : " ambiguous=\(ambiguity.names)")
            + (uninspected.map { " uninspected=\($0.rawValue)" } ?? "") + " data=\(String(decoding: data.prefix(60), as: UTF8.self).debugDescription)"
    }
}

struct ParseSnap: Equatable {
    var parts: [PartSnap]
    var limits: [LimitKind]
    var events: [String]
    var topHeaders: [String]
    var bodySize: Int64

    var leaves: [PartSnap] { parts.filter { $0.kind == .leaf } }
    func part(_ path: String) -> PartSnap? { parts.first { $0.path == path } }
    func text(_ path: String) -> String? { part(path).map { String(decoding: $0.data, as: UTF8.self) } }
}

func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }
/// `s` with every LF turned into CRLF.
func crlf(_ s: String) -> String { s.replacingOccurrences(of: "\n", with: "\r\n") }

/// Parses `msg` fed to `raw` (or, with `mta`, the top-level header fields through
/// `header`/`endOfHeaders` and the body through `body`) in chunks ending at `cuts`.
func parse(_ msg: [UInt8], cuts: [Int] = [], limits: ParserLimits = ParserLimits(), decodeAll: Bool = true,
           configure: (Recorder) -> Void = { _ in }) -> (ParseSnap, MIMEParser, Recorder) {
    let r = Recorder()
    configure(r)
    let p = MIMEParser(limits: limits, decodeAll: decodeAll, handler: r)
    var start = 0
    msg.withUnsafeBytes { all in
        for c in cuts.sorted() + [msg.count] where c > start && c <= msg.count {
            p.raw(UnsafeRawBufferPointer(rebasing: all[start..<c]))
            start = c
        }
    }
    p.finish()
    return (snapshot(p, r), p, r)
}

func snapshot(_ p: MIMEParser, _ r: Recorder) -> ParseSnap {
    let parts = p.parts.enumerated().map { i, x in
        PartSnap(path: x.path, parent: x.parent, kind: x.kind, mediaType: x.contentType.mediaType,
                 encoding: x.transferEncoding.name, filename: x.filename, encodedSize: x.encodedSize,
                 decodedSize: x.decodedSize, decodedAll: x.decodedAll, headerOffset: x.headerOffset,
                 contentOffset: x.contentOffset, endOffset: x.endOffset, delimiterOffset: x.delimiterOffset,
                 missingClose: x.missingCloseDelimiter, ambiguity: x.ambiguity, uninspected: x.uninspected,
                 data: r.data[i] ?? [])
    }
    return ParseSnap(parts: parts, limits: r.limits, events: r.events,
                     topHeaders: r.headers.map { $0.0 + ": " + $0.1 }, bodySize: p.bodySize)
}

/// Structural invariants every parse must satisfy, whatever the input.
func checkInvariants(_ s: ParseSnap, _ r: Recorder, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(r.protocolErrors.isEmpty, "\(r.protocolErrors)", sourceLocation: sourceLocation)
    #expect(r.began.count == s.parts.count, "every part begins", sourceLocation: sourceLocation)
    #expect(r.ended.count == s.parts.count, "every part ends", sourceLocation: sourceLocation)
    for (i, x) in s.parts.enumerated() {
        #expect(x.contentOffset >= 0 && x.endOffset >= x.contentOffset && x.endOffset <= s.bodySize,
                "offsets of \(x)", sourceLocation: sourceLocation)
        if x.kind == .leaf {
            #expect(x.encodedSize == x.endOffset - x.contentOffset, "leaf range = encoded size: \(x)",
                    sourceLocation: sourceLocation)
        }
        if let pi = x.parent {
            let parent = s.parts[pi]
            #expect(pi < i && parent.kind != .leaf, sourceLocation: sourceLocation)
            #expect(x.path.hasPrefix(parent.path + "."), sourceLocation: sourceLocation)
            #expect(x.contentOffset >= parent.contentOffset && x.endOffset <= parent.endOffset,
                    "child \(x.path) inside parent \(parent.path)", sourceLocation: sourceLocation)
        } else {
            #expect(i == 0 && x.path == "1", sourceLocation: sourceLocation)
        }
    }
}


func randomCuts(_ count: Int, _ rng: inout SplitMix, maxChunks: Int = 12) -> [Int] {
    guard count > 1 else { return [] }
    let k = Int.random(in: 1...maxChunks, using: &rng)
    return Set((0..<k).map { _ in Int.random(in: 1..<count, using: &rng) }).sorted()
}

/// The random-split invariance property: the same bytes in any chunking give the
/// same snapshot. Checks every 2-chunk split (when `everySplit`), 1-byte chunks and
/// `random` random multi-chunk splits. Returns the whole-message snapshot.
@discardableResult
func checkSplitInvariance(_ msg: [UInt8], everySplit: Bool = true, random: Int = 50, seed: UInt64 = 1,
                          limits: ParserLimits = ParserLimits(), label: String = "",
                          sourceLocation: SourceLocation = #_sourceLocation) -> ParseSnap {
    let (whole, _, r) = parse(msg, limits: limits)
    checkInvariants(whole, r, sourceLocation: sourceLocation)
    func same(_ cuts: [Int]) -> Bool {
        let (s, _, _) = parse(msg, cuts: cuts, limits: limits)
        if s != whole {
            Issue.record("\(label) split \(cuts.prefix(20)) differs:\n whole:\n  \(whole.parts.map(\.description).joined(separator: "\n  "))\n split:\n  \(s.parts.map(\.description).joined(separator: "\n  "))\n limits \(whole.limits) vs \(s.limits)\n events \(whole.events == s.events)",
                         sourceLocation: sourceLocation)
            return false
        }
        return true
    }
    if everySplit {
        for c in 1..<max(1, msg.count) where !same([c]) { break }
    }
    _ = same(Array(1..<max(1, msg.count)))   // 1-byte chunks
    var rng = SplitMix(seed: seed)
    for _ in 0..<random where !same(randomCuts(msg.count, &rng)) { break }
    return whole
}

/// The shared corpus directory (../shared/corpus relative to the repository root, or
/// `$SEALMILTER_CORPUS`).
func corpusDirectory() -> URL {
    if let d = ProcessInfo.processInfo.environment["SEALMILTER_CORPUS"] { return URL(fileURLWithPath: d) }
    return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/corpus")
}
