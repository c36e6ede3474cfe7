import SealPattern
import SealPolicy

/// The policy's own sensitive information types, the top-level `sensitive_types:` section:
///
///     sensitive_types:
///       employee_id:
///         pattern: 'EMP-[0-9]{6}'        # Hyperscan syntax (linear time), UTF-8
///         keywords: [employee, personnel] # optional supporting keywords
///         distance: 100                   # optional, characters (default 300)
///         confidence: low                 # a match alone (default low); with a keyword one level up
///         ignore_case: false
///
/// A `sensitive:` condition names a type by its key. Custom types have no validator: every
/// match of the pattern is a candidate.
public struct SensitiveTypes: PolicyFeature {
    public static let key = "sensitive_types"
    public let types: [String: SensitiveDetector]

    public init(types: [String: SensitiveDetector]) { self.types = types }

    public static func load(_ value: PolicyNode, _ context: FeatureLoadContext) -> SensitiveTypes? {
        let r = context.reader
        guard case let .mapping(map) = value else {
            r.fail(value, "sensitive_types: expected a mapping of type names to definitions, found \(PolicyReader.describe(value))")
            return nil
        }
        var types: [String: SensitiveDetector] = [:]
        var ok = true
        for (k, v) in map {
            guard let name = PolicyReader.scalarText(k) else { r.fail(k, "sensitive_types: type names must be plain names"); ok = false; continue }
            let what = "sensitive_types.\(name)"
            if SensitiveDetector.builtinNames.contains(name) {
                r.fail(k, "\(what): '\(name)' is a built-in type; choose another name"); ok = false; continue
            }
            if name.isEmpty || !name.utf8.allSatisfy({ ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 }) {
                r.fail(k, "\(what): a type name is lowercase letters, digits and '_'"); ok = false; continue
            }
            if types[name] != nil { r.fail(k, "\(what): defined twice"); ok = false; continue }
            guard let d = loadType(v, what, name, r) else { ok = false; continue }
            types[name] = d
        }
        return ok ? SensitiveTypes(types: types) : nil
    }

    static func loadType(_ node: PolicyNode, _ what: String, _ name: String, _ r: PolicyReader) -> SensitiveDetector? {
        guard let f = r.fields(node, in: what, allowed: ["pattern", "keywords", "distance", "confidence", "ignore_case"]) else { return nil }
        guard let pn = f["pattern"] else {
            if !f.rejected { r.fail(node, "\(what): needs 'pattern' (a regular expression)") }
            return nil
        }
        guard let pattern = r.string(pn, "\(what).pattern") else { return nil }
        var caseless = false
        if let n = f["ignore_case"] { guard let b = r.bool(n, "\(what).ignore_case") else { return nil }; caseless = b }
        var keywords: [String] = []
        if let n = f["keywords"] { guard let k = r.strings(n, "\(what).keywords") else { return nil }; keywords = k.map(\.0) }
        var distance = SensitiveDetector.defaultDistance
        if let n = f["distance"] { guard let d = readDistance(n, "\(what).distance", r) else { return nil }; distance = d }
        var confidence = Confidence.low
        if let n = f["confidence"] { guard let c = readConfidence(n, "\(what).confidence", r) else { return nil }; confidence = c }
        let d = SensitiveDetector(name: name, kind: .custom(pattern: pattern, caseless: caseless),
                                  keywords: keywords, distance: distance, baseConfidence: confidence)
        // The pattern must compile as the scan compiles it (with its start reported).
        let w = PatternExpression.repetitionWeight(pattern)
        if w > TextMatcher.maxRepetitionWeight {
            r.fail(pn, "\(what).pattern: its counted repetitions ({n,m}) add up to \(w), more than \(TextMatcher.maxRepetitionWeight); use *, + or smaller counts")
            return nil
        }
        do { _ = try SensitiveScanner(detectors: [d]).compile() } catch {
            r.fail(pn, "\(what).pattern: does not compile: \(error.message)")
            return nil
        }
        return d
    }

    static func readDistance(_ n: PolicyNode, _ what: String, _ r: PolicyReader) -> Int? {
        guard let d = r.integer(n, what, min: 1) else { return nil }
        if d > 10_000 { r.fail(n, "\(what): at most 10000 characters"); return nil }
        return d
    }

    static func readConfidence(_ n: PolicyNode, _ what: String, _ r: PolicyReader) -> Confidence? {
        guard let s = r.string(n, what) else { return nil }
        guard let c = Confidence(name: s) else {
            r.fail(n, "\(what): expected low, medium or high, found \"\(s)\""); return nil
        }
        return c
    }
}
