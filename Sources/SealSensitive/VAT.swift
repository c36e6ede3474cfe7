/// EU VAT identification numbers (VIES): the country prefix (`EL` for Greece, `XI` for
/// Northern Ireland) and the country's format. Where the country's check digits are well
/// defined they are verified; the other countries are checked by format only, and count
/// one confidence level lower (see ``VAT/checked``).
public enum VAT {
    /// What checking a number told.
    public enum Verdict: Sendable, Equatable {
        /// The country's check digits match.
        case valid
        /// The format is right; the country has no check here (see ``VAT/formatOnly``).
        case formatOnly
        /// The check digits do not match: not a VAT number.
        case invalid
    }

    /// One country's format and check. A shape is what follows the prefix, one character
    /// per position: `d` a digit, `n` a digit 1-9, `a` a letter A-Z, `x` a digit or letter,
    /// `k` a French key character (digits and letters but I and O), `i` a digit, letter,
    /// `+` or `*`, `w` a letter A-W, `v` a letter A-I or W; anything else is itself.
    public struct Country: Sendable {
        public let prefix: String
        public let shapes: [String]
        let check: (@Sendable ([UInt8]) -> Bool)?
        /// The shapes as bytes, and their lengths (a body of another length fits none).
        let shapeBytes: [[UInt8]]
        let lengths: ClosedRange<Int>

        init(prefix: String, shapes: [String], check: (@Sendable ([UInt8]) -> Bool)?) {
            self.prefix = prefix; self.shapes = shapes; self.check = check
            shapeBytes = shapes.map { Array($0.utf8) }
            lengths = (shapeBytes.map(\.count).min() ?? 0)...(shapeBytes.map(\.count).max() ?? 0)
        }

        /// Whether `body` has one of the country's shapes.
        public func fits<C: Collection>(_ body: C) -> Bool where C.Element == UInt8 {
            guard lengths.contains(body.count) else { return false }
            return shapeBytes.contains { sh in
                guard sh.count == body.count else { return false }
                for (p, c) in zip(sh, body) {
                    let digit = c >= 48 && c <= 57, letter = c >= 65 && c <= 90
                    let ok: Bool
                    switch p {
                    case UInt8(ascii: "d"): ok = digit
                    case UInt8(ascii: "n"): ok = digit && c != 48
                    case UInt8(ascii: "a"): ok = letter
                    case UInt8(ascii: "x"): ok = digit || letter
                    case UInt8(ascii: "k"): ok = digit || (letter && c != 73 && c != 79)
                    case UInt8(ascii: "i"): ok = digit || letter || c == 43 || c == 42
                    case UInt8(ascii: "w"): ok = c >= 65 && c <= 87
                    case UInt8(ascii: "v"): ok = (c >= 65 && c <= 73) || c == 87
                    default: ok = c == p
                    }
                    if !ok { return false }
                }
                return true
            }
        }
    }

    /// Country indices by prefix letters (index (a - 65) * 26 + (b - 65)), -1 for none.
    static let countryTable: [Int] = {
        var t = [Int](repeating: -1, count: 26 * 26)
        for (i, c) in countries.enumerated() {
            let u = Array(c.prefix.utf8)
            t[Int(u[0] - 65) * 26 + Int(u[1] - 65)] = i
        }
        return t
    }()

    /// The candidate expressions: two capitals, an optional space and a digit (shared with
    /// the IBAN detector: ``SensitiveDetector/countryDigitExpression``), and the prefixes of
    /// the countries whose numbers start with a letter. The prefix's country, that it starts
    /// a word, and the number's shape are checked in Swift. Capitals as a class rather than
    /// the 28 prefixes as literals: two-letter literals made the scan of text with capitals
    /// in it (documentation, HTML, rewritten URLs) twice as slow, and the class is shared.
    public static let triggers: [String] = [
        SensitiveDetector.countryDigitExpression,
        "(?:AT ?U|ES ?[A-Z]|FR ?[A-HJ-NP-Z]|XI ?(?:GD|HA))",
    ]

