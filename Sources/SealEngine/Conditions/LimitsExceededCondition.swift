import SealPolicy

/// `limits_exceeded: true | false`: whether a parser limit was exceeded, so that
/// content past it was not inspected.
public struct LimitsExceededCondition: Condition {
    public static let key = "limits_exceeded"
    public var value: Bool

    public static func load(_ value: PolicyNode, _ what: String, _ reader: PolicyReader) -> [Self]? {
        reader.bool(value, what).map { [Self(value: $0)] }
    }

    public var stage: Stage { .body }

    public func holds(in message: MessageFacts, recipients: [String]) -> Bool {
        message.limitsExceeded == value
    }

    public func explain(in message: MessageFacts, recipients: [String], held: Bool) -> String? {
        message.limitsExceeded ? "exceeded: " + message.parser.exceeded.map(\.rawValue).sorted().joined(separator: ", ") : "no limit exceeded"
    }
}
