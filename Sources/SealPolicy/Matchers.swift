import Glibc
import SealPattern
/// A domain pattern: `example.com` (exact) or `*.example.com` (any subdomain, not the domain itself).
/// `*` and `?` may also appear elsewhere (`mx?.example.com`); matching is case-insensitive
/// and ignores a trailing dot on either side.
public struct DomainPattern: Sendable, Equatable {
    public var pattern: String
    public init(_ pattern: String) { self.pattern = Glob.normalizeDomain(pattern.lowercased()) }
    public func matches(domain: String) -> Bool {
        let d = Glob.normalizeDomain(domain.lowercased())
        if d.isEmpty { return false }
        if Glob.hasWildcard(pattern) { return Glob.matches(pattern, d) }
        return d == pattern
    }
}

/// An address pattern: `user@example.com`, `@example.com` / `example.com` (a domain),
/// `*.example.com`, or a glob with `*` such as `*-bounces@*.example.org`. Case-insensitive.
///
/// - A pattern with `@` compares the local part and the domain separately (split at the
///   last `@` of both), each exactly or as a glob; `@example.com` means any local part.
/// - A pattern without `@` is a domain pattern (see ``DomainPattern``) for the address' domain.
/// - `<>` matches only the null sender (an empty address).
///
/// Addresses may carry angle brackets and a source route (`<@relay:user@example.com>`);
/// both are stripped before matching.
public struct AddressPattern: Sendable, Equatable {
    public var pattern: String
    public init(_ pattern: String) { self.pattern = pattern.lowercased() }

    public func matches(address: String) -> Bool {
        let addr = AddressPattern.normalize(address)
        let pat = AddressPattern.normalize(pattern)
        if pat.isEmpty { return addr.isEmpty }
        if addr.isEmpty { return false }
        let (aLocal, aDomain) = AddressPattern.split(addr)
        guard let at = pat.lastIndex(of: "@") else {
            // A domain pattern.
            guard let aDomain else { return false }
            return DomainPattern(pat).matches(domain: aDomain)
        }
        let pLocal = String(pat[..<at])
        let pDomain = String(pat[pat.index(after: at)...])
        guard let aDomain else { return false }  // `postmaster` without a domain
        if !DomainPattern(pDomain).matches(domain: aDomain) { return false }
        if pLocal.isEmpty { return true }  // `@example.com`
        return Glob.hasWildcard(pLocal) ? Glob.matches(pLocal, aLocal) : pLocal == aLocal
    }

    /// Lower-cased address without surrounding space, angle brackets or source route.
    public static func normalize(_ address: String) -> String {
        var s = Substring(address.lowercased())
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        if s.first == "<" { s.removeFirst() }
        if s.last == ">" { s.removeLast() }
        // RFC 5321 source route: `@a,@b:user@example.com`
        if s.first == "@", let colon = s.firstIndex(of: ":") { s = s[s.index(after: colon)...] }
        return String(s)
    }

    /// Local part and domain, split at the last `@`; no domain when there is no `@`.
    static func split(_ address: String) -> (String, String?) {
        guard let at = address.lastIndex(of: "@") else { return (address, nil) }
        return (String(address[..<at]), String(address[address.index(after: at)...]))
    }
}

/// Shell-style wildcard matching (`*` any run of characters, `?` one character), no
/// character classes or escapes. Works on Unicode scalars; callers lower-case both sides.
public enum Glob {
    public static func hasWildcard(_ s: String) -> Bool {
        s.unicodeScalars.contains { $0 == "*" || $0 == "?" }
    }

    /// Iterative matcher: remembers only the last `*` and backtracks to it, so it needs
    /// no recursion and is linear for patterns with one star, O(n·m) at worst.
    public static func matches(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern.unicodeScalars)
        let t = Array(text.unicodeScalars)
        var pi = 0, ti = 0
        var star = -1, mark = 0
        while ti < t.count {
            if pi < p.count && (p[pi] == "?" || (p[pi] != "*" && p[pi] == t[ti])) {
                pi += 1; ti += 1
            } else if pi < p.count && p[pi] == "*" {
                star = pi; mark = ti; pi += 1
            } else if star >= 0 {
                pi = star + 1; mark += 1; ti = mark
            } else {
                return false
            }
        }
        while pi < p.count && p[pi] == "*" { pi += 1 }
        return pi == p.count
    }

    static func normalizeDomain(_ d: String) -> String {
        var s = Substring(d)
        if s.first == "@" { s.removeFirst() }
        while s.last == "." { s.removeLast() }
        return String(s)
    }
}

