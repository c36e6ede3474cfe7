import CLDAP
import COpenSSL
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What a directory look-up found.
public enum DirectoryAnswer: Sendable, Equatable {
    /// DER certificates the directory holds for the address (maybe several).
    case found([[UInt8]])
    /// The directory holds none.
    case none
    /// The directory could not be asked (down, bind refused, timeout): why.
    case unavailable(String)
}

/// Recipient certificates from an LDAP directory over OpenLDAP's libldap:
/// `userCertificate;binary` values and `userSMIMECertificate` (a PKCS#7
/// certs-only blob) of the entries the filter finds, with a cache (time to live
/// for answers with certificates, `negative_ttl` for none; failures are not
/// cached). Thread-safe: every look-up opens its own connection (the cache keeps
/// the directory's load low); the cache is behind a lock.
public final class LDAPDirectory: Sendable {
    public let settings: LDAPSettings
    private struct Entry { var answer: DirectoryAnswer; var expires: ContinuousClock.Instant }
    private let cache = Mutex<[String: Entry]>([:])
    /// Cache entries kept at most (expired ones go first, then the oldest half).
    static let maxEntries = 10_000
    /// Look-ups that went to the server (for tests and metrics).
    private let queries = Atomic<Int>(0)
    public var serverQueries: Int { queries.load(ordering: .relaxed) }

    public init(settings: LDAPSettings) { self.settings = settings }

    /// The certificates for `address` (case-insensitive), from the cache or the directory.
    public func lookup(_ address: String) -> DirectoryAnswer {
        let key = address.lowercased()
        let now = ContinuousClock.now
        if let hit = cache.withLock({ c -> DirectoryAnswer? in
            guard let e = c[key] else { return nil }
            if e.expires > now { return e.answer }
            c[key] = nil
            return nil
        }) { return hit }
        queries.add(1, ordering: .relaxed)
        let answer = query(key)
        let ttl: Duration
        switch answer {
        case .found: ttl = settings.cacheTTL
        case .none: ttl = settings.negativeTTL
        case .unavailable: return answer
        }
        if ttl > .zero {
            cache.withLock { c in
                if c.count >= Self.maxEntries {
                    c = c.filter { $0.value.expires > now }
                    if c.count >= Self.maxEntries {
                        let keep = c.sorted { $0.value.expires > $1.value.expires }.prefix(Self.maxEntries / 2)
                        c = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
                    }
                }
                c[key] = Entry(answer: answer, expires: ContinuousClock.now + ttl)
            }
        }
        return answer
    }

    /// Empties the cache (a policy reload makes a new directory anyway).
    public func flush() { cache.withLock { $0 = [:] } }

    /// The filter with the address escaped per RFC 4515 (`*`, `(`, `)`, `\`, NUL
    /// and bytes outside printable ASCII as \XX).
    public static func filter(_ template: String, address: String) -> String {
        var escaped = ""
        for b in address.utf8 {
            switch b {
            case 0x2a, 0x28, 0x29, 0x5c, 0x00, 0x80...0xff, 0x01...0x1f, 0x7f:
                let hex = Array("0123456789abcdef")
                escaped += "\\" + String(hex[Int(b >> 4)]) + String(hex[Int(b & 15)])
            default: escaped.unicodeScalars.append(Unicode.Scalar(b))
            }
        }
        var out = ""
        var rest = Substring(template)
        while let r = rest.firstRange(of: "%s") {
            out += rest[..<r.lowerBound] + escaped
            rest = rest[r.upperBound...]
        }
        return out + rest
    }

    // MARK: The protocol

