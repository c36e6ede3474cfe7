import SealPolicy

/// `quarantine: REASON | true`: holds the message in the MTA's hold queue.
/// Without a reason: "sealmilter rule NAME" (documented in sealmilter.yaml(5)).
public struct QuarantineAction: Action {
    public static let key = "quarantine"
    public var reason: String

    public static func load(_ value: PolicyNode?, _ c: ActionLoadContext) -> Self? {
        guard let d = c.reader.isDefault(value, c.what) else { return nil }
        if d { return Self(reason: "sealmilter rule \(c.ruleName)") }
        guard let value, let reason = c.reader.text(value, "\(c.what) (the reason)") else { return nil }
        return Self(reason: reason)
    }

    public var disposition: Disposition? { .quarantine }
    public var modifications: Modifications { .quarantine }

    public func apply(_ context: ActionContext) -> Decision? {
        context.outcome.hold(reason: reason)
        return nil
    }
}
