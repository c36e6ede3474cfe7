import SealPolicy

/// `recipient_location: inside | outside`, or `{is: outside, match: all}`: a
/// recipient is inside the organisation (its domain is one of the policy's
/// `internal_domains`) or outside it; any recipient (`match: any`, the default)
/// or every recipient (`match: all`).
public struct RecipientLocationCondition: Condition {
    public static let key = "recipient_location"
    public enum Location: String, Sendable, CaseIterable { case inside, outside }
    public var location: Location
    public var match: RecipientMatch = .any

    public static func load(_ value: PolicyNode, _ what: String, _ reader: PolicyReader) -> [Self]? {
        var locNode = value, what2 = what
        var match = RecipientMatch.any
        if case .mapping = value {
            guard let f = reader.fields(value, in: what, allowed: ["is", "match"]) else { return nil }
            guard let v = f["is"] else {
                if !f.rejected { reader.fail(value, "\(what): needs 'is: inside' or 'is: outside'") }
                return nil
            }
            if let mn = f["match"] { guard let m = reader.recipientMatch(mn, "\(what).match") else { return nil }; match = m }
            if f.rejected { return nil }
            locNode = v; what2 = "\(what).is"
        }
        guard let s = reader.string(locNode, what2) else { return nil }
        guard let loc = Location(rawValue: s.lowercased()) else {
            var msg = "\(what2): '\(s)' is not a location"
            if let near = PolicyReader.closest(to: s.lowercased(), in: Location.allCases.map(\.rawValue)) { msg += " (did you mean '\(near)'?)" }
            reader.fail(locNode, msg + "; valid: inside (a domain of internal_domains), outside")
            return nil
        }
        return [Self(location: loc, match: match)]
    }

    public var stage: Stage { .rcpt }

    func qualifies(_ r: String, _ settings: PolicySettings) -> Bool {
        let inside = settings.isInternal(address: r)
        return location == .inside ? inside : !inside
    }

    public func holds(in message: MessageFacts, recipients: [String]) -> Bool {
        match.holds(recipients) { qualifies($0, message.settings) }
    }

    public func explain(in message: MessageFacts, recipients: [String], held: Bool) -> String? {
        "\(location.rawValue) the organisation: " + match.explain(recipients) { qualifies($0, message.settings) }
    }
}
