import SealPolicy

/// `attachment: {name: [...], extension: [...], type: [...]}`: a leaf part's file
/// name or media type matches. Picks those parts for `remove_attachments: true`.
public struct AttachmentCondition: Condition {
    public static let key = "attachment"
    public static let picksParts = true
    public var matcher: AttachmentMatcher

    public static func load(_ value: PolicyNode, _ what: String, _ reader: PolicyReader) -> [Self]? {
        guard let a = reader.attachment(value, what, allowUnscannable: false), let m = a.1 else { return nil }
        return [Self(matcher: m)]
    }

    public var stage: Stage { .body }

    public func holds(in message: MessageFacts, recipients: [String]) -> Bool {
        message.parser.parts.contains { $0.isLeaf && matcher.matches(filename: $0.filename, mediaType: $0.contentType.mediaType) }
    }

    public func picks(part index: Int, in message: MessageFacts) -> Bool {
        let part = message.parser.parts[index]
        return part.isLeaf && matcher.matches(filename: part.filename, mediaType: part.contentType.mediaType)
    }

    public func explain(in message: MessageFacts, recipients: [String], held: Bool) -> String? {
        let hit = message.parser.parts.indices.filter { picks(part: $0, in: message) }
        if hit.isEmpty { return "no attachment matched" }
        return hit.map { i in
            let p = message.parser.parts[i]
            return "part \(p.path) " + (p.filename.map { "\"\($0)\"" } ?? p.contentType.mediaType)
        }.joined(separator: ", ")
    }
}
