import SealCrypto
import SealEngine

/// The certificate selections of one message (each recipient looked up once,
/// whether by the rule, the condition or the transform).
final class RecipientLookup: MessageContribution {
    let selector: CertificateSelector
    let sources: [any RecipientCertificateSource]
    let time: Int64
    /// The policy's section, whose short-lived selection cache is used when set.
    var settings: SMIMESettings? = nil
    private var cache: [String: CertificateSelection] = [:]

    init(selector: CertificateSelector, sources: [any RecipientCertificateSource], time: Int64) {
        self.selector = selector; self.sources = sources; self.time = time
    }

    func endOfMessage(_ context: EndOfMessageContext) throws {}

    func select(_ address: String) -> CertificateSelection {
        let a = address.lowercased()
        if let s = cache[a] { return s }
        let s = (try? settings?.selection(for: a, at: time)) ?? selector.select(for: a, from: sources, at: time)
        cache[a] = s
        return s
    }

    /// The message's lookup (one per outcome).
    static func shared(_ settings: SMIMESettings, _ outcome: MessageOutcome) throws -> RecipientLookup {
        let selector: CertificateSelector
        do { selector = try settings.selector() } catch { throw SMIMEError("smime.trust cannot be used: \(error)") }
        return outcome.contribution {
            let l = RecipientLookup(selector: selector, sources: settings.sources, time: UTCTime.now())
            l.settings = settings
            return l
        }
    }
}
