import SealPolicy

/// `recipient_list: FILE` (or a list of files), or `{files: ..., match: all}`:
/// any recipient (`match: any`, the default) or every recipient (`match: all`) is
/// in an address list file (see ``AddressList``).
public struct RecipientListCondition: Condition {
    public static let key = "recipient_list"
    public var list: AddressList
    public var match: RecipientMatch = .any

    public static func load(_ value: PolicyNode, _ what: String, _ reader: PolicyReader) -> [Self]? {
        guard case .mapping = value else { return reader.addressList(value, what).map { [Self(list: $0)] } }
        guard let f = reader.fields(value, in: what, allowed: ["files", "match"]) else { return nil }
        guard let fn = f["files"] else {
            if !f.rejected { reader.fail(value, "\(what): needs 'files', the list file or files") }
            return nil
        }
        let l = reader.addressList(fn, "\(what).files")
        let m = f["match"].map { reader.recipientMatch($0, "\(what).match") } ?? .any
        guard let l, let m, !f.rejected else { return nil }
        return [Self(list: l, match: m)]
    }

    public var stage: Stage { .rcpt }

    public func holds(in message: MessageFacts, recipients: [String]) -> Bool {
        match.holds(recipients, list.contains)
    }

    public func explain(in message: MessageFacts, recipients: [String], held: Bool) -> String? {
        "in " + list.files.joined(separator: ", ") + ": " + match.explain(recipients, list.contains)
    }
}
