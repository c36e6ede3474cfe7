/// A set of small non-negative integers (expression ids, matcher indices), as a bit set.
public struct MatchSet: Sendable, Hashable, Sequence, CustomStringConvertible {
    /// The bits; id `i` is bit `i % 64` of word `i / 64`.
    public private(set) var words: [UInt64]

    /// An empty set that can hold ids below `capacity` without growing.
    public init(capacity: Int = 0) {
        words = Array(repeating: 0, count: (Swift.max(capacity, 0) + 63) / 64)
    }

    public init<S: Sequence>(_ ids: S) where S.Element == Int {
        self.init()
        for i in ids { insert(i) }
    }

    public var isEmpty: Bool { words.allSatisfy { $0 == 0 } }
    public var count: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }

    public func contains(_ id: Int) -> Bool {
        id >= 0 && id / 64 < words.count && words[id / 64] & (1 << UInt64(id % 64)) != 0
    }

    public mutating func insert(_ id: Int) {
        precondition(id >= 0, "MatchSet ids are non-negative")
        let w = id / 64
        if w >= words.count { words.append(contentsOf: repeatElement(0, count: w + 1 - words.count)) }
        words[w] |= 1 << UInt64(id % 64)
    }

    public mutating func formUnion(_ other: MatchSet) {
        if other.words.count > words.count { words.append(contentsOf: repeatElement(0, count: other.words.count - words.count)) }
        for (i, w) in other.words.enumerated() { words[i] |= w }
    }

    public static func == (a: MatchSet, b: MatchSet) -> Bool {
        let n = Swift.max(a.words.count, b.words.count)
        for i in 0..<n where (i < a.words.count ? a.words[i] : 0) != (i < b.words.count ? b.words[i] : 0) { return false }
        return true
    }

    public func hash(into h: inout Hasher) {
        var n = words.count
        while n > 0 && words[n - 1] == 0 { n -= 1 }
        for i in 0..<n { h.combine(words[i]) }
    }

    public func makeIterator() -> AnyIterator<Int> {
        var w = 0
        var bits: UInt64 = words.first ?? 0
        let words = self.words
        return AnyIterator {
            while w < words.count {
                if bits != 0 {
                    let b = bits.trailingZeroBitCount
                    bits &= bits - 1
                    return w * 64 + b
                }
                w += 1
                bits = w < words.count ? words[w] : 0
            }
            return nil
        }
    }

    public var description: String { "[" + map(String.init).joined(separator: ", ") + "]" }

    /// Grows the storage so ids below `capacity` fit (used before handing the words to C).
    mutating func reserve(_ capacity: Int) {
        let need = (capacity + 63) / 64
        if need > words.count { words.append(contentsOf: repeatElement(0, count: need - words.count)) }
    }

    mutating func withWords<R>(_ body: (UnsafeMutablePointer<UInt64>) -> R) -> R {
        if words.isEmpty { words = [0] }
        return words.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
    }
}
