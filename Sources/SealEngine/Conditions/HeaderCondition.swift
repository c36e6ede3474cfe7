import SealPolicy

/// `header: {name: FIELD, contains: [...], matches: [...]}` (or a list of them):
/// a top-level header field of that name (case-insensitive) whose unfolded,
/// decoded value matches.
public struct HeaderCondition: Condition {
    public static let key = "header"
    public var name: String
    public var matcher: TextMatcher

    public static func load(_ value: PolicyNode, _ what: String, _ reader: PolicyReader) -> [Self]? {
        if case let .sequence(seq) = value, !seq.isEmpty {
            let list = seq.compactMap { one($0, what, reader) }
            return list.isEmpty ? nil : list
        }
        return one(value, what, reader).map { [$0] }
    }

    static func one(_ node: PolicyNode, _ what: String, _ reader: PolicyReader) -> Self? {
        guard let f = reader.fields(node, in: what, allowed: ["name", "contains", "matches"]) else { return nil }
        guard let nameNode = f["name"] else {
            if !f.rejected { reader.fail(node, "\(what): needs 'name', the header field to look at") }
            return nil
        }
        let name = reader.string(nameNode, "\(what).name")
        if let name, let problem = PolicyReader.fieldNameProblem(name) { reader.fail(nameNode, "\(what).name: \(problem)") }
        guard let m = reader.textMatcher(node, what, extra: ["name"]), let name,
              PolicyReader.fieldNameProblem(name) == nil else { return nil }
        return Self(name: name, matcher: m.0)
    }

    public var stage: Stage { .headers }

    public func holds(in message: MessageFacts, recipients: [String]) -> Bool {
        message.headerValues(name).contains { matcher.matches($0) }
    }
}
