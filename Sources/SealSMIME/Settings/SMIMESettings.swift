#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import SealCrypto
import SealPolicy

/// The policy's `smime:` section: the organisation's signing identities, the
/// recipient certificate store, the trust store, CRLs, the escrow certificate.
///
/// ```yaml
/// keys:
///   sales-key: /etc/sealmilter/keys/sales.key
///   org-p12: /etc/sealmilter/keys/org.p12
///   org-pass: /etc/sealmilter/keys/org.pass
/// smime:
///   store: /var/lib/sealmilter/certificates
///   trust:
///     bundles: [/etc/ssl/certs/ca-certificates.crt]
///     anchors: [/etc/sealmilter/partner-ca.pem]
///     crls: [/etc/sealmilter/partner-ca.crl]
///   escrow: /etc/sealmilter/escrow.pem
///   identities:
///     - for: sales@example.com
///       key: sales-key
///       certificate: /etc/sealmilter/sales.pem
///     - for: "*"
///       pkcs12: org-p12
///       passphrase: org-pass
/// ```
///
/// Files are read at first use (and by `fileProblems`, which `sealctl
/// check-config` and the daemon's start run), not when the policy is parsed. One
/// value is shared by every session; what it loads is kept behind a lock.
public final class SMIMESettings: PolicyFeature, @unchecked Sendable {
    public static let key = "smime"
    public static let innerKeys: Set<String> = ["store", "trust", "escrow", "identities", "inbound", "ldap"]

    /// A signing identity of the organisation.
    public struct IdentityConfig: Sendable {
        /// Whose mail it signs: an address, a domain (`example.com`, `@example.com`), a glob, or `*`.
        public var pattern: AddressPattern
        /// The name in `keys:` of a PEM private key (with `certificate`), or of a PKCS#12 file.
        public var keyName: String
        public var isPKCS12: Bool
        /// The certificate file (leaf first, then its chain) that goes with a PEM key.
        public var certificate: String?
        /// The name in `keys:` of the file holding the passphrase (first line).
        public var passphraseName: String?
        public var line: Int
        /// Resolved from `keys:` by `check`.
        var keyPath = ""
        var passphrasePath: String?

        /// More specific patterns first: one address, a domain, a glob, everything.
        var rank: Int {
            let p = pattern.pattern
            if p == "*" { return 3 }
            if p.contains("*") { return 2 }
            return p.contains("@") && !p.hasPrefix("@") ? 0 : 1
        }
    }

    /// The recipient certificate directory.
    public let storePath: String?
    public let bundles: [String]
    public let anchors: [String]
    public let crls: [String]
    /// The organisation's escrow certificate, added as a recipient of every encryption.
    public let escrowPath: String?
    public private(set) var identities: [IdentityConfig]
    /// The policy file, for messages.
    public let source: String
    let line: Int
    /// Inbound verification and decryption (`inbound:`, SMIMEInboundSettings.swift); nil: off.
    public let inbound: SMIMEInboundSettings?
    /// The LDAP directory for recipient certificates (`ldap:`, Directory/LDAPSettings.swift).
    public let ldap: LDAPSettings?

    init(storePath: String?, bundles: [String], anchors: [String], crls: [String], escrowPath: String?,
         identities: [IdentityConfig], source: String, line: Int, inbound: SMIMEInboundSettings? = nil, ldap: LDAPSettings? = nil) {
        self.inbound = inbound; self.ldap = ldap
        self.storePath = storePath; self.bundles = bundles; self.anchors = anchors; self.crls = crls
        self.escrowPath = escrowPath; self.identities = identities.enumerated().sorted { a, b in
            a.element.rank != b.element.rank ? a.element.rank < b.element.rank : a.offset < b.offset
        }.map(\.element)
        self.source = source; self.line = line
    }

    // MARK: loading

