/// Parsers for structured MIME header values: `Content-Type` and
/// `Content-Disposition` with parameters (RFC 2045 §5.1, RFC 2183), RFC 822 comments,
/// RFC 2231 continuations and charsets, and RFC 2047 encoded words in the `name` and
/// `filename` parameters (only there: RFC 2047 §5 forbids them in parameters, but
/// real clients put them in file names).

/// Ways a part's structure fields read differently in common mail readers (GMime,
/// Python's `email`, MimeKit, Thunderbird). The parser still takes one reading (the one
/// most of them take, see ``MIMEParser``) and records the ambiguity on the part, so
/// that the message can be flagged `ambiguous-structure`.
public struct Ambiguity: OptionSet, Sendable, Hashable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// Two `Content-Type` fields that differ in one header section (the first is used:
    /// Python, MimeKit and Thunderbird take the first, GMime the last).
    public static let duplicateContentType = Ambiguity(rawValue: 1 << 0)
    /// Two `Content-Transfer-Encoding` fields that differ (the first is used, as above).
    public static let duplicateTransferEncoding = Ambiguity(rawValue: 1 << 1)
    /// Two `Content-Disposition` fields that differ (the first is used).
    public static let duplicateDisposition = Ambiguity(rawValue: 1 << 2)
    /// `boundary` given more than once with different values (plain twice, plain and
    /// RFC 2231, or an RFC 2231 section twice). The first occurrence is used, as GMime
    /// and Python's `email` (default policy) do.
    public static let conflictingBoundary = Ambiguity(rawValue: 1 << 3)
    /// An RFC 2047 encoded word in `boundary`. RFC 2047 §5 forbids them in parameters
    /// and the boundary is taken literally (as Python's `email` compat32 and Thunderbird
    /// do); GMime and Python's default policy decode it.
    public static let encodedWordBoundary = Ambiguity(rawValue: 1 << 4)
    /// The reading of a structure field (type, subtype, boundary, name, filename or
    /// transfer encoding) depends on whether RFC 822 comments are skipped: readers that
    /// skip them (GMime, MimeKit) and readers that do not (Python's `email`) see
    /// different structures. The RFC reading (comments skipped) is used.
    public static let commentDependent = Ambiguity(rawValue: 1 << 5)
    /// A boundary ending in white space (RFC 2046 forbids it): Python's `email` strips
    /// it, GMime keeps it. It is stripped: the delimiter lines of both readings then
    /// match (white space may follow a delimiter).
    public static let boundaryWhitespace = Ambiguity(rawValue: 1 << 7)
    /// A `Content-*` field with white space between its name and the colon: GMime and
    /// MimeKit accept it as the field, Python's `email` takes the line for the start of
    /// the body. It is used as the field.
    public static let spaceBeforeColon = Ambiguity(rawValue: 1 << 6)

    /// Short names, for reports: `duplicate-content-type`, ….
    public var names: [String] {
        let all: [(Ambiguity, String)] = [
            (.duplicateContentType, "duplicate-content-type"), (.duplicateTransferEncoding, "duplicate-transfer-encoding"),
            (.duplicateDisposition, "duplicate-disposition"), (.conflictingBoundary, "conflicting-boundary"),
            (.encodedWordBoundary, "encoded-word-boundary"), (.commentDependent, "comment-dependent"),
            (.spaceBeforeColon, "space-before-colon"), (.boundaryWhitespace, "boundary-whitespace"),
        ]
        return all.filter { contains($0.0) }.map(\.1)
    }
}

/// A parsed `Content-Type`.
public struct ContentType: Sendable, Equatable {
    /// Lowercased type, e.g. `multipart`.
    public var type: String
    /// Lowercased subtype, e.g. `mixed`.
    public var subtype: String
    /// Parameters, names lowercased, values decoded.
    public var parameters: [String: String]

    public init(type: String, subtype: String, parameters: [String: String] = [:]) {
        self.type = type; self.subtype = subtype; self.parameters = parameters
    }

    /// `type/subtype`.
    public var mediaType: String { type + "/" + subtype }
    public var isMultipart: Bool { type == "multipart" }
    /// message/rfc822 and message/global: an embedded message.
    public var isEmbeddedMessage: Bool { type == "message" && (subtype == "rfc822" || subtype == "global") }

    public static let textPlain = ContentType(type: "text", subtype: "plain", parameters: [:])
    public static let messageRFC822 = ContentType(type: "message", subtype: "rfc822", parameters: [:])

    /// Parses a header value; nil when it has no usable `type/subtype`
    /// (the caller then applies the RFC 2045 default).
    public init?(headerValue: String) {
        guard let ct = ContentType.parse(headerValue).contentType else { return nil }
        self = ct
    }

