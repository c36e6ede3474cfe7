import SealPolicy

/// `discard: true` (or `- discard`): accepts the message and drops it.
public struct DiscardAction: Action {
    public static let key = "discard"

    public static func load(_ value: PolicyNode?, _ c: ActionLoadContext) -> Self? {
        guard let d = c.reader.isDefault(value, c.what) else { return nil }
        if !d { c.reader.fail(value, "\(c.what): write 'discard: true'"); return nil }
        return Self()
    }

    public var disposition: Disposition? { .discard }
    public var needs: Needs { .earlyReply }

    public func apply(_ context: ActionContext) -> Decision? {
        context.outcome.decide(.discard, name: "discard", reply: nil)
    }
}
