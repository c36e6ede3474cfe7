/// Text fingerprints: the decoded text is normalised (lower case, quote markers
/// `>` at line starts, punctuation and white space folded), cut into words, and
/// every run of `shingle` consecutive words is hashed to 64 bits (FNV-1a: stable
/// across processes and machines, as a registry shared by several MTAs needs).
///
/// A protected message keeps a bounded sample: its `sample` smallest hashes (a
/// bottom-k sketch). An outbound message's full hash set is compared with it: the
/// share of the sample found is the containment of the protected text in the
/// outbound one, which re-wrapping and quoting leave intact and light editing
/// lowers only a little (an edited word changes the `shingle` shingles around it).
public enum Fingerprint {
    /// The words of `text`, normalised.
    public static func words(_ text: String) -> [Substring] {
        var out: [Substring] = []
        let norm = normalise(text)
        for w in norm.split(separator: " ", omittingEmptySubsequences: true) { out.append(w) }
        return out
    }

    /// Lower case, HTML tags and entities dropped, line-leading quote markers
    /// dropped, every character that is not a letter or digit a space.
    public static func normalise(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        out.reserveCapacity(text.unicodeScalars.count)
        let html = text.contains("</") && text.contains(">")
        var atLineStart = true
        var inTag = false
        var inEntity = false
        for u in text.unicodeScalars {
            if html {
                if inTag { if u == ">" { inTag = false; out.append(" ") }; continue }
                if u == "<" { inTag = true; continue }
                if inEntity { if u == ";" || u == " " { inEntity = false; out.append(" ") }; continue }
                if u == "&" { inEntity = true; continue }
            }
            if u == "\n" || u == "\r" { atLineStart = true; out.append(" "); continue }
            if atLineStart && (u == ">" || u == " " || u == "\t" || u == "|") { out.append(" "); continue }
            atLineStart = false
            if u.properties.isAlphabetic || (u.value >= 48 && u.value <= 57) {
                for l in u.properties.lowercaseMapping.unicodeScalars { out.append(l) }
            } else {
                out.append(" ")
            }
        }
        return String(out)
    }

    /// The hashes of every shingle of `words` (a text shorter than one shingle is one shingle).
    public static func shingles(_ words: [Substring], size: Int) -> [UInt64] {
        guard !words.isEmpty else { return [] }
        let n = max(1, size)
        if words.count < n { return [hash(words[...])] }
        var out: [UInt64] = []
        out.reserveCapacity(words.count - n + 1)
        for i in 0...(words.count - n) { out.append(hash(words[i..<(i + n)])) }
        return out
    }

    /// FNV-1a over the words, each followed by a space.
    static func hash(_ ws: ArraySlice<Substring>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for w in ws {
            for b in w.utf8 { h ^= UInt64(b); h = h &* 0x0000_0100_0000_01b3 }
            h ^= 0x20; h = h &* 0x0000_0100_0000_01b3
        }
        // Final mix (the low bits of FNV are weak for short inputs; the sample takes the smallest).
        h ^= h >> 33; h = h &* 0xff51_afd7_ed55_8ccd; h ^= h >> 33
        return h
    }

    /// Every shingle hash of `texts` (deduplicated).
    public static func hashes(of texts: [String], shingle: Int) -> Set<UInt64> {
        var set = Set<UInt64>()
        for t in texts { set.formUnion(shingles(words(t), size: shingle)) }
        return set
    }

    /// The `k` smallest of `hashes` (the protected side's sample). Empty when the
    /// text has fewer than `minimum` shingles (too short to tell from others).
    public static func sample(_ hashes: Set<UInt64>, k: Int, minimum: Int = 3) -> [UInt64] {
        guard hashes.count >= minimum else { return [] }
        return Array(hashes.sorted().prefix(k))
    }

    /// The containment of a protected sample in an outbound hash set (0...1).
    public static func containment(sample: [UInt64], in hashes: Set<UInt64>) -> Double {
        guard !sample.isEmpty else { return 0 }
        return Double(sample.filter { hashes.contains($0) }.count) / Double(sample.count)
    }
}
