import SealPattern
import Synchronization

/// A detector's supporting keywords, compiled once per distinct list (a process-wide cache:
/// conditions lay out their detectors per message) and looked for only around a validated
/// match: in the window of `distance` bytes on each side. Most text has no match at all, so
/// keywords cost nothing there; looking for them in every byte of every message (dozens of
/// short caseless literals such as "iva" or "bic") made the shared scan several times slower.
final class KeywordSet: Sendable {
    let database: PatternDatabase
    /// The byte length of each keyword, by id.
    let lengths: [Int]
    /// Whether a keyword must start (end) a word: it begins (ends) with a letter or digit.
    /// Judged here on the hit rather than by `\b` in the expressions: plain caseless
    /// literals take Hyperscan's fastest path, and a window scan is mostly its setup.
    let startsWord: [Bool], endsWord: [Bool]
    /// The longest keyword: how far beyond the distance a window reaches, so that a keyword
    /// ending within the distance is seen whole.
    let maxLength: Int

    init(database: PatternDatabase, keywords: [String]) {
        self.database = database
        lengths = keywords.map { $0.utf8.count }
        startsWord = keywords.map { $0.utf8.first.map(SensitiveScanner.isAlnum) ?? false }
        endsWord = keywords.map { $0.utf8.last.map(SensitiveScanner.isAlnum) ?? false }
        maxLength = lengths.max() ?? 0
    }

    private static let cache = Mutex<[[String]: KeywordSet]>([:])

    /// The compiled set of `keywords` (nil when there are none).
    static func of(_ keywords: [String]) -> KeywordSet? {
        let list = Set(keywords.filter { !$0.isEmpty }).sorted()
        if list.isEmpty { return nil }
        if let k = cache.withLock({ $0[list] }) { return k }
        let exprs = list.enumerated().map { PatternExpression.literal($1, id: UInt32($0), caseless: true, flags: []) }
        guard let db = try? PatternDatabase(exprs, mode: .block) else { return nil }  // literals always compile
        let k = KeywordSet(database: db, keywords: list)
        cache.withLock {
            if $0.count >= 256 { $0.removeAll() }  // policies reloaded with ever new lists
            $0[list] = k
        }
        return k
    }

    /// Whether a keyword lies within `distance` bytes of `range` in `t` (not overlapping it);
    /// the scan of the window stops at the first one.
    func near(_ range: Range<Int>, in t: UnsafeBufferPointer<UInt8>, distance: Int, scratch: Scratch? = nil) -> Bool {
        var found = false
        scan(t, around: range, distance: distance, scratch: scratch) { h in
            found = Self.near(range, hit: h, distance: distance)
            return !found
        }
        return found
    }

    /// Whether the keyword at `h` lies within `distance` bytes of `range` (not overlapping it).
    @inline(__always) static func near(_ range: Range<Int>, hit h: Range<Int>, distance: Int) -> Bool {
        !(h.lowerBound < range.upperBound && h.upperBound > range.lowerBound)
            && h.upperBound >= range.lowerBound - distance && h.lowerBound <= range.upperBound + distance
    }

    /// Whether one of `hits` lies within `distance` bytes of `range` (not overlapping it).
    static func near(_ range: Range<Int>, hits: [Range<Int>], distance: Int) -> Bool {
        hits.contains { near(range, hit: $0, distance: distance) }
    }

    /// The keywords in `t` within `distance` bytes of `span` (one scan of that window: a
    /// cluster of matches close together shares it), as byte ranges.
    func hits(in t: UnsafeBufferPointer<UInt8>, around span: Range<Int>, distance: Int, scratch: Scratch? = nil) -> [Range<Int>] {
        var hits: [Range<Int>] = []
        scan(t, around: span, distance: distance, scratch: scratch) { hits.append($0); return true }
        return hits
    }

    /// Scans the window of `distance` bytes around `span` for keywords that stand as words
    /// where they must, handing each to `body` (which returns false to stop).
    private func scan(_ t: UnsafeBufferPointer<UInt8>, around span: Range<Int>, distance: Int, scratch: Scratch?,
                      _ body: (Range<Int>) -> Bool) {
        let lo = max(0, span.lowerBound - distance - maxLength), hi = min(t.count, span.upperBound + distance + maxLength)
        guard lo < hi else { return }
        database.scanMatches(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(t)[lo..<hi]), scratch: scratch) { m in
            let id = Int(m.id)
            let to = lo + m.to, from = to - lengths[id]
            // A keyword that begins or ends with a letter or digit stands as a word there
            // (judged on the real neighbours, inside the window or not).
            if startsWord[id] && from > 0 && SensitiveScanner.isWord(t[from - 1]) { return true }
            if endsWord[id] && to < t.count && SensitiveScanner.isWord(t[to]) { return true }
            return body(from..<to)
        }
    }
}
