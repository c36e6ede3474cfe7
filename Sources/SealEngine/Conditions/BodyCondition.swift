import SealPattern
import SealPolicy

/// `body: {contains: [...], matches: [...]}`: the decoded text of a text part
/// (up to `limits.max_inspect_bytes` of each) matches.
///
/// The engine compiles every body condition of a policy into one pattern set
/// (``Engine`` gives each its ``slot``), so a message's text parts are scanned
/// once for all of them, however many rules there are.
public struct BodyCondition: TextMatchCondition {
    public static let key = "body"
    public var matcher: TextMatcher
    /// This condition's index in the engine's policy-wide body set (nil: scan alone).
    public internal(set) var slot: Int? = nil

    public init(matcher: TextMatcher) { self.matcher = matcher }

    public func holds(in message: MessageFacts, recipients: [String]) -> Bool {
        if let slot, let hits = message.bodyMatches() { return hits.contains(slot) }
        return message.textParts().contains { matcher.matches($0, scratch: message.scratch) }
    }

    public func explain(in message: MessageFacts, recipients: [String], held: Bool) -> String? {
        let indices = message.textPartIndices
        if indices.isEmpty { return "no text part" }
        for (k, text) in message.textParts().enumerated() {
            if let why = TextExplain.why(matcher, text) {
                return "part \(message.parser.parts[indices[k]].path): " + why
            }
        }
        return "\(indices.count) text part\(indices.count == 1 ? "" : "s"), none matched"
    }
}