    /// Parses a header value as RFC 2045 §5.1 has it, with RFC 822 comments (nested,
    /// with quoted pairs) skipped wherever white space may be; also says where common
    /// readers would read it differently (``Ambiguity``).
    public static func parse(_ headerValue: String) -> (contentType: ContentType?, ambiguity: Ambiguity) {
        let bytes = Array(headerValue.utf8)
        let r = StructuredReading(bytes, comments: true, mediaType: true)
        var amb = r.ambiguity
        var ct = r.contentType
        if let b = ct?.parameters["boundary"], let last = b.utf8.last, last == 32 || last == 9 {
            ct!.parameters["boundary"] = droppingTrailingBlanks(b)
            amb.insert(.boundaryWhitespace)
        }
        if let b = ct?.parameters["boundary"], looksLikeEncodedWord(b) { amb.insert(.encodedWordBoundary) }
        if bytes.contains(UInt8(ascii: "(")) {
            let naive = StructuredReading(bytes, comments: false, mediaType: true).contentType
            if naive?.mediaType != ct?.mediaType || naive?.parameters["boundary"].map(droppingTrailingBlanks) != ct?.parameters["boundary"]
                || naive?.parameters["name"] != ct?.parameters["name"] {
                amb.insert(.commentDependent)
            }
        }
        return (ct, amb)
    }
}

/// A parsed `Content-Disposition`.
public struct ContentDisposition: Sendable, Equatable {
    /// Lowercased disposition type: `inline`, `attachment`, ….
    public var type: String
    public var parameters: [String: String]

    public init(headerValue: String) {
        self = ContentDisposition.parse(headerValue).disposition
    }

    /// Parses a header value (comments skipped); also says whether readers that do not
    /// skip comments would see another type or filename.
    public static func parse(_ headerValue: String) -> (disposition: ContentDisposition, ambiguity: Ambiguity) {
        let bytes = Array(headerValue.utf8)
        let r = StructuredReading(bytes, comments: true, mediaType: false)
        let d = ContentDisposition(type: r.type, parameters: r.parameters)
        var amb: Ambiguity = []
        if bytes.contains(UInt8(ascii: "(")) {
            let n = StructuredReading(bytes, comments: false, mediaType: false)
            if n.type != d.type || n.parameters["filename"] != d.filename { amb.insert(.commentDependent) }
        }
        return (d, amb)
    }

    private init(type: String, parameters: [String: String]) { self.type = type; self.parameters = parameters }

    public var filename: String? { parameters["filename"] }
}

/// `s` without trailing spaces and tabs.
func droppingTrailingBlanks(_ s: String) -> String {
    var t = Substring(s)
    while let c = t.last, c == " " || c == "\t" { t = t.dropLast() }
    return String(t)
}

/// Whether a parameter value holds something shaped like an RFC 2047 encoded word.
func looksLikeEncodedWord(_ s: String) -> Bool {
    guard let a = s.utf8.firstRange(of: "=?".utf8) else { return false }
    return s.utf8[a.upperBound...].firstRange(of: "?=".utf8) != nil
}

/// One reading of a structured header value (`type/subtype; a=b; c*=utf-8''x%20y`):
/// with RFC 822 comments skipped (RFC 2045 §5.1) or, for the ambiguity check, with
/// them taken as text, the way readers that ignore comments see the value.
struct StructuredReading {
    var type = ""
    var subtype = ""
    /// The head is a well-formed `type/subtype` (or, for dispositions, a token).
    var headValid = false
    var parameters: [String: String] = [:]
    var ambiguity: Ambiguity = []

    var contentType: ContentType? {
        headValid ? ContentType(type: type, subtype: subtype, parameters: parameters) : nil
    }

    private let b: [UInt8]
    private var i = 0
    private let comments: Bool

    init(_ bytes: [UInt8], comments: Bool, mediaType: Bool) {
        b = bytes
        self.comments = comments
        readHead(mediaType: mediaType)
        readParameters()
    }

    private static let semicolon = UInt8(ascii: ";"), quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
    private static let open = UInt8(ascii: "("), close = UInt8(ascii: ")"), equals = UInt8(ascii: "="), slash = UInt8(ascii: "/")

    @inline(__always) private static func isWS(_ c: UInt8) -> Bool { c == 32 || c == 9 || c == 13 || c == 10 }

    /// Skips white space and, when comments count, comments.
    private mutating func skipCFWS() {
        while i < b.count {
            if Self.isWS(b[i]) { i += 1 }
            else if comments && b[i] == Self.open { skipComment() }
            else { return }
        }
    }

    /// At `(`: skips a comment, nested comments and quoted pairs included (an
    /// unterminated comment runs to the end of the value).
    private mutating func skipComment() {
        var depth = 0
        while i < b.count {
            let c = b[i]
            if c == Self.backslash { i += 2; continue }
            if c == Self.open { depth += 1 }
            else if c == Self.close { depth -= 1; if depth == 0 { i += 1; return } }
            i += 1
        }
        i = b.count
    }

