import SealPolicy

/// Reads the `rules:` section: each rule's name, conditions and exceptions (by the
/// registered conditions' loaders), actions (by the registered actions' loaders),
/// and the checks that need a whole rule or the whole list.
struct RuleLoader {
    let reader: PolicyReader
    let registry: Registry

    static let ruleKeys = ["name", "priority", "mode", "active", "when", "unless", "actions", "stop", "for_each_recipient"]

    /// The `rules:` section, as the settings reader calls it.
    static func section(_ registry: Registry, into rules: @escaping ([Rule]) -> Void) -> PolicySection {
        PolicySection(key: "rules", innerKeys: Set(ruleKeys + registry.conditionKeys + registry.actionKeys),
                      misplacedHint: "rules go in a list under 'rules:'") { reader, keyNode, value in
            rules(RuleLoader(reader: reader, registry: registry).rules(value, keyNode))
        }
    }

    func fail(_ node: PolicyNode?, _ message: String) { reader.fail(node, message) }

    func rules(_ node: PolicyNode, _ keyNode: PolicyNode) -> [Rule] {
        if reader.isNull(node) { return [] }
        guard case let .sequence(seq) = node else {
            fail(node, "rules: expected a list of rules (items starting with '- name:'), found \(PolicyReader.describe(node))")
            return []
        }
        var loaded: [(rule: Rule, actionNodes: [PolicyNode])] = []
        var names: [String: Int] = [:]
        for (i, item) in seq.enumerated() {
            let (rule, name, nameNode, actionNodes) = self.rule(item, number: i + 1)
            if let name {
                let folded = name.lowercased()
                if let first = names[folded] {
                    fail(nameNode, "duplicate rule name '\(name)' (first used at line \(first))")
                    continue
                }
                names[folded] = PolicyReader.line(nameNode)
            }
            guard let rule else { continue }
            loaded.append((rule, actionNodes))
        }
        // The engine's order: lower priority first, equal priorities in file order.
        let ordered = loaded.enumerated().sorted { a, b in
            a.element.rule.priority != b.element.rule.priority
                ? a.element.rule.priority < b.element.rule.priority : a.offset < b.offset
        }.map(\.element)
        checkOrder(ordered)
        return ordered.map(\.rule)
    }

    /// Checks that need the rules in the engine's order. The body pipeline runs
    /// transforms in phase order; a body change after a sealing one (signing,
    /// encryption) in the engine's rule order would be silently reordered, so it is
    /// refused with the order explained. Rules that are off take no part.
    func checkOrder(_ ordered: [(rule: Rule, actionNodes: [PolicyNode])]) {
        var sealed: (rule: Rule, action: String, line: Int)? = nil
        for (rule, actionNodes) in ordered where rule.isEnforced {
            for (a, n) in zip(rule.actions, actionNodes) {
                guard let phase = a.bodyPhase else { continue }
                if let s = sealed, !phase.isSealing, s.rule.name != rule.name {
                    let prio = s.rule.priority == rule.priority ? "same priority \(rule.priority), file order"
                        : "priority \(s.rule.priority) before \(rule.priority)"
                    fail(n, "rule '\(rule.name)': '\(a.key)' would change the body after '\(s.action)' (rule '\(s.rule.name)', line \(s.line)) \(BodyPhase.sealedVerb(s.action)) it; "
                         + "the engine runs rules by priority, then in file order ('\(s.rule.name)' runs before '\(rule.name)': \(prio)), "
                         + "and changes a body in this order: \(BodyPhase.orderText); put this change in a rule that runs earlier (a lower priority), or before '\(s.action)'")
                }
                if phase.isSealing && sealed == nil { sealed = (rule, a.key, PolicyReader.line(n)) }
            }
        }
    }

