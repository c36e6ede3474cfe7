/// What the rule runner did with each rule of one message, for `sealctl test`:
/// every evaluation with the result of each condition and exception (and why,
/// with matched text redacted), which rules applied or were only audited, and
/// which were passed over (off, outside their date window). The milter path
/// runs without one.
public final class RuleTrace {
    /// Why a rule was not evaluated.
    public enum Skip: String, Sendable, Codable {
        /// `mode: off`.
        case off
        /// Outside its `active:` window at the message's time.
        case inactive
    }

    /// One condition's or exception's result in one evaluation.
    public struct ConditionResult: Sendable {
        public var key: String
        /// Under `unless:` (the rule holds only when it does not).
        public var isException: Bool
        public var held: Bool
        /// Why, in words (matched text redacted); empty when the condition says nothing more.
        public var detail: String
    }

    /// One evaluation of a rule: for the whole message, or for some recipients alone.
    public struct Evaluation: Sendable {
        public var rule: Int
        /// The recipients it was judged for (per-recipient rules: the one at hand).
        public var recipients: [String]
        public var held: Bool
        public var results: [ConditionResult]
    }

    public private(set) var evaluations: [Evaluation] = []
    public private(set) var skipped: [Int: Skip] = [:]
    public private(set) var appliedRules: Set<Int> = []
    public private(set) var auditedRules: Set<Int> = []

    public init() {}

    func skip(_ rule: Int, _ why: Skip) { skipped[rule] = why }
    func applied(_ rule: Int) { appliedRules.insert(rule) }
    func audited(_ rule: Int) { auditedRules.insert(rule) }

    /// Judges every condition and exception of `rule` (index `i`) and records it.
    func evaluate(_ i: Int, _ rule: Rule, _ facts: MessageFacts, recipients: [String]) -> Bool {
        var results: [ConditionResult] = []
        var held = true
        for c in rule.conditions {
            let h = c.holds(in: facts, recipients: recipients)
            if !h { held = false }
            results.append(ConditionResult(key: c.key, isException: false, held: h,
                                           detail: c.explain(in: facts, recipients: recipients, held: h) ?? ""))
        }
        for c in rule.exceptions {
            let h = c.holds(in: facts, recipients: recipients)
            if h { held = false }
            results.append(ConditionResult(key: c.key, isException: true, held: h,
                                           detail: c.explain(in: facts, recipients: recipients, held: h) ?? ""))
        }
        evaluations.append(Evaluation(rule: i, recipients: recipients, held: held, results: results))
        return held
    }
}

/// Text shown in explanations without giving it away: its first and last
/// character and its length (`"s…t" (6 chars)`); texts of one or two characters
/// show none of them.
public func redacted(_ text: some StringProtocol) -> String {
    let n = text.count
    let unit = n == 1 ? "char" : "chars"
    guard n >= 3, let f = text.first, let l = text.last else { return "\"…\" (\(n) \(unit))" }
    func shown(_ c: Character) -> String {
        c.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7f && $0 != "\"" }) ? String(c) : "?"
    }
    return "\"\(shown(f))…\(shown(l))\" (\(n) \(unit))"
}
