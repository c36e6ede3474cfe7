// libFuzzer harness for the SealMIME streaming parser (built by ../run.sh with
// swiftc -sanitize=fuzzer,address against Sources/SealMIME directly).
//
// Input layout: byte 0 = flags (bit 0-2: number of chunk sizes k, bit 3: tight
// limits, bit 4: MTA-style body feed after a fixed Content-Type), bytes 1...k =
// chunk sizes (1...256, cycled), the rest = the message.
//
// Each input is parsed twice: whole, and in the chunks the header describes. The
// harness traps when the two parses differ (split invariance) or when a
// structural invariant breaks; ASan catches memory errors.

#if canImport(Glibc)
import Glibc
#endif

final class FuzzHandler: MIMEHandler {
    var data: [Int: [UInt8]] = [:]
    var events: [Int] = []
    var limits: [LimitKind] = []
    var began = Set<Int>()
    var ended = Set<Int>()
    func topLevelHeader(name: String, value: String) {}
    func partBegan(_ parser: MIMEParser, index: Int) -> Bool {
        precondition(began.insert(index).inserted, "part began twice")
        events.append(index)
        return index % 3 != 2   // decline some parts
    }
    func partData(_ parser: MIMEParser, index: Int, _ bytes: UnsafeRawBufferPointer) -> Bool {
        precondition(began.contains(index) && !ended.contains(index), "data outside its part")
        precondition(bytes.count > 0, "empty data")
        // Stop parts after 5000 bytes; only those first 5000 bytes are compared (how
        // far past them the last call reached depends on the chunking).
        let have = data[index]?.count ?? 0
        data[index, default: []] += bytes.prefix(max(0, 5000 - have))
        return have + bytes.count < 5000
    }
    func partEnded(_ parser: MIMEParser, index: Int) {
        precondition(ended.insert(index).inserted, "part ended twice")
        events.append(-1 - index)
    }
    func limitExceeded(_ parser: MIMEParser, _ kind: LimitKind) { limits.append(kind) }
    var embedded: [String] = []
    func embeddedHeader(_ parser: MIMEParser, index: Int, name: String, value: String) {
        let parent = parser.parts[index].parent
        precondition(parent != nil && parser.parts[parent!].kind == .message, "embedded header outside an embedded message")
        embedded.append("\(index) \(name): \(value)")
    }
}

struct Snap: Equatable {
    var rows: [String]
    var data: [Int: [UInt8]]
    var events: [Int]
    var limits: [LimitKind]
    var embedded: [String]
}

func report(_ s: String) { fputs(s + "\n", stderr) }

func run(_ msg: UnsafeRawBufferPointer, chunks: [Int], limits: ParserLimits, mta: Bool) -> Snap {
    let h = FuzzHandler()
    let p = MIMEParser(limits: limits, decodeAll: true, handler: h)
    p.embeddedHeaderNames = ["message-id", "subject"]
    if mta {
        p.header(name: "Content-Type", value: "multipart/mixed; boundary=\"b\"")
        p.endOfHeaders()
    }
    var pos = 0
    var k = 0
    while pos < msg.count {
        let size = chunks.isEmpty ? msg.count : chunks[k % chunks.count]
        k += 1
        let end = min(msg.count, pos + size)
        let chunk = UnsafeRawBufferPointer(rebasing: msg[pos..<end])
        if mta { p.body(chunk) } else { p.raw(chunk) }
        pos = end
    }
    p.finish()
    precondition(h.began.count == p.parts.count && h.ended.count == p.parts.count, "begin/end count")
    precondition(p.parts.count <= limits.maxParts, "too many parts")
    precondition(p.hasUninspectedParts == p.parts.contains { $0.uninspected != nil }, "hasUninspectedParts")
    precondition(p.ambiguities == p.parts.reduce(into: Ambiguity()) { $0.formUnion($1.ambiguity) }, "ambiguities")
    var rows: [String] = []
    for (i, x) in p.parts.enumerated() {
        precondition(x.contentOffset >= 0 && x.endOffset >= x.contentOffset && x.endOffset <= p.bodySize, "offsets")
        precondition(x.depth <= limits.maxDepth, "depth")
        if x.kind == .leaf { precondition(x.encodedSize == x.endOffset - x.contentOffset, "leaf size") }
        if let parent = x.parent {
            precondition(parent < i && p.parts[parent].kind != .leaf, "parent")
            precondition(x.contentOffset >= p.parts[parent].contentOffset && x.endOffset <= p.parts[parent].endOffset, "nesting")
        }
        if x.decodedAll, let d = h.data[i], d.count < 5000, d.count < limits.maxInspectBytes {
            precondition(Int64(d.count) == x.decodedSize, "decoded size")
        }
        rows.append("\(x.path) \(x.kind) \(x.contentType.mediaType) \(x.transferEncoding.name) \(x.filename ?? "-") "
            + "\(x.encodedSize) \(x.decodedSize) \(x.decodedAll) \(x.headerOffset) \(x.contentOffset) \(x.endOffset) "
            + "\(x.delimiterOffset ?? -9) \(x.missingCloseDelimiter) \(x.ambiguity.rawValue) \(x.uninspected?.rawValue ?? "-")")
        // A part is uninspected only because of a limit that was reported.
        if let u = x.uninspected { precondition(h.limits.contains(u), "uninspected without its limit") }
    }
    return Snap(rows: rows, data: h.data, events: h.events, limits: h.limits, embedded: h.embedded)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size >= 1 else { return 0 }
    let flags = data[0]
    let k = Int(flags & 7)
    guard size >= 1 + k else { return 0 }
    let chunks = (0..<k).map { Int(data[1 + $0]) + 1 }
    let msg = UnsafeRawBufferPointer(start: data + 1 + k, count: size - 1 - k)
    var limits = ParserLimits()
    if flags & 8 != 0 {
        limits.maxDepth = 3; limits.maxParts = 6; limits.maxHeaderBytes = 40; limits.maxHeaders = 5
        limits.maxInspectBytes = 50
    }
    let mta = flags & 16 != 0
    let whole = run(msg, chunks: [], limits: limits, mta: mta)
    let split = run(msg, chunks: chunks.isEmpty ? [1] : chunks, limits: limits, mta: mta)
    if whole != split {
        report("SPLIT MISMATCH chunks=\(chunks)")
        for (a, b) in zip(whole.rows, split.rows) where a != b { report(" whole: \(a)\n split: \(b)") }
        if whole.rows.count != split.rows.count { report(" part count \(whole.rows.count) vs \(split.rows.count)") }
        if whole.data != split.data { report(" decoded data differs") }
        if whole.events != split.events { report(" events differ") }
        if whole.limits != split.limits { report(" limits \(whole.limits) vs \(split.limits)") }
        if whole.embedded != split.embedded { report(" embedded headers \(whole.embedded) vs \(split.embedded)") }
        fatalError("split invariance violated")
    }
    return 0
}
