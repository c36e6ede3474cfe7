/// The SMTP stages at which the milter sees facts about a message, in order.
public enum Stage: Int, Comparable, Sendable, CaseIterable {
    case connect, helo, mail, rcpt, headers, body

    public static func < (a: Stage, b: Stage) -> Bool { a.rawValue < b.rawValue }
}

extension Condition {
    /// The earliest stage at which the facts of this condition are known.
    ///
    /// `sender` is known at MAIL; `direction` and `recipient` need the recipients (RCPT);
    /// `header` and `subject` the end of the headers; the rest the end of the message.
    public var stage: Stage {
        switch self {
        case .sender: return .mail
        case .direction, .recipient: return .rcpt
        case .header, .subject: return .headers
        case .body, .attachment, .size, .unscannable, .limitsExceeded: return .body
        }
    }

    /// Whether the condition looks only at the envelope (direction, sender, recipient),
    /// as `reject_recipient` rules require.
    public var isEnvelopeOnly: Bool {
        switch self {
        case .direction, .sender, .recipient: return true
        default: return false
        }
    }

    /// The name of the condition's key in the policy file.
    public var key: String {
        switch self {
        case .direction: return "direction"
        case .sender: return "sender"
        case .recipient: return "recipient"
        case .header: return "header"
        case .subject: return "subject"
        case .body: return "body"
        case .attachment: return "attachment"
        case .size: return "size"
        case .unscannable: return "unscannable"
        case .limitsExceeded: return "limits_exceeded"
        }
    }
}

extension Action {
    /// The name of the action's key in the policy file.
    public var key: String {
        switch self {
        case .addHeader: return "add_header"
        case .reject: return "reject"
        case .tempfail: return "tempfail"
        case .quarantine: return "quarantine"
        case .discard: return "discard"
        case .rejectRecipient: return "reject_recipient"
        case .removeAttachments: return "remove_attachments"
        }
    }
}

extension Rule {
    /// The stage at which the rule is evaluated: the latest stage of its conditions and
    /// exceptions, and at least MAIL (a rule without conditions is decided at MAIL).
    /// A rule with `reject_recipient` is evaluated at RCPT, once per recipient (its
    /// conditions are envelope-only, so this is also their stage).
    /// Actions do not move the stage: `add_header`, `quarantine` and `remove_attachments`
    /// are decided here and applied by the engine at the end of the message.
    public var stage: Stage {
        var s = Stage.mail
        for c in conditions where c.stage > s { s = c.stage }
        for c in exceptions where c.stage > s { s = c.stage }
        if rejectsRecipient && s < .rcpt { s = .rcpt }
        return s
    }

    /// Whether the rule refuses recipients one by one (has a `reject_recipient` action).
    public var rejectsRecipient: Bool {
        actions.contains { if case .rejectRecipient = $0 { return true } else { return false } }
    }
}

extension Policy {
    /// The stages at which some rule of the policy is evaluated.
    public var stages: Set<Stage> { Set(rules.map(\.stage)) }

    /// Whether `domain` is one of `internal_domains`.
    public func isInternal(domain: String) -> Bool {
        internalDomains.contains { $0.matches(domain: domain) }
    }

    /// The direction of mail from `sender` to one `recipient` (addresses, brackets allowed):
    /// inbound (outside to inside), outbound (inside to outside), internal (inside to inside),
    /// or nil when neither is internal (relayed mail). The null sender counts as outside.
    public func direction(sender: String, recipient: String) -> Direction? {
        func inside(_ address: String) -> Bool {
            let (_, domain) = AddressPattern.split(AddressPattern.normalize(address))
            guard let domain else { return false }
            return isInternal(domain: domain)
        }
        switch (inside(sender), inside(recipient)) {
        case (false, true): return .inbound
        case (true, false): return .outbound
        case (true, true): return .internal
        case (false, false): return nil
        }
    }
}
