import SealPattern

/// Detectors laid out as one list of Hyperscan expressions, and the validation of what the
/// expressions found: candidates by linear-time patterns, then checked here (Luhn, issuer
/// ranges, MOD 97-10, SSN rules, VAT checks) and rated by the supporting keywords near them.
///
/// The engine puts ``expressions`` into its one scan of each message's text (a
/// `TextScanCondition`) and hands the offsets back to ``findings(in:matches:)``; ``scan(_:)``
/// does both on its own (tests, the benchmark, the fallback when the engine's shared
/// database could not be compiled).
public struct SensitiveScanner: Sendable {
    public let detectors: [SensitiveDetector]
    /// Every detector's candidate expressions; ids local to the scanner. Supporting keywords
    /// are not among them: they are looked for around validated matches (``KeywordSet``).
    public let expressions: [PatternExpression]
    /// Per detector: its candidate ids.
    let layout: [Range<Int>]
    /// Per detector: its keywords, compiled (nil: none).
    let keywordSets: [KeywordSet?]

    public init(detectors: [SensitiveDetector]) {
        self.detectors = detectors
        var exprs: [PatternExpression] = []
        var layout: [Range<Int>] = []
        for d in detectors {
            let c0 = exprs.count
            for (p, f) in d.candidateExpressions() {
                exprs.append(PatternExpression(p, id: UInt32(exprs.count), flags: f))
            }
            layout.append(c0..<exprs.count)
        }
        self.expressions = exprs
        self.layout = layout
        self.keywordSets = detectors.map { KeywordSet.of($0.keywords) }
    }

    /// The expressions compiled alone (block mode).
    public func compile() throws(PatternCompileError) -> PatternDatabase {
        try PatternDatabase(expressions, mode: .block)
    }

    /// Findings of each detector (in detector order) in `text`, scanning it with `database`
    /// (``compile()``).
    public func scan(_ text: UnsafeRawBufferPointer, database: PatternDatabase, scratch: Scratch? = nil) -> [[SensitiveFinding]] {
        var matches: [PatternMatch] = []
        database.scanMatches(text, scratch: scratch) { m in
            matches.append(m)
            return matches.count < 1 << 20
        }
        return findings(in: text, matches: matches)
    }

    /// Validates the candidates among `matches` (this scanner's ids, in order of end offset)
    /// in `text` and rates them by the keywords near them: the findings of each
    /// detector, in detector order, each once per place in the text.
    public func findings(in text: UnsafeRawBufferPointer, matches: [PatternMatch]) -> [[SensitiveFinding]] {
        let t = text.bindMemory(to: UInt8.self)
        var out: [[SensitiveFinding]] = Array(repeating: [], count: detectors.count)
        // Which detector owns each id.
        var owner = [Int](repeating: 0, count: expressions.count)
        for (i, l) in layout.enumerated() { for id in l { owner[id] = i } }
        var candidates: [[PatternMatch]] = Array(repeating: [], count: detectors.count)
        for m in matches where Int(m.id) < owner.count { candidates[owner[Int(m.id)]].append(m) }
        for (d, detector) in detectors.enumerated() where !candidates[d].isEmpty {
            var found: [(range: Range<Int>, value: [UInt8], base: Confidence, detail: String?)] = []
            var seenStarts = Set<Int>()
            var coveredUpTo = -1  // end of the last digit run read (card ends come in order)
            for m in candidates[d] {
                switch detector.kind {
                case .creditCard:
                    if m.to <= coveredUpTo { continue }
                    for c in Self.cards(t, end: m.to, seen: &seenStarts, runEnd: &coveredUpTo) { found.append((c.range, c.digits, .medium, c.issuer)) }
                case .iban:
                    let start = m.to - 4
                    if start > 0 && Self.isWord(t[start - 1]) { continue }
                    guard IBAN.length(t[start], t[start + 1]) > 0, let (r, v) = Self.iban(t, start: start),
                          seenStarts.insert(start).inserted else { continue }
                    found.append((r, v, .medium, String(decoding: v[0..<2], as: UTF8.self)))
                case .usSSN:
                    let start = m.to - 11
                    guard start >= 0, t[start + 3] == t[start + 6] else { continue }  // 123-45 6789: mixed separators
                    if start > 0 && (t[start - 1] == UInt8(ascii: "-") || Self.isWord(t[start - 1])) { continue }
                    if m.to < t.count && (t[m.to] == UInt8(ascii: "-") || Self.isWord(t[m.to])) { continue }
                    let digits = t[start..<m.to].filter { $0 >= 48 && $0 <= 57 }.map { $0 - 48 }
                    guard SSN.isValid(digits), seenStarts.insert(start).inserted else { continue }
                    found.append((start..<m.to, digits.map { $0 + 48 }, .low, nil))
                case .euVAT:
                    guard let (r, country, body) = VAT.number(t, triggerEnd: m.to), seenStarts.insert(r.lowerBound).inserted else { continue }
                    let chars = Array(country.prefix.utf8) + body
                    switch VAT.verdict(prefix: country.prefix, body: body) {
                    case .valid: found.append((r, chars, .medium, country.prefix))
                    case .formatOnly: found.append((r, chars, .low, country.prefix + ", format only"))
                    case .invalid: continue
                    }
                case .custom:
                    guard m.to > m.from, seenStarts.insert(m.from).inserted else { continue }
                    found.append((m.from..<m.to, Array(t[m.from..<m.to]), detector.baseConfidence, nil))
                }
            }
            out[d] = found.map { f in
                let near = keywordSets[d]?.near(f.range, in: t, distance: detector.distance) ?? false
                return SensitiveFinding(type: detector.name, value: f.value, range: f.range,
                                        confidence: near ? f.base.raised : f.base, detail: f.detail)
            }
        }
        return out
    }

