/// What a ``MIMEParser`` reports as bytes arrive. All calls happen inside the
/// parser's `header`, `endOfHeaders`, `body`, `raw` and `finish` calls.
public protocol MIMEHandler: AnyObject {
    /// A header field of the top-level header section, as parsed from raw input
    /// (``MIMEParser/raw(_:)``). Fields given through ``MIMEParser/header(name:value:)``
    /// are not echoed back.
    func topLevelHeader(name: String, value: String)

    /// A part's header section is complete. For a leaf, return whether its decoded
    /// bytes are wanted (``partData(_:_:)``); containers' answers are ignored.
    func partBegan(_ parser: MIMEParser, index: Int) -> Bool

    /// Decoded bytes of a leaf that was wanted. Return false to stop delivery for
    /// this part (the parser then only looks for delimiters, or just counts).
    func partData(_ parser: MIMEParser, index: Int, _ bytes: UnsafeRawBufferPointer) -> Bool

    /// The part ended (its end offset and sizes are final).
    func partEnded(_ parser: MIMEParser, index: Int)

    /// A limit was exceeded; reported once per kind.
    func limitExceeded(_ parser: MIMEParser, _ kind: LimitKind)

    /// A header field of an embedded message (the entity inside a message/rfc822 or
    /// message/global part the parser opened, at any depth) whose name is in
    /// ``MIMEParser/embeddedHeaderNames``; `index` is that entity's part index.
    /// Values are unfolded, not decoded. Optional: does nothing by default.
    func embeddedHeader(_ parser: MIMEParser, index: Int, name: String, value: String)
}

extension MIMEHandler {
    public func embeddedHeader(_ parser: MIMEParser, index: Int, name: String, value: String) {}
}
