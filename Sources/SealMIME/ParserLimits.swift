/// Bounds on what the parser will build. Exceeding one never fails the parse: the
/// parser reports it once through ``MIMEHandler/limitExceeded(_:)`` and degrades
/// (treats deeper structure as opaque content, truncates a field, stops inspecting).
public struct ParserLimits: Sendable, Equatable {
    /// Deepest nesting of multipart and message/rfc822 containers.
    public var maxDepth: Int = 32
    /// Largest header field (name, value and folding), bytes.
    public var maxHeaderBytes: Int = 64 * 1024
    /// Most header fields in one header section.
    public var maxHeaders: Int = 1000
    /// Most parts (containers and leaves) in one message.
    public var maxParts: Int = 1000
    /// Most decoded bytes handed to the handler per part.
    public var maxInspectBytes: Int = 4 * 1024 * 1024

    public init() {}
}

/// Which limit was exceeded.
public enum LimitKind: String, Sendable, CaseIterable {
    case depth = "max-depth"
    case headerBytes = "max-header-bytes"
    case headers = "max-headers"
    case parts = "max-parts"
    case inspectBytes = "max-inspect-bytes"
}
