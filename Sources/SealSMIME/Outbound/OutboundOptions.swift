import SealCrypto
import SealEngine
import SealPolicy

/// What recipients without a usable certificate get under an encrypt rule
/// (`without_certificate:`). None of them is ever sent the plaintext.
public enum MissingCertificateFallback: Sendable, Equatable {
    /// The message is rejected (550 5.7.1 naming the addresses).
    case reject
    /// The message is tempfailed (451 4.7.1 naming the addresses), e.g. while certificates are fetched.
    case tempfail
    /// The rule is a `for_each_recipient` rule with `smime_certificate: true`: those
    /// recipients fall into another version, which other rules decide (see docs/smime.md).
    /// Should one still lack a certificate at the end, the message is tempfailed.
    case version
    /// Another registered action (its shorthand form) is applied instead of
    /// encryption when no recipient has a usable certificate.
    case action(String)

    public var text: String {
        switch self {
        case .reject: "reject"
        case .tempfail: "tempfail"
        case .version: "version"
        case .action(let k): k
        }
    }
}

/// The content cipher of `smime_encrypt` (`cipher:`): chosen per message from the
/// recipients' harvested S/MIME capabilities (`auto`), or forced by the rule.
public enum CipherChoice: Sendable, Equatable {
    /// AES-256-GCM (authenticated-enveloped-data) when every recipient's chosen
    /// certificate has harvested capabilities listing id-aes256-GCM, else AES-256-CBC.
    case auto
    /// The rule's cipher for every message.
    case fixed(CMS.Cipher)

    /// Reads the option's value: `auto`, `cbc` (= aes-256-cbc), `gcm` (= aes-256-gcm) or a cipher name.
    public init?(text: String) {
        switch text.lowercased() {
        case "auto": self = .auto
        case "cbc": self = .fixed(.aes256cbc)
        case "gcm": self = .fixed(.aes256gcm)
        case let s:
            guard let c = CMS.Cipher(rawValue: s) else { return nil }
            self = .fixed(c)
        }
    }

    /// What the option accepts (for error messages).
    public static let names = ["auto", "cbc", "gcm"] + CMS.Cipher.allCases.map(\.rawValue)

    public var text: String {
        switch self {
        case .auto: "auto"
        case .fixed(let c): c.rawValue
        }
    }

    /// The cipher for one CMS addressed to recipients whose chosen certificates
    /// have these harvested capabilities (nil: none on file). One CMS serves all,
    /// so `auto` takes GCM only when every one of them advertises it (and there
    /// is at least one); the escrow certificate (the organisation's own) is not counted.
    public func cipher(for recipients: [SMIMECapabilities?]) -> CMS.Cipher {
        switch self {
        case .fixed(let c): return c
        case .auto:
            let all = !recipients.isEmpty && recipients.allSatisfy { $0?.advertisesAES256GCM == true }
            return all ? .aes256gcm : .aes256cbc
        }
    }
}

/// The options of the S/MIME actions, read from the action's mapping.
public struct OutboundOptions: Sendable {
    public var sign = false
    public var encrypt = false
    /// Opaque signed-data (application/pkcs7-mime) instead of multipart/signed.
    public var opaque = false
    public var digest: CMS.Digest = .sha256
    /// The content cipher: `auto` (default) takes AES-256-GCM (authenticated-enveloped-data)
    /// only when every recipient advertises it, else AES-256-CBC; or what the rule forces.
    public var cipher: CipherChoice = .auto
    public var rsaPadding: CMS.RSAPadding = .pkcs1
    /// Add the organisation's escrow certificate (smime.escrow) as a recipient.
    public var escrow = true
    /// RFC 8551 3.1 header protection: the original header fields inside
    /// (message/rfc822), a neutral outer Subject.
    public var protectSubject = false
    public var outerSubject = "..."
    public var withoutCertificate: MissingCertificateFallback = .tempfail
    /// The fallback action, loaded in its shorthand form.
    public var fallbackAction: (any Action)? = nil
    /// What a signing identity that cannot be loaded leads to: tempfail (default) or reject.
    public var onError: Disposition = .tempfail