/// A keyword or regular expression of a policy file that does not compile.
public struct PatternError: Error, CustomStringConvertible, Sendable {
    /// The offending expression (or keyword).
    public var pattern: String
    /// Its position in the list given to the matcher (`patterns`, or `keywords` when
    /// ``isKeyword``); -1 when the error concerns the matcher as a whole.
    public var index: Int
    /// What is wrong, in words (for constructs the engine does not support, it says so).
    public var message: String
    /// The error concerns a keyword, not a regular expression.
    public var isKeyword: Bool = false
    public init(pattern: String, index: Int, message: String, isKeyword: Bool = false) {
        self.pattern = pattern; self.index = index; self.message = message; self.isKeyword = isKeyword
    }
    public var description: String {
        if index < 0 { return "the keywords and regular expressions do not compile together: \(message)" }
        return isKeyword ? "keyword \"\(pattern)\" does not compile: \(message)"
            : "invalid regular expression \"\(pattern)\": \(message)"
    }

    /// Hyperscan's message, reworded where it refuses a construct it does not support.
    static func explain(_ hyperscan: String) -> String {
        let unsupported: [(String, String)] = [
            ("Back-references", "back-references (\\1, \\k<name>) are not supported"),
            ("Zero-width assertions", "lookahead and lookbehind ((?=, (?!, (?<=, (?<!) are not supported"),
            ("Atomic groups", "atomic groups ((?>...)) are not supported"),
            ("Possessive quantifiers", "possessive quantifiers (*+, ++, ?+, {n,m}+) are not supported"),
            ("Subpattern reference", "subroutine calls and recursion ((?1), (?R), (?&name)) are not supported"),
            ("conditional", "conditional groups ((?(1)...|...)) are not supported"),
        ]
        for (needle, text) in unsupported where hyperscan.contains(needle) {
            return text + " by the linear-time regular-expression engine (Hyperscan; see sealmilter.yaml(5)); Hyperscan says: " + hyperscan
        }
        if hyperscan.contains("not supported") || hyperscan.contains("unsupported") || hyperscan.contains("Unrecognised character after (?") {
            return hyperscan + " (this construct is not supported by the linear-time regular-expression engine, Hyperscan; see sealmilter.yaml(5))"
        }
        return hyperscan
    }
}

/// Text conditions: keywords (case-insensitive substrings) and regular expressions.
/// Matches when any keyword or any expression matches.
///
/// Keywords and expressions are compiled together, once, into one Hyperscan database
/// (see SealPattern) and matched in one pass in time linear in the text, whatever the
/// expression: there is no backtracking. Expressions use Hyperscan's subset of PCRE syntax
/// (no back-references, lookaround, atomic groups, possessive quantifiers, conditionals or
/// recursion), are case-sensitive unless written with `(?i)` (Unicode simple case folding),
/// match anywhere in the text, and `^`/`$` anchor the whole text unless `(?m)` (`$` also
/// before a final line feed; `\z` only at the very end). The text is UTF-8: `.` and classes
/// match characters; `\w`, `\d`, `\s`, `\b` and POSIX classes are ASCII (use `\p{L}`,
/// `\p{N}`... for Unicode). An expression that matches the empty string matches every text.
/// Keywords ignore ASCII case (plain-ASCII keywords are searched as bytes) and, for non-ASCII
/// letters, Unicode simple case folding. An expression or keyword that does not compile throws
/// a ``PatternError``.
///
/// Threading: a matcher is immutable and shareable; ``matches(_:)`` borrows scratch space from
/// a process-wide pool; a session that scans often can pass its own ``Scratch``.
public struct TextMatcher: Sendable {
    public let keywords: [String]
    public let patterns: [String]
    /// The compiled form: one expression per non-empty keyword, then one per pattern, all with
    /// id `0` and ``PatternFlags/singleMatch`` (see ``expressions(id:)`` to reuse them).
    private let compiled: [PatternExpression]
    private let database: PatternDatabase

    /// The largest ``PatternExpression/repetitionWeight(_:)`` of a policy expression. Compile time
    /// grows fast with it (UTF-8 `x.{0,250}y`: 2 s, `x.{0,500}y`: 7 s on the benchmark machine).
    public static let maxRepetitionWeight = 1000

    /// The flags of a policy regular expression: UTF-8, reported once, may match the empty string.
    public static let patternFlags: PatternFlags = [.utf8, .singleMatch, .allowEmpty]

