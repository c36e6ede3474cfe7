import SealPattern
import SealPolicy

/// A condition whose whole policy value is one text matcher (`{contains: [...],
/// matches: [...]}`) on the decoded text of text parts: `body` and
/// `attachment_content`. It is read and staged alike; which parts it looks at is
/// its own. The engine gives each such condition its slot in one policy-wide
/// pattern set (``Engine``).
public protocol TextMatchCondition: Condition {
    var matcher: TextMatcher { get }
    init(matcher: TextMatcher)
}

extension TextMatchCondition {
    public static func load(_ value: PolicyNode, _ what: String, _ reader: PolicyReader) -> [Self]? {
        reader.textMatcher(value, what, extra: []).map { [Self(matcher: $0.0)] }
    }

    public var stage: Stage { .body }
    public var readsText: Bool { true }
}
