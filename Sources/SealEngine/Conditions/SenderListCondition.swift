import SealPolicy

/// `sender_list: FILE` (or a list of files): the envelope sender is in an
/// address list file (see ``AddressList``: one address, domain or pattern per line).
public struct SenderListCondition: Condition {
    public static let key = "sender_list"
    public var list: AddressList

    public static func load(_ value: PolicyNode, _ what: String, _ reader: PolicyReader) -> [Self]? {
        reader.addressList(value, what).map { [Self(list: $0)] }
    }

    public var stage: Stage { .mail }

    public func holds(in message: MessageFacts, recipients: [String]) -> Bool {
        list.contains(message.sender)
    }

    public func explain(in message: MessageFacts, recipients: [String], held: Bool) -> String? {
        "sender <\(message.sender)> " + (held ? "is" : "is not") + " in " + list.files.joined(separator: ", ") + " (\(list.count) entries)"
    }
}
