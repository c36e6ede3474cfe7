import SealPolicy

/// `tempfail: TEXT | true | {code, xcode, text}`: defers the message with a 4xx reply.
public struct TempfailAction: Action {
    public static let key = "tempfail"
    public var reply: SMTPReply

    public static func load(_ value: PolicyNode?, _ c: ActionLoadContext) -> Self? {
        c.reader.reply(value, c.what, cls: "4", default: SMTPReply(code: "451", extendedCode: "4.7.1", text: "Message deferred by policy, try again later"))
            .map { Self(reply: $0) }
    }

    public var disposition: Disposition? { .tempfail }
    public var needs: Needs { .earlyReply }

    public func apply(_ context: ActionContext) -> Decision? {
        context.outcome.decide(.tempfail, name: "tempfail", reply: reply)
    }
}
