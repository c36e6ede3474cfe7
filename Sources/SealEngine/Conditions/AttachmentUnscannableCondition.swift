import SealDetect
import SealPolicy

/// `attachment_unscannable: any | KIND | [KINDS]`: an attachment (a leaf part
/// with a file name or `Content-Disposition: attachment`) is content the filter
/// cannot see into, of one of these kinds (`any`: of any kind). Unlike
/// `unscannable:`, which looks at the whole message (an S/MIME or PGP message,
/// a rights-protected message, an ambiguous structure), it looks at attachments
/// only. Picks those attachments for `remove_attachments: true`.
public struct AttachmentUnscannableCondition: UnscannableKindsCondition {
    public static let key = "attachment_unscannable"
    public var kinds: UnscannableSet

    public init(kinds: UnscannableSet) { self.kinds = kinds }

    public func holds(in message: MessageFacts, recipients: [String]) -> Bool {
        message.partKinds.keys.contains { picks(part: $0, in: message) }
    }

    public func picks(part index: Int, in message: MessageFacts) -> Bool {
        guard let found = message.partKinds[index], message.isAttachment(part: index) else { return false }
        return !found.intersection(kinds).isEmpty
    }

    public func explain(in message: MessageFacts, recipients: [String], held: Bool) -> String? {
        AttachmentUnscannableCondition.describe(message) { picks(part: $0, in: message) }
    }

    /// `part 1.2 "x.zip": zip-encrypted`, or that no attachment is such.
    static func describe(_ message: MessageFacts, _ picks: (Int) -> Bool) -> String {
        let hit = message.partKinds.keys.sorted().filter(picks)
        if hit.isEmpty { return "no such attachment" }
        return hit.map { i in
            let p = message.parser.parts[i]
            return "part \(p.path)" + (p.filename.map { " \"\($0)\"" } ?? "") + ": " + (message.partKinds[i] ?? []).headerValue
        }.joined(separator: "; ")
    }
}