    /// The rule (nil when it has errors), its name when usable, the node naming it,
    /// and the key nodes of its actions.
    func rule(_ node: PolicyNode, number: Int) -> (Rule?, String?, PolicyNode, [PolicyNode]) {
        // Name the rule in messages about its keys when it has a plain name.
        var where_ = "rule #\(number)"
        if let n = node.mapping?["name"]?.scalar?.string, !n.isEmpty, n.count <= 100,
           !n.unicodeScalars.contains(where: { $0.value < 0x20 }) {
            where_ = "rule '\(n)'"
        }
        let errorsBefore = reader.errorCount
        let conditionKeys = registry.conditionKeys, actionKeys = registry.actionKeys
        guard let f = reader.fields(node, in: where_, allowed: RuleLoader.ruleKeys, hint: { key in
            if conditionKeys.contains(key) { return "conditions go under 'when:'" }
            if actionKeys.contains(key) { return "actions go in the list under 'actions:'" }
            return nil
        }) else { return (nil, nil, node, []) }

        var name = "rule #\(number)"
        var validName: String? = nil
        var nameNode = node
        if let v = f["name"] {
            nameNode = v
            if let s = reader.text(v, "rule #\(number): name", maxLength: 100) { name = s; validName = s }
        } else {
            fail(node, "rule #\(number) has no 'name'")
        }
        let ctx = validName.map { "rule '\($0)'" } ?? "rule #\(number)"

        var conditions: [(any Condition, PolicyNode)] = []
        if let v = f["when"] { conditions = self.conditions(v, in: "\(ctx): when") ?? [] }
        var exceptions: [(any Condition, PolicyNode)] = []
        if let v = f["unless"] { exceptions = self.conditions(v, in: "\(ctx): unless") ?? [] }

        var priority = 0
        if let v = f["priority"], let p = reader.integer(v, "\(ctx): priority (lower runs first)", min: -1_000_000) {
            if p > 1_000_000 { fail(v, "\(ctx): priority: must be at most 1000000, found \(p)") } else { priority = p }
        }
        var mode = RuleMode.enforce
        if let v = f["mode"], let m = reader.string(v, "\(ctx): mode") {
            if let rm = RuleMode(rawValue: m.lowercased()) { mode = rm } else {
                let valid = RuleMode.allCases.map(\.rawValue)
                var msg = "\(ctx): mode: unknown mode '\(m)'"
                if let near = PolicyReader.closest(to: m.lowercased(), in: valid) { msg += " (did you mean '\(near)'?)" }
                fail(v, msg + "; valid: enforce (act), audit (only log what would be done), off (not evaluated)")
            }
        }
        var active: DateWindow? = nil
        if let v = f["active"] { active = reader.dateWindow(v, "\(ctx): active") }

        var stop = false
        if let v = f["stop"], let b = reader.bool(v, "\(ctx): stop") { stop = b }
        var forEach = false
        if let v = f["for_each_recipient"], let b = reader.bool(v, "\(ctx): for_each_recipient") { forEach = b }

        var actions: [(any Action, PolicyNode)] = []
        if let v = f["actions"] {
            // Keys, not parsed conditions: a broken `attachment` condition still picks parts.
            var picks = false
            if let map = f["when"]?.mapping {
                for k in map.keys {
                    if let s = k.scalar?.string, let t = registry.condition(PolicyReader.normalizeKey(s)), t.picksParts { picks = true }
                }
            }
            actions = self.actions(v, in: ctx, rule: name, picksParts: picks)
        } else {
            fail(nameNode, "\(ctx) has no 'actions'; a rule needs at least one action")
        }

        checkActions(actions, conditions: conditions, exceptions: exceptions, ctx: ctx)
        if forEach, let v = f["for_each_recipient"] {
            checkForEachRecipient(actions, stop: stop ? f["stop"] : nil, keyNode: v, ctx: ctx)
        }

        if reader.errorCount > errorsBefore { return (nil, validName, nameNode, []) }
        var rule = Rule(name: name, conditions: conditions.map(\.0), exceptions: exceptions.map(\.0),
                        actions: actions.map(\.0), stop: stop, line: PolicyReader.line(node))
        rule.forEachRecipient = forEach
        rule.priority = priority
        rule.mode = mode
        rule.active = active
        return (rule, validName, nameNode, actions.map(\.1))
    }

