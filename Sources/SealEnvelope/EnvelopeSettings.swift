import SealPolicy
import SealCrypto
#if canImport(Glibc)
import Glibc
#endif

/// The policy's `envelope:` section (a ``PolicyFeature``): the organisation's
/// recovery key and reply secret (names in `keys:`), PBKDF2 iterations, shared
/// secrets, defaults for the `encrypt` action (subject, expiry, hint), notice and
/// passcode-message texts, branding. See sealmilter.yaml(5) and docs/envelope.md.
///
/// The value is a class: it also holds the run-time state every session shares
/// (key material read on first use, the passcodes of the message being built),
/// behind a mutex.
public final class EnvelopeSettings: PolicyFeature, @unchecked Sendable {
    public static let key = "envelope"
    public static let innerKeys: Set<String> = ["recovery_key", "reply_secret", "iterations", "shared_secrets",
                                                "min_shared_secret_length", "notice", "passcode_message", "branding"]

    /// Names in `keys:`.
    public var recoveryKey: String
    public var replySecret: String?
    public var sharedSecrets: String?
    public var iterations = EnvelopeFormat.minimumIterations
    public var minSharedSecretLength = 12
    /// Defaults of the `encrypt` action.
    public var subject: String? = nil
    public var expires: Int64? = nil
    public var hint: String? = nil
    /// The notice that replaces the message (plain text, optional HTML), and the
    /// passcode messages; nil: the built-in texts.
    public var noticeText: String?, noticeHTML: String?
    public var passcodeSubject: String?, passcodeText: String?
    /// Branding for the viewer and the notice.
    public var organisation: String?
    public var logoPath: String?
    public var colors: [(String, String)] = []
    public var texts: JSON = .null
    /// Where the section is, for messages.
    public var line = 0

    init(recoveryKey: String) { self.recoveryKey = recoveryKey }

    public static func load(_ value: PolicyNode, _ c: FeatureLoadContext) -> EnvelopeSettings? {
        let r = c.reader
        let before = r.errorCount
        let allowed = ["recovery_key", "reply_secret", "iterations", "shared_secrets", "min_shared_secret_length",
                       "subject", "expires", "hint", "notice", "passcode_message", "branding"]
        guard let f = r.fields(value, in: key, allowed: allowed) else { return nil }
        guard let rk = f["recovery_key"] else {
            if !f.rejected { r.fail(c.keyNode, "envelope: needs 'recovery_key' (the name in keys: of the organisation's recovery key; sealctl keys init makes one)") }
            return nil
        }
        guard let rkName = r.text(rk, "envelope.recovery_key", maxLength: 100) else { return nil }
        let s = EnvelopeSettings(recoveryKey: rkName)
        s.line = PolicyReader.line(c.keyNode)
        var ok = !f.rejected
        if let v = f["reply_secret"] { s.replySecret = r.text(v, "envelope.reply_secret", maxLength: 100); ok = ok && s.replySecret != nil }
        if let v = f["shared_secrets"] { s.sharedSecrets = r.text(v, "envelope.shared_secrets", maxLength: 100); ok = ok && s.sharedSecrets != nil }
        if let v = f["iterations"] {
            if let n = r.integer(v, "envelope.iterations", min: EnvelopeFormat.minimumIterations) {
                if n > 5_000_000 { r.fail(v, "envelope.iterations: at most 5000000 (readers refuse more than 10000000, and each recipient costs this many rounds)"); ok = false }
                s.iterations = n
            } else { ok = false }
        }
        if let v = f["min_shared_secret_length"] {
            if let n = r.integer(v, "envelope.min_shared_secret_length", min: 8) { s.minSharedSecretLength = n } else { ok = false }
        }
        if let v = f["subject"] {
            if let t = r.text(v, "envelope.subject", maxLength: 200) { s.subject = t == "keep" ? nil : t } else { ok = false }
        }
        if let v = f["expires"] {
            if let e = readDuration(v, "envelope.expires", r) { s.expires = e } else { ok = false }
        }
        if let v = f["hint"] { s.hint = r.text(v, "envelope.hint", maxLength: 200); ok = ok && s.hint != nil }
        if let v = f["notice"] {
            if let nf = r.fields(v, in: "envelope.notice", allowed: ["text", "html"]) {
                if let t = nf["text"] { s.noticeText = r.string(t, "envelope.notice.text") }
                if let t = nf["html"] { s.noticeHTML = r.string(t, "envelope.notice.html") }
                ok = ok && !nf.rejected
            } else { ok = false }
        }
        if let v = f["passcode_message"] {
            if let nf = r.fields(v, in: "envelope.passcode_message", allowed: ["subject", "text"]) {
                if let t = nf["subject"] { s.passcodeSubject = r.text(t, "envelope.passcode_message.subject", maxLength: 200) }
                if let t = nf["text"] {
                    s.passcodeText = r.string(t, "envelope.passcode_message.text")
                    if let x = s.passcodeText, !x.contains("{passcode}") {
                        r.fail(t, "envelope.passcode_message.text: must contain {passcode}"); ok = false
                    }
                }
                ok = ok && !nf.rejected
            } else { ok = false }
        }
        if let v = f["branding"] {
            if let bf = r.fields(v, in: "envelope.branding", allowed: ["organisation", "logo", "colors", "texts"]) {
                ok = ok && !bf.rejected
                if let t = bf["organisation"] { s.organisation = r.text(t, "envelope.branding.organisation", maxLength: 100) }
                if let t = bf["logo"] {
                    if let p = r.text(t, "envelope.branding.logo", maxLength: 400) {
                        if !p.hasPrefix("/") { r.fail(t, "envelope.branding.logo: an absolute path to a PNG, JPEG, GIF or SVG file"); ok = false }
                        else if mediaType(p) == nil { r.fail(t, "envelope.branding.logo: a .png, .jpg, .jpeg, .gif or .svg file"); ok = false }
                        else { s.logoPath = p }
                    } else { ok = false }
                }
                if let t = bf["colors"], let cf = r.fields(t, in: "envelope.branding.colors", allowed: ["accent", "background", "text"]) {
                    for (k, kn, cv) in cf.entries {
                        guard let col = r.text(cv, "envelope.branding.colors.\(k)", maxLength: 7) else { ok = false; continue }
                        let hex = col.dropFirst()
                        if col.first != "#" || hex.count != 6 || !hex.allSatisfy({ $0.isHexDigit }) {
                            r.fail(kn, "envelope.branding.colors.\(k): expected #rrggbb, found '\(col)'"); ok = false
                        } else { s.colors.append((k, col.lowercased())) }
                    }
                }
                if let t = bf["texts"] {
                    if let j = readTexts(t, r) { s.texts = j } else { ok = false }
                }
            } else { ok = false }
        }
        return ok && r.errorCount == before ? s : nil
    }

