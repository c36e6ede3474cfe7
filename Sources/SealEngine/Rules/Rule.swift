/// One rule: all conditions must hold, no exception may hold; then the actions apply.
public struct Rule: Sendable {
    public var name: String
    public var conditions: [any Condition]
    public var exceptions: [any Condition]
    public var actions: [any Action]
    public var stop: Bool
    /// `for_each_recipient: true`: the conditions are judged for each recipient
    /// alone at the end of the message, and the actions make the version of the
    /// message for the recipients they held for (see ``RecipientGroup``).
    public var forEachRecipient: Bool = false
    /// Line of the rule in the policy file.
    public var line: Int
    /// `priority:` (lower runs first; equal priorities keep file order). Default 0.
    public var priority: Int = 0
    /// `mode:`: enforce (the default), audit (evaluated and logged, never applied), off.
    public var mode: RuleMode = .enforce
    /// `active:`: the rule is evaluated only inside this window (nil: always).
    public var active: DateWindow? = nil

    public init(name: String, conditions: [any Condition], exceptions: [any Condition] = [],
                actions: [any Action], stop: Bool = false, line: Int = 0) {
        self.name = name; self.conditions = conditions; self.exceptions = exceptions
        self.actions = actions; self.stop = stop; self.line = line
    }

    /// The stage at which the rule is evaluated: the latest stage of its conditions and
    /// exceptions, and at least MAIL (a rule without conditions is decided at MAIL).
    /// A rule with a per-recipient action (`reject_recipient`) is evaluated at RCPT,
    /// once per recipient (its conditions are envelope-only, so this is also their
    /// stage). A rule with an action that needs the envelope recipients (`needs`
    /// has `.rcpt`: `smime_encrypt` chooses their certificates) waits until they are
    /// all known (the RCPT stage, decided at the first header field), so that such
    /// an action never sees a message without recipients because its conditions
    /// happened to be decidable at MAIL. Otherwise actions do not move the stage:
    /// `add_header`, `quarantine` and body changes are decided here and applied at
    /// the end of the message.
    public var stage: Stage {
        var s = Stage.mail
        for c in conditions where c.stage > s { s = c.stage }
        for c in exceptions where c.stage > s { s = c.stage }
        if isPerRecipient && s < .rcpt { s = .rcpt }
        if s < .rcpt && actions.contains(where: { $0.needs.contains(.rcpt) }) { s = .rcpt }
        return s
    }

    /// Whether the rule is decided per recipient at RCPT (has a per-recipient action).
    public var isPerRecipient: Bool { actions.contains { $0.isPerRecipient } }

    /// Whether some action sends messages of the filter's own (notices).
    public var sendsMessages: Bool { actions.contains { $0.sendsMessages } }

    /// Whether some action may change the body.
    public var changesBody: Bool { actions.contains { $0.bodyPhase != nil } }

    /// Whether a condition or exception reads the decoded text of text parts.
    public var readsText: Bool { (conditions + exceptions).contains { $0.readsText } || actions.contains { $0.readsText } }

    /// Whether a condition, exception or action reads part digests and attached messages.
    public var readsParts: Bool { (conditions + exceptions).contains { $0.readsParts } || actions.contains { $0.readsParts } }

    /// Whether the rule is evaluated at all (not `mode: off`).
    public var isEvaluated: Bool { mode != .off }
    /// Whether the rule's actions are carried out when it holds (`mode: enforce`).
    public var isEnforced: Bool { mode == .enforce }
    /// Whether the rule is in its date window at `time` (seconds since the epoch, UTC).
    public func isActive(at time: Int64) -> Bool { active?.contains(time) ?? true }
}

/// A rule's `mode:`.
public enum RuleMode: String, Sendable, CaseIterable {
    /// Evaluated; its actions apply when it holds.
    case enforce
    /// Evaluated; when it holds, what it would have done is logged (the log line's
    /// `audit=` word) and nothing else happens: the message gets no change from it.
    case audit
    /// Not evaluated (reported as off).
    case off
}
