import Glibc
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
    static func normalize(_ address: String) -> String {
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
enum Glob {
    static func hasWildcard(_ s: String) -> Bool {
        s.unicodeScalars.contains { $0 == "*" || $0 == "?" }
    }

    /// Iterative matcher: remembers only the last `*` and backtracks to it, so it needs
    /// no recursion and is linear for patterns with one star, O(n·m) at worst.
    static func matches(_ pattern: String, _ text: String) -> Bool {
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

/// A regular expression of a policy file that does not compile.
public struct PatternError: Error, CustomStringConvertible, Sendable {
    /// The offending expression and its position in the list given to the matcher.
    public var pattern: String
    public var index: Int
    public var message: String
    public var description: String { "invalid regular expression \"\(pattern)\": \(message)" }
}

/// Text conditions: keywords (case-insensitive substrings) and regular expressions.
/// Matches when any keyword or any expression matches.
///
/// Expressions use Swift `Regex` syntax (Perl-like), are case-sensitive unless written
/// with `(?i)`, and match anywhere in the text (`^`/`$` anchor the whole text unless `(?m)`).
/// They are compiled once, here; an expression that does not compile throws a ``PatternError``.
public struct TextMatcher: @unchecked Sendable {
    public var keywords: [String]
    public var patterns: [String]
    /// Lower-cased keywords.
    private let foldedKeywords: [String]
    /// Folded keywords that are plain ASCII, as bytes (searched without case mapping).
    private let asciiKeywords: [[UInt8]]
    /// Folded keywords with non-ASCII letters (compared after Unicode lowercasing).
    private let unicodeKeywords: [String]
    /// The compiled `patterns`, same order. Regex is not Sendable, but these are never mutated.
    private let regexes: [Regex<AnyRegexOutput>]

    public init(keywords: [String] = [], patterns: [String] = []) throws {
        self.keywords = keywords; self.patterns = patterns
        self.foldedKeywords = keywords.map { $0.lowercased() }.filter { !$0.isEmpty }
        self.asciiKeywords = foldedKeywords.filter { $0.utf8.allSatisfy { $0 < 128 } }.map { Array($0.utf8) }
        self.unicodeKeywords = foldedKeywords.filter { !$0.utf8.allSatisfy { $0 < 128 } }
        var compiled: [Regex<AnyRegexOutput>] = []
        for (i, p) in patterns.enumerated() {
            do {
                let r = try Regex(p)
                // Matching once lowers the expression now (it is otherwise done lazily on first
                // use): a construct that only fails then is refused at load, not per message.
                _ = try r.firstMatch(in: "")
                compiled.append(r)
            } catch {
                throw PatternError(pattern: p, index: i, message: TextMatcher.describe(error))
            }
        }
        self.regexes = compiled
    }

    public func matches(_ text: String) -> Bool {
        if !foldedKeywords.isEmpty {
            // ASCII keywords: a case-folding byte search on the UTF-8 text (no copy,
            // no Unicode case mapping of the whole text — this runs over message bodies).
            var t = text
            let hit = t.withUTF8 { hay in
                asciiKeywords.contains { TextMatcher.containsASCIIFolded(UnsafeRawBufferPointer(hay), $0) }
            }
            if hit { return true }
            if !unicodeKeywords.isEmpty {
                let folded = text.lowercased()
                for k in unicodeKeywords where folded.contains(k) { return true }
            }
        }
        for r in regexes where (try? r.firstMatch(in: text)) != nil { return true }
        return false
    }


    /// Whether `hay` contains `needle` (lowercase ASCII), ignoring ASCII case.
    static func containsASCIIFolded(_ hay: UnsafeRawBufferPointer, _ needle: [UInt8]) -> Bool {
        let n = needle.count
        guard n > 0 else { return true }
        guard hay.count >= n, let base = hay.baseAddress else { return false }
        let p = base.assumingMemoryBound(to: UInt8.self)
        let lower = needle[0]
        let upper = (lower >= 97 && lower <= 122) ? lower - 32 : lower
        let last = hay.count - n
        var i = 0
        while i <= last {
            // The next position holding the first byte in either case.
            let a = memchr(p + i, Int32(lower), last - i + 1)
            let b = upper == lower ? nil : memchr(p + i, Int32(upper), last - i + 1)
            let hit: UnsafeMutableRawPointer
            switch (a, b) {
            case (nil, nil): return false
            case (let x?, nil): hit = x
            case (nil, let y?): hit = y
            case (let x?, let y?): hit = min(x, y)
            }
            let j = UnsafeRawPointer(hit).assumingMemoryBound(to: UInt8.self) - p
            var k = 1
            while k < n {
                var c = p[j + k]
                if c >= 65 && c <= 90 { c += 32 }
                if c != needle[k] { break }
                k += 1
            }
            if k == n { return true }
            i = j + 1
        }
        return false
    }

    /// The compiler's message without Swift's type decoration.
    private static func describe(_ error: any Error) -> String {
        let s = String(describing: error)
        return s.isEmpty ? "does not compile" : s
    }
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