    static let languages = ["en", "zh-CN", "zh-TW", "ja", "pt-BR", "es", "*"]

    /// `texts: {LANG: {KEY: TEXT}}`.
    static func readTexts(_ node: PolicyNode, _ r: PolicyReader) -> JSON? {
        guard let lf = r.fields(node, in: "envelope.branding.texts", allowed: languages.map { PolicyReader.normalizeKey($0) }) else { return nil }
        var out: [(String, JSON)] = []
        for (lang, _, v) in lf.entries {
            guard case .mapping(let m) = v else { r.fail(v, "envelope.branding.texts.\(lang): expected a mapping of text keys"); return nil }
            var texts: [(String, JSON)] = []
            for (k, tv) in m {
                guard let key = PolicyReader.scalarText(k), let t = r.string(tv, "envelope.branding.texts.\(lang).\(key)") else { return nil }
                texts.append((key, .string(t)))
            }
            out.append((languages.first { PolicyReader.normalizeKey($0) == lang } ?? lang, .object(texts)))
        }
        return lf.rejected ? nil : .object(out)
    }

    static func mediaType(_ path: String) -> String? {
        let p = path.lowercased()
        if p.hasSuffix(".png") { return "image/png" }
        if p.hasSuffix(".jpg") || p.hasSuffix(".jpeg") { return "image/jpeg" }
        if p.hasSuffix(".gif") { return "image/gif" }
        if p.hasSuffix(".svg") { return "image/svg+xml" }
        return nil
    }

    /// `30d`, `12h` or a whole number of days; seconds.
    static func readDuration(_ node: PolicyNode, _ what: String, _ r: PolicyReader) -> Int64? {
        guard let t = PolicyReader.scalarText(node) else { r.fail(node, "\(what): expected a duration such as 30d or 12h"); return nil }
        var digits = Substring(t), unit: Int64 = 86400
        if t.hasSuffix("d") { digits = digits.dropLast() } else if t.hasSuffix("h") { digits = digits.dropLast(); unit = 3600 }
        guard let n = Int64(digits), n > 0, n <= 3650 * 86400 / unit else {
            r.fail(node, "\(what): expected a duration such as 30d or 12h (more than 0, at most 10 years), found '\(t)'"); return nil
        }
        return n * unit
    }

