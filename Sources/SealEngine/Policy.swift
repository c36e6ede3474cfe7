import SealPolicy
#if canImport(Glibc)
import Glibc
#endif

/// A loaded, validated policy: the global settings and the ordered rules, whose
/// conditions and actions come from a ``Registry``.
public struct Policy: Sendable {
    public var settings: PolicySettings
    public var rules: [Rule]
    /// The message openers its settings turn on (``MessageOpener``), in registration order.
    public var openers: [any MessageOpener.Type] = []

    public init(settings: PolicySettings = PolicySettings(), rules: [Rule] = [], openers: [any MessageOpener.Type] = []) {
        self.settings = settings; self.rules = rules; self.openers = openers
    }

    public var internalDomains: [DomainPattern] { settings.internalDomains }
    public var flagUnscannable: Bool { settings.flagUnscannable }
    public var limits: Limits { settings.limits }
    public var spool: SpoolSettings { settings.spool }
    public var milter: MilterSettings { settings.milter }
    public var evaluation: EvaluationSettings { settings.evaluation }
    public var keys: [KeyFile] { settings.keys }
    public var source: String { settings.source }

    /// The stages at which some rule of the policy is evaluated.
    public var stages: Set<Stage> { Set(rules.map(\.stage)) }

    public func direction(sender: String, recipient: String) -> Direction? {
        settings.direction(sender: sender, recipient: recipient)
    }

    /// What is wrong with the key files on this machine (see ``PolicySettings/keyFileProblems(owner:)``).
    public func keyFileProblems(owner: uid_t? = nil) -> [PolicyError] { settings.keyFileProblems(owner: owner) }

    /// What is wrong on this machine with the files the policy names (key files,
    /// the spool directory), one error each, in policy order; empty when all is well.
    public func fileProblems(owner: uid_t? = nil) -> [PolicyError] {
        settings.keyFileProblems(owner: owner) + settings.spoolProblems(owner: owner)
            + settings.features.all.flatMap { $0.fileProblems(owner: owner) }
    }
}

extension Policy {
    /// Loads and validates a policy file.
    public static func load(path: String, registry: Registry = .builtin) throws(PolicyError) -> Policy {
        let text = try PolicyReader.readFile(path: path)
        return try parse(yaml: text, file: path, registry: registry)
    }

    /// Parses and validates policy text. `file` names it in errors.
    /// Throws the first error in file order; ``diagnose(yaml:file:registry:)`` lists them all.
    public static func parse(yaml: String, file: String = "<policy>", registry: Registry = .builtin) throws(PolicyError) -> Policy {
        let (policy, errors) = read(yaml: yaml, file: file, registry: registry)
        if let first = errors.first { throw first }
        guard let policy else { throw PolicyError(file: file, message: "the policy could not be read") }
        return policy
    }

    /// Every problem of the policy text, in file order (empty when it is valid).
    /// For `sealctl check-config`, which reports them all like a compiler.
    public static func diagnose(yaml: String, file: String = "<policy>", registry: Registry = .builtin) -> [PolicyError] {
        read(yaml: yaml, file: file, registry: registry).1
    }

    /// Every problem of the policy file, in file order (empty when it is valid).
    public static func diagnose(path: String, registry: Registry = .builtin) -> [PolicyError] {
        do {
            return diagnose(yaml: try PolicyReader.readFile(path: path), file: path, registry: registry)
        } catch {
            return [error]
        }
    }

    static func read(yaml: String, file: String, registry: Registry) -> (Policy?, [PolicyError]) {
        var rules: [Rule] = []
        let section = RuleLoader.section(registry) { rules = $0 }
        let loaded = FeatureBox()
        let featureSections = registry.featureTypes.map { loaded.section($0) }
        let (read, errors) = PolicyReader.read(yaml: yaml, file: file, sections: [section] + featureSections)
        guard var settings = read, errors.isEmpty else { return (nil, errors) }
        settings.features = loaded.features
        // Checks that need the whole policy: each feature's, then each action's and
        // condition's against the settings (an identity or key the section must name).
        var late: [PolicyError] = []
        for f in settings.features.all { late += f.check(settings) }
        for r in rules {
            for a in r.actions { late += a.check(settings).map { PolicyError(file: file, line: r.line, column: nil, message: "rule '\(r.name)': \(a.key): " + $0) } }
            for c in r.conditions + r.exceptions {
                late += c.check(settings).map { PolicyError(file: file, line: r.line, column: nil, message: "rule '\(r.name)': \(type(of: c).key): " + $0) }
            }
        }
        if !late.isEmpty { return (nil, late) }
        // Versions and notices go out through the submission path.
        if settings.submission == nil {
            var missing: [PolicyError] = []
            for r in rules where r.forEachRecipient || r.sendsMessages {
                let what = r.forEachRecipient ? "for_each_recipient" : (r.actions.first { $0.sendsMessages }?.key ?? "notify")
                missing.append(PolicyError(file: file, line: r.line, column: nil,
                    message: "rule '\(r.name)': \(what) needs the 'submission:' section (how the filter hands messages to the MTA: method, host/port or sendmail, marker_key)"))
            }
            if !missing.isEmpty { return (nil, missing) }
        }
        return (Policy(settings: settings, rules: rules, openers: registry.openerTypes.filter { $0.isActive(settings) }), [])
    }
}

/// Collects the feature sections as the reader reads them.
private final class FeatureBox {
    var features = PolicyFeatures()
    func section<T: PolicyFeature>(_ type: T.Type) -> PolicySection {
        PolicyFeatures.section(type) { self.features.insert($0) }
    }
}
