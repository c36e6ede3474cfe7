/// Payment card issuers by issuer identification number (IIN) range and number length
/// (ISO/IEC 7812; the ranges the networks publish). A number counts as a card only when it
/// falls in a known range with a length that range uses, and passes ``Luhn``.
public struct CardIssuer: Sendable, Hashable {
    public let name: String
    /// Inclusive prefix ranges, each as (first, last) of the same number of digits.
    let ranges: [(UInt32, UInt32)]
    public let lengths: ClosedRange<Int>
    /// Lengths within `lengths` this issuer does not use (Visa: 13, 16, 19 only).
    let only: Set<Int>?
    /// The number of digits of each range's bounds.
    let widths: [Int]

    init(name: String, ranges: [(UInt32, UInt32)], lengths: ClosedRange<Int>, only: Set<Int>?) {
        self.name = name; self.ranges = ranges; self.lengths = lengths; self.only = only
        self.widths = ranges.map { String($0.0).count }
    }

    public static func == (a: Self, b: Self) -> Bool { a.name == b.name }
    public func hash(into h: inout Hasher) { h.combine(name) }

    /// Every issuer the detector knows, most specific ranges first (a number takes the first
    /// issuer whose range holds its prefix).
    public static let all: [CardIssuer] = [
        CardIssuer(name: "American Express", ranges: [(34, 34), (37, 37)], lengths: 15...15, only: nil),
        CardIssuer(name: "Diners Club", ranges: [(300, 305), (3095, 3095), (36, 36), (38, 39)], lengths: 14...19, only: nil),
        CardIssuer(name: "JCB", ranges: [(3528, 3589)], lengths: 16...19, only: nil),
        CardIssuer(name: "Visa", ranges: [(4, 4)], lengths: 13...19, only: [13, 16, 19]),
        CardIssuer(name: "Mir", ranges: [(2200, 2204)], lengths: 16...19, only: nil),
        CardIssuer(name: "Mastercard", ranges: [(51, 55), (2221, 2720)], lengths: 16...16, only: nil),
        CardIssuer(name: "Maestro", ranges: [(5018, 5018), (5020, 5020), (5038, 5038), (5893, 5893),
                                             (6304, 6304), (6759, 6759), (6761, 6763)], lengths: 12...19, only: nil),
        CardIssuer(name: "Discover", ranges: [(6011, 6011), (622126, 622925), (644, 649), (65, 65)], lengths: 16...19, only: nil),
        CardIssuer(name: "UnionPay", ranges: [(62, 62), (81, 81)], lengths: 16...19, only: nil),
    ]

    /// Whether a digit (0...9) is the first digit of some issuer's range (2: Mastercard
    /// 2-series and Mir, 3, 4, 5, 6, 8).
    static let firstDigits: [Bool] = (0...9).map { [2, 3, 4, 5, 6, 8].contains($0) }

    /// Whether some issuer's range starts with these two digits (a quick test before Luhn).
    static let twoDigitPrefixes: [Bool] = {
        var t = [Bool](repeating: false, count: 100)
        for p in 0..<100 {
            let d: [UInt8] = [UInt8(p / 10), UInt8(p % 10)]
            t[p] = all.contains { i in
                i.ranges.contains { (lo, hi) in
                    var w = 1, v = lo
                    while v >= 10 { v /= 10; w += 1 }
                    if w == 1 { return UInt32(d[0]) >= lo && UInt32(d[0]) <= hi }
                    var scale: UInt32 = 1
                    for _ in 0..<(w - 2) { scale *= 10 }
                    let p2 = UInt32(p)
                    return p2 >= lo / scale && p2 <= hi / scale
                }
            }
        }
        return t
    }()

    /// Whether `prefix6`, the first six digits of a number as a decimal value, starts with
    /// one of this issuer's prefixes.
    func holdsPrefix(six prefix6: UInt32) -> Bool {
        for (k, (lo, hi)) in ranges.enumerated() {
            let p = prefix6 / Self.scale(widths[k])
            if p >= lo && p <= hi { return true }
        }
        return false
    }

    /// 10^(6 - width): what divides a six-digit prefix down to a range's width.
    @inline(__always) static func scale(_ width: Int) -> UInt32 {
        var s: UInt32 = 1
        for _ in 0..<(6 - width) { s *= 10 }
        return s
    }

    /// The issuer of a number of `length` digits (12...19) that starts with `prefix6` (its
    /// first six digits as a decimal value) and has passed Luhn: the first issuer whose
    /// range holds the prefix, when the length is one it uses; nil otherwise.
    static func issuer(prefix prefix6: UInt32, length: Int) -> CardIssuer? {
        guard (12...19).contains(length), twoDigitPrefixes[Int(prefix6 / 10_000)] else { return nil }
        for i in all where i.holdsPrefix(six: prefix6) {
            guard i.lengths.contains(length), i.only.map({ $0.contains(length) }) ?? true else { return nil }
            return i
        }
        return nil
    }

    /// The issuer of a card number of these digits, when the prefix and length fit one and
    /// the Luhn check passes; nil otherwise.
    public static func issuer(of digits: ArraySlice<UInt8>) -> CardIssuer? {
        guard (12...19).contains(digits.count), Luhn.isValid(digits) else { return nil }
        let prefix6 = digits.prefix(6).reduce(UInt32(0)) { $0 * 10 + UInt32($1) }
        return issuer(prefix: prefix6, length: digits.count)
    }
}