    // MARK: Whole-policy checks

    public func check(_ settings: PolicySettings) -> [PolicyError] {
        var errors: [PolicyError] = []
        func need(_ name: String?, _ what: String) -> String? {
            guard let name else { return nil }
            guard let k = settings.keys.first(where: { $0.name == name }) else {
                errors.append(PolicyError(file: settings.source, line: line > 0 ? line : nil,
                                          message: "envelope.\(what): '\(name)' is not a key in the keys: section"))
                return nil
            }
            return k.path
        }
        let paths = Paths(recovery: need(recoveryKey, "recovery_key"), reply: need(replySecret, "reply_secret"),
                          shared: need(sharedSecrets, "shared_secrets"), source: settings.source)
        state.withLock { $0.paths = paths }
        return errors
    }

    /// The key files behind the names (set by ``check(_:)``, which the loader calls).
    struct Paths {
        var recovery: String?
        var reply: String?
        var shared: String?
        var source: String
    }

    public func fileProblems(owner: uid_t?) -> [PolicyError] {
        let paths = state.withLock { $0.paths }
        guard let paths else { return [] }
        var errors: [PolicyError] = []
        func problem(_ m: String, line l: Int? = nil, file: String? = nil) {
            errors.append(PolicyError(file: file ?? paths.source, line: l ?? (line > 0 ? line : nil), message: m))
        }
        if let p = paths.recovery {
            do { _ = try KeyMaterial.p256(p, needPrivate: true) } catch { problem("envelope.recovery_key: \(error)") }
        }
        if let p = paths.reply {
            do { _ = try KeyMaterial.replySecret(p) } catch { problem("envelope.reply_secret: \(error)") }
        }
        if let p = paths.shared {
            switch SharedSecrets.read(p, minLength: minSharedSecretLength) {
            case .success: break
            case .failure(let e): for (l, m) in e.problems { problem(m, line: l, file: p) }
            }
        }
        if let p = logoPath {
            do { let b = try KeyMaterial.read(p, limit: 256 * 1024); if b.isEmpty { problem("envelope.branding.logo: \(p) is empty") } }
            catch { problem("envelope.branding.logo: \(error)") }
        }
        return errors
    }

    // MARK: Run-time state

    struct State {
        var paths: Paths?
        var recovery: P256Key?
        var reply: [UInt8]?
        var shared: SharedSecrets?
        var logo: String?
        var template: PageTemplate?
        /// Passcodes of messages being built, by message, so that every version of
        /// one message (and its passcode messages) uses the same ones.
        var passcodes: [ObjectIdentifier: (owner: Weak, codes: [String: String])] = [:]
    }
    final class Weak { weak var object: AnyObject?; init(_ o: AnyObject) { object = o } }
    let state = Locked(State())

    /// The material an envelope needs, read from the key files on first use.
    struct Material {
        var recovery: P256Key
        var reply: [UInt8]?
        var template: PageTemplate
        var config: JSON
    }

    func material() throws -> Material {
        try state.withLock { s throws -> Material in
            guard let paths = s.paths else { throw EnvelopeError.failed("the envelope section was not checked against keys:") }
            if s.recovery == nil {
                guard let p = paths.recovery else { throw EnvelopeError.failed("envelope.recovery_key names no key file") }
                s.recovery = try KeyMaterial.p256(p, needPrivate: false)
            }
            if s.reply == nil, let p = paths.reply { s.reply = try KeyMaterial.replySecret(p) }
            if s.template == nil { s.template = try PageTemplate.builtin() }
            if s.logo == nil, let p = logoPath, let type = Self.mediaType(p) {
                s.logo = "data:\(type);base64," + Base64.encode(try KeyMaterial.read(p, limit: 256 * 1024))
            }
            var config: [(String, JSON)] = []
            if let o = organisation { config.append(("organisation", .string(o))) }
            if let l = s.logo { config.append(("logo", .string(l))) }
            if !colors.isEmpty { config.append(("colors", .object(colors.map { ($0.0, .string($0.1)) }))) }
            if texts != .null { config.append(("texts", texts)) }
            return Material(recovery: s.recovery!, reply: s.reply, template: s.template!, config: .object(config))
        }
    }

