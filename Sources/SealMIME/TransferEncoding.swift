/// A Content-Transfer-Encoding (RFC 2045 §6).
public enum TransferEncoding: Sendable, Equatable {
    case sevenBit, eightBit, binary, base64, quotedPrintable
    /// Anything else (x-uuencode, garbage): its bytes are taken as they are.
    case other(String)

    /// The encoding a field value names: its first token, RFC 822 comments skipped
    /// (`base64 (comment)` is base64).
    public init(headerValue: String) {
        self.init(token: TransferEncoding.rfcToken(headerValue))
    }

    /// Parses a field value and says whether readers that do not skip comments (Python's
    /// `email` compares the whole value) would decode the part differently.
    public static func parse(_ headerValue: String) -> (encoding: TransferEncoding, ambiguity: Ambiguity) {
        let e = TransferEncoding(headerValue: headerValue)
        let naive = TransferEncoding(token: headerValue.trimmingASCIIWhitespace().lowercased())
        return (e, e.isIdentity && naive.isIdentity || e == naive ? [] : .commentDependent)
    }

    /// The first token of a value, after white space and comments.
    private static func rfcToken(_ value: String) -> String {
        var b = Array(value.utf8)[...]
        while let c = b.first {
            if c == 32 || c == 9 || c == 13 || c == 10 { b = b.dropFirst(); continue }
            if c == UInt8(ascii: "(") {
                var depth = 0
                while let d = b.first {
                    b = b.dropFirst()
                    if d == UInt8(ascii: "\\") { b = b.dropFirst(); continue }
                    if d == UInt8(ascii: "(") { depth += 1 } else if d == UInt8(ascii: ")") { depth -= 1; if depth == 0 { break } }
                }
                continue
            }
            break
        }
        let end = b.firstIndex { $0 == 32 || $0 == 9 || $0 == 13 || $0 == 10 || $0 == UInt8(ascii: ";") || $0 == UInt8(ascii: "(") } ?? b.endIndex
        return String(decoding: b[..<end], as: UTF8.self).lowercased()
    }

    private init(token: String) {
        switch token {
        case "", "7bit": self = .sevenBit
        case "8bit": self = .eightBit
        case "binary": self = .binary
        case "base64": self = .base64
        case "quoted-printable": self = .quotedPrintable
        default: self = .other(token)
        }
    }

    /// The name as written in headers.
    public var name: String {
        switch self {
        case .sevenBit: "7bit"
        case .eightBit: "8bit"
        case .binary: "binary"
        case .base64: "base64"
        case .quotedPrintable: "quoted-printable"
        case .other(let s): s
        }
    }

    /// 7bit, 8bit, binary and unknown encodings: the bytes are the content.
    public var isIdentity: Bool {
        switch self {
        case .base64, .quotedPrintable: false
        default: true
        }
    }
}

extension StringProtocol {
    /// The string without leading and trailing spaces, tabs, CR and LF.
    func trimmingASCIIWhitespace() -> String {
        let isWS: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" || $0 == "\r\n" }
        guard let start = firstIndex(where: { !isWS($0) }) else { return "" }
        let end = lastIndex(where: { !isWS($0) })!
        return String(self[start...end])
    }
}