    public static func load(_ value: PolicyNode, _ c: FeatureLoadContext) -> SMIMESettings? {
        let r = c.reader
        guard let f = r.fields(value, in: key, allowed: ["store", "trust", "escrow", "identities", "inbound", "ldap"]) else { return nil }
        var ok = !f.rejected
        func path(_ node: PolicyNode, _ what: String) -> String? {
            guard let p = r.text(node, what, maxLength: 4096) else { ok = false; return nil }
            guard p.hasPrefix("/") else { r.fail(node, "\(what): must be an absolute path, found '\(p)'"); ok = false; return nil }
            return p
        }
        func paths(_ node: PolicyNode?, _ what: String) -> [String] {
            guard let node else { return [] }
            guard let list = r.strings(node, what) else { ok = false; return [] }
            return list.compactMap { s, n in path(n, what) }
        }
        let store = f["store"].flatMap { path($0, "smime.store") }
        var bundles: [String] = [], anchors: [String] = [], crls: [String] = []
        if let t = f["trust"] {
            if let tf = r.fields(t, in: "smime.trust", allowed: ["bundles", "anchors", "crls"]) {
                bundles = paths(tf["bundles"], "smime.trust.bundles")
                anchors = paths(tf["anchors"], "smime.trust.anchors")
                crls = paths(tf["crls"], "smime.trust.crls")
                if tf["bundles"] == nil && tf["anchors"] == nil && !tf.rejected {
                    r.fail(t, "smime.trust: needs 'bundles' or 'anchors' (the certificates S/MIME certificates must chain to)"); ok = false
                }
            } else { ok = false }
        }
        let escrow = f["escrow"].flatMap { path($0, "smime.escrow") }
        var ids: [IdentityConfig] = []
        if let list = f["identities"] {
            guard case let .sequence(items) = list else {
                r.fail(list, "smime.identities: expected a list of identities, found \(PolicyReader.describe(list))"); return nil
            }
            for (i, item) in items.enumerated() {
                let what = "smime.identities[\(i + 1)]"
                guard let itf = r.fields(item, in: what, allowed: ["for", "key", "certificate", "pkcs12", "passphrase"]) else { ok = false; continue }
                guard let forNode = itf["for"], let pat = r.text(forNode, "\(what).for") else {
                    if itf["for"] == nil { r.fail(item, "\(what): needs 'for' (an address, a domain, or \"*\" for the whole organisation)") }
                    ok = false; continue
                }
                let keyName = itf["key"].flatMap { r.text($0, "\(what).key") }
                let p12Name = itf["pkcs12"].flatMap { r.text($0, "\(what).pkcs12") }
                let cert = itf["certificate"].flatMap { path($0, "\(what).certificate") }
                let pass = itf["passphrase"].flatMap { r.text($0, "\(what).passphrase") }
                switch (keyName, p12Name) {
                case (nil, nil): r.fail(item, "\(what): needs 'key' (with 'certificate') or 'pkcs12', names from 'keys:'"); ok = false; continue
                case (.some, .some): r.fail(item, "\(what): give 'key' or 'pkcs12', not both"); ok = false; continue
                case (.some, nil) where cert == nil:
                    r.fail(item, "\(what): a PEM 'key' needs 'certificate' (its certificate file, chain included)"); ok = false; continue
                case (nil, .some) where cert != nil:
                    r.fail(item, "\(what): a PKCS#12 file holds its certificate; remove 'certificate'"); ok = false; continue
                default: break
                }
                ids.append(IdentityConfig(pattern: AddressPattern(pat), keyName: keyName ?? p12Name!, isPKCS12: p12Name != nil,
                                          certificate: cert, passphraseName: pass, line: item.mark?.line ?? 0))
            }
        }
        let inbound = f["inbound"].map { SMIMEInboundSettings.load($0, r) }
        let ldap = f["ldap"].map { LDAPSettings.load($0, r, "smime.ldap") }
        if inbound.map({ $0 == nil }) == true || ldap.map({ $0 == nil }) == true { ok = false }
        guard ok else { return nil }
        return SMIMESettings(storePath: store, bundles: bundles, anchors: anchors, crls: crls, escrowPath: escrow,
                             identities: ids, source: r.file, line: c.keyNode.mark?.line ?? 0,
                             inbound: inbound ?? nil, ldap: ldap ?? nil)
    }

    /// Every key and passphrase an identity names must be in `keys:`.
    public func check(_ settings: PolicySettings) -> [PolicyError] {
        var errors: [PolicyError] = []
        let known = Dictionary(settings.keys.map { ($0.name, $0.path) }, uniquingKeysWith: { a, _ in a })
        for i in identities.indices {
            let id = identities[i]
            func missing(_ field: String, _ name: String) -> PolicyError {
                PolicyError(file: settings.source, line: id.line > 0 ? id.line : nil,
                            message: "smime.identities (for \(id.pattern.pattern)): \(field) '\(name)' is not a key of the 'keys:' section"
                                + (known.isEmpty ? " (there is none)" : " (keys: \(known.keys.sorted().joined(separator: ", ")))"))
            }
            if let p = known[id.keyName] { identities[i].keyPath = p } else { errors.append(missing(id.isPKCS12 ? "pkcs12" : "key", id.keyName)) }
            if let n = id.passphraseName {
                if let p = known[n] { identities[i].passphrasePath = p } else { errors.append(missing("passphrase", n)) }
            }
        }
        if let inbound { errors += inbound.check(settings) }
        return errors
    }

    /// Files that cannot be used: the store, trust and CRL files, the escrow
    /// certificate, and every identity (loaded, so that a wrong passphrase or a key
    /// that does not fit its certificate shows at start, not at the first message).
    public func fileProblems(owner: uid_t?) -> [PolicyError] {
        var out: [PolicyError] = []
        func problem(_ what: String, line: Int? = nil) { out.append(PolicyError(file: source, line: line ?? (self.line > 0 ? self.line : nil), message: what)) }
        if let s = storePath {
            var st = stat()
            if stat(s, &st) != 0 { problem("smime.store: \(s) cannot be used: \(String(cString: strerror(errno)))") }
            else if (st.st_mode & S_IFMT) != S_IFDIR { problem("smime.store: \(s) is not a directory") }
        }
        do { _ = try makeTrust() } catch { problem("smime.trust: \(error)") }
        if let e = escrowPath { do { _ = try Certificate.load(file: e) } catch { problem("smime.escrow: \(error)") } }
        for id in identities where !id.keyPath.isEmpty {
            do { _ = try Self.loadIdentity(id) } catch { problem("smime.identities (for \(id.pattern.pattern)): \(error)", line: id.line) }
        }
        if let inbound { out += inbound.fileProblems() }
        return out
    }

