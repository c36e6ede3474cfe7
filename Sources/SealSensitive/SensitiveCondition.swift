import SealEngine
import SealPattern
import SealPolicy

/// `sensitive:`: the decoded text of the message's text parts holds sensitive information
/// (credit card numbers, IBANs, US SSNs, EU VAT numbers, the policy's own types):
///
///     when:
///       sensitive: {type: credit_card, min_count: 3, confidence: high}
///     when:
///       sensitive:                      # a list: any of them
///         - {type: iban, min_count: 2}
///         - {type: employee_id, keywords: [staff], distance: 50}
///
/// `min_count` (default 1) distinct values at `confidence` or above (default: medium for
/// the built-in types, a custom type's own `confidence`), in
/// all text parts together. `keywords` replaces the type's supporting keywords, `distance`
/// their proximity (characters). The candidates are found by the engine's one scan of the
/// message's text (a ``TextScanCondition``: every detector and body condition of the
/// policy in one Hyperscan pass), then validated here.
public struct SensitiveCondition: TextScanCondition {
    public static let key = "sensitive"

    /// One type the condition asks for.
    public struct Entry: Sendable {
        public var type: String
        public var minCount: Int
        /// nil: the default (see ``level(_:_:)``).
        public var confidence: Confidence?
        public var keywords: [String]?
        public var distance: Int?
    }

    public var entries: [Entry]
    public var textScanSlot: TextScanSlot? = nil

    public init(entries: [Entry]) { self.entries = entries }

    public static func load(_ value: PolicyNode, _ what: String, _ reader: PolicyReader) -> [Self]? {
        let items: [PolicyNode]
        if case let .sequence(seq) = value { items = Array(seq) } else { items = [value] }
        if items.isEmpty { reader.fail(value, "\(what): the list is empty"); return nil }
        var entries: [Entry] = []
        var ok = true
        for item in items {
            if let e = entry(item, what, reader) { entries.append(e) } else { ok = false }
        }
        return ok ? [Self(entries: entries)] : nil
    }

    static func entry(_ node: PolicyNode, _ what: String, _ r: PolicyReader) -> Entry? {
        // The shorthand `sensitive: credit_card`.
        if let name = PolicyReader.scalarText(node) { return Entry(type: name, minCount: 1, confidence: nil) }
        guard let f = r.fields(node, in: what, allowed: ["type", "min_count", "confidence", "keywords", "distance"]) else { return nil }
        guard let tn = f["type"] else {
            if !f.rejected { r.fail(node, "\(what): needs 'type' (\(SensitiveDetector.builtinNames.joined(separator: ", ")) or a name from sensitive_types)") }
            return nil
        }
        guard let type = r.text(tn, "\(what).type") else { return nil }
        var e = Entry(type: type, minCount: 1, confidence: nil)
        if let n = f["min_count"] {
            guard let c = r.integer(n, "\(what).min_count", min: 1) else { return nil }
            if c > TextScan.maxMatchesPerSlot { r.fail(n, "\(what).min_count: at most \(TextScan.maxMatchesPerSlot)"); return nil }
            e.minCount = c
        }
        if let n = f["confidence"] { guard let c = SensitiveTypes.readConfidence(n, "\(what).confidence", r) else { return nil }; e.confidence = c }
        if let n = f["keywords"] { guard let k = r.strings(n, "\(what).keywords") else { return nil }; e.keywords = k.map(\.0) }
        if let n = f["distance"] { guard let d = SensitiveTypes.readDistance(n, "\(what).distance", r) else { return nil }; e.distance = d }
        return f.rejected ? nil : e
    }

    public var stage: Stage { .body }
    public var readsText: Bool { true }

    public func check(_ settings: PolicySettings) -> [String] {
        let custom = settings.features[SensitiveTypes.self]?.types ?? [:]
        return entries.compactMap { e in
            if SensitiveDetector.builtinNames.contains(e.type) || custom[e.type] != nil { return nil }
            let known = SensitiveDetector.builtinNames + custom.keys.sorted()
            let near = PolicyReader.closest(to: e.type, in: known).map { " (did you mean '\($0)'?)" } ?? ""
            return "unknown type '\(e.type)'\(near); built-in types are \(SensitiveDetector.builtinNames.joined(separator: ", ")), others are defined under sensitive_types:"
        }
    }

    /// The detectors of the entries, with the policy's custom types and the entries'
    /// keyword and distance overrides.
    public func scanner(_ settings: PolicySettings) -> SensitiveScanner {
        let custom = settings.features[SensitiveTypes.self]?.types ?? [:]
        return SensitiveScanner(detectors: entries.map { e in
            // check() refused unknown types at load; an unknown one here finds nothing.
            var d = SensitiveDetector.builtin(e.type) ?? custom[e.type]
                ?? SensitiveDetector(name: e.type, kind: .custom(pattern: "", caseless: false), keywords: [])
            if let k = e.keywords { d.keywords = k }
            if let n = e.distance { d.distance = n }
            return d
        })
    }

