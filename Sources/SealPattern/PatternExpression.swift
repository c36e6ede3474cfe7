import CHyperscan

/// Per-expression compile flags (Hyperscan's `HS_FLAG_*`).
public struct PatternFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// Case-insensitive (`(?i)` for the whole expression). With ``utf8``, Unicode simple case folding.
    public static let caseless = PatternFlags(rawValue: UInt32(HS_FLAG_CASELESS))
    /// `.` also matches a line feed (`(?s)`).
    public static let dotAll = PatternFlags(rawValue: UInt32(HS_FLAG_DOTALL))
    /// `^` and `$` also match at line feeds (`(?m)`).
    public static let multiline = PatternFlags(rawValue: UInt32(HS_FLAG_MULTILINE))
    /// Report the expression's id at most once per scan (per stream): enough for "did it match",
    /// and it lets Hyperscan stop tracking the expression after its first match.
    public static let singleMatch = PatternFlags(rawValue: UInt32(HS_FLAG_SINGLEMATCH))
    /// Allow expressions that match the empty string (they match every text, even an empty one).
    public static let allowEmpty = PatternFlags(rawValue: UInt32(HS_FLAG_ALLOWEMPTY))
    /// The expression and the scanned text are UTF-8: `.` and classes match characters, not bytes.
    /// Scanned data must then be valid UTF-8 (every Swift `String` is).
    public static let utf8 = PatternFlags(rawValue: UInt32(HS_FLAG_UTF8))
    /// Unicode properties for `\w`, `\d`, `\s` and POSIX classes (needs ``utf8``). Hyperscan refuses
    /// `\b` and `\B` with it, and it multiplies compile time (see ``PatternDatabase``).
    public static let ucp = PatternFlags(rawValue: UInt32(HS_FLAG_UCP))
}

/// One expression of a database: its text (Hyperscan's PCRE subset), the id its matches report,
/// and its flags. Several expressions may share an id; with ``PatternFlags/singleMatch`` on all
/// of them the id is then reported at most once per scan.
public struct PatternExpression: Sendable, Hashable {
    public var pattern: String
    public var id: UInt32
    public var flags: PatternFlags
    public init(_ pattern: String, id: UInt32, flags: PatternFlags) {
        self.pattern = pattern; self.id = id; self.flags = flags
    }

    /// An expression that matches `text` literally, anywhere. With `caseless`, ASCII letters
    /// ignore case; non-ASCII text turns on ``PatternFlags/utf8`` (Unicode simple case folding).
    /// Plain-ASCII text is compiled as bytes, which Hyperscan searches fastest.
    public static func literal(_ text: String, id: UInt32, caseless: Bool, flags: PatternFlags = [.singleMatch]) -> PatternExpression {
        var f = flags
        if caseless { f.insert(.caseless) }
        if !text.utf8.allSatisfy({ $0 < 0x80 }) { f.insert(.utf8) }
        return PatternExpression(escape(text), id: id, flags: f)
    }

    /// `text` as an expression that matches it literally: ASCII letters and digits stay, every
    /// other ASCII character becomes `\xHH` (so no character is special, NUL included), and
    /// non-ASCII characters stay as they are (compile such an expression with ``PatternFlags/utf8``).
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        let hex = Array("0123456789abcdef".unicodeScalars)
        for s in text.unicodeScalars {
            let v = s.value
            if v >= 0x80 || (v >= 0x30 && v <= 0x39) || (v >= 0x41 && v <= 0x5a) || (v >= 0x61 && v <= 0x7a) {
                out.unicodeScalars.append(s)
            } else {
                out += "\\x"
                out.unicodeScalars.append(hex[Int(v >> 4)])
                out.unicodeScalars.append(hex[Int(v & 15)])
            }
        }
        return out
    }
}

/// An expression set that does not compile.
public struct PatternCompileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Index of the offending expression in the list given to the compiler; nil when the error
    /// concerns the whole set (e.g. too large, or the CPU is not supported).
    public var index: Int?
    /// Hyperscan's message (e.g. "Back-references are unsupported.").
    public var message: String
    public init(index: Int?, message: String) { self.index = index; self.message = message }
    public var description: String {
        index.map { "expression \($0): \(message)" } ?? message
    }
}

