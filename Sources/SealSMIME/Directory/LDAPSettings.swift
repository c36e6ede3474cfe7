import SealPolicy
#if canImport(Glibc)
import Glibc
#endif

/// The LDAP directory for recipient certificates (`ldap:` in the S/MIME settings).
///
///     ldap:
///       uri: ldaps://ldap.example.org          # ldap:// (optionally with starttls) or ldaps://
///       base: "ou=people,dc=example,dc=org"
///       filter: "(mail=%s)"                    # %s: the address, escaped per RFC 4515
///       bind_dn: "cn=sealmilter,dc=example,dc=org"
///       password_file: /etc/sealmilter/ldap.secret   # mode 0600, one line
///       starttls: true
///       ca_file: /etc/ssl/certs/ca-certificates.crt
///       timeout: 5s
///       cache_ttl: 1h
///       negative_ttl: 5m
///       on_unavailable: tempfail               # or no_certificate
public struct LDAPSettings: Sendable, Equatable {
    /// What a look-up that cannot reach the directory answers.
    public enum Unavailable: String, Sendable { case tempfail, noCertificate = "no_certificate" }

    public var uri: String
    public var base: String
    public var filter: String = "(mail=%s)"
    public var bindDN: String? = nil
    public var passwordFile: String? = nil
    public var startTLS = false
    public var caFile: String? = nil
    public var timeout: Duration = .seconds(5)
    public var cacheTTL: Duration = .seconds(3600)
    public var negativeTTL: Duration = .seconds(300)
    public var onUnavailable: Unavailable = .tempfail
    var line = 0

    public init(uri: String, base: String) { self.uri = uri; self.base = base }

    static let allowed = ["uri", "base", "filter", "bind_dn", "password_file", "starttls", "ca_file",
                          "timeout", "cache_ttl", "negative_ttl", "on_unavailable"]

    /// Reads the `ldap:` mapping; problems are reported with file and line.
    public static func load(_ node: PolicyNode, _ r: PolicyReader, _ what: String) -> LDAPSettings? {
        guard let f = r.fields(node, in: what, allowed: allowed) else { return nil }
        var ok = !f.rejected
        guard let un = f["uri"], let uri = r.text(un, "\(what).uri", maxLength: 1000),
              let bn = f["base"], let base = r.text(bn, "\(what).base", maxLength: 1000) else {
            if f["uri"] == nil || f["base"] == nil { r.fail(node, "\(what): needs 'uri' (ldap:// or ldaps://) and 'base' (the search base DN)") }
            return nil
        }
        if !(uri.hasPrefix("ldap://") || uri.hasPrefix("ldaps://") || uri.hasPrefix("ldapi://")) {
            r.fail(un, "\(what).uri: expected ldap://, ldaps:// or ldapi://, found '\(uri)'"); ok = false
        }
        var s = LDAPSettings(uri: uri, base: base)
        s.line = un.mark?.line ?? 0
        if let v = f["filter"] {
            if let t = r.text(v, "\(what).filter", maxLength: 1000) {
                if occurrences(of: "%s", in: t) != 1 || !t.hasPrefix("(") {
                    r.fail(v, "\(what).filter: an LDAP filter in parentheses with one %s for the address, e.g. (mail=%s)"); ok = false
                } else { s.filter = t }
            } else { ok = false }
        }
        if let v = f["bind_dn"] { if let t = r.text(v, "\(what).bind_dn", maxLength: 1000) { s.bindDN = t } else { ok = false } }
        if let v = f["password_file"] { s.passwordFile = absolutePath(r, v, "\(what).password_file"); if s.passwordFile == nil { ok = false } }
        if (s.bindDN == nil) != (s.passwordFile == nil) {
            r.fail(node, "\(what): bind_dn and password_file go together (both, or neither for an anonymous bind)"); ok = false
        }
        if let v = f["starttls"] { if let b = r.bool(v, "\(what).starttls") { s.startTLS = b } else { ok = false } }
        if s.startTLS && uri.hasPrefix("ldaps://") { r.fail(f["starttls"]!, "\(what).starttls: not with ldaps:// (already TLS)"); ok = false }
        if let v = f["ca_file"] { s.caFile = absolutePath(r, v, "\(what).ca_file"); if s.caFile == nil { ok = false } }
        for (k, max) in [("timeout", 300.0), ("cache_ttl", 7 * 86400.0), ("negative_ttl", 7 * 86400.0)] {
            guard let v = f[k] else { continue }
            guard let d = ttl(r, v, "\(what).\(k)", max: max) else { ok = false; continue }
            switch k { case "timeout": s.timeout = d; case "cache_ttl": s.cacheTTL = d; default: s.negativeTTL = d }
        }
        if let v = f["on_unavailable"] {
            if let t = r.string(v, "\(what).on_unavailable"), let u = Unavailable(rawValue: t) { s.onUnavailable = u }
            else { r.fail(v, "\(what).on_unavailable: 'tempfail' (the message waits) or 'no_certificate' (as if the directory had none)"); ok = false }
        }
        return ok ? s : nil
    }

    func check(_ settings: PolicySettings, _ what: String) -> [PolicyError] { [] }

    /// A time such as 30s, 5m, 1h or 500ms (a bare number is seconds), up to `max` seconds.
    static func ttl(_ r: PolicyReader, _ n: PolicyNode, _ what: String, max: Double) -> Duration? {
        guard let s = r.string(n, what) else { return nil }
        var t = Substring(s)
        var scale = 1.0
        if t.hasSuffix("ms") { t = t.dropLast(2); scale = 0.001 }
        else if t.hasSuffix("s") { t = t.dropLast() }
        else if t.hasSuffix("m") { t = t.dropLast(); scale = 60 }
        else if t.hasSuffix("h") { t = t.dropLast(); scale = 3600 }
        else if t.hasSuffix("d") { t = t.dropLast(); scale = 86400 }
        guard let x = Double(t), x.isFinite, x >= 0 else { r.fail(n, "\(what): expected a time such as 30s, 5m or 1h, found '\(s)'"); return nil }
        let secs = x * scale
        guard secs <= max else { r.fail(n, "\(what): at most \(Int(max)) seconds, found '\(s)'"); return nil }
        return .milliseconds(Int64((secs * 1000).rounded()))
    }
}

/// How often `needle` occurs in `s` (not overlapping).
func occurrences(of needle: String, in s: String) -> Int {
    let h = Array(s.utf8), n = Array(needle.utf8)
    guard !n.isEmpty, h.count >= n.count else { return 0 }
    var i = 0, count = 0
    while i + n.count <= h.count {
        if h[i..<(i + n.count)].elementsEqual(n) { count += 1; i += n.count } else { i += 1 }
    }
    return count
}
