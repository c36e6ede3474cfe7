import SealPolicy
import SealEngine

/// A name of the verified client certificate that a ``TLSCertNameCondition``
/// reads: its policy key, what `sealctl test` calls it, and where it is in the
/// MTA's TLS facts.
public protocol TLSCertName: Sendable {
    /// The condition's key under `when:` and `unless:`.
    static var key: String { get }
    /// The name's word in `sealctl test` explanations ("subject", "issuer").
    static var noun: String { get }
    /// The name, or nil when there is no verified client certificate.
    static func read(_ facts: TLSFacts) -> String?
}

/// `tls_cert_subject: PATTERN` (or a list; `*` any characters): the client
/// presented a certificate that verified and its subject name matches. Postfix
/// passes `{cert_subject}` (the common name) only for a verified client
/// certificate, and asks for one only with `smtpd_tls_ask_ccert = yes`.
public enum TLSCertSubject: TLSCertName {
    public static let key = "tls_cert_subject"
    public static let noun = "subject"
    public static func read(_ facts: TLSFacts) -> String? { facts.subject }
}

/// `tls_cert_issuer: PATTERN` (or a list): the verified client certificate's issuer
/// name (`{cert_issuer}`) matches.
public enum TLSCertIssuer: TLSCertName {
    public static let key = "tls_cert_issuer"
    public static let noun = "issuer"
    public static func read(_ facts: TLSFacts) -> String? { facts.issuer }
}

/// The condition on a name of the verified client certificate (``TLSCertSubject``,
/// ``TLSCertIssuer``): it holds when the name is there and one of the patterns
/// matches it. Registered once for each name.
public struct TLSCertNameCondition<Name: TLSCertName>: Condition {
    public static var key: String { Name.key }
    public var patterns: [CertificateGlob]

    public static func load(_ value: PolicyNode, _ what: String, _ reader: PolicyReader) -> [Self]? {
        reader.strings(value, what).map { [Self(patterns: $0.map { CertificateGlob($0.0) })] }
    }

    public var stage: Stage { .mail }
    public var needs: Needs { [.helo, .mail, .tlsMacros] }

    public func holds(in message: MessageFacts, recipients: [String]) -> Bool {
        guard let s = Name.read(TLSFacts(macros: message.macros)) else { return false }
        return patterns.contains { $0.matches(s) }
    }
}
