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
    /// How this part's header section reads differently in common mail readers (empty:
    /// it does not, as far as the parser knows). The parser takes the reading most of
    /// them take; the engine flags a message with any ambiguous part
    /// `ambiguous-structure` (``MIMEParser/ambiguities`` is the union).
    public var ambiguity: Ambiguity = []
    /// The limit that kept this part's content from being inspected, nil when it was
    /// not cut short. Set on the part that holds the uninspected bytes:
    /// - ``LimitKind/depth``: a multipart or message/rfc822 at the deepest allowed
    ///   level, taken as one opaque leaf (its inner parts were not parsed);
    /// - ``LimitKind/parts``: a part whose content runs on over delimiters the parser
    ///   did not act on because the message had ``ParserLimits/maxParts`` parts (the
    ///   leaf they fell into, or the multipart or message whose children were dropped);
    /// - ``LimitKind/headerBytes``: a part whose `Content-Type`,
    ///   `Content-Transfer-Encoding` or `Content-Disposition` field was truncated;
    /// - ``LimitKind/inspectBytes``: a leaf whose handler still wanted decoded bytes
    ///   when ``ParserLimits/maxInspectBytes`` were delivered.
    /// Extra header fields (``LimitKind/headers``) do not set it: fields past the limit
    /// are not handed over, but the structure fields among them are still applied.
    /// The engine flags such messages `limits-exceeded`, and `remove_attachments`
    /// can select these parts.
    public var uninspected: LimitKind? = nil
    /// Structure fields seen in this part's header section (duplicate detection).
    var seenFields: UInt8 = 0

    public var isLeaf: Bool { kind == .leaf }
}