    private func query(_ address: String) -> DirectoryAnswer {
        var ld: OpaquePointer? = nil
        guard ldap_initialize(&ld, settings.uri) == LDAP_SUCCESS, let ld else { return .unavailable("cannot use the URI \(settings.uri)") }
        defer { ldap_unbind_ext_s(ld, nil, nil) }
        var version: Int32 = LDAP_VERSION3
        ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version)
        var off: Int32 = 0
        ldap_set_option(ld, LDAP_OPT_REFERRALS, &off)   // LDAP_OPT_OFF: no chasing referrals
        let ms = settings.timeout.components.seconds * 1000 + settings.timeout.components.attoseconds / 1_000_000_000_000_000
        var tv = timeval(tv_sec: Int(ms / 1000), tv_usec: Int((ms % 1000) * 1000))
        ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv)
        ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv)
        if settings.caFile != nil || settings.startTLS || settings.uri.hasPrefix("ldaps://") {
            var demand: Int32 = LDAP_OPT_X_TLS_DEMAND
            ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand)
            if let ca = settings.caFile { ca.withCString { _ = ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, $0) } }
            var zero: Int32 = 0
            ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero)
        }
        if settings.startTLS {
            let rc = ldap_start_tls_s(ld, nil, nil)
            if rc != LDAP_SUCCESS { return .unavailable("STARTTLS: " + Self.text(rc)) }
        }
        // Simple bind: with the DN and the password file's first line, or anonymous.
        var password: [UInt8] = []
        if let file = settings.passwordFile {
            guard let p = Self.readSecret(file) else { return .unavailable("cannot read the password file \(file)") }
            password = p
        }
        defer { for i in password.indices { password[i] = 0 } }
        let rc = password.withUnsafeMutableBufferPointer { pw -> Int32 in
            var cred = berval(bv_len: ber_len_t(pw.count), bv_val: pw.baseAddress.map { UnsafeMutableRawPointer($0).assumingMemoryBound(to: CChar.self) })
            return ldap_sasl_bind_s(ld, settings.bindDN, nil, &cred, nil, nil, nil)
        }
        if rc != LDAP_SUCCESS { return .unavailable("bind: " + Self.text(rc)) }
        // Search.
        let filter = Self.filter(settings.filter, address: address)
        var attrs: [UnsafeMutablePointer<CChar>?] = [strdup("userCertificate;binary"), strdup("userSMIMECertificate"),
                                                     strdup("userSMIMECertificate;binary"), nil]
        defer { for a in attrs { free(a) } }
        var res: OpaquePointer? = nil
        let src = attrs.withUnsafeMutableBufferPointer { a in
            ldap_search_ext_s(ld, settings.base, 2 /* LDAP_SCOPE_SUBTREE */, filter, a.baseAddress, 0, nil, nil, &tv, 50, &res)
        }
        defer { if let res { ldap_msgfree(res) } }
        if src != LDAP_SUCCESS && src != LDAP_SIZELIMIT_EXCEEDED {
            return src == LDAP_NO_SUCH_OBJECT ? .none : .unavailable("search: " + Self.text(src))
        }
        var certs: [[UInt8]] = []
        var entry = ldap_first_entry(ld, res)
        while let e = entry {
            var ber: OpaquePointer? = nil
            var attr = ldap_first_attribute(ld, e, &ber)
            while let a = attr {
                let name = String(cString: a).lowercased()
                if let vals = ldap_get_values_len(ld, e, a) {
                    let n = Int(ldap_count_values_len(vals))
                    for i in 0..<min(n, 32) {
                        guard let bv = vals[i], let p = bv.pointee.bv_val else { continue }
                        let bytes = Array(UnsafeRawBufferPointer(start: p, count: Int(bv.pointee.bv_len)))
                        if name.hasPrefix("usercertificate") {
                            if Certificate.der(bytes) != nil { certs.append(bytes) }
                        } else if name.hasPrefix("usersmimecertificate") {
                            certs += Self.certsOnly(bytes)
                        }
                    }
                    ldap_value_free_len(vals)
                }
                ldap_memfree(a)
                attr = ldap_next_attribute(ld, e, ber)
            }
            if let ber { ber_free(ber, 0) }
            entry = ldap_next_entry(ld, e)
        }
        // The same certificate under both attributes counts once.
        var unique: [[UInt8]] = []
        for c in certs where !unique.contains(c) { unique.append(c) }
        return unique.isEmpty ? .none : .found(unique)
    }

    /// The certificates of a PKCS#7/CMS certs-only SignedData (userSMIMECertificate).
    static func certsOnly(_ der: [UInt8]) -> [[UInt8]] {
        der.withUnsafeBufferPointer { b -> [[UInt8]] in
            var p: UnsafePointer<UInt8>? = b.baseAddress
            guard let cms = d2i_CMS_ContentInfo(nil, &p, b.count) else { ERR_clear_error(); return [] }
            defer { CMS_ContentInfo_free(cms) }
            guard let certs = CMS_get1_certs(cms) else { ERR_clear_error(); return [] }
            defer { OPENSSL_sk_pop_free(certs) { X509_free(OpaquePointer($0)) } }
            var out: [[UInt8]] = []
            for i in 0..<min(32, OPENSSL_sk_num(certs)) {
                if let x = OpaquePointer(OPENSSL_sk_value(certs, i)), let d = Certificate(x).der { out.append(d) }
            }
            return out
        }
    }

    private static func text(_ rc: Int32) -> String {
        guard let s = ldap_err2string(rc) else { return "error \(rc)" }
        return String(cString: s)
    }

    /// The first line of a secret file (at most 1 KiB), without the line end.
    static func readSecret(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buf = [UInt8](repeating: 0, count: 1024)
        let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, 1024) }
        guard n >= 0 else { return nil }
        var out = Array(buf[0..<n])
        for i in buf.indices { buf[i] = 0 }
        if let nl = out.firstIndex(where: { $0 == 10 || $0 == 13 }) { out.removeSubrange(nl...) }
        return out
    }
}
