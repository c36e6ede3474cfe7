import SealPolicy

/// A feature section that refuses a message on the facts of its connection and
/// envelope before any content is sent (the `connectors:` section refuses a
/// partner that does not meet its TLS requirements at MAIL FROM).
///
/// The engine asks every loaded feature that conforms (in policy order) at MAIL,
/// before any rule runs; the first refusal ends the message with its reply, and its
/// log text joins the decision's log line. The engine knows no feature: the hook is
/// this protocol, found in ``PolicySettings/features``.
public protocol ConnectionGate: PolicyFeature {
    /// The stages and MTA facts the gate needs (they make the MTA pass the macros
    /// by MAIL: connect and HELO stages, their macro groups).
    var gateNeeds: Needs { get }
    /// The refusal for a message with these facts, or nil to let it go on.
    func refusal(_ facts: GateFacts) -> GateRefusal?
}

/// What a ``ConnectionGate`` judges: the envelope sender and the connection's facts.
public struct GateFacts: Sendable {
    /// The envelope sender without angle brackets ("" for the null sender).
    public var sender: String
    /// The client's address from the connect stage, or `{client_addr}`.
    public var clientAddress: String?
    /// The client's host name from the connect stage (`[addr]` when unknown to the MTA).
    public var clientName: String?
    /// The MTA macros received so far (names without braces).
    public var macros: [String: String]

    public init(sender: String, clientAddress: String?, clientName: String?, macros: [String: String]) {
        self.sender = sender; self.clientAddress = clientAddress; self.clientName = clientName; self.macros = macros
    }
}

/// A gate's refusal: reject or tempfail, the reply, and what the log line says.
public struct GateRefusal: Sendable, Equatable {
    /// `.reject` or `.tempfail`.
    public var decision: Decision
    public var reply: SMTPReply
    /// Log words (`connector=NAME violated=WHAT ...`), already safe for one log line.
    public var log: String

    public init(decision: Decision, reply: SMTPReply, log: String) {
        self.decision = decision; self.reply = reply; self.log = log
    }
}

extension Engine {
    /// The loaded feature sections that are gates, in policy order.
    var gates: [any ConnectionGate] { policy.settings.features.all.compactMap { $0 as? any ConnectionGate } }
}

extension Session {
    /// Asks the policy's gates about the message just started at MAIL; records and
    /// returns the refusal's decision, or nil. With a submission path, a loopback
    /// client's refusal waits for the end of the header section: a version or notice
    /// the filter submitted itself (its marker verifies there) passes untouched,
    /// whatever its sender.
    func gateDecision(_ m: Message) -> Decision? {
        let gates = engine.gates
        guard !gates.isEmpty else { return nil }
        let client = clientAddress ?? macros["client_addr"]
        let facts = GateFacts(sender: m.facts.sender, clientAddress: client,
                              clientName: clientHostname ?? macros["client_name"], macros: macros)
        for g in gates {
            guard let r = g.refusal(facts) else { continue }
            if engine.submission != nil, let client, Self.isLoopback(client) {
                pendingGate = r
                return nil
            }
            return refuse(m, r)
        }
        return nil
    }

    /// The held refusal of a loopback client's message whose marker did not verify.
    func pendingGateDecision(_ m: Message) -> Decision? {
        guard let r = pendingGate else { return nil }
        pendingGate = nil
        return refuse(m, r)
    }

    private func refuse(_ m: Message, _ r: GateRefusal) -> Decision {
        gateLog = r.log
        return m.outcome.decide(r.decision, name: r.decision == .reject ? "reject" : "tempfail", reply: r.reply)
    }
}
