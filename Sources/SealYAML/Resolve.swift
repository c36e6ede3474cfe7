// Tag resolution of plain scalars, YAML 1.1 style, as the policy loader has always
// read them (the rules of Yams's default resolver, which the loader used before):
// the first rule that matches the whole text wins, in this order:
//   bool       yes Yes YES no No NO true True TRUE false False FALSE on On ON off Off OFF
//   int        [-+]?0b[01_]+ | [-+]?0o?[0-7_]+ | [-+]?(0|[1-9][0-9_]*) | [-+]?0x[0-9a-fA-F_]+
//              | [-+]?[1-9][0-9_]*(:[0-5]?[0-9])+
//   float      [-+]?[0-9][0-9_]*(\.[0-9_]*)?([eE][-+]?[0-9]+)? | \.[0-9_]+([eE][-+][0-9]+)?
//              | [-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]* | [-+]?\.(inf|Inf|INF) | \.(nan|NaN|NAN)
//   merge      <<
//   null       ~ null Null NULL and the empty text
//   timestamp  YYYY-MM-DD | YYYY-M-D(T|t|blanks)H:MM:SS(.fraction)?(blanks*(Z|±H(:MM)?))?
//   value      =
// and anything else is a string. The matchers below are written by hand (no
// regular-expression engine, no Foundation).

extension Tag {
    /// The tag of a plain scalar with no explicit tag.
    public static func resolve(plain text: String) -> Tag {
        var text = text
        return text.withUTF8 { b in
            // Most policy text (names, domains, keywords) starts with a letter that
            // begins no boolean or null: a string, without trying each rule.
            if let first = b.first, !mayBeSpecial(first) { return .str }
            if isBool(b) { return .bool }
            if isInt(b) { return .int }
            if isFloat(b) { return .float }
            if b.count == 2 && b[0] == ch("<") && b[1] == ch("<") { return .merge }
            if isNull(b) { return .null }
            if isTimestamp(b) { return .timestamp }
            if b.count == 1 && b[0] == ch("=") { return .value }
            return .str
        }
    }

