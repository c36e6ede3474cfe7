import SealPolicy

/// Runs a policy's rules over one message, stage by stage: each rule at the
/// earliest stage that has its facts, in policy order (a rule never runs before an
/// earlier one), until one decides the message's fate or says `stop`. Rules with a
/// per-recipient action run at each RCPT for that recipient alone.
///
/// Rules in `mode: off`, and rules outside their `active:` window at the
/// message's time (``now``, taken once per message), are passed over. Rules in
/// `mode: audit` are evaluated like the others, but when one holds nothing is
/// applied: what it would have done is recorded in ``MessageOutcome/audited``
/// (the log line's `audit=` word), and its `stop` does not stop anything.
///
/// With a ``trace`` (`sealctl test`), every evaluation is recorded with the result
/// of each condition and exception; the milter path has none and pays nothing.
///
/// Evaluation has a CPU budget per message (`limits.max_rule_cpu`): once it is
/// spent no further rule runs, the message is marked and gets what
/// `limits.on_rule_cpu_exceeded` says (tempfail by default).
final class RuleRunner {
    let rules: [Rule]
    let evaluation: EvaluationSettings
    let budget: CPUBudget
    private var nextRule = 0
    private(set) var stopped = false
    private var recipientsEvaluated = false
    /// `for_each_recipient` rules reached in policy order (not past a `stop`), by index.
    private(set) var versionRules: [Int] = []
    /// Message-level rules that applied, by index (replayed for every other version).
    private(set) var appliedRules: [Int] = []
    /// The message's time (seconds since the epoch, UTC) for `active:` windows.
    let now: Int64
    /// Records every evaluation when set (`sealctl test`); nil on the milter path.
    var trace: RuleTrace? = nil

    init(rules: [Rule], evaluation: EvaluationSettings, now: Int64 = 0) {
        self.rules = rules
        self.evaluation = evaluation
        self.budget = CPUBudget(limit: evaluation.maxRuleCPU)
        self.now = now
    }

    /// Whether rule `i` takes part in this message: not off, and inside its date window.
    func takesPart(_ i: Int) -> Bool {
        let r = rules[i]
        if !r.isEvaluated { trace?.skip(i, .off); return false }
        if !r.isActive(at: now) { trace?.skip(i, .inactive); return false }
        return true
    }

    /// Runs every message-level rule whose stage has come, in order.
    func advance(to stage: Stage, _ facts: MessageFacts, _ outcome: MessageOutcome) -> Decision {
        if let d = outcome.decision { return d }
        guard !stopped && nextRule < rules.count else { return .continue }
        budget.begin()
        defer { budget.end() }
        while !stopped && nextRule < rules.count {
            let rule = rules[nextRule]
            if !takesPart(nextRule) { nextRule += 1; continue }
            if rule.isPerRecipient { nextRule += 1; continue }
            if rule.forEachRecipient && rule.isEnforced {
                // Judged per recipient at the end of the message (``groups(_:)``).
                versionRules.append(nextRule); nextRule += 1; continue
            }
            if rule.stage > stage { break }
            nextRule += 1
            if !rule.isEnforced {
                audit(nextRule - 1, facts, outcome)
                if budget.spent { return budgetSpent(outcome) }
                continue
            }
            let applies = holds(nextRule - 1, facts, recipients: facts.recipients)
            if budget.spent { return budgetSpent(outcome) }
            guard applies else { continue }
            appliedRules.append(nextRule - 1)
            trace?.applied(nextRule - 1)
            if let d = apply(rule, facts, outcome) { return d }
            if rule.stop { stopped = true }
        }
        return .continue
    }

    /// An audit rule at its stage: evaluated (for each recipient alone when it
    /// makes versions); when it holds, what it would do is recorded, nothing applied.
    private func audit(_ i: Int, _ facts: MessageFacts, _ outcome: MessageOutcome) {
        let rule = rules[i]
        var would = rule.actions.map(\.summary).joined(separator: ", ")
        if rule.forEachRecipient {
            let holders = facts.recipients.filter { holds(i, facts, recipients: [$0]) }
            guard !holders.isEmpty else { return }
            would += " for " + holders.joined(separator: " ")
        } else {
            guard holds(i, facts, recipients: facts.recipients) else { return }
            if rule.stop { would += ", stop" }
        }
        outcome.audit(rule: rule.name, would: would)
        trace?.audited(i)
    }

    /// Recipient-stage rules become decidable once all recipients are known: the first header.
    func recipientsKnown(_ facts: MessageFacts, _ outcome: MessageOutcome) -> Decision {
        if recipientsEvaluated { return outcome.decision ?? .continue }
        recipientsEvaluated = true
        return advance(to: .rcpt, facts, outcome)
    }

    /// Per-recipient rules for one recipient; the reply when it is refused.
    func refusal(of address: String, _ facts: MessageFacts, _ outcome: MessageOutcome) -> SMTPReply? {
        for (i, rule) in rules.enumerated() where rule.isPerRecipient && rule.isEvaluated && rule.isActive(at: now) {
            guard holds(i, facts, recipients: [address]) else { continue }
            if !rule.isEnforced {
                outcome.audit(rule: rule.name, would: rule.actions.map(\.summary).joined(separator: ", ") + " " + address)
                trace?.audited(i)
                continue
            }
            trace?.applied(i)
            for a in rule.actions where a.isPerRecipient {
                if let r = a.refuse(recipient: address) {
                    outcome.matchedRules.append(rule.name + "(" + address + ")")
                    return r
                }
            }
            if rule.stop { break }
        }
        return nil
    }