    /// The organisation's private key and the reply secret (inbound secure replies).
    public func replyKeys() throws -> (P256Key, [UInt8]) {
        try state.withLock { s throws -> (P256Key, [UInt8]) in
            guard let paths = s.paths, let rp = paths.recovery, let sp = paths.reply else {
                throw EnvelopeError.failed("secure replies need envelope.recovery_key and envelope.reply_secret")
            }
            let k = try KeyMaterial.p256(rp, needPrivate: true)
            if s.reply == nil { s.reply = try KeyMaterial.replySecret(sp) }
            return (k, s.reply!)
        }
    }

    func sharedSecret(for address: String) throws -> String? {
        try state.withLock { s throws -> String? in
            if s.shared == nil {
                guard let p = s.paths?.shared else { throw EnvelopeError.failed("passcode: shared needs envelope.shared_secrets") }
                switch SharedSecrets.read(p, minLength: minSharedSecretLength) {
                case .success(let v): s.shared = v
                case .failure(let e): throw EnvelopeError.failed(e.problems.first?.1 ?? "shared secrets unreadable")
                }
            }
            return s.shared!.secret(for: address)
        }
    }

    /// The passcode of `recipient` for the message `owner` (made on first request).
    func passcode(for recipient: String, message owner: AnyObject, make: () throws -> String) throws -> String {
        try state.withLock { s throws -> String in
            s.passcodes = s.passcodes.filter { $0.value.owner.object != nil }
            let id = ObjectIdentifier(owner)
            let key = recipient.lowercased()
            if let p = s.passcodes[id]?.codes[key] { return p }
            let p = try make()
            if s.passcodes[id] == nil { s.passcodes[id] = (Weak(owner), [:]) }
            s.passcodes[id]!.codes[key] = p
            return p
        }
    }

    /// Forgets the passcodes of a message (after its envelopes are built).
    func forget(message owner: AnyObject) {
        state.withLock { _ = $0.passcodes.removeValue(forKey: ObjectIdentifier(owner)) }
    }
}

/// The shared-secrets file: `ADDRESS SECRET` or `@DOMAIN SECRET` (or `DOMAIN
/// SECRET`) per line, `#` comments; an address's own line wins over its domain's.
struct SharedSecrets {
    var byAddress: [String: String] = [:]
    var byDomain: [String: String] = [:]

    struct Problems: Error { var problems: [(Int?, String)] }

    static func read(_ path: String, minLength: Int) -> Result<SharedSecrets, Problems> {
        let bytes: [UInt8]
        do { bytes = try KeyMaterial.read(path, limit: 8 << 20) } catch { return .failure(Problems(problems: [(nil, "envelope.shared_secrets: \(error)")])) }
        var s = SharedSecrets()
        var problems: [(Int?, String)] = []
        for (n, raw) in bytes.split(separator: 10, omittingEmptySubsequences: false).enumerated() {
            var line = String(decoding: raw, as: UTF8.self)
            if line.hasSuffix("\r") { line.removeLast() }
            let t = line.trimmingCharacters()
            if t.isEmpty || t.hasPrefix("#") { continue }
            let parts = t.split(maxSplits: 1, whereSeparator: { $0 == " " || $0 == "\t" })
            guard parts.count == 2 else { problems.append((n + 1, "expected ADDRESS-OR-DOMAIN SECRET")); continue }
            let who = parts[0].lowercased(), secret = String(parts[1]).trimmingCharacters()
            if !secret.unicodeScalars.allSatisfy({ $0.value >= 0x21 && $0.value < 0x7f || $0 == " " }) {
                problems.append((n + 1, "the secret for \(who) must be printable ASCII")); continue
            }
            if Passcode.normalise(secret).count < minLength {
                problems.append((n + 1, "the secret for \(who) is shorter than envelope.min_shared_secret_length (\(minLength) characters, not counting spaces and dashes)"))
                continue
            }
            if who.contains("@") && !who.hasPrefix("@") { s.byAddress[who] = secret }
            else { s.byDomain[who.hasPrefix("@") ? String(who.dropFirst()) : who] = secret }
        }
        return problems.isEmpty ? .success(s) : .failure(Problems(problems: problems))
    }

    func secret(for address: String) -> String? {
        let a = address.lowercased()
        if let s = byAddress[a] { return s }
        guard let at = a.lastIndex(of: "@") else { return nil }
        return byDomain[String(a[a.index(after: at)...])]
    }
}

/// A value behind a pthread mutex (shared by the sessions of an engine).
final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    init(_ value: Value) { self.value = value; pthread_mutex_init(mutex, nil) }
    deinit { pthread_mutex_destroy(mutex); mutex.deallocate() }
    func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
