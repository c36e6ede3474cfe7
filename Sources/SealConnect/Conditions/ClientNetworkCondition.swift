import SealPolicy
import SealEngine

/// `client_network: CIDR` (or a list; IPv4 or IPv6, `192.0.2.0/24`, `2001:db8::/32`,
/// or one address): the SMTP client's address (`{client_addr}`) is in one of them.
public struct ClientNetworkCondition: Condition {
    public static let key = "client_network"
    public var networks: [IPNetwork]

    public static func load(_ value: PolicyNode, _ what: String, _ reader: PolicyReader) -> [Self]? {
        guard let list = reader.strings(value, what) else { return nil }
        var nets: [IPNetwork] = []
        var ok = true
        for (s, n) in list {
            do { nets.append(try IPNetwork(parsing: s)) } catch { reader.fail(n, "\(what): \(error)"); ok = false }
        }
        return ok ? [Self(networks: nets)] : nil
    }

    public var stage: Stage { .mail }
    /// CONNECT: the client's address is asked for there, so it is known by MAIL.
    public var needs: Needs { [.connect, .mail, .clientMacros] }

    public func holds(in message: MessageFacts, recipients: [String]) -> Bool {
        guard let a = message.macros["client_addr"], !a.isEmpty else { return false }
        return networks.contains { $0.contains(a) }
    }
}
