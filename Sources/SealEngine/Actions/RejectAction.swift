import SealPolicy

/// `reject: TEXT | true | {code, xcode, text}`: refuses the message with a 5xx reply.
public struct RejectAction: Action {
    public static let key = "reject"
    public var reply: SMTPReply

    public static func load(_ value: PolicyNode?, _ c: ActionLoadContext) -> Self? {
        c.reader.reply(value, c.what, cls: "5", default: SMTPReply(code: "550", extendedCode: "5.7.1", text: "Message rejected by policy"))
            .map { Self(reply: $0) }
    }

    public var disposition: Disposition? { .reject }
    public var needs: Needs { .earlyReply }

    public func apply(_ context: ActionContext) -> Decision? {
        context.outcome.decide(.reject, name: "reject", reply: reply)
    }
}
