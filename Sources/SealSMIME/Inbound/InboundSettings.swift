import SealPolicy
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The inbound S/MIME settings (`smime_inbound:`): verification and the
/// `Authentication-Results` field, harvesting signer certificates, decryption
/// with the organisation's keys, what recipients get, and the LDAP directory.
///
///     smime_inbound:
///       authserv_id: mx.example.org        # default: this host's name
///       trust: {ca_file: /etc/ssl/certs/ca-certificates.crt, ca_path: /etc/sealmilter/smime/anchors}
///       harvest_directory: /var/lib/sealmilter/smime/harvested
///       decrypt:
///         - {key: domain-key, certificate: /etc/sealmilter/smime/domain.pem}
///       deliver: plaintext                 # or ciphertext (the original, after scanning)
///       max_size: 100M                     # larger S/MIME bodies are not opened
///       ldap: {uri: ldap://ldap.example.org, base: "ou=people,dc=example,dc=org", ...}
///
/// The key files are named in the policy's `keys:` section, so the permission
/// check covers them. Keys and the trust store are read on first use and kept.
public final class SMIMEInboundSettings: PolicyFeature, @unchecked Sendable {
    public static let key = "smime_inbound"
    public static let innerKeys: Set<String> = Set(allowed)
    static let allowed = ["authserv_id", "trust", "harvest_directory", "decrypt", "deliver", "max_size", "verify", "ldap"]

    /// What recipients of a decrypted message get.
    public enum Delivery: String, Sendable { case plaintext, ciphertext }

    /// A decryption key: its name in `keys:` and its certificate (which picks it).
    public struct KeyRef: Sendable, Equatable {
        public var name: String
        public var certificate: String
        public var line: Int
    }

    public let authservID: String
    public let verify: Bool
    public let caFile: String?
    public let caPath: String?
    public let harvestDirectory: String?
    public let decryptKeys: [KeyRef]
    public let delivery: Delivery
    public let maxSize: Int
    public let ldap: LDAPSettings?
    let source: String

    init(authservID: String, verify: Bool, caFile: String?, caPath: String?, harvestDirectory: String?,
         decryptKeys: [KeyRef], delivery: Delivery, maxSize: Int, ldap: LDAPSettings?, source: String) {
        self.authservID = authservID; self.verify = verify; self.caFile = caFile; self.caPath = caPath
        self.harvestDirectory = harvestDirectory; self.decryptKeys = decryptKeys; self.delivery = delivery
        self.maxSize = maxSize; self.ldap = ldap; self.source = source
    }

    public static func load(_ value: PolicyNode, _ c: FeatureLoadContext) -> SMIMEInboundSettings? {
        let r = c.reader
        guard let f = r.fields(value, in: key, allowed: allowed) else { return nil }
        var ok = !f.rejected
        var authserv = hostName()
        if let v = f["authserv_id"] {
            if let s = r.text(v, "\(key).authserv_id", maxLength: 253), !s.contains(";"), !s.contains(" ") { authserv = s }
            else { if r.string(v, "") != nil { r.fail(v, "\(key).authserv_id: a host name without spaces or ';'") }; ok = false }
        }
        var verify = true
        if let v = f["verify"] { if let b = r.bool(v, "\(key).verify") { verify = b } else { ok = false } }
        var caFile: String? = nil, caPath: String? = nil
        if let v = f["trust"] {
            if let t = r.fields(v, in: "\(key).trust", allowed: ["ca_file", "ca_path"]) {
                if let n = t["ca_file"] { caFile = absolutePath(r, n, "\(key).trust.ca_file"); if caFile == nil { ok = false } }
                if let n = t["ca_path"] { caPath = absolutePath(r, n, "\(key).trust.ca_path"); if caPath == nil { ok = false } }
                if t.rejected { ok = false }
            } else { ok = false }
        }
        var harvest: String? = nil
        if let v = f["harvest_directory"] { harvest = absolutePath(r, v, "\(key).harvest_directory"); if harvest == nil { ok = false } }
        var keys: [KeyRef] = []
        if let v = f["decrypt"] {
            if case let .sequence(items) = v, !items.isEmpty {
                for item in items {
                    guard let k = r.fields(item, in: "\(key).decrypt", allowed: ["key", "certificate"]), !k.rejected else { ok = false; continue }
                    guard let kn = k["key"], let name = r.text(kn, "\(key).decrypt.key"),
                          let cn = k["certificate"], let cert = absolutePath(r, cn, "\(key).decrypt.certificate") else {
                        if k["key"] == nil || k["certificate"] == nil { r.fail(item, "\(key).decrypt: each entry needs 'key' (a name in keys:) and 'certificate' (its PEM certificate)") }
                        ok = false; continue
                    }
                    keys.append(KeyRef(name: name, certificate: cert, line: kn.mark?.line ?? 0))
                }
            } else { r.fail(v, "\(key).decrypt: expected a list of {key, certificate}"); ok = false }
        }
        var delivery = Delivery.plaintext
        if let v = f["deliver"] {
            if let s = r.string(v, "\(key).deliver"), let d = Delivery(rawValue: s) { delivery = d }
            else { r.fail(v, "\(key).deliver: 'plaintext' (the decrypted message, marked X-Sealmilter-Decrypted) or 'ciphertext' (the original)"); ok = false }
        }
        var maxSize = 100 << 20
        if let v = f["max_size"] { if let n = r.size(v, "\(key).max_size", min: 1024) { maxSize = n } else { ok = false } }
        var ldap: LDAPSettings? = nil
        if let v = f["ldap"] { ldap = LDAPSettings.load(v, r, "\(key).ldap"); if ldap == nil { ok = false } }
        guard ok else { return nil }
        return SMIMEInboundSettings(authservID: authserv, verify: verify, caFile: caFile, caPath: caPath,
                                    harvestDirectory: harvest, decryptKeys: keys, delivery: delivery,
                                    maxSize: maxSize, ldap: ldap, source: r.file)
    }

