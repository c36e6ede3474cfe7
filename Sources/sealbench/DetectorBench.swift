import Foundation
import SealPattern
import SealSensitive

/// `sealbench --mode detectors [--text-mb N]`: the sensitive-information detectors on text
/// alone (no MIME): every built-in type and two custom ones in one scanner, over a generated
/// text of realistic density, in 1 MiB pieces (the size of a large text part): the Hyperscan
/// pass with the candidates validated and rated, and the pass alone for reference.
/// `--text-file FILE`: the text is FILE's bytes (real decoded text, for example that of
/// `Benchmarks/detectors/corpus-text.py`) repeated to the size asked for.
func runDetectorBench(textMB: Int, textFile: String? = nil) {
    // Numbers in 3% of the words (DETECTOR_NUMBERS_PERCENT): about 4% of the bytes are
    // digits, against 0.8% in the parser corpus's text parts.
    let numbersPercent = Int(ProcessInfo.processInfo.environment["DETECTOR_NUMBERS_PERCENT"] ?? "3") ?? 3
    let text: [UInt8]
    if let textFile {
        guard let d = FileManager.default.contents(atPath: textFile), !d.isEmpty else { fail("--text-file \(textFile): cannot read it, or it is empty") }
        var t = [UInt8]()
        t.reserveCapacity(textMB << 20)
        while t.count < textMB << 20 { t += d.prefix((textMB << 20) - t.count) }
        text = t
    } else {
        text = detectorBenchText(bytes: textMB << 20, numbersPercent: numbersPercent)
    }
    let digits = text.reduce(0) { $0 + ($1 >= 48 && $1 <= 57 ? 1 : 0) }
    var detectors = SensitiveDetector.builtinNames.map { SensitiveDetector.builtin($0)! }
    detectors.append(SensitiveDetector(name: "employee_id", kind: .custom(pattern: "EMP-[0-9]{6}", caseless: false),
                                       keywords: ["employee", "personnel"], distance: 100))
    detectors.append(SensitiveDetector(name: "project_code", kind: .custom(pattern: "\\bPRJ[0-9]{4}-[A-Z]{2}\\b", caseless: true),
                                       keywords: ["project"], distance: 100))
    if ProcessInfo.processInfo.environment["SEALBENCH_NO_KEYWORDS"] != nil {
        for i in detectors.indices { detectors[i].keywords = [] }
    }
    let scanner = SensitiveScanner(detectors: detectors)
    let t0 = now()
    let db: PatternDatabase
    do { db = try scanner.compile() } catch { fail("detectors do not compile: \(error)") }
    let compile = now() - t0
    let scratch = Scratch(for: [db])
    let piece = 1 << 20
    func pass(_ body: (UnsafeRawBufferPointer) -> Void) -> Double {
        let t = now()
        text.withUnsafeBytes { all in
            var i = 0
            while i < all.count {
                body(UnsafeRawBufferPointer(rebasing: all[i..<min(i + piece, all.count)]))
                i += piece
            }
        }
        return now() - t
    }
    var counts = [Int](repeating: 0, count: detectors.count)
    var matches = 0
    // Warm-up, then the measured runs (best of 3 each).
    _ = pass { _ = scanner.scan($0, database: db, scratch: scratch) }
    // The levels a `sensitive: TYPE` condition asks for without `confidence:` (medium for a
    // built-in type, a custom type's own): keywords are looked for only where they decide.
    let levels = detectors.map { SensitiveDetector.builtinNames.contains($0.name) ? Confidence.medium : $0.baseConfidence }
    var full = Double.infinity, raw = Double.infinity, asked = Double.infinity
    for round in 0..<3 {
        full = min(full, pass { b in
            let f = scanner.scan(b, database: db, scratch: scratch)
            if round == 0 { for (i, x) in f.enumerated() { counts[i] += x.count } }
        })
        asked = min(asked, pass { b in _ = scanner.scan(b, database: db, scratch: scratch, levels: levels) })
        raw = min(raw, pass { b in
            db.scanMatches(b, scratch: scratch) { _ in if round == 0 { matches += 1 }; return true }
        })
    }
    let gb = Double(text.count) / 1e9
    // Validation alone: the matches of each piece kept, then validated and rated (best of 3).
    var pieceMatches: [[PatternMatch]] = []
    _ = pass { b in
        var ms: [PatternMatch] = []
        db.scanMatches(b, scratch: scratch) { ms.append($0); return true }
        pieceMatches.append(ms)
    }
    var validate = Double.infinity
    for _ in 0..<(Int(ProcessInfo.processInfo.environment["SEALBENCH_VALIDATE_ROUNDS"] ?? "3") ?? 3) {
        var k = 0
        validate = min(validate, pass { b in _ = scanner.findings(in: b, matches: pieceMatches[k], scratch: scratch); k += 1 })
    }
    if let tries = ProcessInfo.processInfo.environment["SEALBENCH_TRY"] {
        // Candidate expressions to compare (one per line, "s:" prefix for SOM), alone and together.
        var set: [PatternExpression] = []
        for (i, line) in tries.split(separator: "\n").enumerated() {
            let som = line.hasPrefix("s:")
            let e = PatternExpression(String(som ? line.dropFirst(2) : line), id: UInt32(i), flags: som ? [.somLeftmost] : [])
            set.append(e)
            guard let one = try? PatternDatabase([e], mode: .block) else { print("does not compile: \(line)"); continue }
            var n = 0
            let t = pass { b in one.scanMatches(b) { _ in n += 1; return true } }
            print(String(format: "try gbps=%.2f matches=%d %@", gb / t, n, String(line)))
        }
        if let all = try? PatternDatabase(set, mode: .block) {
            var n = 0
            let t = pass { b in all.scanMatches(b) { _ in n += 1; return true } }
            print(String(format: "try-all gbps=%.2f matches=%d", gb / t, n))
        }
        return
    }
    if ProcessInfo.processInfo.environment["SEALBENCH_EACH_DETECTOR"] != nil {
        for d in detectors {
            let one = SensitiveScanner(detectors: [d])
            guard let odb = try? one.compile() else { continue }
            var n = 0
            let tf = pass { b in n += one.scan(b, database: odb, scratch: scratch)[0].count }
            let ts = pass { b in odb.scanMatches(b, scratch: scratch) { _ in true } }
            print(String(format: "detector %@ gbps=%.2f scan_only_gbps=%.2f findings=%d", d.name, gb / tf, gb / ts, n))
        }
    }
    if ProcessInfo.processInfo.environment["SEALBENCH_EACH_EXPRESSION"] != nil {
        // Each expression alone (Hyperscan pass only): where the time goes.
        for e in scanner.expressions {
            guard let one = try? PatternDatabase([PatternExpression(e.pattern, id: 0, flags: e.flags)], mode: .block) else { continue }
            var n = 0
            let t = pass { b in one.scanMatches(b) { _ in n += 1; return true } }
            print(String(format: "expression gbps=%.2f matches=%d flags=%u %@", gb / t, n, e.flags.rawValue, e.pattern))
        }
    }
    print(String(format: "sealbench detectors digits_percent=%.1f", Double(digits) * 100 / Double(text.count)), terminator: " ")
    print(String(format: "bytes=%d compile_seconds=%.3f seconds=%.3f gbps=%.2f default_levels_gbps=%.2f scan_only_seconds=%.3f scan_only_gbps=%.2f validation_seconds=%.3f matches=%d findings=%@ expressions=%d",
                 text.count, compile, full, gb / full, gb / asked, raw, gb / raw, validate, matches,
                 zip(detectors, counts).map { "\($0.name):\($1)" }.joined(separator: ","), scanner.expressions.count))
}

