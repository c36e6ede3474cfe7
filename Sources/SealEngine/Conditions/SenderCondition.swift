import SealPolicy

/// `sender: PATTERN` (or a list): the envelope sender matches one of the patterns.
public struct SenderCondition: Condition {
    public static let key = "sender"
    public var patterns: [AddressPattern]

    public static func load(_ value: PolicyNode, _ what: String, _ reader: PolicyReader) -> [Self]? {
        reader.addressPatterns(value, what).map { [Self(patterns: $0)] }
    }

    public var stage: Stage { .mail }

    public func holds(in message: MessageFacts, recipients: [String]) -> Bool {
        patterns.contains { $0.matches(address: message.sender) }
    }

    public func explain(in message: MessageFacts, recipients: [String], held: Bool) -> String? {
        "sender <\(message.sender)>"
    }
}
