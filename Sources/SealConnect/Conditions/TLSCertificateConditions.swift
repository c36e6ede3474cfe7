import SealPolicy
import SealEngine

/// `tls_cert_subject: PATTERN` (or a list; `*` any characters): the client
/// presented a certificate that verified and its subject name matches. Postfix
/// passes `{cert_subject}` (the common name) only for a verified client
/// certificate, and asks for one only with `smtpd_tls_ask_ccert = yes`.
public struct TLSCertSubjectCondition: Condition {
    public static let key = "tls_cert_subject"
    public var patterns: [CertificateGlob]

    public static func load(_ value: PolicyNode, _ what: String, _ reader: PolicyReader) -> [Self]? {
        reader.strings(value, what).map { [Self(patterns: $0.map { CertificateGlob($0.0) })] }
    }

    public var stage: Stage { .mail }
    public var needs: Needs { [.helo, .mail, .tlsMacros] }

    public func holds(in message: MessageFacts, recipients: [String]) -> Bool {
        guard let s = TLSFacts(macros: message.macros).subject else { return false }
        return patterns.contains { $0.matches(s) }
    }
}

/// `tls_cert_issuer: PATTERN` (or a list): the verified client certificate's issuer
/// name (`{cert_issuer}`) matches.
public struct TLSCertIssuerCondition: Condition {
    public static let key = "tls_cert_issuer"
    public var patterns: [CertificateGlob]

    public static func load(_ value: PolicyNode, _ what: String, _ reader: PolicyReader) -> [Self]? {
        reader.strings(value, what).map { [Self(patterns: $0.map { CertificateGlob($0.0) })] }
    }

    public var stage: Stage { .mail }
    public var needs: Needs { [.helo, .mail, .tlsMacros] }

    public func holds(in message: MessageFacts, recipients: [String]) -> Bool {
        guard let s = TLSFacts(macros: message.macros).issuer else { return false }
        return patterns.contains { $0.matches(s) }
    }
}
