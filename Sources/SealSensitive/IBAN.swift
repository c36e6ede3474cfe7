/// International Bank Account Numbers (ISO 13616): two letters of the country, two check
/// digits, then the country's basic bank account number, of a length fixed per country.
public enum IBAN {
    /// Length of an IBAN per country, as the IBAN registry (SWIFT, ISO 13616 registration
    /// authority) lists them: every registry country, release of 2024/2025 (HN, YE among the
    /// latest). A number of another country, or of another length, is not an IBAN.
    public static let lengths: [String: Int] = [
        "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
        "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27,
        "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27,
        "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21, "HU": 28,
        "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28,
        "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22,
        "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23,
        "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24,
        "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
        "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
    ]

    /// The lengths by country letters (index (a - 65) * 26 + (b - 65)), 0 for no country.
    static let lengthTable: [Int] = {
        var t = [Int](repeating: 0, count: 26 * 26)
        for (c, n) in lengths {
            let u = Array(c.utf8)
            t[Int(u[0] - 65) * 26 + Int(u[1] - 65)] = n
        }
        return t
    }()

    /// The IBAN length of the country with letters `a`, `b` (ASCII), 0 when none.
    @inline(__always) static func length(_ a: UInt8, _ b: UInt8) -> Int {
        guard a >= 65, a <= 90, b >= 65, b <= 90 else { return 0 }
        return lengthTable[Int(a - 65) * 26 + Int(b - 65)]
    }


    /// The longest IBAN of the registry (the candidate pattern's bound).
    public static let maxLength = 34

    /// Whether `chars` (ASCII uppercase letters and digits, no spaces) is an IBAN: a registry
    /// country, its length, and the ISO 7064 MOD 97-10 check (the number with its first four
    /// characters moved to the end, letters as 10...35, is 1 modulo 97).
    public static func isValid<C: Collection>(_ chars: C) -> Bool where C.Element == UInt8 {
        let a = Array(chars)
        guard a.count >= 5, isUpper(a[0]), isUpper(a[1]), isDigit(a[2]), isDigit(a[3]) else { return false }
        let country = String(decoding: a[0..<2], as: UTF8.self)
        guard let n = lengths[country], n == a.count else { return false }
        var r = 0
        for c in a[4...] + a[0..<4] {
            if isDigit(c) { r = (r * 10 + Int(c - 48)) % 97 }
            else if isUpper(c) { r = (r * 100 + Int(c - 55)) % 97 }
            else { return false }
        }
        return r == 1
    }

    @inline(__always) static func isUpper(_ c: UInt8) -> Bool { c >= 65 && c <= 90 }
    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
}
