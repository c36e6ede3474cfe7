/// A certificate name pattern of a connector (`certificate_names`): a host name
/// (`mx1.partner.example`), `*.partner.example` (one label left of the domain, as in
/// certificates) or `.partner.example` (any name below the domain, as in Postfix's
/// `match=`). Compared without regard to case.
public struct CertificateNamePattern: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable { case exact, oneLabel, anyBelow }
    public let kind: Kind
    /// The name, or the domain after `*.` / `.`, lower case.
    public let name: String

    /// Nil when `text` is not a host name pattern; `why` says what is wrong.
    public init?(_ text: String, why: inout String) {
        var t = Substring(text.lowercased())
        var k = Kind.exact
        if t.hasPrefix("*.") { k = .oneLabel; t = t.dropFirst(2) }
        else if t.hasPrefix(".") { k = .anyBelow; t = t.dropFirst() }
        if t.hasSuffix(".") { t = t.dropLast() }
        guard CertificateNamePattern.isHostName(t) else {
            why = t.contains("*") ? "a '*' may only stand as the whole leftmost label ('*.example.com')"
                : "not a host name (letters, digits, '-' and '.' only)"
            return nil
        }
        kind = k
        name = String(t)
    }

    static func isHostName(_ s: Substring) -> Bool {
        let labels = s.split(separator: ".", omittingEmptySubsequences: false)
        return !s.isEmpty && s.count <= 253 && labels.allSatisfy { l in
            !l.isEmpty && l.count <= 63 && !l.hasPrefix("-") && !l.hasSuffix("-")
                && l.unicodeScalars.allSatisfy { ($0.value < 0x80 && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || $0 == "-" || $0 == "_" }
        }
    }

    /// Whether `value` (a certificate's subject common name, a DNS name) matches.
    public func matches(_ value: String) -> Bool {
        var v = Substring(value.lowercased())
        if v.hasSuffix(".") { v = v.dropLast() }
        switch kind {
        case .exact:
            return v == name
        case .oneLabel:
            guard v.hasSuffix("." + name) else { return false }
            return !v.dropLast(name.count + 1).contains(".") && v.count > name.count + 1
        case .anyBelow:
            return v.hasSuffix("." + name) && v.count > name.count + 1
        }
    }

    /// The form Postfix's `match=` attribute understands (a host name, or
    /// `.domain` for any name below it). A `*.domain` pattern is written `.domain`,
    /// which Postfix reads as any depth below: the table is at most as strict as
    /// the pattern for deeper names; docs/connectors.md says so.
    public var postfixMatch: String {
        switch kind {
        case .exact: return name
        case .oneLabel, .anyBelow: return "." + name
        }
    }

    public var description: String {
        switch kind {
        case .exact: return name
        case .oneLabel: return "*." + name
        case .anyBelow: return "." + name
        }
    }
}

/// A pattern for a certificate's subject or issuer name (`certificate_issuers`,
/// the `tls_cert_subject`/`tls_cert_issuer` conditions): the text, where `*` stands
/// for any characters; compared without regard to case. Postfix passes the common
/// names in `{cert_subject}`/`{cert_issuer}`; Sendmail passes whole distinguished
/// names, whose `CN=` part is matched as well.
public struct CertificateGlob: Sendable, Hashable, CustomStringConvertible {
    public let text: String
    private let pieces: [Substring]

    public init(_ text: String) {
        self.text = text
        pieces = text.lowercased().split(separator: "*", omittingEmptySubsequences: false)
    }

    public var description: String { text }

    /// Whether the issuer name `value` matches (wholly, or its `CN=` part).
    public func matches(_ value: String) -> Bool {
        if glob(value.lowercased()) { return true }
        if let cn = CertificateGlob.commonName(in: value) { return glob(cn.lowercased()) }
        return false
    }

    /// The `CN=` value of a distinguished name in either usual form
    /// (`/C=DE/O=x/CN=name` or `CN=name,O=x,C=DE`); nil when there is none.
    public static func commonName(in dn: String) -> String? {
        for sep: Character in ["/", ","] {
            for part in dn.split(separator: sep) {
                let p = part.drop(while: { $0 == " " })
                if p.lowercased().hasPrefix("cn=") { return String(p.dropFirst(3)) }
            }
        }
        return nil
    }

    private func glob(_ v: String) -> Bool {
        if pieces.count == 1 { return v == pieces[0] }
        var rest = Substring(v)
        guard rest.hasPrefix(pieces[0]) else { return false }
        rest = rest.dropFirst(pieces[0].count)
        for p in pieces.dropFirst().dropLast() where !p.isEmpty {
            guard let r = rest.firstRange(of: p) else { return false }
            rest = rest[r.upperBound...]
        }
        let last = pieces[pieces.count - 1]
        return rest.count >= last.count && rest.hasSuffix(last)
    }
}
