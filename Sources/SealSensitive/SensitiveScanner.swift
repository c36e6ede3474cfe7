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
    /// Every detector's candidate expressions, each once (the card and SSN detectors share
    /// theirs); ids local to the scanner. Supporting keywords are not among them: they are
    /// looked for around validated matches (``KeywordSet``).
    public let expressions: [PatternExpression]
    /// Per expression id: the detectors it serves, as a range of ``ownerList``.
    let owners: [Range<Int>]
    let ownerList: [Int]
    /// Per detector: what validates its candidates (its kind without the payload).
    let validators: [Validator]
    /// Per detector: its keywords, compiled (nil: none).
    let keywordSets: [KeywordSet?]

    /// How a detector's candidates are read and checked.
    enum Validator { case creditCard, iban, usSSN, euVAT, custom }

    public init(detectors: [SensitiveDetector]) {
        self.detectors = detectors
        var exprs: [PatternExpression] = []
        var owners: [[Int]] = []
        var ids: [ExpressionKey: Int] = [:]
        for (d, detector) in detectors.enumerated() {
            for (p, f) in detector.candidateExpressions() {
                let key = ExpressionKey(pattern: p, flags: f.rawValue)
                if let id = ids[key] { owners[id].append(d); continue }
                ids[key] = exprs.count
                exprs.append(PatternExpression(p, id: UInt32(exprs.count), flags: f))
                owners.append([d])
            }
        }
        self.expressions = exprs
        var list: [Int] = []
        self.owners = owners.map { o in
            defer { list += o }
            return list.count..<(list.count + o.count)
        }
        self.ownerList = list
        self.validators = detectors.map {
            switch $0.kind {
            case .creditCard: .creditCard
            case .iban: .iban
            case .usSSN: .usSSN
            case .euVAT: .euVAT
            case .custom: .custom
            }
        }
        self.keywordSets = detectors.map { KeywordSet.of($0.keywords) }
    }

    /// The expressions compiled alone (block mode).
    public func compile() throws(PatternCompileError) -> PatternDatabase {
        try PatternDatabase(expressions, mode: .block)
    }

    /// Findings of each detector (in detector order) in `text`, scanning it with `database`
    /// (``compile()``). Candidates are validated as the scan reports them, while the text
    /// around them is in the cache; keywords are looked for afterwards. `levels`: see
    /// ``findings(in:matches:scratch:levels:)``.
    public func scan(_ text: UnsafeRawBufferPointer, database: PatternDatabase, scratch: Scratch? = nil,
                     levels: [Confidence]? = nil) -> [[SensitiveFinding]] {
        let t = text.bindMemory(to: UInt8.self)
        var v = Validation(self)
        var seen = 0
        database.scanMatches(text, scratch: scratch) { m in
            v.take(m, in: t)
            seen += 1
            return seen < 1 << 20
        }
        return rate(v.found, in: t, scratch: scratch, levels: levels)
    }

    /// Validates the candidates among `matches` (this scanner's ids, in order of end offset)
    /// in `text` and rates them by the keywords near them: the findings of each
    /// detector, in detector order, each once per place in the text.
    ///
    /// `levels`, when given, is the confidence each detector's caller asks for: only the
    /// findings that reach it are returned, and keywords are looked for only where they
    /// decide it (a card alone is medium: asked for medium, it needs no keyword). Without
    /// it every finding is returned, rated (explanations, `sealctl`).
    public func findings(in text: UnsafeRawBufferPointer, matches: [PatternMatch], scratch: Scratch? = nil,
                         levels: [Confidence]? = nil) -> [[SensitiveFinding]] {
        rate(candidates(in: text, matches: matches), in: text.bindMemory(to: UInt8.self), scratch: scratch, levels: levels)
    }

    // MARK: Validators on the text

    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
    @inline(__always) static func isWord(_ c: UInt8) -> Bool { isAlnum(c) || c == 95 }
    @inline(__always) static func isAlnum(_ c: UInt8) -> Bool {
        isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
    }
    @inline(__always) static func isSeparator(_ c: UInt8) -> Bool { c == 32 || c == 45 }

    /// The digits (as ASCII) in `range` of `t`, separators left out: a finding's value.
    static func digits(_ t: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> [UInt8] {
        t[range].filter(isDigit)
    }

    /// The digit run (digits joined by single spaces or dashes) that holds the digit just
    /// before `end`; nil when there is no digit there.
    static func digitRun(_ t: UnsafeBufferPointer<UInt8>, end: Int) -> Range<Int>? {
        guard end > 0, end <= t.count, isDigit(t[end - 1]) else { return nil }
        var s = end - 1
        while s > 0 {
            if isDigit(t[s - 1]) { s -= 1; continue }
            if s >= 2, isSeparator(t[s - 1]), isDigit(t[s - 2]) { s -= 1; continue }
            break
        }
        var e = end
        while e < t.count {
            if isDigit(t[e]) { e += 1; continue }
            if e + 1 < t.count, isSeparator(t[e]), isDigit(t[e + 1]) { e += 1; continue }
            break
        }
        return s..<e
    }

    /// Card numbers in a digit run (``digitRun(_:end:)``), reported to `found` with their
    /// issuer: the run must not touch a letter or digit; from each group that starts with an
    /// issuer's first digit, the longest window of whole groups that is a valid card (12-19
    /// digits, issuer range and length, Luhn) counts; windows do not overlap. The Luhn sums
    /// and the issuer prefix are kept as the window grows: each window is read once.
    static func cards(_ t: UnsafeBufferPointer<UInt8>, run: Range<Int>, _ found: (Range<Int>, String) -> Void) {
        let s = run.lowerBound, e = run.upperBound
        if s > 0 && isAlnum(t[s - 1]) { return }
        if e < t.count && isAlnum(t[e]) { return }
        // Fewer than 12 digits: no card (most runs: dates, phone numbers).
        var count = 0
        for i in s..<e where isDigit(t[i]) { count += 1 }
        if count < 12 { return }
        var i = s  // a group's first digit
        while i < e {
            var next = i  // where the next window starts: after this group, or after a card
            if CardIssuer.firstDigits[Int(t[i] - 48)] {
                var luhn = LuhnSums()
                var prefix: UInt32 = 0  // the first six digits
                var best: (end: Int, issuer: String)? = nil
                var p = i
                while p <= e {
                    if p < e && isDigit(t[p]) {
                        let d = t[p] - 48
                        luhn.append(d)
                        if luhn.count <= 6 { prefix = prefix * 10 + UInt32(d) }
                        if luhn.count > 19 { break }
                        p += 1
                        continue
                    }
                    // A group ends at p.
                    if luhn.count >= 12, luhn.isValid,
                       let issuer = CardIssuer.issuer(prefix: prefix, length: luhn.count) { best = (p, issuer.name) }
                    if next == i { next = p + 1 }
                    p += 1
                }
                if let best {
                    found(i..<best.end, best.issuer)
                    next = best.end + 1
                }
            }
            if next == i {  // not a start: skip the group
                next = i
                while next < e && isDigit(t[next]) { next += 1 }
                next += 1
            }
            i = next
        }
    }

    /// US Social Security numbers in a digit run, reported to `found`: three groups of 3,
    /// 2 and 4 digits joined by the same separator, not next to a dash or a word character.
    static func ssns(_ t: UnsafeBufferPointer<UInt8>, run: Range<Int>, _ found: (Range<Int>) -> Void) {
        var g0 = run.lowerBound
        while g0 < run.upperBound {
            var g1 = g0
            while g1 < run.upperBound && isDigit(t[g1]) { g1 += 1 }
            // g0..<g1 is a group; the window is g0 + 11 characters when the shape holds.
            let end = g0 + 11
            if g1 - g0 == 3, end <= run.upperBound, t[g0 + 3] == t[g0 + 6],
               isDigit(t[g0 + 4]), isDigit(t[g0 + 5]), isSeparator(t[g0 + 6]),
               isDigit(t[g0 + 7]), isDigit(t[g0 + 8]), isDigit(t[g0 + 9]), isDigit(t[g0 + 10]),
               !(g0 > 0 && (t[g0 - 1] == 45 || isWord(t[g0 - 1]))),
               !(end < t.count && (t[end] == 45 || isWord(t[end]))) {
                var v: [UInt8] = []
                for i in g0..<end where isDigit(t[i]) { v.append(t[i] - 48) }
                if SSN.isValid(v) { found(g0..<end) }
            }
            g0 = g1 + 1
        }
    }

    /// The IBAN starting at `start` (country letters): its characters with single spaces
    /// between them skipped, exactly the country's length, not followed by another letter
    /// or digit, passing MOD 97-10 (computed as it is read); nil when it is none.
    static func iban(_ t: UnsafeBufferPointer<UInt8>, start: Int) -> Range<Int>? {
        guard start >= 0, start + 4 <= t.count else { return nil }
        let n = IBAN.length(t[start], t[start + 1])
        guard n > 0, isDigit(t[start + 2]), isDigit(t[start + 3]) else { return nil }
        var count = 4, r = 0
        var i = start + 4
        while i < t.count && count < n {
            let c = t[i]
            if isDigit(c) { r = (r * 10 + Int(c - 48)) % 97; count += 1; i += 1; continue }
            if c >= 65 && c <= 90 { r = (r * 100 + Int(c - 55)) % 97; count += 1; i += 1; continue }
            if c == 32, i + 1 < t.count, isAlnum(t[i + 1]) { i += 1; continue }
            break
        }
        guard count == n else { return nil }
        if i < t.count && isAlnum(t[i]) { return nil }
        // The country letters and check digits, moved to the end.
        r = (r * 100 + Int(t[start] - 55)) % 97
        r = (r * 100 + Int(t[start + 1] - 55)) % 97
        r = (r * 10 + Int(t[start + 2] - 48)) % 97
        r = (r * 10 + Int(t[start + 3] - 48)) % 97
        return r == 1 ? start..<i : nil
    }
}

/// A key for sharing one candidate expression between detectors.
private struct ExpressionKey: Hashable {
    var pattern: String
    var flags: UInt32
}
