import SealPolicy

/// Explanations of text conditions for `sealctl test`: which keyword or
/// expression of a ``TextMatcher`` matched a text, and the matched text,
/// redacted. Expressions report no positions, so the span is narrowed down with
/// a few extra scans of prefixes and suffixes (explanations only, never on the
/// milter path): the shortest prefix that matches ends the match, the shortest
/// suffix of that prefix that still matches starts it.
enum TextExplain {
    /// `keyword "c…l" (8 chars)` or `expression 2 matched "4…1" (16 chars)`; nil when nothing matches.
    static func why(_ matcher: TextMatcher, _ text: String) -> String? {
        for (i, k) in matcher.keywords.enumerated() where !k.isEmpty {
            if let m = try? TextMatcher(keywords: [k]), m.matches(text) {
                return "keyword \(i + 1) " + redacted(k)
            }
        }
        for (i, p) in matcher.patterns.enumerated() {
            guard let m = try? TextMatcher(patterns: [p]), m.matches(text) else { continue }
            return "expression \(i + 1) matched " + span(m, text)
        }
        return nil
    }

    /// The matched text, redacted.
    static func span(_ m: TextMatcher, _ text: String) -> String {
        let s = Array(text.unicodeScalars)
        func str(_ r: Range<Int>) -> String { String(String.UnicodeScalarView(s[r])) }
        var lo = 0, hi = s.count
        while lo < hi {   // shortest matching prefix
            let mid = (lo + hi) / 2
            if m.matches(str(0..<mid)) { hi = mid } else { lo = mid + 1 }
        }
        let end = lo
        var a = 0, b = end
        while a < b {     // latest start that still matches
            let mid = (a + b + 1) / 2
            if m.matches(str(mid..<end)) { a = mid } else { b = mid - 1 }
        }
        return redacted(str(a..<end))
    }
}
