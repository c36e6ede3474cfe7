/// A kind of body the filter cannot see into.
///
/// The raw values are fixed names: they appear in the `X-Sealmilter-Unscannable`
/// header, in `sealctl scan --json` and in policy files.
public enum UnscannableKind: String, CaseIterable, Sendable, Codable {
    case smimeEnveloped = "smime-enveloped"
    case smimeAuthEnveloped = "smime-auth-enveloped"
    case smimeOpaqueSigned = "smime-opaque-signed"
    case pgpMIME = "pgp-mime"
    case pgpInline = "pgp-inline"
    case msRightsProtected = "ms-rights-protected"
    case zipEncrypted = "zip-encrypted"
    case pdfEncrypted = "pdf-encrypted"
    case officeEncrypted = "office-encrypted"
    /// One of Sealmilter's own envelopes. Provisional definition (the envelope format is
    /// specified later): a `text/html` part, or a part named `*.html`/`*.htm`, whose first
    /// 4096 decoded bytes contain `<meta name="sealmilter-envelope"` exactly.
    case sealmilterEnvelope = "sealmilter-envelope"
    /// The message's MIME structure reads differently in common mail readers (duplicate
    /// `Content-Type` or `Content-Transfer-Encoding` fields, conflicting `boundary`
    /// parameters, an encoded word in a boundary, a comment that only some readers skip, …):
    /// the parts the filter inspected may not be the parts a recipient sees. Set by the
    /// engine from `MIMEParser.ambiguities` (SealMIME).
    case ambiguousStructure = "ambiguous-structure"
    /// Some content was not inspected because a parser limit was exceeded (nesting depth,
    /// number of parts, header fields, inspected bytes): the filter could not see into it.
    /// Set by the engine from `MIMEPart.uninspected` (SealMIME).
    case limitsExceeded = "limits-exceeded"

    var bit: UInt32 { UInt32(1) << UInt32(Self.allCases.firstIndex(of: self)!) }
}

/// A small set of ``UnscannableKind`` values, cheap to copy and combine.
public struct UnscannableSet: OptionSet, Sendable, Hashable {
    /// One bit per kind, in ``UnscannableKind/allCases`` order (room for 32 kinds).
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public init(_ kind: UnscannableKind) { self.rawValue = kind.bit }
    public init<S: Sequence>(kinds: S) where S.Element == UnscannableKind {
        self.rawValue = kinds.reduce(0) { $0 | $1.bit }
    }
    /// The kinds in canonical order (the order of ``UnscannableKind/allCases``).
    public var kinds: [UnscannableKind] { UnscannableKind.allCases.filter { rawValue & $0.bit != 0 } }
    public func contains(_ kind: UnscannableKind) -> Bool { rawValue & kind.bit != 0 }
    /// The header value: kinds separated by ", ".
    public var headerValue: String { kinds.map(\.rawValue).joined(separator: ", ") }
}