    /// `true`/`yes`/`on` → true, `false`/`no`/`off` → false, in any letter case.
    static func bool(from text: String) -> Bool? {
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: return nil
        }
    }

    /// The value of an int-like text: underscores are ignored; after an optional
    /// sign, `0x` is hexadecimal, `0b` binary, `0o` or a leading `0` octal; `a:b:c`
    /// is base 60. Nil when malformed or out of range.
    static func int(from text: String) -> Int? {
        let s = text.filter { $0 != "_" }
        if s == "0" { return 0 }
        let negative = s.hasPrefix("-")
        let signed = negative || s.hasPrefix("+")
        let body = signed ? s.dropFirst() : Substring(s)
        let sign = negative ? "-" : ""
        for (prefix, radix) in [("0x", 16), ("0b", 2), ("0o", 8), ("0", 8)] where body.hasPrefix(prefix) {
            let digits = body.dropFirst(prefix.count)
            if digits.isEmpty { return body == "0" ? 0 : nil }  // "+0", "-0"
            return Int(sign + digits, radix: radix)
        }
        if body.contains(":") {
            var value = 0
            for part in body.split(separator: ":", omittingEmptySubsequences: false) {
                guard let d = Int(part) else { return nil }
                let (m, o1) = value.multipliedReportingOverflow(by: 60)
                let (v, o2) = m.addingReportingOverflow(d)
                if o1 || o2 { return nil }
                value = v
            }
            return negative ? -value : value
        }
        return Int(s)
    }

    // MARK: Matchers over UTF-8 bytes

    private static func ch(_ c: Unicode.Scalar) -> UInt8 { UInt8(c.value) }

    /// Whether a plain scalar starting with `c` can resolve to anything but a string:
    /// digits, signs and `.` (numbers, timestamps), `~`, `<`, `=`, and the first
    /// letters of the booleans and nulls (y n t f o).
    private static func mayBeSpecial(_ c: UInt8) -> Bool {
        switch c {
        case 0x30...0x39, 0x2B, 0x2D, 0x2E, 0x7E, 0x3C, 0x3D: return true
        case 0x79, 0x59, 0x6E, 0x4E, 0x74, 0x54, 0x66, 0x46, 0x6F, 0x4F: return true  // y Y n N t T f F o O
        default: return false
        }
    }

    private static func isBool(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard b.count <= 5 else { return false }
        switch String(decoding: b, as: UTF8.self) {
        case "yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE",
             "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF": return true
        default: return false
        }
    }

    private static func isNull(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard b.count <= 4 else { return false }
        switch String(decoding: b, as: UTF8.self) {
        case "", "~", "null", "Null", "NULL": return true
        default: return false
        }
    }

    /// A cursor over the bytes of a scalar.
    private struct Cursor {
        let b: UnsafeBufferPointer<UInt8>
        var i = 0
        init(_ b: UnsafeBufferPointer<UInt8>) { self.b = b }
        var atEnd: Bool { i == b.count }
        var peek: UInt8? { i < b.count ? b[i] : nil }
        /// Consumes one byte that satisfies `p`.
        mutating func take(_ p: (UInt8) -> Bool) -> Bool {
            if let c = peek, p(c) { i += 1; return true }
            return false
        }
        mutating func take(_ c: Unicode.Scalar) -> Bool { take { $0 == UInt8(c.value) } }
        /// Consumes the longest run of bytes that satisfy `p`; returns its length.
        @discardableResult mutating func run(_ p: (UInt8) -> Bool) -> Int {
            let start = i
            while let c = peek, p(c) { i += 1 }
            return i - start
        }
        mutating func sign() { _ = take { $0 == 0x2B || $0 == 0x2D } }
        /// `(:[0-5]?[0-9])+`: at least one `:` group of one digit, or two digits
        /// the first of which is 0-5.
        mutating func sexagesimalGroups() -> Bool {
            var groups = 0
            while take(":") {
                let start = i
                let n = run(isDigit)
                if n == 1 || (n == 2 && b[start] <= 0x35) { groups += 1 } else { return false }
            }
            return groups > 0
        }
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    private static func isDigitOr_(_ c: UInt8) -> Bool { isDigit(c) || c == 0x5F }

    private static func isInt(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        func full(_ body: (inout Cursor) -> Bool) -> Bool {
            var c = Cursor(b)
            return body(&c) && c.atEnd
        }
        // [-+]?0b[01_]+
        if full({ c in c.sign(); return c.take("0") && c.take("b") && c.run({ $0 == 0x30 || $0 == 0x31 || $0 == 0x5F }) > 0 }) { return true }
        // [-+]?0o?[0-7_]+
        if full({ c in c.sign(); guard c.take("0") else { return false }; _ = c.take("o")
            return c.run({ ($0 >= 0x30 && $0 <= 0x37) || $0 == 0x5F }) > 0 }) { return true }
        // [-+]?(0|[1-9][0-9_]*)
        if full({ c in c.sign(); if c.take("0") { return true }
            return c.take({ $0 >= 0x31 && $0 <= 0x39 }) && c.run(isDigitOr_) >= 0 }) { return true }
        // [-+]?0x[0-9a-fA-F_]+
        if full({ c in c.sign(); return c.take("0") && c.take("x") && c.run({ isDigitOr_($0) || (0x61...0x66).contains($0) || (0x41...0x46).contains($0) }) > 0 }) { return true }
        // [-+]?[1-9][0-9_]*(:[0-5]?[0-9])+
        if full({ c in c.sign(); return c.take({ $0 >= 0x31 && $0 <= 0x39 }) && c.run(isDigitOr_) >= 0 && c.sexagesimalGroups() }) { return true }
        return false
    }

    private static func isFloat(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        func full(_ body: (inout Cursor) -> Bool) -> Bool {
            var c = Cursor(b)
            return body(&c) && c.atEnd
        }
        // [-+]?[0-9][0-9_]*(\.[0-9_]*)?([eE][-+]?[0-9]+)?
        if full({ c in
            c.sign()
            guard c.take(isDigit) else { return false }
            c.run(isDigitOr_)
            if c.take(".") { c.run(isDigitOr_) }
            if c.take({ $0 == 0x65 || $0 == 0x45 }) { c.sign(); return c.run(isDigit) > 0 }
            return true
        }) { return true }
        // \.[0-9_]+([eE][-+][0-9]+)?
        if full({ c in
            guard c.take("."), c.run(isDigitOr_) > 0 else { return false }
            if c.take({ $0 == 0x65 || $0 == 0x45 }) {
                return c.take({ $0 == 0x2B || $0 == 0x2D }) && c.run(isDigit) > 0
            }
            return true
        }) { return true }
        // [-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*
        if full({ c in
            c.sign()
            guard c.take(isDigit) else { return false }
            c.run(isDigitOr_)
            guard c.sexagesimalGroups(), c.take(".") else { return false }
            c.run(isDigitOr_)
            return true
        }) { return true }
        // [-+]?\.(inf|Inf|INF) and \.(nan|NaN|NAN)
        var text = String(decoding: b, as: UTF8.self)
        if text.hasPrefix("+") || text.hasPrefix("-") { text.removeFirst(); if ![".inf", ".Inf", ".INF"].contains(text) { return false } }
        return [".inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN"].contains(text)
    }

    private static func isTimestamp(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        var c = Cursor(b)
        func digits(_ min: Int, _ max: Int) -> Bool {
            let n = c.run(isDigit)
            return n >= min && n <= max
        }
        // YYYY-MM-DD
        var d = Cursor(b)
        if d.run(isDigit) == 4, d.take("-"), d.run(isDigit) == 2, d.take("-"), d.run(isDigit) == 2, d.atEnd { return true }
        // YYYY-M-D(T|t|[ \t]+)H:MM:SS(\.[0-9]*)?([ \t]*(Z|[-+][0-9][0-9]?(:[0-9][0-9])?))?
        guard digits(4, 4), c.take("-"), digits(1, 2), c.take("-"), digits(1, 2) else { return false }
        let blank: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 }
        if !c.take({ $0 == 0x54 || $0 == 0x74 }) && c.run(blank) == 0 { return false }
        guard digits(1, 2), c.take(":"), digits(2, 2), c.take(":"), digits(2, 2) else { return false }
        if c.take(".") { c.run(isDigit) }
        if c.atEnd { return true }
        c.run(blank)
        if c.take("Z") { return c.atEnd }
        guard c.take({ $0 == 0x2B || $0 == 0x2D }), digits(1, 2) else { return false }
        if c.take(":") { guard digits(2, 2) else { return false } }
        return c.atEnd
    }
}
