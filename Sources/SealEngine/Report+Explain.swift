#if canImport(FoundationEssentials)
import FoundationEssentials  // JSONEncoder without Foundation's ICU data
#else
import Foundation
#endif

/// What `sealctl test` prints: each rule in the engine's order with its mode,
/// whether it matched and why (each condition's and exception's result, matched
/// text redacted), the actions that would apply, and the final result (the
/// ``Report`` `sealctl scan` prints). The `--json` form is this value encoded;
/// its shape is documented in sealctl(1).
public struct Explanation: Codable, Sendable {
    /// One condition's or exception's result in one evaluation.
    public struct Condition: Codable, Sendable {
        public var key: String
        /// Under `unless:`: the rule holds only when it does not.
        public var exception: Bool
        public var held: Bool
        public var detail: String
    }
    /// One evaluation of a rule (the whole message, or some recipients alone).
    public struct Evaluation: Codable, Sendable {
        public var recipients: [String]
        public var held: Bool
        public var conditions: [Condition]
    }
    public struct Rule: Codable, Sendable {
        public var name: String
        public var line: Int
        public var priority: Int
        /// enforce, audit, off.
        public var mode: String
        /// The `active:` window as written (absent: always active).
        public var active: String?
        /// The SMTP stage it is decided at: connect, helo, mail, rcpt, headers, body.
        public var stage: String
        /// applied, audited (held in audit mode: nothing done), not-matched, off,
        /// inactive (outside its date window), not-reached (the message was decided
        /// or a rule said stop before it).
        public var status: String
        public var evaluations: [Evaluation]
        /// The actions' summaries, in list order.
        public var actions: [String]
        public var stop: Bool
        public var for_each_recipient: Bool
    }
    /// The time the rules were judged at (UTC).
    public var time: String
    /// The envelope and MTA facts given.
    public var sender: String
    public var recipients: [String]
    /// MTA macros given (names without braces), e.g. tls_version, auth_authen.
    public var macros: [String: String]
    public var rules: [Rule]
    /// What audit rules would have done (the log line's `audit=`).
    public var audited: [String]
    /// The final result, as `sealctl scan --json` prints it.
    public var result: Report
}

extension Session {
    /// The current message's rules as an ``Explanation`` (nil without ``explain``
    /// or before a message started).
    public var explanation: Explanation? {
        guard let msg = message, let trace = msg.runner.trace, let report else { return nil }
        let rules = policy.rules.enumerated().map { (i, r) -> Explanation.Rule in
            let evals = trace.evaluations.filter { $0.rule == i }.map { e in
                Explanation.Evaluation(recipients: e.recipients, held: e.held, conditions: e.results.map {
                    Explanation.Condition(key: $0.key, exception: $0.isException, held: $0.held, detail: $0.detail)
                })
            }
            let status: String
            if r.mode == .off {
                status = "off"
            } else if !r.isActive(at: msg.runner.now) {
                status = "inactive"
            } else if evals.isEmpty {
                status = "not-reached"
            } else if evals.contains(where: \.held) {
                status = r.isEnforced ? "applied" : "audited"
            } else {
                status = "not-matched"
            }
            return Explanation.Rule(name: r.name, line: r.line, priority: r.priority, mode: r.mode.rawValue,
                                    active: r.active?.description, stage: "\(r.stage)", status: status,
                                    evaluations: evals, actions: r.actions.map(\.summary), stop: r.stop,
                                    for_each_recipient: r.forEachRecipient)
        }
        var macros = self.macros
        macros["i"] = nil
        return Explanation(time: DateWindow.format(msg.runner.now), sender: msg.facts.sender,
                           recipients: msg.facts.recipients + deferredRecipients, macros: macros, rules: rules,
                           audited: msg.outcome.audited, result: report)
    }
}

extension Explanation {
    /// One JSON object (keys sorted).
    public func json(pretty: Bool = false) -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? enc.encode(self) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// The explanation as `sealctl test` prints it.
    public var text: String {
        var out = "Message time: \(time)\n"
        out += "Envelope: from <\(sender)> to " + (recipients.isEmpty ? "(none)" : recipients.map { "<\($0)>" }.joined(separator: ", ")) + "\n"
        if !macros.isEmpty {
            out += "MTA facts: " + macros.keys.sorted().map { "{\($0)}=\(macros[$0]!)" }.joined(separator: " ") + "\n"
        }
        out += "Rules, in the engine's order (priority, then file order):\n"
        for (n, r) in rules.enumerated() {
            var head = "  \(n + 1). \(r.name) [line \(r.line), priority \(r.priority), \(r.mode)"
            if let a = r.active { head += ", active \(a)" }
            head += ", decided at \(r.stage)]: "
            switch r.status {
            case "applied": head += "MATCHED, applied"
            case "audited": head += "MATCHED, audit only: nothing done, logged as audit="
            case "not-matched": head += "not matched"
            case "off": head += "OFF (mode: off; not evaluated)"
            case "inactive": head += "INACTIVE (outside its date window at \(time); not evaluated)"
            default: head += "not reached (the message was already decided, or a rule said stop)"
            }
            out += head + "\n"
            for e in r.evaluations {
                let forWhom = r.evaluations.count > 1 || r.for_each_recipient ? " for " + e.recipients.joined(separator: ", ") : ""
                if !forWhom.isEmpty { out += "       evaluated\(forWhom): " + (e.held ? "held" : "did not hold") + "\n" }
                for c in e.conditions {
                    let verdict = c.exception ? (c.held ? "held (exception: the rule does not apply)" : "did not hold (good)")
                        : (c.held ? "held" : "did not hold")
                    out += "       \(c.exception ? "unless" : "when") \(c.key): \(verdict)" + (c.detail.isEmpty ? "" : " — \(c.detail)") + "\n"
                }
                if e.conditions.isEmpty { out += "       (no conditions: holds for every message)\n" }
            }
            let actionWord = r.status == "applied" ? "actions" : "actions (would apply)"
            out += "       \(actionWord): " + r.actions.joined(separator: ", ") + (r.stop ? "; stop" : "") + "\n"
        }
        out += "Result:\n" + result.text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.isEmpty ? "" : "  " + $0 }.joined(separator: "\n")
        return out
    }
}