    /// The number at a trigger match ending at `end` in `t`: its range (prefix included),
    /// the prefix and the body (no space); nil when the characters there have no shape of
    /// the country or run on into a word.
    static func number(_ t: UnsafeBufferPointer<UInt8>, triggerEnd end: Int) -> (Range<Int>, Country, [UInt8])? {
        func isWord(_ c: UInt8) -> Bool { (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 }
        // The trigger took one body character (two for XI GD/HA), after an optional space.
        for taken in 1...2 {
            for spacedBit in 0..<2 {
                let spaced = spacedBit == 1
                let bodyStart = end - taken
                let prefixStart = bodyStart - (spaced ? 3 : 2)
                guard prefixStart >= 0 else { continue }
                if spaced && t[bodyStart - 1] != 32 { continue }
                if prefixStart > 0 && isWord(t[prefixStart - 1]) { continue }
                let a = t[prefixStart], b = t[prefixStart + 1]
                guard a >= 65, a <= 90, b >= 65, b <= 90 else { continue }
                let ci = countryTable[Int(a - 65) * 26 + Int(b - 65)]
                guard ci >= 0 else { continue }
                let country = countries[ci]
                var e = bodyStart
                while e < t.count, (t[e] >= 48 && t[e] <= 57) || (t[e] >= 65 && t[e] <= 90) || t[e] == 43 || t[e] == 42 { e += 1 }
                if e < t.count && isWord(t[e]) { continue }
                guard country.fits(t[bodyStart..<e]) else { continue }
                return (prefixStart..<e, country, Array(t[bodyStart..<e]))
            }
        }
        return nil
    }

    /// Countries whose check digits are verified (FR: numbers with a numeric key).
    public static var checked: [String] { countries.filter { $0.check != nil || $0.prefix == "FR" }.map(\.prefix) }
    /// Countries checked by format only (and FR numbers with letter keys).
    public static var formatOnly: [String] { countries.filter { $0.check == nil && $0.prefix != "FR" }.map(\.prefix) }

    public static let countries: [Country] = [
        Country(prefix: "AT", shapes: ["Udddddddd"], check: nil),
        Country(prefix: "BE", shapes: ["0ddddddddd", "1ddddddddd"], check: { d in
            number(d[0..<8]) % 97 == 97 - number(d[8..<10]) % 97 }),
        Country(prefix: "BG", shapes: ["ddddddddd", "dddddddddd"], check: nil),
        Country(prefix: "CY", shapes: ["dddddddda"], check: nil),
        Country(prefix: "CZ", shapes: ["dddddddd", "ddddddddd", "dddddddddd"], check: nil),
        Country(prefix: "DE", shapes: ["ddddddddd"], check: { mod11_10($0) }),
        Country(prefix: "DK", shapes: ["dddddddd"], check: { d in weighted(d, [2, 7, 6, 5, 4, 3, 2, 1]) % 11 == 0 }),
        Country(prefix: "EE", shapes: ["ddddddddd"], check: nil),
        Country(prefix: "EL", shapes: ["ddddddddd"], check: nil),
        Country(prefix: "ES", shapes: ["xdddddddx"], check: { spain($0) }),
        Country(prefix: "FI", shapes: ["dddddddd"], check: nil),
        Country(prefix: "FR", shapes: ["kkddddddddd"], check: nil),  // numeric keys: see verdict
        Country(prefix: "HR", shapes: ["ddddddddddd"], check: { mod11_10($0) }),
        Country(prefix: "HU", shapes: ["dddddddd"], check: nil),
        Country(prefix: "IE", shapes: ["didddddw", "didddddwv"], check: nil),
        Country(prefix: "IT", shapes: ["ddddddddddd"], check: { Luhn.isValid($0.map { $0 - 48 }) }),
        Country(prefix: "LT", shapes: ["ddddddddd", "dddddddddddd"], check: nil),
        Country(prefix: "LU", shapes: ["dddddddd"], check: { d in number(d[0..<6]) % 89 == number(d[6..<8]) }),
        Country(prefix: "LV", shapes: ["ddddddddddd"], check: nil),
        Country(prefix: "MT", shapes: ["dddddddd"], check: nil),
        Country(prefix: "NL", shapes: ["dddddddddBdd"], check: { netherlands($0) }),
        Country(prefix: "PL", shapes: ["dddddddddd"], check: { d in
            let s = weighted(d, [6, 5, 7, 2, 3, 4, 5, 6, 7]) % 11
            return s != 10 && s == Int(d[9] - 48) }),
        Country(prefix: "PT", shapes: ["ddddddddd"], check: { d in
            var c = 11 - weighted(d, [9, 8, 7, 6, 5, 4, 3, 2]) % 11
            if c >= 10 { c = 0 }
            return c == Int(d[8] - 48) }),
        Country(prefix: "RO", shapes: (1...9).map { "n" + String(repeating: "d", count: $0) }, check: nil),
        Country(prefix: "SE", shapes: ["dddddddddd01"], check: { Luhn.isValid($0[0..<10].map { $0 - 48 }) }),
        Country(prefix: "SI", shapes: ["dddddddd"], check: nil),
        Country(prefix: "SK", shapes: ["dddddddddd"], check: { d in number(d[0..<10]) % 11 == 0 }),
        Country(prefix: "XI", shapes: ["ddddddddd", "dddddddddddd", "GDddd", "HAddd"], check: nil),
    ]

    /// The verdict on a number: `prefix` and `body` (ASCII, no spaces; the format already
    /// matched).
    public static func verdict(prefix: String, body: [UInt8]) -> Verdict {
        if prefix == "FR" {
            // The key of the old form is two digits: (12 + 3 × (SIREN mod 97)) mod 97.
            guard body.count == 11, body[0..<2].allSatisfy(isDigit) else { return .formatOnly }
            return number(body[0..<2]) == (12 + 3 * (number(body[2..<11]) % 97)) % 97 ? .valid : .invalid
        }
        guard let c = countries.first(where: { $0.prefix == prefix }) else { return .invalid }
        guard let check = c.check else { return .formatOnly }
        return check(body) ? .valid : .invalid
    }

    // MARK: Checks

    static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }

    /// The decimal value of ASCII digits.
    static func number(_ d: ArraySlice<UInt8>) -> Int { d.reduce(0) { $0 * 10 + Int($1 - 48) } }

    static func weighted(_ d: [UInt8], _ w: [Int]) -> Int {
        zip(d, w).reduce(0) { $0 + Int($1.0 - 48) * $1.1 }
    }

    /// ISO 7064 MOD 11,10 (DE, HR): the last digit checks the others.
    static func mod11_10(_ d: [UInt8]) -> Bool {
        var product = 10
        for c in d.dropLast() {
            var sum = (Int(c - 48) + product) % 10
            if sum == 0 { sum = 10 }
            product = (2 * sum) % 11
        }
        var check = 11 - product
        if check == 10 { check = 0 }
        return check == Int(d.last! - 48)
    }

    /// NL: the old form (weights 9...2, the ninth digit subtracted, modulo 11) or, for
    /// numbers issued since 2020, ISO 7064 MOD 97-10 over `NL` and the number.
    static func netherlands(_ d: [UInt8]) -> Bool {
        let digits = d[0..<9].map { Int($0 - 48) }
        var s = 0
        for i in 0..<8 { s += digits[i] * (9 - i) }
        if (s - digits[8]) % 11 == 0 { return true }
        var r = 0
        for c in Array("NL".utf8) + d {
            if isDigit(c) { r = (r * 10 + Int(c - 48)) % 97 } else { r = (r * 100 + Int(c - 55)) % 97 }
        }
        return r == 1
    }

    /// ES: a NIF (eight digits and a letter), a NIE (X/Y/Z, seven digits, a letter) or a
    /// CIF (an entity letter, seven digits, a control digit or letter), or a K/L/M NIF
    /// (a letter, seven digits, the NIF letter of the seven digits).
    static func spain(_ d: [UInt8]) -> Bool {
        let letters = Array("TRWAGMYFPDXBNJZSQVHLCKE".utf8)
        let first = d[0], last = d[8]
        let middle = d[1..<8]
        guard middle.allSatisfy(isDigit) else { return false }
        if isDigit(first) || first == 88 || first == 89 || first == 90 {  // digit, X, Y, Z
            let lead = isDigit(first) ? Int(first - 48) : Int(first - 88)
            let n = lead * 10_000_000 + number(middle)
            return last == letters[n % 23]
        }
        if Array("ABCDEFGHJNPQRSUVW".utf8).contains(first) {
            var sum = 0
            for (i, c) in middle.enumerated() {
                let v = Int(c - 48)
                if i % 2 == 1 { sum += v } else { let t = 2 * v; sum += t / 10 + t % 10 }
            }
            let control = (10 - sum % 10) % 10
            return last == UInt8(48 + control) || last == Array("JABCDEFGHI".utf8)[control]
        }
        if Array("KLM".utf8).contains(first) { return last == letters[number(middle) % 23] }
        return false
    }
}
