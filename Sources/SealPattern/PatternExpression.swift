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
