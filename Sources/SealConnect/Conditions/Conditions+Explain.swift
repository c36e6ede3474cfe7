import SealEngine

// What `sealctl test` says about each connection condition: the facts it judged
// (TLS parameters and client addresses are not secret; certificate names are the
// verified client certificate's common names as the MTA passed them).

private func tlsText(_ t: TLSFacts) -> String {
    guard t.encrypted else { return "no TLS" }
    var parts = [t.version ?? "?"]
    if let c = t.cipher { parts.append(c) }
    if let b = t.cipherBits { parts.append("\(b) bits") }
    return parts.joined(separator: ", ")
}

extension TLSVersionCondition {
    public func explain(in message: MessageFacts, recipients: [String], held: Bool) -> String? {
        "TLS: " + tlsText(TLSFacts(macros: message.macros))
    }
}

extension CipherCondition {
    public func explain(in message: MessageFacts, recipients: [String], held: Bool) -> String? {
        let t = TLSFacts(macros: message.macros)
        return "TLS: " + tlsText(t) + (t.encrypted ? (t.forwardSecrecy ? ", forward secrecy" : ", no forward secrecy") : "")
    }
}

extension TLSCertNameCondition {
    public func explain(in message: MessageFacts, recipients: [String], held: Bool) -> String? {
        Name.read(TLSFacts(macros: message.macros)).map { "client certificate \(Name.noun) '\($0)'" } ?? "no verified client certificate"
    }
}

extension ClientNetworkCondition {
    public func explain(in message: MessageFacts, recipients: [String], held: Bool) -> String? {
        message.macros["client_addr"].flatMap { $0.isEmpty ? nil : "client address \($0)" } ?? "no client address"
    }
}

extension ConnectorCondition {
    public func explain(in message: MessageFacts, recipients: [String], held: Bool) -> String? {
        guard let s = message.settings.features[ConnectorSettings.self] else { return "no connectors section" }
        var names = s.inbound(sender: message.sender, client: message.macros["client_addr"]).map { "in:\($0.name)" }
        for r in recipients { names += s.outbound(recipient: r).map { "out:\($0.name)" } }
        return names.isEmpty ? "no connector applies" : "connectors " + Array(Set(names)).sorted().joined(separator: ", ")
    }
}

extension RecipientForcedTLSCondition {
    public func explain(in message: MessageFacts, recipients: [String], held: Bool) -> String? {
        let s = message.settings.features[ConnectorSettings.self]
        let outside = recipients.filter { r in Connector.domain(of: r).map { !message.settings.isInternal(domain: $0) } ?? false }
        let forced = outside.filter { r in s?.outbound(recipient: r).contains(where: \.forcesTLSOutbound) ?? false }
        return "outside recipients with a forced-TLS connector: \(forced.count) of \(outside.count)"
    }
}