    /// Reads the options of `key` (`smime_sign`, `smime_encrypt`, `smime_sign_encrypt`).
    static func load(_ value: PolicyNode?, _ c: ActionLoadContext, sign: Bool, encrypt: Bool) -> OutboundOptions? {
        var o = OutboundOptions()
        o.sign = sign; o.encrypt = encrypt
        let r = c.reader
        guard let value else { return o }
        if case .scalar = value {
            guard let d = r.isDefault(value, c.what) else { return nil }
            if d { return o }
            r.fail(value, "\(c.what): expected true or a mapping of options"); return nil
        }
        var allowed = ["on_error"]
        if sign { allowed += ["digest", "opaque"] }
        if encrypt { allowed += ["cipher", "rsa_padding", "escrow", "protect_subject", "outer_subject", "without_certificate"] }
        guard let f = r.fields(value, in: c.what, allowed: allowed) else { return nil }
        var ok = !f.rejected
        func choice<T: RawRepresentable & CaseIterable>(_ key: String, _ type: T.Type) -> T? where T.RawValue == String {
            guard let n = f[key] else { return nil }
            guard let s = r.text(n, "\(c.what).\(key)") else { ok = false; return nil }
            guard let v = T(rawValue: s.lowercased()) else {
                r.fail(n, "\(c.what).\(key): '\(s)' is not one of " + T.allCases.map(\.rawValue).joined(separator: ", ")); ok = false; return nil
            }
            return v
        }
        func flag(_ key: String) -> Bool? {
            guard let n = f[key] else { return nil }
            guard let b = r.bool(n, "\(c.what).\(key)") else { ok = false; return nil }
            return b
        }
        if let d = choice("digest", CMS.Digest.self) { o.digest = d }
        if let b = flag("opaque") { o.opaque = b }
        if let n = f["cipher"] {
            if let s = r.text(n, "\(c.what).cipher") {
                if let v = CipherChoice(text: s) { o.cipher = v } else {
                    r.fail(n, "\(c.what).cipher: '\(s)' is not one of " + CipherChoice.names.joined(separator: ", ")); ok = false
                }
            } else { ok = false }
        }
        if let n = f["rsa_padding"] {
            switch r.text(n, "\(c.what).rsa_padding")?.lowercased() {
            case "pkcs1", "pkcs1v15": o.rsaPadding = .pkcs1
            case "oaep": o.rsaPadding = .oaep
            case .some(let s): r.fail(n, "\(c.what).rsa_padding: '\(s)' is not one of pkcs1, oaep"); ok = false
            case nil: ok = false
            }
        }
        if let b = flag("escrow") { o.escrow = b }
        if let b = flag("protect_subject") { o.protectSubject = b }
        if let n = f["outer_subject"] {
            if let s = r.text(n, "\(c.what).outer_subject") { o.outerSubject = s } else { ok = false }
        }
        if let n = f["on_error"] {
            switch r.text(n, "\(c.what).on_error") {
            case "tempfail": o.onError = .tempfail
            case "reject": o.onError = .reject
            case .some(let s): r.fail(n, "\(c.what).on_error: '\(s)' is not one of tempfail, reject"); ok = false
            case nil: ok = false
            }
        }
        if let n = f["without_certificate"] {
            guard let s = r.text(n, "\(c.what).without_certificate") else { return nil }
            switch PolicyReader.normalizeKey(s) {
            case "reject": o.withoutCertificate = .reject
            case "tempfail": o.withoutCertificate = .tempfail
            case "version": o.withoutCertificate = .version
            case let key:
                // Another action: only one this build registered, usable in its shorthand form.
                guard let type = c.registry.action(key) else {
                    r.fail(n, "\(c.what).without_certificate: '\(s)' is neither reject, tempfail, version nor a registered action"
                           + " (actions: \(c.registry.actionKeys.sorted().joined(separator: ", ")))")
                    return nil
                }
                if key.hasPrefix("smime_") {
                    r.fail(n, "\(c.what).without_certificate: '\(s)' cannot stand in for encryption"); return nil
                }
                guard let a = type.load(nil, c) else {
                    r.fail(n, "\(c.what).without_certificate: the action '\(key)' needs options; it cannot be a fallback")
                    return nil
                }
                o.withoutCertificate = .action(key)
                o.fallbackAction = a
            }
        }
        guard ok else { return nil }
        return o
    }

    /// For reports.
    var summary: String {
        var parts: [String] = []
        if sign { parts.append(opaque ? "opaque \(digest.rawValue)" : "detached \(digest.rawValue)") }
        if encrypt {
            parts.append("cipher=" + cipher.text)
            if rsaPadding == .oaep { parts.append("oaep") }
            if protectSubject { parts.append("protect_subject") }
            parts.append("without_certificate=\(withoutCertificate.text)")
        }
        return parts.joined(separator: " ")
    }
}
