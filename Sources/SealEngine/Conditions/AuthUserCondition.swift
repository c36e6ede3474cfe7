import SealPolicy

/// `auth_user: PATTERN` (or a list): the client authenticated with SMTP AUTH
/// (the MTA's `{auth_authen}` macro) as a user matching one of the patterns:
/// exact or with `*` and `?` wildcards, case-insensitive (`alice`,
/// `*@example.org`, `svc-*`). A client that did not authenticate never matches.
public struct AuthUserCondition: Condition {
    public static let key = "auth_user"
    public var patterns: [String]

    public static func load(_ value: PolicyNode, _ what: String, _ reader: PolicyReader) -> [Self]? {
        guard let list = reader.strings(value, what) else { return nil }
        var out: [String] = []
        for (s, n) in list {
            if s.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7f }) {
                reader.fail(n, "\(what): '\(s)' contains spaces or control characters; SMTP AUTH user names have none")
            } else { out.append(s.lowercased()) }
        }
        return out.count == list.count ? [Self(patterns: out)] : nil
    }

    public var stage: Stage { .mail }
    public var needs: Needs { [.mail, .authMacros] }

    public func holds(in message: MessageFacts, recipients: [String]) -> Bool {
        guard let user = message.authUser else { return false }
        let u = user.lowercased()
        return patterns.contains { Glob.hasWildcard($0) ? Glob.matches($0, u) : $0 == u }
    }

    public func explain(in message: MessageFacts, recipients: [String], held: Bool) -> String? {
        message.authUser.map { "authenticated as \($0)" } ?? "not authenticated ({auth_authen} not set)"
    }
}

extension MessageFacts {
    /// The SMTP AUTH user the MTA passed (`{auth_authen}`), nil when the client
    /// did not authenticate.
    public var authUser: String? {
        guard let u = macros["auth_authen"], !u.isEmpty else { return nil }
        return u
    }
}