extension PatternExpression {
    /// The weight of the counted repetitions (`{n}`, `{n,}`, `{n,m}`) of `pattern`: for each, its
    /// largest bound, times the bounds of the counted groups around it, all added up
    /// (`a{5}b{10}` weighs 15, `(x.{100}){100}` 100 + 100 · 100). Hyperscan unrolls counted
    /// repetitions, so its compile time and database size grow with this weight (quadratically
    /// and worse for wide classes such as `.` in UTF-8 mode: `x.{0,500}y` takes seconds,
    /// `x.{0,1000}y.{0,1000}z` minutes). Escapes (`\x{...}`, `\p{...}`, `\Q...\E`), character
    /// classes and `(?#...)` comments are skipped; a `{` that does not start a quantifier is a
    /// literal, as in PCRE.
    public static func repetitionWeight(_ pattern: String) -> Int {
        let c = Array(pattern.unicodeScalars)
        var i = 0
        // Weight inside each open group; the top-level "group" is the last element.
        var stack: [Int] = [0]
        /// The bound of a quantifier `{n}`, `{n,}`, `{n,m}` at `j`, and the index after it.
        func quantifier(at j: Int) -> (Int, Int)? {
            guard j < c.count, c[j] == "{" else { return nil }
            var k = j + 1
            var lo = "", hi = "", comma = false
            while k < c.count, c[k] != "}" {
                if c[k] == "," { if comma { return nil }; comma = true }
                else if ("0"..."9").contains(c[k]) { if comma { hi.unicodeScalars.append(c[k]) } else { lo.unicodeScalars.append(c[k]) } }
                else if c[k] == " " { }
                else { return nil }
                k += 1
            }
            guard k < c.count, !lo.isEmpty else { return nil }
            let bound = min(Int(hi.isEmpty ? lo : hi) ?? Int.max / 4, 1 << 30)
            return (bound, k + 1)
        }
        func add(_ w: Int) { stack[stack.count - 1] = min(stack[stack.count - 1] + w, 1 << 40) }
        while i < c.count {
            let ch = c[i]
            switch ch {
            case "\\":
                guard i + 1 < c.count else { i += 1; continue }
                let e = c[i + 1]
                if e == "Q" {  // literal up to \E
                    i += 2
                    while i + 1 < c.count, !(c[i] == "\\" && c[i + 1] == "E") { i += 1 }
                    i += 2
                    continue
                }
                i += 2
                if "xopPNgk".unicodeScalars.contains(e), i < c.count, c[i] == "{" {
                    while i < c.count, c[i] != "}" { i += 1 }
                    i += 1
                }
            case "[":  // a class: up to the first `]` that is not its first member
                i += 1
                if i < c.count, c[i] == "^" { i += 1 }
                if i < c.count, c[i] == "]" { i += 1 }
                while i < c.count, c[i] != "]" {
                    if c[i] == "\\" { i += 2; continue }
                    if c[i] == "[", i + 1 < c.count, c[i + 1] == ":" {  // [:alpha:]
                        i += 2
                        while i + 1 < c.count, !(c[i] == ":" && c[i + 1] == "]") { i += 1 }
                        i += 2
                        continue
                    }
                    i += 1
                }
                i += 1
            case "(":
                if i + 2 < c.count, c[i + 1] == "?", c[i + 2] == "#" {  // comment
                    while i < c.count, c[i] != ")" { i += 1 }
                    i += 1
                    continue
                }
                stack.append(0)
                i += 1
            case ")":
                let inner = stack.count > 1 ? stack.removeLast() : 0
                i += 1
                if let (b, next) = quantifier(at: i) {
                    add(b + b * inner)
                    i = next
                } else {
                    add(inner)
                }
            case "{":
                if let (b, next) = quantifier(at: i) { add(b); i = next } else { i += 1 }
            default:
                i += 1
            }
        }
        while stack.count > 1 { let w = stack.removeLast(); add(w) }
        return stack[0]
    }
}
