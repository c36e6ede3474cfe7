#if canImport(Glibc)
import Glibc
#endif
import SealCrypto

/// Why a certificate cannot be used for an address (shown by `sealctl cert
/// lookup` and in log lines).
public enum UnusableReason: Error, Equatable, Sendable, CustomStringConvertible {
    /// Neither its subjectAltName rfc822Names nor (failing those) its subject emailAddress name the address.
    case doesNotName(address: String, names: [String])
    case notYetValid(notBefore: Int64)
    case expired(notAfter: Int64)
    /// Its keyUsage does not allow the operation (`what`: "signing", "encryption").
    case keyUsage(what: String)
    /// Its extendedKeyUsage lacks emailProtection.
    case extendedKeyUsage
    /// It does not chain to the trust store (OpenSSL's reason).
    case untrusted(String)
    /// A configured CRL revokes it.
    case revoked(String)

    public var description: String {
        switch self {
        case .doesNotName(let a, let n):
            "does not name \(a) (it names " + (n.isEmpty ? "no address" : n.joined(separator: ", ")) + ")"
        case .notYetValid(let t): "is not valid before \(UTCTime.text(t))"
        case .expired(let t): "expired on \(UTCTime.text(t))"
        case .keyUsage(let w): "its key usage does not allow \(w)"
        case .extendedKeyUsage: "its extended key usage does not include emailProtection"
        case .untrusted(let r): r
        case .revoked(let r): r
        }
    }
}

/// The outcome of choosing a certificate for an address: the one to use (if any)
/// and every candidate with the reason it was passed over.
public struct CertificateSelection: Sendable {
    public var address: String
    /// The certificate to use, nil when none is usable.
    public var chosen: Certificate?
    /// Every certificate found, with nil for usable ones and the reason for the others.
    public var candidates: [(certificate: Certificate, source: String, reason: UnusableReason?)]
    /// Sources that could not be read (name and error).
    public var sourceErrors: [String]
    /// When it was judged (seconds since 1970).
    public var time: Int64 = 0
    /// The S/MIME capabilities harvested for the chosen certificate (read once,
    /// when it was chosen), nil when none are on file.
    public var capabilities: SMIMECapabilities? = nil

    /// One line for logs: which certificate, or why none.
    public var summary: String {
        if let c = chosen { return "\(address): \(c.fingerprint.prefix(16)) (\(c.subject))" }
        if candidates.isEmpty { return "\(address): no certificate on file" + (sourceErrors.isEmpty ? "" : " (" + sourceErrors.joined(separator: "; ") + ")") }
        return "\(address): no usable certificate: " + candidates.map { "\($0.certificate.fingerprint.prefix(16)) \($0.reason?.description ?? "usable")" }.joined(separator: "; ")
    }
}

/// Decides whether a certificate is usable for an address and picks one: it must
/// name the address, be within its validity dates, allow the operation by key
/// usage and email protection by extended key usage, chain to the trust store
/// for S/MIME, and not be revoked by a configured CRL. Among usable certificates
/// the one valid longest (latest notAfter, then latest notBefore) wins.
public struct CertificateSelector: Sendable {
    public let trust: TrustStore
    public init(trust: TrustStore) { self.trust = trust }

    /// What the certificate is for.
    public enum Use: Sendable { case encryption, signing }

    /// Why `certificate` cannot be used for `address` at `time`, or nil when it can.
    /// `untrusted` may hold intermediates that complete its chain.
    public func reason(_ certificate: Certificate, for address: String, at time: Int64,
                       use: Use = .encryption, untrusted: [Certificate] = []) -> UnusableReason? {
        if !certificate.names(address) { return .doesNotName(address: address.lowercased(), names: certificate.emailAddresses) }
        if time < certificate.notBefore { return .notYetValid(notBefore: certificate.notBefore) }
        if time > certificate.notAfter { return .expired(notAfter: certificate.notAfter) }
        switch use {
        case .encryption: if !certificate.allowsKeyTransportOrAgreement { return .keyUsage(what: "encryption (keyEncipherment or keyAgreement)") }
        case .signing: if !certificate.allowsSigning { return .keyUsage(what: "signing (digitalSignature)") }
        }
        if !certificate.allowsEmailProtection { return .extendedKeyUsage }
        if let p = trust.problem(with: certificate, untrusted: untrusted, purpose: use == .encryption ? .smimeEncrypt : .smimeSign, at: time) {
            return p.hasPrefix("is revoked") ? .revoked(p) : .untrusted(p)
        }
        return nil
    }

    /// Chooses the certificate for `address` from `sources` (in order; all are
    /// asked, so that `sealctl cert lookup` shows everything).
    public func select(for address: String, from sources: [any RecipientCertificateSource], at time: Int64,
                       use: Use = .encryption) -> CertificateSelection {
        let a = address.lowercased()
        var sel = CertificateSelection(address: a, chosen: nil, candidates: [], sourceErrors: [], time: time)
        var seen = Set<String>()
        var origin: [String: Int] = [:]
        for (i, s) in sources.enumerated() {
            let certs: [Certificate]
            do { certs = try s.certificates(for: a) } catch { sel.sourceErrors.append("\(s.sourceName): \(error)"); continue }
            for c in certs where seen.insert(c.fingerprint).inserted {
                origin[c.fingerprint] = i
                sel.candidates.append((c, s.sourceName, reason(c, for: a, at: time, use: use)))
            }
        }
        sel.chosen = sel.candidates.filter { $0.reason == nil }.map(\.certificate).max { x, y in
            x.notAfter != y.notAfter ? x.notAfter < y.notAfter : x.notBefore < y.notBefore
        }
        if let c = sel.chosen, let i = origin[c.fingerprint] {
            sel.capabilities = sources[i].capabilities(for: a, fingerprint: c.fingerprint)
        }
        return sel
    }
}

/// UTC times as text, without Foundation.
public enum UTCTime {
    /// Seconds since 1970 now.
    public static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec)
    }

    /// `2026-11-30 10:05:17 UTC`.
    public static func text(_ t: Int64) -> String {
        var tt = time_t(t)
        var tm = tm()
        gmtime_r(&tt, &tm)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(tm.tm_year + 1900)-\(two(tm.tm_mon + 1))-\(two(tm.tm_mday)) \(two(tm.tm_hour)):\(two(tm.tm_min)):\(two(tm.tm_sec)) UTC"
    }
}
