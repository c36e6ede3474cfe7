import SealPattern
import SealPolicy

/// `attachment_content: {contains: [...], matches: [...]}`: the decoded text of
/// an attachment (a text part with a file name or `Content-Disposition:
/// attachment`, up to `limits.max_inspect_bytes` of it) matches. Picks those
/// attachments for `remove_attachments: true`.
///
/// It shares the body conditions' one pass: the engine compiles it into the same
/// policy-wide pattern set (``slot``), each text part is scanned once for all of
/// them, and this condition looks at the hits of the attachment parts.
public struct AttachmentContentCondition: TextMatchCondition {
    public static let key = "attachment_content"
    public static let picksParts = true
    public var matcher: TextMatcher
    /// Its index in the engine's policy-wide text set (nil: scan alone).
    public internal(set) var slot: Int? = nil

    public init(matcher: TextMatcher) { self.matcher = matcher }

    public func holds(in message: MessageFacts, recipients: [String]) -> Bool {
        message.textPartIndices.contains { picks(part: $0, in: message) }
    }

    public func picks(part index: Int, in message: MessageFacts) -> Bool {
        guard message.isAttachment(part: index) else { return false }
        if let slot, let hits = message.textMatches(part: index) { return hits.contains(slot) }
        guard let text = message.text(part: index) else { return false }
        return matcher.matches(text, scratch: message.scratch)
    }

    public func explain(in message: MessageFacts, recipients: [String], held: Bool) -> String? {
        let attachments = message.textPartIndices.filter { message.isAttachment(part: $0) }
        if attachments.isEmpty { return "no text attachment" }
        for i in attachments where picks(part: i, in: message) {
            let p = message.parser.parts[i]
            let name = p.filename.map { " \"\($0)\"" } ?? ""
            return "part \(p.path)\(name): " + (message.text(part: i).flatMap { TextExplain.why(matcher, $0) } ?? "matched")
        }
        return "\(attachments.count) text attachment\(attachments.count == 1 ? "" : "s"), none matched"
    }
}

extension MessageFacts {
    /// Whether part `index` is an attachment: a leaf with a file name or
    /// `Content-Disposition: attachment`.
    public func isAttachment(part index: Int) -> Bool {
        let p = parser.parts[index]
        return p.isLeaf && (p.filename != nil || p.disposition?.type.lowercased() == "attachment")
    }
}