    // MARK: Validators on the text

    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
    @inline(__always) static func isWord(_ c: UInt8) -> Bool { isAlnum(c) || c == 95 }
    @inline(__always) static func isAlnum(_ c: UInt8) -> Bool {
        isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
    }

    /// Card numbers in the digit run that ends at or after `end`: the run (digits joined by
    /// single spaces or dashes) is found once, split at its separators, and the longest
    /// window of whole groups from each position that is a valid card (12-19 digits, issuer
    /// range and length, Luhn) counts; windows do not overlap.
    static func cards(_ t: UnsafeBufferPointer<UInt8>, end: Int, seen: inout Set<Int>, runEnd: inout Int)
        -> [(range: Range<Int>, digits: [UInt8], issuer: String)] {
        guard end > 0, end <= t.count, isDigit(t[end - 1]) else { return [] }
        var s = end - 1
        while s > 0 {
            if isDigit(t[s - 1]) { s -= 1; continue }
            if s >= 2, t[s - 1] == 32 || t[s - 1] == 45, isDigit(t[s - 2]) { s -= 1; continue }
            break
        }
        var e = end
        while e < t.count {
            if isDigit(t[e]) { e += 1; continue }
            if e + 1 < t.count, t[e] == 32 || t[e] == 45, isDigit(t[e + 1]) { e += 1; continue }
            break
        }
        runEnd = e
        guard seen.insert(s).inserted else { return [] }
        if s > 0 && isAlnum(t[s - 1]) { return [] }
        if e < t.count && isAlnum(t[e]) { return [] }
        // Fewer than 12 digits: no card (most runs: dates, phone numbers).
        var count = 0
        for i in s..<e where isDigit(t[i]) { count += 1 }
        if count < 12 { return [] }
        // Groups: (start, end) of each digit group.
        var groups: [Range<Int>] = []
        var g = s
        for i in s..<e where !isDigit(t[i]) { groups.append(g..<i); g = i + 1 }
        groups.append(g..<e)
        var out: [(Range<Int>, [UInt8], String)] = []
        var digits: [UInt8] = []
        digits.reserveCapacity(40)
        var i = 0
        while i < groups.count {
            // Only a group that starts with an issuer's first digit can start a card.
            guard CardIssuer.firstDigits.contains(t[groups[i].lowerBound] - 48) else { i += 1; continue }
            digits.removeAll(keepingCapacity: true)
            var best: (Int, Int, String)? = nil  // last group, digit count, issuer
            var j = i
            while j < groups.count {
                for k in groups[j] { digits.append(t[k] - 48) }
                if digits.count > 19 { break }
                if digits.count >= 12, let issuer = CardIssuer.issuer(of: digits[...]) { best = (j, digits.count, issuer.name) }
                j += 1
            }
            if let (j, n, name) = best {
                out.append((groups[i].lowerBound..<groups[j].upperBound, digits[0..<n].map { $0 + 48 }, name))
                i = j + 1
            } else {
                i += 1
            }
        }
        return out
    }

    /// The IBAN starting at `start` (country letters): its characters with single spaces
    /// between them skipped, exactly the country's length, not followed by another letter
    /// or digit; nil when it is none.
    static func iban(_ t: UnsafeBufferPointer<UInt8>, start: Int) -> (Range<Int>, [UInt8])? {
        guard start >= 0, start + 4 <= t.count else { return nil }
        let n = IBAN.length(t[start], t[start + 1])
        guard n > 0 else { return nil }
        var chars: [UInt8] = []
        var i = start
        while i < t.count && chars.count < n {
            let c = t[i]
            if isDigit(c) || (c >= 65 && c <= 90) { chars.append(c); i += 1; continue }
            if c == 32, i + 1 < t.count, !chars.isEmpty, isAlnum(t[i + 1]) { i += 1; continue }
            break
        }
        guard chars.count == n else { return nil }
        if i < t.count && isAlnum(t[i]) { return nil }
        return IBAN.isValid(chars) ? (start..<i, chars) : nil
    }
}