    /// Checks that need the whole rule.
    func checkActions(_ actions: [(any Action, PolicyNode)], conditions: [(any Condition, PolicyNode)],
                      exceptions: [(any Condition, PolicyNode)], ctx: String) {
        // One disposition per rule.
        var disposition: (any Action, PolicyNode)? = nil
        for (a, n) in actions where a.disposition != nil {
            if let (d, dn) = disposition {
                fail(n, "\(ctx): '\(a.key)' conflicts with '\(d.key)' at line \(PolicyReader.line(dn)); a rule can have only one of "
                     + Disposition.allKeys.joined(separator: ", ")
                     + " (each decides the message's fate: \(Disposition.fateText(d.key, a.key))); use separate rules, with priorities if one should win")
            } else {
                disposition = (a, n)
            }
        }
        // A rule's actions apply in list order, and one that ends the message (reject,
        // tempfail, discard) ends it there: actions listed after it would never run.
        if let (end, en) = actions.first(where: { $0.0.disposition?.endsMessage == true }) {
            for (a, n) in actions where PolicyReader.line(n) > PolicyReader.line(en) || (PolicyReader.line(n) == PolicyReader.line(en) && PolicyReader.column(n) > PolicyReader.column(en)) {
                guard a.disposition == nil else { continue }  // reported above
                fail(n, "\(ctx): '\(a.key)' is listed after '\(end.key)' (line \(PolicyReader.line(en))), which ends the message: "
                     + "the engine applies a rule's actions in list order and stops at reject, tempfail or discard, so '\(a.key)' would never run; "
                     + "list it before '\(end.key)' or remove it")
            }
        }
        // Body changes in one rule: in the engine's order (nothing after a sealing change).
        var sealedBy: (any Action, PolicyNode)? = nil
        for (a, n) in actions {
            guard let phase = a.bodyPhase else { continue }
            if let (s, sn) = sealedBy, !phase.isSealing {
                fail(n, "\(ctx): '\(a.key)' would change the body after '\(s.key)' (line \(PolicyReader.line(sn))) \(BodyPhase.sealedVerb(s.key)) it; "
                     + "the engine changes a body in this order: \(BodyPhase.orderText); list '\(a.key)' first")
            }
            if phase.isSealing && sealedBy == nil { sealedBy = (a, n) }
        }
        // Per-recipient actions: decided at RCPT, so the envelope only, and nothing else.
        guard let (rr, rrNode) = actions.first(where: { $0.0.isPerRecipient }) else { return }
        for (a, n) in actions where !a.isPerRecipient && a.disposition == nil {
            fail(n, "\(ctx): '\(a.key)' cannot be combined with '\(rr.key)' (line \(PolicyReader.line(rrNode))), which refuses single recipients at RCPT before there is a message; use a separate rule")
        }
        for (c, n) in conditions + exceptions where !c.isEnvelopeOnly {
            fail(n, "\(ctx): condition '\(c.key)' is not allowed in a rule with \(rr.key), which is decided at RCPT; only direction, sender and recipient are known then")
        }
    }

    /// A rule that makes per-recipient versions changes a version (header fields,
    /// the body, notices); the message's fate is one for all recipients, so a
    /// disposition has no version to apply to, and `stop` no order to stop.
    func checkForEachRecipient(_ actions: [(any Action, PolicyNode)], stop: PolicyNode?, keyNode: PolicyNode, ctx: String) {
        for (a, n) in actions where a.disposition != nil {
            fail(n, "\(ctx): '\(a.key)' cannot be used with for_each_recipient (the fate of a message is one for all its recipients); "
                 + "use a separate rule with a 'recipient' or 'direction' condition and reject_recipient, or without for_each_recipient")
        }
        if let stop {
            fail(stop, "\(ctx): 'stop' cannot be used with for_each_recipient (the rule is judged at the end of the message, for each recipient)")
        }
    }

    // MARK: Conditions

    func conditions(_ node: PolicyNode, in ctx: String) -> [(any Condition, PolicyNode)]? {
        if reader.isNull(node) || node.mapping?.isEmpty == true {
            fail(node, "\(ctx): is empty; remove it, or give at least one condition")
            return nil
        }
        let actionKeys = registry.actionKeys
        guard let f = reader.fields(node, in: ctx, allowed: registry.conditionKeys, hint: { key in
            actionKeys.contains(key) ? "actions go in the list under 'actions:'" : nil
        }) else { return nil }
        var out: [(any Condition, PolicyNode)] = []
        for (key, keyNode, v) in f.entries {
            guard let type = registry.condition(key) else { continue }
            if let list = load(type, v, "\(ctx).\(key)") { out += list.map { ($0, keyNode) } }
        }
        return out
    }

