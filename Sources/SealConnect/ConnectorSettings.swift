import SealPolicy
import SealEngine

/// The `connectors:` section: the partner connectors of the policy. Inbound, it is
/// a ``ConnectionGate``: a message from a partner (by client network, or by the
/// envelope sender's domain) whose connection fails the partner's TLS requirements
/// is refused at MAIL FROM, before any content is sent. Outbound, it is the source
/// of `sealctl postfix tls-policy`. Conditions read it (`connector`,
/// `recipient_forced_tls`).
public struct ConnectorSettings: ConnectionGate {
    public static let key = "connectors"
    public static let innerKeys: Set<String> = Set(ConnectorSettings.connectorKeys)
        .subtracting(["name", "direction", "domains", "reply"])

    /// The keys of one connector.
    static let connectorKeys = ["name", "domains", "networks", "direction", "require_tls", "min_tls_version",
                                "certificate_names", "certificate_issuers", "min_cipher_bits", "forward_secrecy",
                                "outbound", "on_violation", "reply"]

    public var connectors: [Connector]
    /// The line of the section's key.
    public var line: Int
    /// The policy file.
    public var file: String

    public init(connectors: [Connector], line: Int = 0, file: String = "<policy>") {
        self.connectors = connectors; self.line = line; self.file = file
    }

    /// The connector named `name`.
    public subscript(name name: String) -> Connector? { connectors.first { $0.name == name } }

    /// The connectors a message from this client and sender comes in through.
    public func inbound(sender: String, client: String?) -> [Connector] {
        connectors.filter { $0.isInbound(sender: sender, client: client) }
    }

    /// The connectors mail to `recipient` leaves through.
    public func outbound(recipient: String) -> [Connector] {
        connectors.filter { $0.isOutbound(recipient: recipient) }
    }

    // MARK: ConnectionGate

    /// With an inbound connector: the connect and HELO stages (so that the client
    /// address and the TLS macros have come by MAIL), MAIL, and the two macro groups.
    public var gateNeeds: Needs {
        connectors.contains(where: \.appliesInbound) ? [.connect, .helo, .mail, .clientMacros, .tlsMacros] : []
    }

    public func refusal(_ facts: GateFacts) -> GateRefusal? {
        let matching = inbound(sender: facts.sender, client: facts.clientAddress)
        guard !matching.isEmpty else { return nil }
        let tls = TLSFacts(macros: facts.macros)
        for c in matching {
            guard let v = c.violation(tls) else { continue }
            var reply = c.reply
            if !c.replyTextGiven || reply.text.isEmpty { reply.text = v.text }
            var log = "connector=\(logSafe(c.name)) violated=\(v.requirement.rawValue) \(v.detail)"
            if let n = facts.clientName, !n.isEmpty { log += " client_name=\(logSafe(n))" }
            return GateRefusal(decision: c.onViolation, reply: reply, log: log)
        }
        return nil
    }

    // MARK: Whole-policy checks

    public func check(_ settings: PolicySettings) -> [PolicyError] {
        var errors: [PolicyError] = []
        for c in connectors {
            for d in c.domains {
                let bare = d.hasPrefix(".") ? String(d.dropFirst()) : d
                if settings.isInternal(domain: bare) {
                    errors.append(PolicyError(file: file, line: c.line, message:
                        "connectors: '\(c.name)': domain '\(d)' is one of internal_domains; a partner connector names outside domains"))
                }
            }
        }
        return errors
    }
}
