// sealbench --mode matchers: text-matcher throughput (see main.swift).
import Glibc
import SealPattern
import SealPolicy

/// The 1000 expressions of Benchmarks/make_policies.py (same forms, same order).
func benchExpression(_ i: Int) -> String {
    switch i % 5 {
    case 0: return "(?i)\\bacct-\(i)\\b"
    case 1: return "(?i)urgent.{0,40}transfer-\(i)"
    case 2: return "ref[-_ ]?\(i)\\d{3}x"
    case 3: return "(?i)(wire|swift|iban)\\s*\(i)q[a-z]{2}"
    default: return "(?i)invoice\\s+#?\(i)-[0-9]{4,8}z"
    }
}

/// A text of about `bytes` bytes: words of mail prose, some non-ASCII, digits, line breaks.
func benchText(bytes: Int) -> String {
    let words = ["the", "invoice", "Account", "urgent", "payment", "über", "Größe", "wire", "transfer",
                 "ref", "2024", "iban", "SWIFT", "please", "number", "régler", "facture", "123-4567", "acct", "—"]
    var rng = UInt64(20261130)
    var out = ""
    out.reserveCapacity(bytes + 32)
    var col = 0
    while out.utf8.count < bytes {
        rng = rng &* 6364136223846793005 &+ 1442695040888963407
        let w = words[Int(rng >> 33) % words.count]
        out += w
        col += w.utf8.count + 1
        if col > 72 { out += "\n"; col = 0 } else { out += " " }
    }
    return out
}

func runMatcherBench(textMB: Int) {
    let text = benchText(bytes: textMB * 1_000_000)
    let n = text.utf8.count
    func report(_ name: String, compile: Double, _ body: () -> Bool) {
        var hit = false
        var rounds = 0
        let t0 = now()
        repeat { hit = body(); rounds += 1 } while now() - t0 < 0.5
        let dt = (now() - t0) / Double(rounds)
        print(String(format: "sealbench matchers case=%@ bytes=%d seconds=%.6f mbps=%.1f compile_s=%.3f hit=%@",
                     name, n, dt, Double(n) / dt / 1e6, compile, hit ? "yes" : "no"))
    }
    func timed<T>(_ f: () throws -> T) rethrows -> (T, Double) {
        let t0 = now(); let r = try f(); return (r, now() - t0)
    }
    do {
        // One plain keyword: Hyperscan, and the memchr search it replaced (reference).
        let (kw, kwc) = try timed { try TextMatcher(keywords: ["sealmilter-benchmark-keyword"]) }
        report("keyword-hyperscan", compile: kwc) { kw.matches(text) }
        let needle = Array("sealmilter-benchmark-keyword".utf8)
        report("keyword-memchr-reference", compile: 0) {
            var t = text
            return t.withUTF8 { containsASCIIFolded(UnsafeRawBufferPointer($0), needle) }
        }
        let (uk, ukc) = try timed { try TextMatcher(keywords: ["größe-nicht-da"]) }
        report("keyword-non-ascii", compile: ukc) { uk.matches(text) }
        // Issue 8's hostile expressions (each on the whole text: no match, full scan).
        for p in ["(?i)account.*numberx", "(?i)urgent.*(wirex|transferx)", "(a+)+$"] {
            let (m, c) = try timed { try TextMatcher(patterns: [p]) }
            report("hostile:\(p)", compile: c) { m.matches(text) }
        }
        // 1000 expressions.
        let exprs = (0..<1000).map(benchExpression)
        let (one, onec) = try timed { try TextMatcher(patterns: exprs) }
        report("1000-patterns-one-matcher", compile: onec) { one.matches(text) }
        let (many, manyc) = try timed { try exprs.map { try TextMatcher(patterns: [$0]) } }
        let scratch = Scratch()
        report("1000-matchers-one-scan-each", compile: manyc) { many.contains { $0.matches(text, scratch: scratch) } }
        let (set, setc) = try timed { try TextMatcherSet(many, modes: .block) }
        let setScratch = set.makeScratch()
        report("1000-matchers-set-block", compile: setc) { !set.matching(text, scratch: setScratch).isEmpty }
        let (sset, ssetc) = try timed { try TextMatcherSet(many, modes: .stream) }
        let sScratch = sset.makeScratch()
        report("1000-matchers-set-stream-64k", compile: ssetc) {
            let s = sset.openStream(scratch: sScratch)
            withUTF8(text) { all in
                var at = 0
                while at < all.count {
                    let k = min(65536, all.count - at)
                    s.feed(UnsafeRawBufferPointer(rebasing: all[at..<(at + k)]))
                    at += k
                }
            }
            return !s.finish().isEmpty
        }
        print("sealbench matchers stream_state_bytes=\(sset.streamStateSize) set_database_bytes=\(set.byteSize) hyperscan=\(hyperscanVersion)")
    } catch {
        fail("\(error)")
    }
}

/// The ASCII keyword search TextMatcher used before Hyperscan (memchr for the first byte in
/// either case, then a folded compare), kept here only as the benchmark's reference.
func containsASCIIFolded(_ hay: UnsafeRawBufferPointer, _ needle: [UInt8]) -> Bool {
    let n = needle.count
    guard n > 0 else { return true }
    guard hay.count >= n, let base = hay.baseAddress else { return false }
    let p = base.assumingMemoryBound(to: UInt8.self)
    let lower = needle[0]
    let upper = (lower >= 97 && lower <= 122) ? lower - 32 : lower
    let last = hay.count - n
    var i = 0
    while i <= last {
        let a = memchr(p + i, Int32(lower), last - i + 1)
        let b = upper == lower ? nil : memchr(p + i, Int32(upper), last - i + 1)
        let hit: UnsafeMutableRawPointer
        switch (a, b) {
        case (nil, nil): return false
        case (let x?, nil): hit = x
        case (nil, let y?): hit = y
        case (let x?, let y?): hit = min(x, y)
        }
        let j = UnsafeRawPointer(hit).assumingMemoryBound(to: UInt8.self) - p
        var k = 1
        while k < n {
            var c = p[j + k]
            if c >= 65 && c <= 90 { c += 32 }
            if c != needle[k] { break }
            k += 1
        }
        if k == n { return true }
        i = j + 1
    }
    return false
}
