import SealDetect
import SealPolicy

/// A condition whose policy value is a set of unscannable kinds (`any | KIND |
/// [KINDS]`): `unscannable` and `attachment_unscannable`. It is read and staged
/// alike and picks parts for `remove_attachments: true`; which parts count is
/// its own.
public protocol UnscannableKindsCondition: Condition {
    var kinds: UnscannableSet { get }
    init(kinds: UnscannableSet)
}

extension UnscannableKindsCondition {
    public static var picksParts: Bool { true }

    public static func load(_ value: PolicyNode, _ what: String, _ reader: PolicyReader) -> [Self]? {
        reader.unscannable(value, what).map { [Self(kinds: $0)] }
    }

    public var stage: Stage { .body }
}
