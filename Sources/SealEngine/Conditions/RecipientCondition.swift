import SealPolicy

/// `recipient: PATTERN` (or a list): any recipient (at RCPT: the one at hand)
/// matches one of the patterns.
public struct RecipientCondition: Condition {
    public static let key = "recipient"
    public var patterns: [AddressPattern]

    public static func load(_ value: PolicyNode, _ what: String, _ reader: PolicyReader) -> [Self]? {
        reader.addressPatterns(value, what).map { [Self(patterns: $0)] }
    }

    public var stage: Stage { .rcpt }

    public func holds(in message: MessageFacts, recipients: [String]) -> Bool {
        recipients.contains { r in patterns.contains { $0.matches(address: r) } }
    }
}
