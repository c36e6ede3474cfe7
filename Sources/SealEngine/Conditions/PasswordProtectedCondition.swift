import SealDetect
import SealPolicy

/// `password_protected: true | false`: whether an attachment is an encrypted
/// (password-protected) ZIP archive, PDF or Office document, as SealDetect finds
/// from its bytes. Picks those attachments for `remove_attachments: true`.
public struct PasswordProtectedCondition: Condition {
    public static let key = "password_protected"
    public static let picksParts = true
    public var value: Bool

    /// The kinds that mean "opens only with a password".
    public static let kinds = UnscannableSet(kinds: [.zipEncrypted, .pdfEncrypted, .officeEncrypted])

    public static func load(_ value: PolicyNode, _ what: String, _ reader: PolicyReader) -> [Self]? {
        reader.bool(value, what).map { [Self(value: $0)] }
    }

    public var stage: Stage { .body }

    func isProtected(_ index: Int, _ message: MessageFacts) -> Bool {
        guard let found = message.partKinds[index], message.isAttachment(part: index) else { return false }
        return !found.intersection(Self.kinds).isEmpty
    }

    public func holds(in message: MessageFacts, recipients: [String]) -> Bool {
        message.partKinds.keys.contains { isProtected($0, message) } == value
    }

    public func picks(part index: Int, in message: MessageFacts) -> Bool {
        value && isProtected(index, message)
    }

    public func explain(in message: MessageFacts, recipients: [String], held: Bool) -> String? {
        AttachmentUnscannableCondition.describe(message) { isProtected($0, message) }
    }
}
