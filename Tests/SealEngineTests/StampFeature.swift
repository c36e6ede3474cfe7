import SealEngine
import SealPolicy

/// A test-only feature section (`test_stamp_settings: {prefix: ...}`): a feature
/// module's top-level policy section is one type and one registration line.
struct StampFeature: PolicyFeature {
    static let key = "test_stamp_settings"
    static let innerKeys: Set<String> = ["prefix"]
    var prefix: String

    static func load(_ value: PolicyNode, _ c: FeatureLoadContext) -> Self? {
        guard let f = c.reader.fields(value, in: key, allowed: ["prefix"]) else { return nil }
        guard let pv = f["prefix"] else { c.reader.fail(value, "\(key): needs 'prefix'"); return nil }
        guard let p = c.reader.text(pv, "\(key).prefix") else { return nil }
        return Self(prefix: p)
    }

    func check(_ settings: PolicySettings) -> [PolicyError] {
        prefix == "bad" ? [PolicyError(file: settings.source, message: "\(Self.key).prefix: 'bad' is refused")] : []
    }
}

/// A test-only condition that reads the feature's section at run time: the
/// subject starts with the section's prefix.
struct StampPrefixCondition: Condition {
    static let key = "test_stamp_prefix"
    static func load(_ value: PolicyNode, _ what: String, _ reader: PolicyReader) -> [Self]? {
        guard reader.bool(value, what) == true else { return nil }
        return [Self()]
    }
    var stage: Stage { .headers }
    func holds(in message: MessageFacts, recipients: [String]) -> Bool {
        guard let prefix = message.settings.features[StampFeature.self]?.prefix else { return false }
        return message.headerValues("Subject").contains { $0.hasPrefix(prefix) }
    }
    func check(_ settings: PolicySettings) -> [String] {
        settings.features[StampFeature.self] == nil ? ["needs the '\(StampFeature.key):' section"] : []
    }
}
