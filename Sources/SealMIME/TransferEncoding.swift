/// A Content-Transfer-Encoding (RFC 2045 §6).
public enum TransferEncoding: Sendable, Equatable {
    case sevenBit, eightBit, binary, base64, quotedPrintable
    /// Anything else (x-uuencode, garbage): its bytes are taken as they are.
    case other(String)

    public init(headerValue: String) {
        let token = headerValue.split(whereSeparator: { $0 == ";" || $0 == "(" }).first
            .map { $0.trimmingASCIIWhitespace().lowercased() } ?? ""
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
