import Glibc

/// Incremental quoted-printable decoder (RFC 2045 §6.7): `=XX` escapes, soft line
/// breaks (`=` at the end of a line, trailing spaces allowed), everything else
/// passed through. Malformed `=` sequences are kept literally. Line ends are kept as
/// they arrive (CRLF or LF).
public struct QuotedPrintableDecoder: Sendable {
    /// Bytes of an escape or soft break split across chunks (at most 2).
    private var pending: (UInt8, UInt8) = (0, 0)
    private var pendingCount = 0
    /// Inside a soft break after `=`: skipping trailing spaces up to the line end.
    private var inSoftBreak = false
    /// The white space seen after that `=` (2 bits a byte: space, tab, CR), kept
    /// in case no line end follows: then `=` and it are literal text, as in GMime.
    private var wsBits: UInt64 = 0
    private var wsCount = 0
    private static let maxPendingWhiteSpace = 32

    public init() {}

    public static func maxOutput(_ n: Int) -> Int { n + 3 + maxPendingWhiteSpace }

    public mutating func decode(_ input: UnsafeRawBufferPointer, into out: UnsafeMutablePointer<UInt8>) -> Int {
        guard let base = input.baseAddress else { return 0 }
        let src = base.assumingMemoryBound(to: UInt8.self)
        let n = input.count
        var i = 0
        var o = 0
        while i < n {
            if inSoftBreak {
                let c = src[i]
                if c == 10 {                                   // soft line break
                    i += 1
                    inSoftBreak = false; wsBits = 0; wsCount = 0
                    continue
                }
                if (c == 32 || c == 9 || c == 13) && wsCount < Self.maxPendingWhiteSpace {
                    wsBits |= UInt64(c == 32 ? 0 : c == 9 ? 1 : 2) << UInt64(2 * wsCount)
                    wsCount += 1
                    i += 1
                    continue
                }
                // Not a line end after all: '=' and the white space are text.
                out[o] = UInt8(ascii: "="); o += 1
                for k in 0..<wsCount {
                    let v = (wsBits >> UInt64(2 * k)) & 3
                    out[o] = v == 0 ? 32 : v == 1 ? 9 : 13; o += 1
                }
                inSoftBreak = false; wsBits = 0; wsCount = 0
                continue
            }
            if pendingCount > 0 {
                // pending holds "=" or "=X"
                let c = src[i]
                if pendingCount == 1 {
                    if c == 13 || c == 10 || c == 32 || c == 9 { pendingCount = 0; inSoftBreak = true; continue }
                    pending.1 = c; pendingCount = 2; i += 1; continue
                }
                if let h = hexValue(pending.1), let l = hexValue(c) {
                    out[o] = h << 4 | l; o += 1; i += 1
                } else {
                    out[o] = UInt8(ascii: "="); out[o + 1] = pending.1; o += 2
                }
                pendingCount = 0
                continue
            }
            // Copy the run up to the next '='.
            let rest = n - i
            let eq = memchr(src + i, Int32(UInt8(ascii: "=")), rest)
            let runEnd = eq.map { UnsafeRawPointer($0) - UnsafeRawPointer(src) } ?? n
            if runEnd > i {
                (out + o).update(from: src + i, count: runEnd - i)
                o += runEnd - i
                i = runEnd
            }
            if i < n {  // at '='
                i += 1
                pending.0 = UInt8(ascii: "=")
                pendingCount = 1
            }
        }
        return o
    }

    /// Ends the input: a dangling `=X` is kept literally; a final `=` (with
    /// trailing white space) is a soft break.
    public mutating func finish(into out: UnsafeMutablePointer<UInt8>) -> Int {
        defer { pendingCount = 0; inSoftBreak = false; wsBits = 0; wsCount = 0 }
        switch pendingCount {
        case 1: return 0   // "=" at the very end: a soft break
        case 2: out[0] = UInt8(ascii: "="); out[1] = pending.1; return 2
        default: return 0
        }
    }
}
