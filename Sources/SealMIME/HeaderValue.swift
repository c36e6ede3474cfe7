/// Parsers for structured MIME header values: `Content-Type` and
/// `Content-Disposition` with parameters (RFC 2045 §5.1, RFC 2183), RFC 2231
/// continuations and charsets, and RFC 2047 encoded words in parameter values.

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
        let (head, params) = parseParameterized(headerValue)
        let pieces = head.split(separator: "/", maxSplits: 1)
        guard pieces.count == 2 else { return nil }
        let t = pieces[0].trimmingASCIIWhitespace().lowercased()
        let s = pieces[1].trimmingASCIIWhitespace().lowercased()
        guard !t.isEmpty, !s.isEmpty, !t.contains(" "), !s.contains(" ") else { return nil }
        self.init(type: t, subtype: s, parameters: params)
    }
}

/// A parsed `Content-Disposition`.
public struct ContentDisposition: Sendable, Equatable {
    /// Lowercased disposition type: `inline`, `attachment`, ….
    public var type: String
    public var parameters: [String: String]

    public init(headerValue: String) {
        let (head, params) = parseParameterized(headerValue)
        type = head.trimmingASCIIWhitespace().lowercased()
        parameters = params
    }

    public var filename: String? { parameters["filename"] }
}

/// Splits `value; a=b; c*=utf-8''x%20y` into the head and decoded parameters.
func parseParameterized(_ value: String) -> (String, [String: String]) {
    let bytes = Array(value.utf8)
    var i = 0
    let n = bytes.count
    // Head: up to the first ';' outside quotes (there are none in a head).
    while i < n && bytes[i] != UInt8(ascii: ";") { i += 1 }
    let head = String(decoding: bytes[0..<i], as: UTF8.self)
    var plain: [String: String] = [:]
    // RFC 2231: name -> [section: (value, extended)]
    var sections: [String: [Int: (bytes: [UInt8], extended: Bool)]] = [:]
    var order: [String] = []

    func skipWS() { while i < n && (bytes[i] == 32 || bytes[i] == 9 || bytes[i] == 13 || bytes[i] == 10) { i += 1 } }
    func skipComment() {
        // (comment) with nesting, at the current position
        var depth = 0
        while i < n {
            if bytes[i] == UInt8(ascii: "\\") { i += 2; continue }
            if bytes[i] == UInt8(ascii: "(") { depth += 1 }
            if bytes[i] == UInt8(ascii: ")") { depth -= 1; if depth == 0 { i += 1; return } }
            i += 1
        }
    }

    while i < n {
        // at ';' or garbage
        if bytes[i] == UInt8(ascii: ";") { i += 1 }
        skipWS()
        if i < n && bytes[i] == UInt8(ascii: "(") { skipComment(); skipWS() }
        let nameStart = i
        while i < n && bytes[i] != UInt8(ascii: "=") && bytes[i] != UInt8(ascii: ";") { i += 1 }
        guard i < n, bytes[i] == UInt8(ascii: "=") else { continue }
        var name = String(decoding: bytes[nameStart..<i], as: UTF8.self).trimmingASCIIWhitespace().lowercased()
        i += 1
        skipWS()
        var raw: [UInt8] = []
        if i < n && bytes[i] == UInt8(ascii: "\"") {
            i += 1
            while i < n && bytes[i] != UInt8(ascii: "\"") {
                if bytes[i] == UInt8(ascii: "\\") && i + 1 < n { i += 1 }
                if bytes[i] != 13 && bytes[i] != 10 { raw.append(bytes[i]) }
                i += 1
            }
            if i < n { i += 1 }
            while i < n && bytes[i] != UInt8(ascii: ";") { i += 1 }
        } else {
            while i < n && bytes[i] != UInt8(ascii: ";") { raw.append(bytes[i]); i += 1 }
            while let last = raw.last, last == 32 || last == 9 || last == 13 || last == 10 { raw.removeLast() }
        }
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
        if section == nil && !extended {
            if plain[name] == nil { plain[name] = decodeEncodedWords(raw) }
            continue
        }
        if sections[name] == nil { order.append(name) }
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
        // A complete RFC 2231 value beats a plain one of the same name.
        result[name] = Charset.decode(out, charset: charset ?? "utf-8")
    }
    return (head, result)
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
