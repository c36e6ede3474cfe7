import SealCrypto
import SealEngine
import SealPolicy

/// `smime_certificate: true | false`: whether every recipient at hand has a
/// usable S/MIME certificate (store and trust of the `smime:` section, now).
/// In a `for_each_recipient` rule it is judged for each recipient alone, which
/// splits a message into a version for those with certificates and one for
/// those without (`without_certificate: version`).
public struct SMIMECertificateCondition: Condition {
    public static let key = "smime_certificate"
    let wanted: Bool

    public static func load(_ value: PolicyNode, _ what: String, _ reader: PolicyReader) -> [Self]? {
        guard let b = reader.bool(value, what) else { return nil }
        return [Self(wanted: b)]
    }

    /// Only the envelope's recipients decide it.
    public var stage: Stage { .rcpt }

    public func holds(in message: MessageFacts, recipients: [String]) -> Bool {
        guard let settings = message.settings.features[SMIMESettings.self], !recipients.isEmpty else { return !wanted }
        let now = UTCTime.now()
        // No trust store: nobody is usable.
        let all = recipients.allSatisfy { (try? settings.selection(for: $0, at: now))?.chosen != nil }
        return all == wanted
    }

    public func check(_ settings: PolicySettings) -> [String] {
        settings.features[SMIMESettings.self] == nil ? ["needs the 'smime:' section (store and trust)"] : []
    }
}
