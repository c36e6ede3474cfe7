/// Incremental base64 decoder (RFC 2045 §6.8): fed encoded bytes in chunks of any
/// size, it skips line breaks and any byte outside the alphabet, as mail readers
/// do, and stops at padding.
public struct Base64Decoder: Sendable {
    private var acc: UInt32 = 0
    private var count: Int = 0   // sextets in acc
    private var ended = false

    public init() {}

    /// Table: 0...63 for alphabet bytes, 0x40 for '=', 0x80 for everything else.
    @usableFromInline static let table: [UInt8] = {
        var t = [UInt8](repeating: 0x80, count: 256)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        for (i, c) in alphabet.enumerated() { t[Int(c)] = UInt8(i) }
        t[Int(UInt8(ascii: "="))] = 0x40
        return t
    }()

    /// The most bytes `decode` can write for `n` input bytes.
    public static func maxOutput(_ n: Int) -> Int { n / 4 * 3 + 4 }

    /// Four tables for the fast path: the sextet of an alphabet byte already shifted
    /// into place (18, 12, 6, 0 bits), and 0xFF000000 for any other byte, so a whole
    /// quantum is one OR and one test.
    @usableFromInline static let shifted: [UInt32] = {
        var t = [UInt32](repeating: 0xFF00_0000, count: 4 * 256)
        for c in 0..<256 where table[c] < 64 {
            let v = UInt32(table[c])
            t[c] = v << 18; t[256 + c] = v << 12; t[512 + c] = v << 6; t[768 + c] = v
        }
        return t
    }()

    /// Decodes `input` into `out` (room for ``maxOutput(_:)`` bytes); returns bytes written.
    public mutating func decode(_ input: UnsafeRawBufferPointer, into out: UnsafeMutablePointer<UInt8>) -> Int {
        guard !ended, let base = input.baseAddress else { return 0 }
        let src = base.assumingMemoryBound(to: UInt8.self)
        let n = input.count
        var i = 0
        var o = 0
        Self.table.withUnsafeBufferPointer { tb in
          Self.shifted.withUnsafeBufferPointer { sb in
            let t = tb.baseAddress!
            let s = sb.baseAddress!
            var acc = self.acc
            var count = self.count
            while i < n {
                // Fast path: four alphabet bytes at a quantum boundary. The 32-bit store
                // writes one byte past the three it keeps; maxOutput leaves room for it.
                if count == 0 {
                    while i + 4 <= n {
                        let v = s[Int(src[i])] | s[256 + Int(src[i + 1])] | s[512 + Int(src[i + 2])] | s[768 + Int(src[i + 3])]
                        if v & 0xFF00_0000 != 0 { break }
                        UnsafeMutableRawPointer(out + o).storeBytes(of: (v << 8).bigEndian, as: UInt32.self)
                        o += 3
                        i += 4
                    }
                    if i >= n { break }
                }
                let v = t[Int(src[i])]
                i += 1
                if v & 0x80 != 0 { continue }          // line breaks, spaces, junk
                if v == 0x40 {                         // padding: the data ends here
                    self.ended = true
                    break
                }
                acc = acc << 6 | UInt32(v)
                count += 1
                if count == 4 {
                    out[o] = UInt8(truncatingIfNeeded: acc >> 16)
                    out[o + 1] = UInt8(truncatingIfNeeded: acc >> 8)
                    out[o + 2] = UInt8(truncatingIfNeeded: acc)
                    o += 3
                    acc = 0
                    count = 0
                }
            }
            if self.ended { o += Self.flush(acc: acc, count: count, out + o); acc = 0; count = 0 }
            self.acc = acc
            self.count = count
          }
        }
        return o
    }

    /// Ends the input: emits what the last incomplete quantum holds.
    public mutating func finish(into out: UnsafeMutablePointer<UInt8>) -> Int {
        let o = Self.flush(acc: acc, count: count, out)
        acc = 0; count = 0; ended = true
        return o
    }

    private static func flush(acc: UInt32, count: Int, _ out: UnsafeMutablePointer<UInt8>) -> Int {
        switch count {
        case 2: out[0] = UInt8(truncatingIfNeeded: acc >> 4); return 1
        case 3: out[0] = UInt8(truncatingIfNeeded: acc >> 10); out[1] = UInt8(truncatingIfNeeded: acc >> 2); return 2
        default: return 0
        }
    }

    /// Convenience for small inputs (encoded words, tests).
    public mutating func decodeAll(_ input: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Self.maxOutput(input.count) + 3)
        let n = out.withUnsafeMutableBufferPointer { ob in
            input.withUnsafeBytes { ib in
                let k = decode(ib, into: ob.baseAddress!)
                return k + finish(into: ob.baseAddress! + k)
            }
        }
        out.removeLast(out.count - n)
        return out
    }
}
