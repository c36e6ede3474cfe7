import SealPolicy
import SealEngine

/// `connector: NAME` (or a list, or `any`, or `none`): the message came in through
/// one of the named connectors (client network or sender domain) or goes to one
/// (a recipient's domain); `any`: through some connector either way; `none`: through
/// none. Needs the `connectors:` section.
public struct ConnectorCondition: Condition {
    public static let key = "connector"
    public enum Selection: Sendable, Equatable { case names([String]), any, none }
    public var selection: Selection

    public static func load(_ value: PolicyNode, _ what: String, _ reader: PolicyReader) -> [Self]? {
        guard let list = reader.strings(value, what) else { return nil }
        let names = list.map(\.0)
        if names.count == 1, names[0] == "any" { return [Self(selection: .any)] }
        if names.count == 1, names[0] == "none" { return [Self(selection: .none)] }
        if let bad = list.first(where: { $0.0 == "any" || $0.0 == "none" }) {
            reader.fail(bad.1, "\(what): '\(bad.0)' stands alone, not in a list of connector names")
            return nil
        }
        return [Self(selection: .names(names))]
    }

    public var stage: Stage { .rcpt }
    public var needs: Needs { [.connect, .mail, .rcpt, .clientMacros] }

    public func holds(in message: MessageFacts, recipients: [String]) -> Bool {
        guard let s = message.settings.features[ConnectorSettings.self] else { return selection == .none }
        var through: [Connector] = s.inbound(sender: message.sender, client: message.macros["client_addr"])
        for r in recipients { through += s.outbound(recipient: r) }
        switch selection {
        case .any: return !through.isEmpty
        case .none: return through.isEmpty
        case .names(let names): return through.contains { names.contains($0.name) }
        }
    }

    public func check(_ settings: PolicySettings) -> [String] {
        guard let s = settings.features[ConnectorSettings.self] else {
            return ["connector: needs the 'connectors:' section"]
        }
        guard case .names(let names) = selection else { return [] }
        return names.filter { s[name: $0] == nil }.map {
            "connector: no connector named '\($0)' (connectors: \(s.connectors.map(\.name).joined(separator: ", ")))"
        }
    }
}
