import SealPolicy

/// `direction: inbound | outbound | internal` (or a list): holds when the message
/// goes that way to any recipient, judged by `internal_domains`.
public struct DirectionCondition: Condition {
    public static let key = "direction"
    public var directions: Set<Direction>

    public static func load(_ value: PolicyNode, _ what: String, _ reader: PolicyReader) -> [Self]? {
        reader.directions(value, what).map { [Self(directions: $0)] }
    }

    public var stage: Stage { .rcpt }
    public var needs: Needs { [.mail, .rcpt] }

    public func holds(in message: MessageFacts, recipients: [String]) -> Bool {
        recipients.contains { r in message.direction(of: r).map { directions.contains($0) } ?? false }
    }

    public func explain(in message: MessageFacts, recipients: [String], held: Bool) -> String? {
        recipients.map { r in "\(r): " + (message.direction(of: r)?.rawValue ?? "relayed") }.joined(separator: ", ")
    }
}
