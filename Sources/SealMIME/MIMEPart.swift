/// One entity of the part tree: a multipart container, an embedded message
/// (message/rfc822) or a leaf. Offsets count bytes of the message body, that is
/// from the first byte after the top-level header section.
public struct MIMEPart: Sendable {
    public enum Kind: Sendable, Equatable { case leaf, multipart, message }

    /// Index of the parent in ``MIMEParser/parts``; nil for the root.
    public var parent: Int?
    /// Tree address: the root is `1`, children of `X` are `X.1`, `X.2`, …; the
    /// entity embedded in a message/rfc822 part `X` is `X.1`.
    public var path: String
    public var depth: Int
    public var kind: Kind
    public var contentType: ContentType
    /// Whether Content-Type was present and usable (else the RFC 2045 default applies).
    public var hasExplicitContentType: Bool
    public var transferEncoding: TransferEncoding
    public var disposition: ContentDisposition?
    /// The decoded filename: Content-Disposition `filename`, else Content-Type `name`.
    public var filename: String?
    /// Offset of the line break before this part's opening delimiter line (where a
    /// removal starts); nil for the root and for embedded entities.
    public var delimiterOffset: Int64?
    /// Offset of the part's first header byte.
    public var headerOffset: Int64
    /// Offset of the first content byte (after the header section).
    public var contentOffset: Int64 = -1
    /// Offset where the content ends (before the line break that precedes the next
    /// delimiter); -1 while the part is open.
    public var endOffset: Int64 = -1
    /// Encoded content bytes seen.
    public var encodedSize: Int64 = 0
    /// Decoded bytes; exact only when ``decodedAll`` is true.
    public var decodedSize: Int64 = 0
    /// Whether every byte of the part went through the decoder.
    public var decodedAll: Bool = true
    /// A multipart whose closing delimiter never came.
    public var missingCloseDelimiter: Bool = false
    /// The number of children so far.
    public var childCount: Int = 0

    public var isLeaf: Bool { kind == .leaf }
}