    /// A token: up to white space, a delimiter of `stops`, or a comment.
    private mutating func token(stoppingAt stops: [UInt8]) -> String {
        let start = i
        while i < b.count {
            let c = b[i]
            if Self.isWS(c) || stops.contains(c) || (comments && c == Self.open) { break }
            i += 1
        }
        return String(decoding: b[start..<i], as: UTF8.self).lowercased()
    }

    private mutating func readHead(mediaType: Bool) {
        skipCFWS()
        if mediaType {
            type = token(stoppingAt: [Self.slash, Self.semicolon])
            skipCFWS()
            if i < b.count && b[i] == Self.slash {
                i += 1
                skipCFWS()
                subtype = token(stoppingAt: [Self.semicolon])
                skipCFWS()
                headValid = !type.isEmpty && !subtype.isEmpty && (i == b.count || b[i] == Self.semicolon)
            }
        } else {
            type = token(stoppingAt: [Self.semicolon])
            skipCFWS()
            headValid = i == b.count || b[i] == Self.semicolon
            if !headValid { type = "" }
        }
        skipToSemicolon()
    }

    /// Moves to the next `;` outside quoted strings (and comments, when they count).
    private mutating func skipToSemicolon() {
        while i < b.count && b[i] != Self.semicolon {
            if b[i] == Self.quote { _ = quotedString() }
            else if comments && b[i] == Self.open { skipComment() }
            else { i += 1 }
        }
    }

    /// At `"`: the quoted string's content, quoted pairs undone, CR and LF dropped.
    private mutating func quotedString() -> [UInt8] {
        var out: [UInt8] = []
        i += 1
        while i < b.count && b[i] != Self.quote {
            if b[i] == Self.backslash && i + 1 < b.count { i += 1 }
            if b[i] != 13 && b[i] != 10 { out.append(b[i]) }
            i += 1
        }
        if i < b.count { i += 1 }
        return out
    }

    private mutating func readParameters() {
        var plain: [String: String] = [:]
        // RFC 2231: name -> [section: (value, extended)]
        var sections: [String: [Int: (bytes: [UInt8], extended: Bool)]] = [:]
        var order: [String] = []
        /// Whether `boundary` first came in RFC 2231 form.
        var boundaryFirstExtended: Bool? = nil

        while i < b.count {
            // at ';'
            i += 1
            skipCFWS()
            var name = token(stoppingAt: [Self.equals, Self.semicolon, Self.quote])
            skipCFWS()
            guard i < b.count, b[i] == Self.equals else { skipToSemicolon(); continue }
            i += 1
            skipCFWS()
            var raw: [UInt8]
            if i < b.count && b[i] == Self.quote {
                raw = quotedString()
            } else {
                // A bare value runs to the ';' (spaces inside kept, as lenient readers do);
                // comments, when they count, are dropped from it.
                raw = []
                while i < b.count && b[i] != Self.semicolon {
                    if comments && b[i] == Self.open { skipComment(); continue }
                    raw.append(b[i]); i += 1
                }
                while let last = raw.last, Self.isWS(last) { raw.removeLast() }
            }
            skipToSemicolon()
            if name.isEmpty { continue }
            // RFC 2231: name*  /  name*N  /  name*N*
            var extended = false
            var section: Int? = nil
            if name.hasSuffix("*") { extended = true; name.removeLast() }
            if let star = name.lastIndex(of: "*") {
                let digits = name[name.index(after: star)...]
                if let s = Int(digits), !digits.isEmpty {
                    section = s
                    name = String(name[..<star])
                }
            }
            let isBoundary = name == "boundary"
            if section == nil && !extended {
                // RFC 2047 §5: no encoded words in parameters; real clients put them in
                // file names, so those (only) are decoded.
                let value = (name == "name" || name == "filename") ? decodeEncodedWords(raw) : Charset.decode(raw, charset: "utf-8")
                if let old = plain[name] {
                    if isBoundary && old != value { ambiguity.insert(.conflictingBoundary) }
                } else {
                    plain[name] = value
                    if isBoundary && boundaryFirstExtended == nil { boundaryFirstExtended = false }
                }
                continue
            }
            if sections[name] == nil { order.append(name) }
            if isBoundary {
                if boundaryFirstExtended == nil { boundaryFirstExtended = true }
                if let old = sections[name]?[section ?? 0], old.bytes != raw || old.extended != extended {
                    ambiguity.insert(.conflictingBoundary)
                }
            }
            sections[name, default: [:]][section ?? 0] = (raw, extended)
        }

        var result = plain
        for name in order {
            guard let parts = sections[name] else { continue }
            var charset: String? = nil
            var out: [UInt8] = []
            for key in parts.keys.sorted() {
                var (raw, extended) = parts[key]!
                if key == 0 && extended {
                    // charset'language'value
                    if let q1 = raw.firstIndex(of: UInt8(ascii: "'")),
                       let q2 = raw[(q1 + 1)...].firstIndex(of: UInt8(ascii: "'")) {
                        charset = String(decoding: raw[..<q1], as: UTF8.self).lowercased()
                        raw = Array(raw[(q2 + 1)...])
                    }
                }
                out += extended ? percentDecode(raw) : raw
            }
            let value = Charset.decode(out, charset: charset ?? "utf-8")
            if name == "boundary", let p = plain[name] {
                // Both forms: the first one given is used (GMime, Python's default policy).
                if p != value { ambiguity.insert(.conflictingBoundary) }
                if boundaryFirstExtended == false { continue }
            }
            // Otherwise a complete RFC 2231 value beats a plain one of the same name.
            result[name] = value
        }
        parameters = result
    }
}

