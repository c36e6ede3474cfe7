import SealPolicy

/// `body: {contains: [...], matches: [...]}`: the decoded text of a text part
/// (up to `limits.max_inspect_bytes` of each) matches.
public struct BodyCondition: Condition {
    public static let key = "body"
    public var matcher: TextMatcher

    public static func load(_ value: PolicyNode, _ what: String, _ reader: PolicyReader) -> [Self]? {
        reader.textMatcher(value, what, extra: []).map { [Self(matcher: $0.0)] }
    }

    public var stage: Stage { .body }
    public var readsText: Bool { true }

    public func holds(in message: MessageFacts, recipients: [String]) -> Bool {
        message.textParts().contains { matcher.matches($0) }
    }
}