    public init(keywords: [String] = [], patterns: [String] = []) throws(PatternError) {
        self.keywords = keywords; self.patterns = patterns
        var exprs: [PatternExpression] = []
        var origin: [(keyword: Bool, index: Int)] = []
        for (i, k) in keywords.enumerated() where !k.isEmpty {
            exprs.append(.literal(k, id: 0, caseless: true))
            origin.append((true, i))
        }
        for (i, p) in patterns.enumerated() {
            let w = PatternExpression.repetitionWeight(p)
            if w > TextMatcher.maxRepetitionWeight {
                throw PatternError(pattern: p, index: i, message: "its counted repetitions ({n,m}) add up to \(w), more than \(TextMatcher.maxRepetitionWeight): the engine unrolls them, and an expression that large takes too long to compile or is refused as too large; use *, + or smaller counts")
            }
            exprs.append(PatternExpression(p, id: 0, flags: TextMatcher.patternFlags))
            origin.append((false, i))
        }
        do {
            database = try PatternDatabase(exprs, mode: .block)
        } catch {
            guard let e = error.index else {
                throw PatternError(pattern: "", index: -1, message: error.message)
            }
            let (isKeyword, i) = origin[e]
            throw PatternError(pattern: isKeyword ? keywords[i] : patterns[i], index: i,
                               message: PatternError.explain(error.message), isKeyword: isKeyword)
        }
        compiled = exprs
    }

    /// Whether any keyword or expression matches `text`.
    public func matches(_ text: String) -> Bool {
        database.matchesAny(text)
    }

    /// The same, with the caller's scratch space (a session's own; see ``Scratch``).
    public func matches(_ text: String, scratch: Scratch?) -> Bool {
        database.matchesAny(text, scratch: scratch)
    }

    /// The same on UTF-8 bytes. `utf8` should be valid UTF-8 (expressions are compiled in UTF-8
    /// mode): on other bytes the answer is unspecified, though scanning stays safe.
    public func matches(utf8: UnsafeRawBufferPointer, scratch: Scratch? = nil) -> Bool {
        database.matchesAny(utf8, scratch: scratch)
    }

    /// Whether the matcher has nothing to match (no keywords, no patterns): it never matches.
    public var isEmpty: Bool { compiled.isEmpty }

    /// This matcher's compiled expressions with their id set to `id`, to compile into a
    /// larger database (``TextMatcherSet``).
    public func expressions(id: UInt32) -> [PatternExpression] {
        compiled.map { var e = $0; e.id = id; return e }
    }

    /// The database, for sizing a session's ``Scratch``.
    public var patternDatabase: PatternDatabase { database }
}

/// Attachment conditions: filename globs and extensions (case-insensitive), and media types.
///
/// Matches when any name glob, any extension or any media type matches.
/// - Names are compared with the file's base name (any `/` or `\` path is dropped).
/// - Extensions are given without the dot (a leading dot is ignored); `exe` matches
///   `setup.EXE`, `gz` and `tar.gz` both match `backup.tar.gz`. Trailing dots and spaces
///   of the filename are ignored, as Windows does (`invoice.exe.` counts as `.exe`).
/// - Media types are exact (`application/pdf`) or `type/*`; parameters are ignored.
public struct AttachmentMatcher: Sendable {
    public var names: [String]
    public var extensions: [String]
    public var mediaTypes: [String]
    public init(names: [String] = [], extensions: [String] = [], mediaTypes: [String] = []) {
        self.names = names.map { $0.lowercased() }
        self.extensions = extensions.map { e in
            var s = Substring(e.lowercased())
            while s.first == "." { s.removeFirst() }
            return String(s)
        }.filter { !$0.isEmpty }
        self.mediaTypes = mediaTypes.map { AttachmentMatcher.bareType($0) }
    }

    public func matches(filename: String?, mediaType: String) -> Bool {
        if let filename, !names.isEmpty || !extensions.isEmpty {
            let base = AttachmentMatcher.baseName(filename)
            if !base.isEmpty {
                for n in names where Glob.matches(n, base) { return true }
                for e in extensions where base.hasSuffix("." + e) { return true }
            }
        }
        if !mediaTypes.isEmpty {
            let t = AttachmentMatcher.bareType(mediaType)
            for m in mediaTypes {
                if m == "*/*" || m == t { return true }
                if m.hasSuffix("/*"), t.hasPrefix(m.dropLast()) { return true }
            }
        }
        return false
    }

    /// Lower-cased file name without directories and without trailing dots and spaces.
    static func baseName(_ filename: String) -> String {
        var s = Substring(filename.lowercased())
        if let slash = s.lastIndex(where: { $0 == "/" || $0 == "\\" }) { s = s[s.index(after: slash)...] }
        while let l = s.last, l == "." || l == " " || l == "\t" { s.removeLast() }
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        return String(s)
    }

    /// `type/subtype`, lower-cased, without parameters or spaces.
    static func bareType(_ mediaType: String) -> String {
        let head = mediaType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return head.lowercased().filter { $0 != " " && $0 != "\t" }
    }
}