    public func textExpressions(_ settings: PolicySettings) -> [PatternExpression] {
        scanner(settings).expressions
    }

    /// Every finding of the entries' types in the message's text, per entry (each value
    /// once per place). With `levels` (per entry), only those at the entry's level or above,
    /// keywords looked for only where they decide it; without, all of them, rated.
    public func findings(in message: MessageFacts, levels: [Confidence]? = nil) -> [[SensitiveFinding]] {
        var out: [[SensitiveFinding]] = Array(repeating: [], count: entries.count)
        if let slot = textScanSlot {
            let parts = message.textScanParts(slot)
            // Most messages have no candidate at all: nothing to lay out or validate.
            guard parts.contains(where: { !$0.matches.isEmpty }) else { return out }
            let s = scanner(message.settings)
            // Candidates validated by another sensitive condition of this message are not
            // validated again (a policy's rules ask for the same types many times).
            let known = message.state { SensitiveCandidates() }
            for (p, part) in parts.enumerated() where !part.matches.isEmpty {
                withUTF8(part.text) { bytes in
                    let keys = s.detectors.map { SensitiveCandidates.Key(kind: $0.kind, base: $0.baseConfidence, part: p) }
                    var found = keys.map { known.byKey[$0] }
                    let wanted = found.map { $0 == nil }
                    if wanted.contains(true) {
                        let fresh = s.candidates(in: bytes, matches: part.matches, wanted: wanted)
                        for d in found.indices where wanted[d] {
                            found[d] = fresh[d]
                            known.byKey[keys[d]] = fresh[d]
                        }
                    }
                    let rated = s.rate(found.map { $0 ?? [] }, in: bytes.bindMemory(to: UInt8.self), scratch: message.scratch, levels: levels)
                    for (i, f) in rated.enumerated() { out[i] += f }
                }
            }
            return out
        }
        // Alone (the engine's shared database did not compile): compile these detectors.
        let s = scanner(message.settings)
        guard let db = try? s.compile() else { return out }
        for text in message.textParts() {
            withUTF8(text) { bytes in
                for (i, f) in s.scan(bytes, database: db, scratch: message.scratch, levels: levels).enumerated() { out[i] += f }
            }
        }
        return out
    }

    /// The confidence an entry asks for: its own, or medium for a built-in type and the
    /// type's own base level for a custom one (so `sensitive: employee_id` counts its matches).
    func level(_ e: Entry, _ settings: PolicySettings) -> Confidence {
        if let c = e.confidence { return c }
        return settings.features[SensitiveTypes.self]?.types[e.type]?.baseConfidence ?? .medium
    }

    /// The distinct values of entry `e`'s type at its level or above.
    func qualifying(_ findings: [SensitiveFinding], _ e: Entry, _ settings: PolicySettings) -> Set<[UInt8]> {
        let l = level(e, settings)
        return Set(findings.filter { $0.confidence >= l }.map(\.value))
    }

    public func holds(in message: MessageFacts, recipients: [String]) -> Bool {
        let all = findings(in: message, levels: entries.map { level($0, message.settings) })
        return entries.indices.contains { qualifying(all[$0], entries[$0], message.settings).count >= entries[$0].minCount }
    }

    /// Why the condition holds or not, matches redacted (`credit_card: 3 of at least 3 at
    /// high: ************1111 (Visa), ...`): for logs and `sealctl` explanations.
    public func explain(in message: MessageFacts, recipients: [String], held: Bool) -> String? {
        explain(in: message)
    }

    public func explain(in message: MessageFacts) -> String {
        let all = findings(in: message)
        return entries.indices.map { i in
            let e = entries[i]
            let l = level(e, message.settings)
            let q = all[i].filter { $0.confidence >= l }
            var seen = Set<[UInt8]>()
            let shown = q.filter { seen.insert($0.value).inserted }
            let list = shown.prefix(5).map { $0.redacted + ($0.detail.map { " (\($0))" } ?? "") }.joined(separator: ", ")
            return "\(e.type): \(shown.count) of at least \(e.minCount) at \(l)"
                + (list.isEmpty ? "" : ": " + list) + (shown.count > 5 ? ", ..." : "")
                + (all[i].count > q.count ? " (\(all[i].count - q.count) more below \(l))" : "")
        }.joined(separator: "; ")
    }
}

/// Per message: the validated candidates of each kind of detector in each text part,
/// shared by every `sensitive:` condition of the policy (validation depends on the type,
/// not on a condition's keywords, distance or level).
final class SensitiveCandidates {
    struct Key: Hashable {
        var kind: SensitiveKind
        var base: Confidence
        var part: Int
    }
    var byKey: [Key: [SensitiveScanner.Candidate]] = [:]
}