private func percentDecode(_ raw: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(raw.count)
    var i = 0
    while i < raw.count {
        if raw[i] == UInt8(ascii: "%"), i + 2 < raw.count, let h = hexValue(raw[i + 1]), let l = hexValue(raw[i + 2]) {
            out.append(h << 4 | l); i += 3
        } else { out.append(raw[i]); i += 1 }
    }
    return out
}

@inline(__always) func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case 48...57: return c - 48
    case 65...70: return c - 55
    case 97...102: return c - 87
    default: return nil
    }
}

/// Decodes RFC 2047 encoded words (`=?charset?B|Q?text?=`) in a header value or
/// parameter; whitespace between adjacent encoded words is dropped, as the RFC says.
public func decodeEncodedWords(_ raw: [UInt8]) -> String {
    guard raw.count >= 8, raw.contains(UInt8(ascii: "?")) else { return Charset.decode(raw, charset: "utf-8") }
    var out = ""
    var i = 0
    var pendingWS: [UInt8] = []
    var lastWasWord = false
    var literal: [UInt8] = []
    func flushLiteral() { if !literal.isEmpty { out += Charset.decode(literal, charset: "utf-8"); literal.removeAll() } }
    while i < raw.count {
        if raw[i] == UInt8(ascii: "="), i + 1 < raw.count, raw[i + 1] == UInt8(ascii: "?"),
           let (text, end) = encodedWord(raw, at: i) {
            if !lastWasWord { literal += pendingWS }
            pendingWS.removeAll()
            flushLiteral()
            out += text
            i = end
            lastWasWord = true
            continue
        }
        let c = raw[i]
        if c == 32 || c == 9 || c == 13 || c == 10 {
            if c == 32 || c == 9 { pendingWS.append(c) }
        } else {
            literal += pendingWS; pendingWS.removeAll()
            literal.append(c)
            lastWasWord = false
        }
        i += 1
    }
    literal += pendingWS
    flushLiteral()
    return out
}

private func encodedWord(_ raw: [UInt8], at start: Int) -> (String, Int)? {
    // =?charset?enc?text?=
    var i = start + 2
    let csStart = i
    while i < raw.count && raw[i] != UInt8(ascii: "?") { if raw[i] == 32 { return nil }; i += 1 }
    guard i + 2 < raw.count, raw[i + 2] == UInt8(ascii: "?") else { return nil }
    var charset = String(decoding: raw[csStart..<i], as: UTF8.self).lowercased()
    if let star = charset.firstIndex(of: "*") { charset = String(charset[..<star]) }  // RFC 2231 language
    let enc = raw[i + 1] | 0x20
    i += 3
    let textStart = i
    while i + 1 < raw.count && !(raw[i] == UInt8(ascii: "?") && raw[i + 1] == UInt8(ascii: "=")) {
        if raw[i] == 32 { return nil }
        i += 1
    }
    guard i + 1 < raw.count else { return nil }
    let text = Array(raw[textStart..<i])
    var bytes: [UInt8]
    switch enc {
    case UInt8(ascii: "b"):
        var d = Base64Decoder()
        bytes = d.decodeAll(text)
    case UInt8(ascii: "q"):
        bytes = []
        var j = 0
        while j < text.count {
            let c = text[j]
            if c == UInt8(ascii: "_") { bytes.append(32); j += 1 }
            else if c == UInt8(ascii: "="), j + 2 < text.count, let h = hexValue(text[j + 1]), let l = hexValue(text[j + 2]) {
                bytes.append(h << 4 | l); j += 3
            } else { bytes.append(c); j += 1 }
        }
    default:
        return nil
    }
    return (Charset.decode(bytes, charset: charset), i + 2)
}
