import SealPattern

extension SensitiveScanner {
    /// A valid candidate, not yet rated by keywords.
    struct Candidate {
        var range: Range<Int>
        var value: [UInt8]
        var base: Confidence
        var detail: String?
    }

    /// The validation of one text's candidates, fed in order of their end offset (as a
    /// scan reports them): a digit run or a number is read once, in place, and a detector's
    /// findings do not overlap; only a valid candidate allocates.
    struct Validation {
        let scanner: SensitiveScanner
        var found: [[Candidate]]
        /// Per detector: the end of the last digit run it read (card and SSN candidates end
        /// inside runs), or of its last finding (IBAN, VAT: the next must start after it).
        var readUpTo: [Int]
        /// Per detector: starts of custom matches taken (each place once).
        var starts: [Set<Int>]
        /// The digit run around the current candidate, read once for every detector.
        var run = 0..<0
        /// Per detector: whether its candidates are validated here (others are known).
        let wanted: [Bool]

        init(_ scanner: SensitiveScanner, wanted: [Bool]? = nil) {
            self.scanner = scanner
            let n = scanner.detectors.count
            found = Array(repeating: [], count: n)
            readUpTo = Array(repeating: -1, count: n)
            starts = Array(repeating: [], count: n)
            self.wanted = wanted ?? Array(repeating: true, count: n)
        }

        /// Validates one candidate.
        mutating func take(_ m: PatternMatch, in t: UnsafeBufferPointer<UInt8>) {
            let id = Int(m.id)
            guard id < scanner.owners.count else { return }
            for k in scanner.owners[id] {
                let d = scanner.ownerList[k]
                guard wanted[d] else { continue }
                switch scanner.validators[d] {
                case .creditCard, .usSSN:
                    if m.to <= readUpTo[d] { continue }
                    if !(run.lowerBound < m.to && m.to <= run.upperBound) {
                        guard let r = SensitiveScanner.digitRun(t, end: m.to) else { continue }
                        run = r
                    }
                    readUpTo[d] = run.upperBound
                    if scanner.validators[d] == .creditCard {
                        SensitiveScanner.cards(t, run: run) { r, issuer in
                            found[d].append(Candidate(range: r, value: SensitiveScanner.digits(t, r), base: .medium, detail: issuer))
                        }
                    } else {
                        SensitiveScanner.ssns(t, run: run) { r in
                            found[d].append(Candidate(range: r, value: SensitiveScanner.digits(t, r), base: .low, detail: nil))
                        }
                    }
                case .iban:
                    // The candidate ends at the first check digit, right after the country.
                    let start = m.to - 3
                    guard start >= readUpTo[d], start >= 0, SensitiveScanner.isDigit(t[start + 2]),
                          !(start > 0 && SensitiveScanner.isWord(t[start - 1])),
                          let r = SensitiveScanner.iban(t, start: start) else { continue }
                    readUpTo[d] = r.upperBound
                    let value = t[r].filter { $0 != 32 }
                    found[d].append(Candidate(range: r, value: value, base: .medium, detail: String(decoding: value[0..<2], as: UTF8.self)))
                case .euVAT:
                    guard let (r, country, body) = VAT.number(t, triggerEnd: m.to), r.lowerBound >= readUpTo[d] else { continue }
                    let chars = Array(country.prefix.utf8) + body
                    switch VAT.verdict(prefix: country.prefix, body: body) {
                    case .valid: found[d].append(Candidate(range: r, value: chars, base: .medium, detail: country.prefix))
                    case .formatOnly: found[d].append(Candidate(range: r, value: chars, base: .low, detail: country.prefix + ", format only"))
                    case .invalid: continue
                    }
                    readUpTo[d] = r.upperBound
                case .custom:
                    guard m.to > m.from, starts[d].insert(m.from).inserted else { continue }
                    found[d].append(Candidate(range: m.from..<m.to, value: Array(t[m.from..<m.to]),
                                              base: scanner.detectors[d].baseConfidence, detail: nil))
                }
            }
        }
    }

    /// Each detector's candidates (`found`, in detector order) rated by the keywords near
    /// them: each detector's findings. With `levels` (per detector, the confidence its
    /// caller asks for), only the findings that reach it are returned, and keywords are
    /// looked for only where they decide it (the type's own confidence is below the level,
    /// one level up reaches it); a finding's confidence is then what was established, at
    /// least the level. Candidates close together share one keyword scan of the window
    /// around them.
    func rate(_ found: [[Candidate]], in t: UnsafeBufferPointer<UInt8>, scratch: Scratch?, levels: [Confidence]? = nil) -> [[SensitiveFinding]] {
        found.indices.map { d in
            let cands = found[d]
            guard !cands.isEmpty else { return [] }
            let detector = detectors[d], keywords = keywordSets[d]
            let level = levels?[d]
            var out: [SensitiveFinding] = []
            out.reserveCapacity(cands.count)
            func emit(_ c: Candidate, _ confidence: Confidence) {
                if let level, confidence < level { return }
                out.append(SensitiveFinding(type: detector.name, value: c.value, range: c.range, confidence: confidence, detail: c.detail))
            }
            var i = 0
            while i < cands.count {
                let c = cands[i]
                guard let keywords, level.map({ c.base < $0 && c.base.raised >= $0 }) ?? true else {
                    emit(c, c.base)
                    i += 1
                    continue
                }
                // The cluster of candidates whose windows overlap this one's.
                var span = c.range, j = i + 1
                while j < cands.count, cands[j].range.lowerBound - detector.distance <= span.upperBound + detector.distance {
                    span = min(span.lowerBound, cands[j].range.lowerBound)..<max(span.upperBound, cands[j].range.upperBound)
                    j += 1
                }
                if j == i + 1 {  // alone: the window's scan stops at the first keyword
                    emit(c, keywords.near(c.range, in: t, distance: detector.distance, scratch: scratch) ? c.base.raised : c.base)
                    i = j
                    continue
                }
                let hits = keywords.hits(in: t, around: span, distance: detector.distance, scratch: scratch)
                for k in i..<j {
                    let near = KeywordSet.near(cands[k].range, hits: hits, distance: detector.distance)
                    emit(cands[k], near ? cands[k].base.raised : cands[k].base)
                }
                i = j
            }
            return out
        }
    }

    /// The candidates of the detectors marked in `wanted` (all when nil) among `matches`
    /// in `text`, validated, not rated (``rate(_:in:scratch:levels:)``); the others empty.
    func candidates(in text: UnsafeRawBufferPointer, matches: [PatternMatch], wanted: [Bool]? = nil) -> [[Candidate]] {
        let t = text.bindMemory(to: UInt8.self)
        var v = Validation(self, wanted: wanted)
        for m in matches { v.take(m, in: t) }
        return v.found
    }
}
