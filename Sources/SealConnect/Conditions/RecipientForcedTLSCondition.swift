import SealPolicy
import SealEngine

/// `recipient_forced_tls: false`: some recipient outside `internal_domains` has a
/// domain without a forced-TLS connector (one whose outbound table entry never
/// sends in plaintext: encrypt, verify, secure, dane-only, or mta-sts with
/// require_tls); `true`: some outside recipient's domain has one. With
/// `for_each_recipient: true` it is judged for each recipient alone. Needs the
/// `connectors:` section.
public struct RecipientForcedTLSCondition: Condition {
    public static let key = "recipient_forced_tls"
    public var forced: Bool

    public static func load(_ value: PolicyNode, _ what: String, _ reader: PolicyReader) -> [Self]? {
        reader.bool(value, what).map { [Self(forced: $0)] }
    }

    public var stage: Stage { .rcpt }
    public var needs: Needs { [.mail, .rcpt] }

    public func holds(in message: MessageFacts, recipients: [String]) -> Bool {
        let s = message.settings.features[ConnectorSettings.self]
        for r in recipients {
            guard let d = Connector.domain(of: r), !message.settings.isInternal(domain: d) else { continue }
            let has = s?.outbound(recipient: r).contains(where: \.forcesTLSOutbound) ?? false
            if has == forced { return true }
        }
        return false
    }

    public func check(_ settings: PolicySettings) -> [String] {
        settings.features[ConnectorSettings.self] == nil ? ["recipient_forced_tls: needs the 'connectors:' section"] : []
    }
}
