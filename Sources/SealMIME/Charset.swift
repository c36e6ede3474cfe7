#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Turns bytes in a declared charset into a String. Unknown charsets and invalid
/// sequences never fail: an unknown charset falls back to UTF-8, and a byte that
/// is invalid in its charset becomes U+FFFD.
///
/// UTF-8, US-ASCII and ISO-8859-1 are converted here; every other charset goes
/// through the C library's iconv (glibc knows the MIME charset names: the
/// Windows code pages, ISO-8859-*, KOI8-R, Shift_JIS, EUC-JP, ISO-2022-JP, GB2312,
/// GBK, GB18030, Big5, EUC-KR, UTF-16 and more), so no Foundation or ICU is needed.
public enum Charset {
    public static func decode<C: Collection>(_ bytes: C, charset: String?) -> String where C.Element == UInt8 {
        let name = (charset ?? "utf-8").lowercased()
        switch name {
        case "utf-8", "utf8", "us-ascii", "ascii", "":
            return String(decoding: bytes, as: UTF8.self)
        case "iso-8859-1", "latin1", "iso8859-1", "l1":
            return String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
        default:
            return iconvDecode(Array(bytes), from: name) ?? String(decoding: bytes, as: UTF8.self)
        }
    }

    /// The text of `input` in charset `from`, through iconv; nil when iconv does not
    /// know the charset.
    static func iconvDecode(_ input: [UInt8], from name: String) -> String? {
        guard name.utf8.count < 64, name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f && $0 != UInt8(ascii: "/") }) else { return nil }
        let cd = iconv_open("UTF-8", name)
        if cd == iconv_t(bitPattern: -1) { return nil }
        defer { iconv_close(cd) }
        var out: [UInt8] = []
        out.reserveCapacity(input.count + input.count / 2 + 16)
        var buffer = [UInt8](repeating: 0, count: 4096)
        let replacement: [UInt8] = [0xEF, 0xBF, 0xBD]
        input.withUnsafeBufferPointer { inBuf in
            var inPtr = UnsafeMutablePointer(mutating: inBuf.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) })
            var inLeft = inBuf.count
            /// One iconv call into `buffer`; nil input flushes a stateful encoding.
            func step(flush: Bool) -> (Int, Int32) {
                let (n, err, written): (Int, Int32, Int) = buffer.withUnsafeMutableBytes { ob in
                    var outPtr: UnsafeMutablePointer<CChar>? = ob.baseAddress!.assumingMemoryBound(to: CChar.self)
                    var outLeft = ob.count
                    let n = flush ? iconv(cd, nil, nil, &outPtr, &outLeft) : iconv(cd, &inPtr, &inLeft, &outPtr, &outLeft)
                    return (n, errno, ob.count - outLeft)
                }
                out.append(contentsOf: buffer[0..<written])
                return (n, err)
            }
            while inLeft > 0 {
                let (n, err) = step(flush: false)
                if n != -1 || err == E2BIG { continue }  // done, or the buffer was full: drain and go on
                // An invalid or truncated sequence (EILSEQ, EINVAL): one replacement character, skip a byte.
                out.append(contentsOf: replacement)
                inPtr = inPtr.map { $0 + 1 }
                inLeft -= 1
            }
            while step(flush: true) == (-1, E2BIG) {}
        }
        return String(decoding: out, as: UTF8.self)
    }
}