    // MARK: run time

    private struct Loaded {
        var trust: TrustStore?
        var escrow: [Certificate]?
        var identities: [Int: Identity] = [:]
    }
    private let loaded = Mutex(Loaded())

    func makeTrust() throws -> TrustStore {
        try TrustStore(bundles: bundles, anchors: anchors, crlFiles: crls)
    }

    static func loadIdentity(_ id: IdentityConfig) throws -> Identity {
        if id.isPKCS12 { return try Identity.load(pkcs12File: id.keyPath, passphraseFile: id.passphrasePath) }
        var pass = try id.passphrasePath.map { p throws(CertificateError) in try FileBytes.passphrase(p) }
        defer { if pass != nil { for i in pass!.indices { pass![i] = 0 } } }
        return try Identity.load(keyFile: id.keyPath, certificateFile: id.certificate!, passphrase: pass)
    }

    /// The trust store (loaded once).
    public func trustStore() throws -> TrustStore {
        if let t = loaded.withLock({ $0.trust }) { return t }
        let t = try makeTrust()
        loaded.withLock { $0.trust = t }
        return t
    }

    /// The certificate selector over the trust store.
    public func selector() throws -> CertificateSelector { CertificateSelector(trust: try trustStore()) }

    /// The recipient certificate sources: the directory store (when configured).
    public var sources: [any RecipientCertificateSource] {
        (storePath.map { [store(for: $0)] } ?? []) + (ldapDirectory.map { [$0] } ?? [])
    }

    /// The LDAP directory of `ldap:` (one per policy, its cache shared by every session).
    public var ldapDirectory: LDAPDirectory? {
        guard let ldap else { return nil }
        return ldapDirectories.withLock { d in
            if let d { return d }
            let made = LDAPDirectory(settings: ldap)
            d = made
            return made
        }
    }
    private let ldapDirectories = Mutex<LDAPDirectory?>(nil)

    private let stores = Mutex<[String: CertificateDirectory]>([:])
    private func store(for path: String) -> CertificateDirectory {
        stores.withLock { s in
            if let d = s[path] { return d }
            let d = CertificateDirectory(path: path)
            s[path] = d
            return d
        }
    }

    private struct CachedSelection { var fingerprints: [String]; var selection: CertificateSelection; var until: Int64 }
    private let selections = Mutex<[String: CachedSelection]>([:])

    /// The certificate for `address` at `time` (``CertificateSelector/select``),
    /// remembered for up to a minute while the certificates on file stay the same
    /// (and never past the chosen one's expiry), so that a busy gateway does not
    /// verify the same chain for every message.
    public func selection(for address: String, at time: Int64) throws -> CertificateSelection {
        let a = address.lowercased()
        let srcs = sources
        let fingerprints = srcs.flatMap { s in ((try? s.certificates(for: a)) ?? []).map(\.fingerprint) }
        if let hit = selections.withLock({ $0[a] }), hit.fingerprints == fingerprints, time >= hit.selection.time, time < hit.until {
            return hit.selection
        }
        let sel = try selector().select(for: a, from: srcs, at: time)
        let until = min(time + 60, sel.chosen?.notAfter ?? (time + 60))
        selections.withLock { c in
            if c.count > 10_000 { c.removeAll() }
            c[a] = CachedSelection(fingerprints: fingerprints, selection: sel, until: until)
        }
        return sel
    }

    /// The recipient store, when configured (for harvesting).
    public var certificateDirectory: CertificateDirectory? { storePath.map { store(for: $0) } }

    /// The escrow certificate(s), loaded once.
    public func escrowCertificates() throws -> [Certificate] {
        guard let e = escrowPath else { return [] }
        if let c = loaded.withLock({ $0.escrow }) { return c }
        let c = try Certificate.load(file: e)
        loaded.withLock { $0.escrow = c }
        return c
    }

    /// The configured identity for `address` (most specific pattern first), or nil.
    public func identityConfig(for address: String) -> IdentityConfig? {
        identities.first { $0.pattern.matches(address: address) }
    }

    /// The signing identity for `address`, loaded once; nil when none is configured.
    /// Throws when it is configured but cannot be loaded (missing key, wrong passphrase).
    public func identity(for address: String) throws -> Identity? {
        guard let i = identities.firstIndex(where: { $0.pattern.matches(address: address) }) else { return nil }
        if let id = loaded.withLock({ $0.identities[i] }) { return id }
        let id = try Self.loadIdentity(identities[i])
        loaded.withLock { $0.identities[i] = id }
        return id
    }
}
