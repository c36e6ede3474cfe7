import SealPolicy

/// Reads the `rules:` section: each rule's name, conditions and exceptions (by the
/// registered conditions' loaders), actions (by the registered actions' loaders),
/// and the checks that need a whole rule or the whole list.
struct RuleLoader {
    let reader: PolicyReader
    let registry: Registry

    static let ruleKeys = ["name", "when", "unless", "actions", "stop", "for_each_recipient"]

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
        var out: [Rule] = []
        var names: [String: Int] = [:]
        var sealed: (rule: String, action: String, line: Int)? = nil
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
            // The body pipeline runs transforms in phase order; a body change after a
            // sealing one (signing, encryption) in policy order would be silently
            // reordered, so it is refused with the order explained.
            for (a, n) in zip(rule.actions, actionNodes) {
                guard let phase = a.bodyPhase else { continue }
                if let s = sealed, !phase.isSealing {
                    fail(n, "rule '\(rule.name)': '\(a.key)' would change the body after '\(s.action)' (rule '\(s.rule)', line \(s.line)) \(BodyPhase.sealedVerb(s.action)) it; "
                         + "the engine changes a body in this order: \(BodyPhase.orderText); put this change in an earlier rule, or before '\(s.action)'")
                }
                if phase.isSealing && sealed == nil { sealed = (rule.name, a.key, PolicyReader.line(n)) }
            }
            out.append(rule)
        }
        return out
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
                     + Disposition.allKeys.joined(separator: ", "))
            } else {
                disposition = (a, n)
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
                                            rulePicksParts: picksParts, registry: registry, keyNodeKey: key)
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
}
