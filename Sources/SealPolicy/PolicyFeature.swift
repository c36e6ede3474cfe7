#if canImport(Glibc)
import Glibc
#endif

/// A top-level section of the policy that a feature module owns (`smime:`,
/// `connectors:`, `envelope:`, `rights:` ...), and what the feature keeps from it.
///
/// A feature module declares one type conforming to this protocol; the composition
/// roots register it (`registry.register(feature: SMIMESettings.self)`), the policy
/// reader reads its section with `load`, and the loaded value travels with the
/// settings (``PolicySettings/features``), so that every condition and action finds
/// it at run time: `message.settings.features[SMIMESettings.self]`. The value may be
/// a class holding the feature's shared run-time state (a store, a cache); it is
/// shared by every session of an engine, on any thread, so it must be thread-safe,
/// and it should open nothing expensive before first use (`sealctl check-config`
/// loads policies too).
public protocol PolicyFeature: Sendable {
    /// Its top-level key.
    static var key: String { get }
    /// Keys that belong inside the section (the hint when one is written at the top level).
    static var innerKeys: Set<String> { get }
    /// Reads the section's value; problems are reported through `context.reader`
    /// (file, line, column), and nil is returned.
    static func load(_ value: PolicyNode, _ context: FeatureLoadContext) -> Self?
    /// Checks that need the whole settings (a key named in `keys:`, the internal
    /// domains), after every section was read. Empty when all is well.
    func check(_ settings: PolicySettings) -> [PolicyError]
    /// What is wrong on this machine with the files it names (for `sealctl
    /// check-config` and the daemon's start), one error each.
    func fileProblems(owner: uid_t?) -> [PolicyError]
}

extension PolicyFeature {
    public static var innerKeys: Set<String> { [] }
    public func check(_ settings: PolicySettings) -> [PolicyError] { [] }
    public func fileProblems(owner: uid_t?) -> [PolicyError] { [] }
}

/// What a feature's loader gets besides its value.
public struct FeatureLoadContext {
    /// Reports problems with file, line and column.
    public let reader: PolicyReader
    /// The node of the section's key.
    public let keyNode: PolicyNode
    public init(reader: PolicyReader, keyNode: PolicyNode) { self.reader = reader; self.keyNode = keyNode }
}

/// The loaded feature sections of a policy, by type.
public struct PolicyFeatures: Sendable {
    private var byType: [ObjectIdentifier: any PolicyFeature] = [:]
    /// In the order they were read (file order).
    public private(set) var all: [any PolicyFeature] = []

    public init() {}

    /// The feature of `type`, when the policy has its section.
    public subscript<T: PolicyFeature>(_ type: T.Type) -> T? { byType[ObjectIdentifier(type)] as? T }

    public mutating func insert<T: PolicyFeature>(_ feature: T) {
        if byType.updateValue(feature, forKey: ObjectIdentifier(T.self)) == nil { all.append(feature) }
        else { all = all.map { type(of: $0) == T.self ? feature : $0 } }
    }

    /// A section for the settings reader that stores what `type` loads into `store`.
    public static func section<T: PolicyFeature>(_ type: T.Type, into store: @escaping (T) -> Void) -> PolicySection {
        PolicySection(key: T.key, innerKeys: T.innerKeys,
                      misplacedHint: "this goes under '\(T.key):'") { reader, keyNode, value in
            if let f = T.load(value, FeatureLoadContext(reader: reader, keyNode: keyNode)) { store(f) }
        }
    }
}
