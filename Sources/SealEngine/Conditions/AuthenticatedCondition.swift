import SealPolicy

/// `authenticated: true | false`: whether the client authenticated with SMTP
/// AUTH (the MTA passed a non-empty `{auth_authen}`).
public struct AuthenticatedCondition: Condition {
    public static let key = "authenticated"
    public var value: Bool

    public static func load(_ value: PolicyNode, _ what: String, _ reader: PolicyReader) -> [Self]? {
        reader.bool(value, what).map { [Self(value: $0)] }
    }

    public var stage: Stage { .mail }
    public var needs: Needs { [.mail, .authMacros] }

    public func holds(in message: MessageFacts, recipients: [String]) -> Bool {
        (message.authUser != nil) == value
    }

    public func explain(in message: MessageFacts, recipients: [String], held: Bool) -> String? {
        message.authUser.map { "authenticated as \($0)" } ?? "not authenticated ({auth_authen} not set)"
    }
}
