import SealPolicy

/// `size: {over: X, under: Y}`: the message size in bytes, `min <= size <= max`
/// (the file's `over: X, under: Y` loads as `min: X + 1, max: Y - 1`).
public struct SizeCondition: Condition {
    public static let key = "size"
    public var min: Int?
    public var max: Int?

    public static func load(_ value: PolicyNode, _ what: String, _ reader: PolicyReader) -> [Self]? {
        reader.sizeRange(value, what).map { [Self(min: $0.0, max: $0.1)] }
    }

    public var stage: Stage { .body }

    public func holds(in message: MessageFacts, recipients: [String]) -> Bool {
        let s = message.size
        return (min.map { s >= Int64($0) } ?? true) && (max.map { s <= Int64($0) } ?? true)
    }

    public func explain(in message: MessageFacts, recipients: [String], held: Bool) -> String? {
        "\(message.size) bytes"
    }
}
