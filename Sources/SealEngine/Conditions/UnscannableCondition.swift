import SealDetect
import SealPolicy

/// `unscannable: any | KIND | [KINDS]`: content of one of these kinds was found
/// (`any` loads as the set of every kind). Picks those parts for
/// `remove_attachments: true`.
public struct UnscannableCondition: Condition {
    public static let key = "unscannable"
    public static let picksParts = true
    /// Empty: any kind at all.
    public var kinds: UnscannableSet

    public static func load(_ value: PolicyNode, _ what: String, _ reader: PolicyReader) -> [Self]? {
        reader.unscannable(value, what).map { [Self(kinds: $0)] }
    }

    public var stage: Stage { .body }

    public func holds(in message: MessageFacts, recipients: [String]) -> Bool {
        kinds.isEmpty ? !message.unscannable.isEmpty : !message.unscannable.intersection(kinds).isEmpty
    }

    public func picks(part index: Int, in message: MessageFacts) -> Bool {
        let found = message.partKinds[index] ?? []
        return !found.isEmpty && (kinds.isEmpty || !found.intersection(kinds).isEmpty)
    }

    public func explain(in message: MessageFacts, recipients: [String], held: Bool) -> String? {
        message.unscannable.isEmpty ? "nothing unscannable" : "found: " + message.unscannable.headerValue
    }
}
