import SealPolicy

/// `subject: {contains: [...], matches: [...]}`: the decoded Subject matches.
public struct SubjectCondition: Condition {
    public static let key = "subject"
    public var matcher: TextMatcher

    public static func load(_ value: PolicyNode, _ what: String, _ reader: PolicyReader) -> [Self]? {
        reader.textMatcher(value, what, extra: []).map { [Self(matcher: $0.0)] }
    }

    public var stage: Stage { .headers }

    public func holds(in message: MessageFacts, recipients: [String]) -> Bool {
        message.headerValues("subject").contains { matcher.matches($0) }
    }

    public func explain(in message: MessageFacts, recipients: [String], held: Bool) -> String? {
        let values = message.headerValues("subject")
        if values.isEmpty { return "no Subject" }
        for v in values { if let why = TextExplain.why(matcher, v) { return why } }
        return "Subject " + redacted(values[0]) + " did not match"
    }
}
