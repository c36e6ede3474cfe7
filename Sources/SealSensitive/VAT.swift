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

    /// One country's format (a Hyperscan expression for what follows the prefix) and check.
    public struct Country: Sendable {
        public let prefix: String
        public let format: String
        let check: (@Sendable ([UInt8]) -> Bool)?
    }

    /// Countries whose check digits are verified (FR: numbers with a numeric key).
    public static var checked: [String] { countries.filter { $0.check != nil || $0.prefix == "FR" }.map(\.prefix) }
    /// Countries checked by format only (and FR numbers with letter keys).
    public static var formatOnly: [String] { countries.filter { $0.check == nil && $0.prefix != "FR" }.map(\.prefix) }

    public static let countries: [Country] = [
        Country(prefix: "AT", format: "U[0-9]{8}", check: nil),
        Country(prefix: "BE", format: "[01][0-9]{9}", check: { d in
            number(d[0..<8]) % 97 == 97 - number(d[8..<10]) % 97 }),
        Country(prefix: "BG", format: "[0-9]{9,10}", check: nil),
        Country(prefix: "CY", format: "[0-9]{8}[A-Z]", check: nil),
        Country(prefix: "CZ", format: "[0-9]{8,10}", check: nil),
        Country(prefix: "DE", format: "[0-9]{9}", check: { mod11_10($0) }),
        Country(prefix: "DK", format: "[0-9]{8}", check: { d in weighted(d, [2, 7, 6, 5, 4, 3, 2, 1]) % 11 == 0 }),
        Country(prefix: "EE", format: "[0-9]{9}", check: nil),
        Country(prefix: "EL", format: "[0-9]{9}", check: nil),
        Country(prefix: "ES", format: "[0-9A-Z][0-9]{7}[0-9A-Z]", check: { spain($0) }),
        Country(prefix: "FI", format: "[0-9]{8}", check: nil),
        Country(prefix: "FR", format: "[0-9A-HJ-NP-Z]{2}[0-9]{9}", check: nil),  // numeric keys: see verdict
        Country(prefix: "HR", format: "[0-9]{11}", check: { mod11_10($0) }),
        Country(prefix: "HU", format: "[0-9]{8}", check: nil),
        Country(prefix: "IE", format: "[0-9][0-9A-Z+*][0-9]{5}[A-W][A-IW]?", check: nil),
        Country(prefix: "IT", format: "[0-9]{11}", check: { Luhn.isValid($0.map { $0 - 48 }) }),
        Country(prefix: "LT", format: "(?:[0-9]{9}|[0-9]{12})", check: nil),
        Country(prefix: "LU", format: "[0-9]{8}", check: { d in number(d[0..<6]) % 89 == number(d[6..<8]) }),
        Country(prefix: "LV", format: "[0-9]{11}", check: nil),
        Country(prefix: "MT", format: "[0-9]{8}", check: nil),
        Country(prefix: "NL", format: "[0-9]{9}B[0-9]{2}", check: { netherlands($0) }),
        Country(prefix: "PL", format: "[0-9]{10}", check: { d in
            let s = weighted(d, [6, 5, 7, 2, 3, 4, 5, 6, 7]) % 11
            return s != 10 && s == Int(d[9] - 48) }),
        Country(prefix: "PT", format: "[0-9]{9}", check: { d in
            var c = 11 - weighted(d, [9, 8, 7, 6, 5, 4, 3, 2]) % 11
            if c >= 10 { c = 0 }
            return c == Int(d[8] - 48) }),
        Country(prefix: "RO", format: "[1-9][0-9]{1,9}", check: nil),
        Country(prefix: "SE", format: "[0-9]{10}01", check: { Luhn.isValid($0[0..<10].map { $0 - 48 }) }),
        Country(prefix: "SI", format: "[0-9]{8}", check: nil),
        Country(prefix: "SK", format: "[0-9]{10}", check: { d in number(d[0..<10]) % 11 == 0 }),
        Country(prefix: "XI", format: "(?:[0-9]{9}|[0-9]{12}|GD[0-9]{3}|HA[0-9]{3})", check: nil),
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
