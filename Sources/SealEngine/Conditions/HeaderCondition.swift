import SealPolicy

/// `header: {name: FIELD, contains: [...], matches: [...]}`, `{name: FIELD,
/// exists: true}` or `{name: FIELD, absent: true}` (or a list of them): a
/// top-level header field of that name (case-insensitive) whose unfolded,
/// decoded value contains a keyword or matches an expression; or simply one
/// such field is there (`exists: true`), or none is (`absent: true`, the same as
/// `exists: false`). The filter's own `X-Sealmilter-*` fields do not count: forged
/// ones are removed before rules see the header.
public struct HeaderCondition: Condition {
    public static let key = "header"
    public var name: String
    /// nil: presence only (see ``exists``).
    public var matcher: TextMatcher?
    /// With no matcher: whether the field must be there (true) or absent (false).
    public var exists: Bool = true

    public init(name: String, matcher: TextMatcher?, exists: Bool = true) {
        self.name = name; self.matcher = matcher; self.exists = exists
    }

    public static func load(_ value: PolicyNode, _ what: String, _ reader: PolicyReader) -> [Self]? {
        if case let .sequence(seq) = value, !seq.isEmpty {
            let before = reader.errorCount
            let list = seq.compactMap { one($0, what, reader) }
            return list.isEmpty || reader.errorCount > before ? nil : list
        }
        return one(value, what, reader).map { [$0] }
    }

    static func one(_ node: PolicyNode, _ what: String, _ reader: PolicyReader) -> Self? {
        guard let f = reader.fields(node, in: what, allowed: ["name", "contains", "matches", "exists", "absent"]) else { return nil }
        guard let nameNode = f["name"] else {
            if !f.rejected { reader.fail(node, "\(what): needs 'name', the header field to look at") }
            return nil
        }
        let name = reader.string(nameNode, "\(what).name")
        if let name, let problem = PolicyReader.fieldNameProblem(name) { reader.fail(nameNode, "\(what).name: \(problem)") }
        guard let name, PolicyReader.fieldNameProblem(name) == nil, !f.rejected else { return nil }
        var presence: Bool? = nil
        var presenceNode: PolicyNode? = nil
        if let v = f["exists"] {
            guard let b = reader.bool(v, "\(what).exists") else { return nil }
            presence = b; presenceNode = f.keyNode("exists")
        }
        if let v = f["absent"] {
            guard let b = reader.bool(v, "\(what).absent") else { return nil }
            if presence != nil {
                reader.fail(f.keyNode("absent"), "\(what): give 'exists' or 'absent', not both"); return nil
            }
            presence = !b; presenceNode = f.keyNode("absent")
        }
        let hasText = f["contains"] != nil || f["matches"] != nil
        if let presence {
            if hasText && !presence {
                reader.fail(presenceNode, "\(what): a field that must be absent has no value to match; remove 'contains'/'matches' or the absence test")
                return nil
            }
            if !hasText { return Self(name: name, matcher: nil, exists: presence) }
        } else if !hasText {
            reader.fail(node, "\(what): needs 'contains' (keywords), 'matches' (regular expressions), 'exists: true' or 'absent: true'")
            return nil
        }
        guard let m = reader.textMatcher(node, what, extra: ["name", "exists", "absent"]) else { return nil }
        return Self(name: name, matcher: m.0)
    }

    public var stage: Stage { .headers }

    public func holds(in message: MessageFacts, recipients: [String]) -> Bool {
        let values = message.headerValues(name)
        guard let matcher else { return values.isEmpty != exists }
        return values.contains { matcher.matches($0) }
    }

    public func explain(in message: MessageFacts, recipients: [String], held: Bool) -> String? {
        let values = message.headerValues(name)
        let count = "\(values.count) \(name) field\(values.count == 1 ? "" : "s")"
        guard let matcher else { return count }
        for v in values { if let why = TextExplain.why(matcher, v) { return "\(name): " + why } }
        return count + (values.isEmpty ? "" : ", none matched")
    }
}
