import SealDetect
import SealPolicy

/// `unscannable: any | KIND | [KINDS]`: content of one of these kinds was found
/// (`any` loads as the set of every kind). Picks those parts for
/// `remove_attachments: true`.
public struct UnscannableCondition: UnscannableKindsCondition {
    public static let key = "unscannable"
    /// Empty: any kind at all.
    public var kinds: UnscannableSet

    public init(kinds: UnscannableSet) { self.kinds = kinds }

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
