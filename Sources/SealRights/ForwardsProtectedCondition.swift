import SealEngine
import SealPolicy
#if canImport(Glibc)
import Glibc
#endif

/// `forwards_protected: true`: the message carries or answers a protected message
/// whose template says Do Not Forward — found by In-Reply-To/References, by an
/// attached message (message/rfc822 or `.eml`: its Message-ID and text), by an
/// attachment of the protected message, or by quoted text whose fingerprint
/// matches — and it goes to someone who was not on that message (its sender and
/// recipients). It also holds when the registry cannot be asked, so that
/// `enforce_rights` applies `rights.on_registry_error` (never a silent pass).
public struct ForwardsProtectedCondition: Condition {
    public static let key = "forwards_protected"

    public static func load(_ value: PolicyNode, _ what: String, _ reader: PolicyReader) -> [Self]? {
        guard let b = reader.bool(value, what) else { return nil }
        guard b else { reader.fail(value, "\(what): false is not meaningful here; use 'unless: {forwards_protected: true}'"); return nil }
        return [Self()]
    }

    public var stage: Stage { .body }
    public var needs: Needs { [.mail, .rcpt, .body] }
    public var readsText: Bool { true }
    public var readsParts: Bool { true }

    public func holds(in message: MessageFacts, recipients: [String]) -> Bool {
        guard let settings = message.settings.features[RightsSettings.self] else { return false }
        let check = message.state { ForwardCheck() }
        check.run(message, settings, now: Int64(time(nil)))
        return !check.violations.isEmpty || check.error != nil
    }

    public func check(_ settings: PolicySettings) -> [String] {
        settings.features[RightsSettings.self] == nil ? ["needs the 'rights:' section (templates and the registry)"] : []
    }
}
