import SealPolicy

/// How a condition on recipients counts them (`match:`): `any` (the default)
/// holds when one recipient qualifies, `all` when every one does (and there is
/// at least one). A rule decided per recipient at RCPT sees one recipient, so
/// the two agree there.
public enum RecipientMatch: String, Sendable, CaseIterable {
    case any, all

    /// Whether `test` holds for the recipients as this mode counts them.
    public func holds(_ recipients: [String], _ test: (String) -> Bool) -> Bool {
        switch self {
        case .any: return recipients.contains(where: test)
        case .all: return !recipients.isEmpty && recipients.allSatisfy(test)
        }
    }

    /// `held for a@x, b@y (2 of 3 recipients; match: all)`.
    func explain(_ recipients: [String], _ test: (String) -> Bool) -> String {
        let yes = recipients.filter(test)
        let list = yes.isEmpty ? "no recipient" : yes.joined(separator: ", ")
        return "\(list) (\(yes.count) of \(recipients.count) recipient\(recipients.count == 1 ? "" : "s"); match: \(rawValue))"
    }
}

extension PolicyReader {
    /// `match: any | all` of a recipient condition's mapping.
    func recipientMatch(_ node: PolicyNode, _ what: String) -> RecipientMatch? {
        guard let s = string(node, what) else { return nil }
        if let m = RecipientMatch(rawValue: s.lowercased()) { return m }
        fail(node, "\(what): '\(s)' is not a way to count recipients; valid: any (one recipient is enough), all (every recipient)")
        return nil
    }
}
