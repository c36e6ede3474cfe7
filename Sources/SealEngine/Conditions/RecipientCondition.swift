import SealPolicy

/// `recipient: PATTERN` (or a list), or `recipient: {patterns: [...], match: all}`:
/// any recipient (`match: any`, the default) or every recipient (`match: all`)
/// matches one of the patterns. At RCPT (rules decided per recipient): the one
/// at hand.
public struct RecipientCondition: Condition {
    public static let key = "recipient"
    public var patterns: [AddressPattern]
    public var match: RecipientMatch = .any

    public init(patterns: [AddressPattern], match: RecipientMatch = .any) {
        self.patterns = patterns; self.match = match
    }

    public static func load(_ value: PolicyNode, _ what: String, _ reader: PolicyReader) -> [Self]? {
        guard case .mapping = value else { return reader.addressPatterns(value, what).map { [Self(patterns: $0)] } }
        guard let f = reader.fields(value, in: what, allowed: ["patterns", "match"]) else { return nil }
        guard let pn = f["patterns"] else {
            if !f.rejected { reader.fail(value, "\(what): needs 'patterns', the address patterns recipients are compared with") }
            return nil
        }
        let p = reader.addressPatterns(pn, "\(what).patterns")
        let m = f["match"].map { reader.recipientMatch($0, "\(what).match") } ?? .any
        guard let p, let m, !f.rejected else { return nil }
        return [Self(patterns: p, match: m)]
    }

    public var stage: Stage { .rcpt }

    func matches(_ r: String) -> Bool { patterns.contains { $0.matches(address: r) } }

    public func holds(in message: MessageFacts, recipients: [String]) -> Bool {
        match.holds(recipients, matches)
    }

    public func explain(in message: MessageFacts, recipients: [String], held: Bool) -> String? {
        "matching: " + match.explain(recipients, matches)
    }
}
