import SealPolicy

/// Runs a policy's rules over one message, stage by stage: each rule at the
/// earliest stage that has its facts, in policy order (a rule never runs before an
/// earlier one), until one decides the message's fate or says `stop`. Rules with a
/// per-recipient action run at each RCPT for that recipient alone.
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

    init(rules: [Rule], evaluation: EvaluationSettings) {
        self.rules = rules
        self.evaluation = evaluation
        self.budget = CPUBudget(limit: evaluation.maxRuleCPU)
    }

    /// Runs every message-level rule whose stage has come, in order.
    func advance(to stage: Stage, _ facts: MessageFacts, _ outcome: MessageOutcome) -> Decision {
        if let d = outcome.decision { return d }
        guard !stopped && nextRule < rules.count else { return .continue }
        budget.begin()
        defer { budget.end() }
        while !stopped && nextRule < rules.count {
            let rule = rules[nextRule]
            if rule.isPerRecipient { nextRule += 1; continue }
            if rule.stage > stage { break }
            nextRule += 1
            let applies = holds(rule, facts, recipients: facts.recipients)
            if budget.spent { return budgetSpent(outcome) }
            guard applies else { continue }
            if let d = apply(rule, facts, outcome) { return d }
            if rule.stop { stopped = true }
        }
        return .continue
    }

    /// Recipient-stage rules become decidable once all recipients are known: the first header.
    func recipientsKnown(_ facts: MessageFacts, _ outcome: MessageOutcome) -> Decision {
        if recipientsEvaluated { return outcome.decision ?? .continue }
        recipientsEvaluated = true
        return advance(to: .rcpt, facts, outcome)
    }

    /// Per-recipient rules for one recipient; the reply when it is refused.
    func refusal(of address: String, _ facts: MessageFacts, _ outcome: MessageOutcome) -> SMTPReply? {
        for rule in rules where rule.isPerRecipient {
            guard holds(rule, facts, recipients: [address]) else { continue }
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
        if outcome.changesBody { return true }
        guard !stopped else { return false }
        return rules[nextRule...].contains { !$0.isPerRecipient && $0.changesBody }
    }

    /// Whether the body must be seen at all.
    func needsBody(_ settings: PolicySettings, _ outcome: MessageOutcome) -> Bool {
        if settings.flagUnscannable || mayChangeBody(outcome) { return true }
        guard !stopped else { return false }
        return rules[nextRule...].contains { !$0.isPerRecipient && $0.stage == .body }
    }

    private func holds(_ rule: Rule, _ facts: MessageFacts, recipients: [String]) -> Bool {
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
