import SealPolicy

/// `reject_recipient: TEXT | true | {code, xcode, text}`: refuses the recipient at
/// hand at RCPT; the message goes on for the others. Its rule is decided per
/// recipient and may look at the envelope only.
public struct RejectRecipientAction: Action {
    public static let key = "reject_recipient"
    public var reply: SMTPReply

    public static func load(_ value: PolicyNode?, _ c: ActionLoadContext) -> Self? {
        c.reader.reply(value, c.what, cls: "5", default: SMTPReply(code: "550", extendedCode: "5.7.1", text: "Recipient rejected by policy"))
            .map { Self(reply: $0) }
    }

    public var disposition: Disposition? { .rejectRecipient }
    public var isPerRecipient: Bool { true }
    public var needs: Needs { .rcpt }

    public func apply(_ context: ActionContext) -> Decision? { nil }
    public func refuse(recipient: String) -> SMTPReply? { reply }
}
