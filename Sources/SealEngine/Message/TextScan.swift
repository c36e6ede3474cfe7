import SealPattern
import SealPolicy

/// A condition that has its expressions found by the engine's one scan of each message's
/// decoded text, and judges their offsets itself (a validator, keyword proximity, counts):
/// the extension point for text detectors in feature modules (sensitive information).
///
/// The engine compiles the expressions of every such condition of a policy, together with
/// the `body` conditions' ones, into ONE Hyperscan database (``TextScan``): each text part is
/// scanned once per message for all of them. A condition gets its matches back by its
/// ``textScanSlot`` (``MessageFacts/textScanParts(_:)``), with its own ids. When the engine
/// could not compile the shared database (resource limits only: each condition's expressions
/// compiled alone at load) the slot stays nil, and the condition scans on its own.
public protocol TextScanCondition: Condition {
    /// The expressions it wants found, ids local to it (`0..<n`); the engine renumbers them.
    /// Those whose start offset the condition needs carry ``PatternFlags/somLeftmost``.
    func textExpressions(_ settings: PolicySettings) -> [PatternExpression]
    /// Where its matches are in the message's scan; set by the engine.
    var textScanSlot: TextScanSlot? { get set }
}

/// A condition's place in the engine's shared text scan.
public struct TextScanSlot: Sendable, Hashable {
    /// The condition's index among the contributors.
    public let index: Int
}

/// An expression's identity for sharing it between conditions.
struct PatternKey: Hashable {
    var pattern: String
    var flags: UInt32
}

/// One text part, as the text conditions read it, with the matches of one condition in it
/// (ids local to the condition, in order of end offset; offsets are UTF-8 byte offsets).
public struct TextScanPart: Sendable {
    public let text: String
    public let matches: [PatternMatch]
    /// More matches than ``TextScan/maxMatchesPerSlot`` were found in the message: the rest
    /// were dropped (a condition that counts has then seen at least that many).
    public let truncated: Bool
}

/// The shared text scan of a policy: the body conditions' expressions (ids `0..<bodyCount`,
/// as in ``TextMatcherSet``) and every ``TextScanCondition``'s, in one block-mode database.
/// Built by ``Engine``; immutable and shared by its sessions.
public final class TextScan: Sendable {
    /// Matches kept per condition and message, at most (hostile text full of candidates).
    public static let maxMatchesPerSlot = 65_536
    let database: PatternDatabase
    /// The body matchers in the database (0: body conditions are not part of it).
    let bodyCount: Int
    let slots: [TextScanSlot]
    /// For each shared id (minus `bodyCount`): the slots and their local ids it reports to.
    let targets: [[(slot: Int32, local: UInt32)]]

    init(database: PatternDatabase, bodyCount: Int, slots: [TextScanSlot], targets: [[(slot: Int32, local: UInt32)]]) {
        self.database = database; self.bodyCount = bodyCount; self.slots = slots; self.targets = targets
    }

    /// Gives every ``TextScanCondition`` of `policy` its slot and compiles the shared
    /// database with `bodyMatchers` (their ids are their indices). Returns nil, with the
    /// slots cleared, when the policy has no such condition or the database does not compile.
    static func assign(_ policy: inout Policy, bodyMatchers: [TextMatcher]) -> TextScan? {
        var exprs: [PatternExpression] = []
        for (i, m) in bodyMatchers.enumerated() { exprs += m.expressions(id: UInt32(i)) }
        // Conditions' expressions, the same expression compiled once (many rules asking
        // for card numbers share one candidate pattern): id → the (slot, local id)s it serves.
        var shared: [PatternKey: UInt32] = [:]
        var targets: [[(slot: Int32, local: UInt32)]] = []
        var slots: [TextScanSlot] = []
        let settings = policy.settings
        func slotted(_ conditions: [any Condition], _ assign: Bool) -> [any Condition] {
            conditions.map { c in
                guard var t = c as? any TextScanCondition else { return c }
                if assign {
                    let own = t.textExpressions(settings)
                    let slot = TextScanSlot(index: slots.count)
                    for e in own {
                        let key = PatternKey(pattern: e.pattern, flags: e.flags.rawValue)
                        let k: UInt32
                        if let existing = shared[key] { k = existing } else {
                            k = UInt32(targets.count)
                            shared[key] = k
                            targets.append([])
                            exprs.append(PatternExpression(e.pattern, id: UInt32(bodyMatchers.count) + k, flags: e.flags))
                        }
                        targets[Int(k)].append((Int32(slot.index), e.id))
                    }
                    slots.append(slot)
                    t.textScanSlot = slot
                } else {
                    t.textScanSlot = nil
                }
                return t
            }
        }
        func all(_ assign: Bool) {
            for i in policy.rules.indices {
                policy.rules[i].conditions = slotted(policy.rules[i].conditions, assign)
                policy.rules[i].exceptions = slotted(policy.rules[i].exceptions, assign)
            }
        }
        all(true)
        if slots.isEmpty { return nil }
        do {
            let db = try PatternDatabase(exprs, mode: .block)
            return TextScan(database: db, bodyCount: bodyMatchers.count, slots: slots, targets: targets)
        } catch {
            all(false)
            return nil
        }
    }

    /// What one message's scan found: the body matchers that matched, and each slot's matches
    /// per text part.
    struct Result {
        var body = MatchSet()
        /// [slot][part] → matches (local ids).
        var matches: [[[PatternMatch]]]
        var truncated: [Bool]
    }

    /// Scans each text part once for every expression of the policy.
    func scan(_ parts: [String], budget: CPUBudget, scratch: Scratch?) -> Result {
        var r = Result(body: MatchSet(capacity: bodyCount),
                       matches: Array(repeating: Array(repeating: [], count: parts.count), count: slots.count),
                       truncated: Array(repeating: false, count: slots.count))
        var kept = Array(repeating: 0, count: slots.count)
        let bodyLimit = UInt32(bodyCount)
        for (p, text) in parts.enumerated() {
            if budget.spent { break }
            withUTF8(text) { bytes in
                database.scanMatches(bytes, scratch: scratch) { m in
                    if m.id < bodyLimit { r.body.insert(Int(m.id)); return true }
                    let k = Int(m.id) - bodyCount
                    guard k < targets.count else { return true }
                    for (s32, local) in targets[k] {
                        let s = Int(s32)
                        if kept[s] >= TextScan.maxMatchesPerSlot { r.truncated[s] = true; continue }
                        kept[s] += 1
                        r.matches[s][p].append(PatternMatch(id: local, from: m.from, to: m.to))
                    }
                    return true
                }
            }
        }
        return r
    }
}

extension MessageFacts {
    /// The message's shared text scan, run once (nil: the engine has none).
    func textScanResult() -> TextScan.Result? {
        guard let textScan else { return nil }
        if let textScanCache { return textScanCache }
        let r = textScan.scan(textParts(), budget: budget, scratch: scratch)
        textScanCache = r
        return r
    }

    /// The text parts with the matches of the condition in `slot`, from the one scan of the
    /// message's text that serves every text condition of the policy (run on first use, after
    /// the whole body has been seen).
    public func textScanParts(_ slot: TextScanSlot) -> [TextScanPart] {
        guard let r = textScanResult() else { return [] }
        let texts = textParts()
        return texts.indices.map { p in
            TextScanPart(text: texts[p], matches: p < r.matches[slot.index].count ? r.matches[slot.index][p] : [],
                         truncated: r.truncated[slot.index])
        }
    }
}
