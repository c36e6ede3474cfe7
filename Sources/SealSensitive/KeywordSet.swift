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

    init(database: PatternDatabase, lengths: [Int]) { self.database = database; self.lengths = lengths }

    private static let cache = Mutex<[[String]: KeywordSet]>([:])

    /// The compiled set of `keywords` (nil when there are none).
    static func of(_ keywords: [String]) -> KeywordSet? {
        let list = Set(keywords.filter { !$0.isEmpty }).sorted()
        if list.isEmpty { return nil }
        if let k = cache.withLock({ $0[list] }) { return k }
        let exprs = list.enumerated().map { SensitiveDetector.keywordExpression($1, id: UInt32($0)) }
        guard let db = try? PatternDatabase(exprs, mode: .block) else { return nil }  // literals always compile
        let k = KeywordSet(database: db, lengths: list.map { $0.utf8.count })
        cache.withLock {
            if $0.count >= 256 { $0.removeAll() }  // policies reloaded with ever new lists
            $0[list] = k
        }
        return k
    }

    /// Whether a keyword lies within `distance` bytes of `range` in `t` (not overlapping it).
    func near(_ range: Range<Int>, in t: UnsafeBufferPointer<UInt8>, distance: Int, scratch: Scratch? = nil) -> Bool {
        let hits = self.hits(in: t, around: range.lowerBound..<range.upperBound, distance: distance, scratch: scratch)
        return Self.near(range, hits: hits, distance: distance)
    }

    /// Whether one of `hits` lies within `distance` bytes of `range` (not overlapping it).
    static func near(_ range: Range<Int>, hits: [Range<Int>], distance: Int) -> Bool {
        hits.contains { h in
            !(h.lowerBound < range.upperBound && h.upperBound > range.lowerBound)
                && h.upperBound >= range.lowerBound - distance && h.lowerBound <= range.upperBound + distance
        }
    }

    /// The keywords in `t` within `distance` bytes of `span` (one scan of that window: a
    /// cluster of matches close together shares it), as byte ranges.
    func hits(in t: UnsafeBufferPointer<UInt8>, around span: Range<Int>, distance: Int, scratch: Scratch? = nil) -> [Range<Int>] {
        // One byte more on each side, so that a keyword's word boundary is judged on the
        // real neighbour; matches touching the window's cut edges are not trusted.
        let lo = max(0, span.lowerBound - distance - 1), hi = min(t.count, span.upperBound + distance + 1)
        guard lo < hi else { return [] }
        var hits: [Range<Int>] = []
        database.scanMatches(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(t)[lo..<hi]), scratch: scratch) { m in
            let to = lo + m.to, from = to - lengths[Int(m.id)]
            if (from <= lo && lo > 0) || (to >= hi && hi < t.count) { return true }
            hits.append(from..<to)
            return true
        }
        return hits
    }
}
