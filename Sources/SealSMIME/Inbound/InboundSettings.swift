import SealCrypto
import SealPolicy
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Inbound S/MIME (`smime.inbound`): verification and the `Authentication-Results`
/// field, harvesting signer certificates into the store, decryption, and what
/// recipients of a decrypted message get. Its presence turns the inbound side on.
///
///     smime:
///       store: /var/lib/sealmilter/certificates      # harvested certificates go here
///       trust: {bundles: [/etc/ssl/certs/ca-certificates.crt]}
///       identities:                                   # also the keys inbound decrypts with
///         - {for: "@example.org", key: domain-key, certificate: /etc/sealmilter/domain.pem}
///       inbound:
///         authserv_id: mx.example.org    # default: this host's name
///         verify: true                   # default true
///         harvest: true                  # default true (needs smime.store)
///         decrypt:                       # keys beyond the identities (decryption only)
///           - {key: old-key, certificate: /etc/sealmilter/old.pem}
///         deliver: plaintext             # or ciphertext (the original, after scanning)
///         max_size: 100M                 # larger S/MIME bodies are not opened
///
/// The key files are named in the policy's `keys:` section, so the permission
/// check covers them. Keys and the trust store are read on first use and kept.
public final class SMIMEInboundSettings: @unchecked Sendable {
    static let allowed = ["authserv_id", "verify", "harvest", "decrypt", "deliver", "max_size"]

    /// What recipients of a decrypted message get.
    public enum Delivery: String, Sendable { case plaintext, ciphertext }

    /// An extra decryption key: its name in `keys:` and its certificate.
    public struct KeyRef: Sendable, Equatable {
        public var name: String
        public var certificate: String
        public var line: Int
    }

    public let authservID: String
    public let verify: Bool
    public let harvest: Bool
    public let decryptKeys: [KeyRef]
    public let delivery: Delivery
    public let maxSize: Int
    let source: String

    init(authservID: String, verify: Bool, harvest: Bool, decryptKeys: [KeyRef], delivery: Delivery, maxSize: Int, source: String) {
        self.authservID = authservID; self.verify = verify; self.harvest = harvest
        self.decryptKeys = decryptKeys; self.delivery = delivery; self.maxSize = maxSize; self.source = source
    }

    /// Reads `smime.inbound`; problems are reported with file and line.
    public static func load(_ value: PolicyNode, _ r: PolicyReader) -> SMIMEInboundSettings? {
        let key = "smime.inbound"
        if r.isNull(value) {   // `inbound:` alone: every default
            return SMIMEInboundSettings(authservID: hostName(), verify: true, harvest: true, decryptKeys: [],
                                        delivery: .plaintext, maxSize: 100 << 20, source: r.file)
        }
        guard let f = r.fields(value, in: key, allowed: allowed) else { return nil }
        var ok = !f.rejected
        var authserv = hostName()
        if let v = f["authserv_id"] {
            if let s = r.text(v, "\(key).authserv_id", maxLength: 253) {
                if s.contains(";") || s.contains(" ") { r.fail(v, "\(key).authserv_id: a host name without spaces or ';'"); ok = false }
                else { authserv = s }
            } else { ok = false }
        }
        var verify = true, harvest = true
        if let v = f["verify"] { if let b = r.bool(v, "\(key).verify") { verify = b } else { ok = false } }
        if let v = f["harvest"] { if let b = r.bool(v, "\(key).harvest") { harvest = b } else { ok = false } }
        var keys: [KeyRef] = []
        if let v = f["decrypt"] {
            if case let .sequence(items) = v, !items.isEmpty {
                for item in items {
                    guard let k = r.fields(item, in: "\(key).decrypt", allowed: ["key", "certificate"]), !k.rejected else { ok = false; continue }
                    guard let kn = k["key"], let name = r.text(kn, "\(key).decrypt.key"),
                          let cn = k["certificate"], let cert = absolutePath(r, cn, "\(key).decrypt.certificate") else {
                        if k["key"] == nil || k["certificate"] == nil { r.fail(item, "\(key).decrypt: each entry needs 'key' (a name in keys:) and 'certificate' (its certificate file)") }
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
        guard ok else { return nil }
        return SMIMEInboundSettings(authservID: authserv, verify: verify, harvest: harvest, decryptKeys: keys,
                                    delivery: delivery, maxSize: maxSize, source: r.file)
    }

    /// The extra keys' files, resolved from `keys:` by ``check(_:)``.
    private(set) var keyPaths: [String: String] = [:]

    /// Every extra key must be named in `keys:`.
    func check(_ settings: PolicySettings) -> [PolicyError] {
        for k in decryptKeys { if let f = settings.keys.first(where: { $0.name == k.name }) { keyPaths[k.name] = f.path } }
        return decryptKeys.compactMap { k in
            settings.keys.contains { $0.name == k.name } ? nil
                : PolicyError(file: settings.source, line: k.line > 0 ? k.line : nil, column: nil,
                              message: "smime.inbound.decrypt: key '\(k.name)' is not named in the 'keys:' section")
        }
    }

    /// Extra keys that cannot be loaded (missing file, key and certificate that do not match).
    func fileProblems() -> [PolicyError] {
        var out: [PolicyError] = []
        for k in decryptKeys {
            guard let path = keyPaths[k.name] else { continue }
            do { _ = try Identity.load(keyFile: path, certificateFile: k.certificate) }
            catch { out.append(PolicyError(file: source, line: k.line > 0 ? k.line : nil, column: nil, message: "smime.inbound.decrypt (\(k.name)): \(error)")) }
        }
        return out
    }

    // MARK: Run-time state (loaded on first use, shared by every session)

    /// The decryption keys, and what could not be loaded.
    struct Material: Sendable {
        var keys: [DecryptionKey]
        var problems: [String]
    }
    private let material = Mutex<Material?>(nil)

    /// Loads the decryption keys once: the identities of `smime:` and the extra keys.
    func keys(_ smime: SMIMESettings, _ settings: PolicySettings) -> Material {
        material.withLock { m in
            if let m { return m }
            var out = Material(keys: [], problems: [])
            for id in smime.identities where !id.keyPath.isEmpty {
                do { out.keys.append(DecryptionKey(name: id.keyName, identity: try SMIMESettings.loadIdentity(id))) }
                catch { out.problems.append("identity \(id.keyName): \(error)") }
            }
            for k in decryptKeys {
                guard let file = settings.keys.first(where: { $0.name == k.name }) else { continue }
                do { out.keys.append(DecryptionKey(name: k.name, identity: try Identity.load(keyFile: file.path, certificateFile: k.certificate))) }
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