/// A deterministic text of `bytes` bytes: prose with the numbers mail is full of
/// (dates, amounts, phone and order numbers, invoice references, times) and, about every
/// 4 KB, a sensitive item (a card with or without a keyword, an IBAN, an SSN, a VAT number,
/// a custom ID), some of them invalid (failing their checksum).
func detectorBenchText(bytes: Int, numbersPercent: Int) -> [UInt8] {
    // The parser corpus's vocabulary (Benchmarks/make_corpus.py: common English words and
    // mail terms), with a few business words some detectors use as keywords.
    let words = ("the of and to in is that for it as was with be by on not he this are or his "
        + "from at which but have an they you were her she there been one all we their "
        + "mail filter message boundary header attachment policy verdict scanner parser "
        + "stream decode encode base64 quoted printable multipart alternative mixed related "
        + "invoice report meeting agenda quarterly budget shipment tracking password reset "
        + "customer order delivery account project payment").split(separator: " ").map(String.init)
    let fillers = ["on 2026-11-30", "at 14:30", "EUR 1,299.00", "USD 45.50", "call +1 555 0100 2000",
                   "order ORD-2024-000123", "ref 20241130-7781", "room 4.12", "ext. 3301", "PO 4500012345",
                   "tracking 1Z999AA10123456784", "version 2.14.1", "12 items", "ticket #88231"]
    let sensitive = ["card 4111 1111 1111 1111 exp 12/29", "4012888888881881", "5555-5555-5555-4444",
                     "IBAN DE89 3704 0044 0532 0130 00", "GB29NWBK60161331926819", "SSN 123-45-6789",
                     "VAT DE136695976", "FR40303265045", "employee EMP-123456", "4111 1111 1111 1112",
                     "DE89 3704 0044 0532 0130 01", "PRJ2024-AB"]
    var out: [UInt8] = []
    out.reserveCapacity(bytes)
    var x: UInt64 = 0x9E3779B97F4A7C15
    func next() -> Int { x ^= x << 13; x ^= x >> 7; x ^= x << 17; return Int(x >> 1) }
    var sinceSensitive = 0
    var line = 0
    while out.count < bytes {
        let r = next() % 100
        let piece: String
        if sinceSensitive > 3500 + next() % 1000 { piece = sensitive[next() % sensitive.count]; sinceSensitive = 0 }
        else if r < numbersPercent { piece = fillers[next() % fillers.count] }
        else { piece = words[next() % words.count] }
        out += piece.utf8
        sinceSensitive += piece.utf8.count + 1
        line += piece.utf8.count + 1
        if line > 72 { out += [13, 10]; line = 0 } else { out.append(32) }
    }
    out.removeLast(out.count - bytes)
    return out
}