    public func check(_ settings: PolicySettings) -> [PolicyError] {
        decryptKeys.compactMap { k in
            settings.keys.contains { $0.name == k.name } ? nil
                : PolicyError(file: settings.source, line: k.line > 0 ? k.line : nil, column: nil,
                              message: "\(Self.key).decrypt: key '\(k.name)' is not named in the 'keys:' section")
        } + (ldap?.check(settings, Self.key + ".ldap") ?? [])
    }

    public func fileProblems(owner: uid_t?) -> [PolicyError] {
        var out: [PolicyError] = []
        for k in decryptKeys where access(k.certificate, R_OK) != 0 {
            out.append(PolicyError(file: source, line: k.line > 0 ? k.line : nil, column: nil,
                                   message: "\(Self.key).decrypt: certificate \(k.certificate): \(String(cString: strerror(errno)))"))
        }
        if let d = harvestDirectory, access(d, W_OK | X_OK) != 0 {
            out.append(PolicyError(file: source, message: "\(Self.key).harvest_directory \(d): \(String(cString: strerror(errno)))"))
        }
        return out
    }

    // MARK: Run-time state (loaded on first use, shared by every session)

    /// The trust store and decryption keys, or why they could not be loaded.
    struct Material: @unchecked Sendable {
        var trust: InboundTrust?
        var keys: [DecryptionKey]
        var problems: [String]
    }
    private let material = Mutex<Material?>(nil)

    /// Loads the trust store and keys once; `keyPath` maps a key name to its file.
    func runtime(_ settings: PolicySettings) -> Material {
        material.withLock { m in
            if let m { return m }
            var out = Material(trust: nil, keys: [], problems: [])
            do { out.trust = try InboundTrust(caFile: caFile, caPath: caPath) } catch { out.problems.append("trust: \(error)") }
            for k in decryptKeys {
                guard let file = settings.keys.first(where: { $0.name == k.name }) else { continue }
                do { out.keys.append(try DecryptionKey(name: k.name, keyPath: file.path, certificatePath: k.certificate)) }
                catch { out.problems.append("key \(k.name): \(error)") }
            }
            m = out
            return out
        }
    }
}

/// An absolute path, or a reported error.
func absolutePath(_ r: PolicyReader, _ n: PolicyNode, _ what: String) -> String? {
    guard let s = r.text(n, what, maxLength: 4096) else { return nil }
    guard s.hasPrefix("/") else { r.fail(n, "\(what): must be an absolute path, found '\(s)'"); return nil }
    return s
}

/// This host's name (the default authserv-id).
func hostName() -> String {
    var buf = [CChar](repeating: 0, count: 256)
    guard gethostname(&buf, buf.count - 1) == 0 else { return "localhost" }
    let s = String(cString: buf)
    return s.isEmpty ? "localhost" : s
}