    /// Whether some rule that applied, or one still to run, may change the body
    /// (so the body must be kept for rewriting).
    func mayChangeBody(_ outcome: MessageOutcome) -> Bool {
        if outcome.changesBody || !versionRules.isEmpty { return true }
        guard !stopped else { return false }
        // A version for other recipients is built from the original body.
        return rules[nextRule...].contains { $0.isEnforced && !$0.isPerRecipient && ($0.changesBody || $0.forEachRecipient) }
    }

    /// Whether the body must be seen at all.
    func needsBody(_ settings: PolicySettings, _ outcome: MessageOutcome) -> Bool {
        if settings.flagUnscannable || mayChangeBody(outcome) { return true }
        guard !stopped else { return false }
        return rules[nextRule...].contains { $0.isEvaluated && !$0.isPerRecipient && $0.stage == .body }
    }

    // MARK: Versions

    /// The recipients in groups by the set of `for_each_recipient` rules that hold
    /// for each alone, in the order of their first recipient (the first group keeps
    /// the transaction). Empty when no such rule was reached.
    func groups(_ facts: MessageFacts) -> [RecipientGroup] {
        guard !versionRules.isEmpty, !facts.recipients.isEmpty else { return [] }
        budget.begin()
        defer { budget.end() }
        var out: [RecipientGroup] = []
        for r in facts.recipients {
            let key = versionRules.filter { holds($0, facts, recipients: [r]) }
            if let i = out.firstIndex(where: { $0.rules == key }) { out[i].recipients.append(r) } else {
                out.append(RecipientGroup(recipients: [r], rules: key, ruleNames: key.map { rules[$0].name }))
            }
        }
        return out
    }

    /// The group key of one recipient at RCPT (RCPT deferral): the indices of the
    /// `for_each_recipient` rules that hold for it alone, judged on the envelope.
    func versionKey(of address: String, _ facts: MessageFacts) -> [Int] {
        rules.indices.filter {
            rules[$0].forEachRecipient && rules[$0].isEnforced && rules[$0].isActive(at: now) && holds($0, facts, recipients: [address])
        }
    }

    /// Whether every `for_each_recipient` rule is judged on the envelope alone (RCPT deferral applies).
    var versionsDecidedAtRCPT: Bool {
        let versionRules = rules.filter { $0.forEachRecipient && $0.isEnforced }
        return !versionRules.isEmpty
            && versionRules.allSatisfy { r in (r.conditions + r.exceptions).allSatisfy(\.isEnvelopeOnly) }
    }

    /// Applies a group's rules to `outcome` (its version). With `replay`, the
    /// message-level rules that applied to the message are applied first (a fresh
    /// outcome for another version gets everything the message got).
    func applyVersion(_ group: RecipientGroup, replay: Bool, _ facts: MessageFacts, _ outcome: MessageOutcome) {
        outcome.recipients = group.recipients
        if replay {
            for i in appliedRules { _ = apply(rules[i], facts, outcome) }
            outcome.replayedNotices = outcome.notices.count
        }
        for i in group.rules {
            let rule = rules[i]
            outcome.matchedRules.append(rule.name + "(" + group.recipients.joined(separator: ",") + ")")
            let context = ActionContext(message: facts, outcome: outcome, rule: rule)
            for action in rule.actions {
                outcome.applied.append(rule.name + ": " + action.summary)
                if action.bodyPhase != nil { outcome.changesBody = true }
                _ = action.apply(context)
            }
        }
    }

    /// Whether rule `i` holds: every condition, no exception. With a trace, every
    /// condition and exception is judged (the result is the same) and recorded.
    private func holds(_ i: Int, _ facts: MessageFacts, recipients: [String]) -> Bool {
        let rule = rules[i]
        if let trace { return trace.evaluate(i, rule, facts, recipients: recipients) }
        for c in rule.conditions where !c.holds(in: facts, recipients: recipients) { return false }
        for c in rule.exceptions where c.holds(in: facts, recipients: recipients) { return false }
        return true
    }

    private func apply(_ rule: Rule, _ facts: MessageFacts, _ outcome: MessageOutcome) -> Decision? {
        outcome.matchedRules.append(rule.name)
        let context = ActionContext(message: facts, outcome: outcome, rule: rule)
        for action in rule.actions where !action.isPerRecipient {
            outcome.applied.append(rule.name + ": " + action.summary)
            if action.bodyPhase != nil { outcome.changesBody = true }
            if let d = action.apply(context) { return d }
        }
        return nil
    }

    /// The CPU budget ran out while the recipients were put in groups.
    func versionBudgetSpent(_ outcome: MessageOutcome) -> Decision { budgetSpent(outcome) }

    private func budgetSpent(_ outcome: MessageOutcome) -> Decision {
        stopped = true
        outcome.budgetExceeded = true
        switch evaluation.onRuleCPUExceeded {
        case .tempfail:
            return outcome.decide(.tempfail, name: "tempfail", reply: SMTPReply(
                code: "451", extendedCode: "4.7.0", text: "Message could not be checked in time, try again later"))
        case .accept:
            return .continue
        }
    }
}
