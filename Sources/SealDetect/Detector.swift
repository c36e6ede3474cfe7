/// Label-based detection: what the declared types alone establish.
public enum Detector {
    /// Kinds established by a part's declared type and filename alone.
    public static func kinds(fromLabel label: PartLabel) -> UnscannableSet {
        []  // TODO(detect): filled in by the detection module
    }

    /// Kinds established by a message-level header field (for example
    /// `Content-Class: rpmsg.message`). `name` is as received, any case.
    public static func kinds(fromMessageHeader name: String, value: String) -> UnscannableSet {
        []
    }
}