    private func load<C: Condition>(_ type: C.Type, _ value: PolicyNode, _ what: String) -> [any Condition]? {
        type.load(value, what, reader).map { $0.map { $0 as any Condition } }
    }

    // MARK: Actions

    func actions(_ node: PolicyNode, in ctx: String, rule: String, picksParts: Bool) -> [(any Action, PolicyNode)] {
        guard case let .sequence(seq) = node else {
            fail(node, "\(ctx): actions: expected a list (items starting with '- '), found \(PolicyReader.describe(node))")
            return []
        }
        if seq.isEmpty { fail(node, "\(ctx): actions: the list is empty; a rule needs at least one action"); return [] }
        var out: [(any Action, PolicyNode)] = []
        for item in seq {
            let key: String, keyNode: PolicyNode, value: PolicyNode?
            switch item {
            case let .scalar(s) where !reader.isNull(item):
                // Shorthand: `- discard` is `- discard: true`.
                key = PolicyReader.normalizeKey(s.string); keyNode = item; value = nil
            case let .mapping(map):
                if map.count != 1 {
                    fail(item, "\(ctx): each action is one key (found \(map.count)); write every action as its own '- ' item")
                    continue
                }
                let (k, v) = map[map.startIndex]
                guard case let .scalar(ks) = k else { fail(k, "\(ctx): action names must be plain names"); continue }
                key = PolicyReader.normalizeKey(ks.string); keyNode = k; value = v
            default:
                fail(item, "\(ctx): expected an action such as '- reject: text', found \(PolicyReader.describe(item))")
                continue
            }
            guard let type = registry.action(key) else {
                unknownAction(keyNode.scalar?.string ?? key, keyNode, ctx)
                continue
            }
            let context = ActionLoadContext(reader: reader, ruleContext: ctx, ruleName: rule, keyNode: keyNode,
                                            rulePicksParts: picksParts, keyNodeKey: key)
            if let a = load(type, value, context) { out.append((a, keyNode)) }
        }
        return out
    }

    private func load<A: Action>(_ type: A.Type, _ value: PolicyNode?, _ context: ActionLoadContext) -> (any Action)? {
        type.load(value, context)
    }

    func unknownAction(_ name: String, _ node: PolicyNode, _ ctx: String) {
        var msg = "\(ctx): unknown action '\(name)'"
        let key = PolicyReader.normalizeKey(name)
        if registry.conditionKeys.contains(key) {
            msg += " (conditions go under 'when:')"
        } else if let near = PolicyReader.closest(to: key, in: registry.actionKeys) {
            msg += " (did you mean '\(near)'?)"
        } else {
            msg += "; valid actions: " + registry.actionKeys.joined(separator: ", ")
        }
        fail(node, msg)
    }
}

extension Disposition {
    static let allKeys = ["reject", "tempfail", "discard", "quarantine", "reject_recipient"]

    /// Whether it ends the message when its rule applies (the rule's later actions do not run).
    var endsMessage: Bool { self == .reject || self == .tempfail || self == .discard }

    /// Why two fates in one rule cannot both happen, in words.
    static func fateText(_ a: String, _ b: String) -> String {
        let ending: Set<String> = ["reject", "tempfail", "discard"]
        if ending.contains(a) && ending.contains(b) { return "'\(a)' and '\(b)' both end the message, only one could" }
        if a == "quarantine" || b == "quarantine" {
            let other = a == "quarantine" ? b : a
            if other == "reject_recipient" { return "'reject_recipient' refuses recipients at RCPT, before there is a message to quarantine" }
            return "'\(other)' ends the message, so it would never be held in quarantine"
        }
        return "'reject_recipient' refuses single recipients at RCPT, '\(a == "reject_recipient" ? b : a)' the whole message"
    }
}
