#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a verifier says about one occurrence of a needle.
enum MatchVerdict {
    /// The occurrence is what we are looking for.
    case match
    /// It is not (for example `/EncryptMetadata` for `/Encrypt`).
    case noMatch
    /// The bytes after it are not all here yet; it is looked at again once they are.
    case needMore
}

/// Finds a fixed needle in a stream fed in chunks of any size: `memchr` for one rare byte of
/// the needle, then `memcmp` (Glibc does not export `memmem` to Swift without `_GNU_SOURCE`).
///
/// It keeps the last ``capacity`` bytes of the stream (a fixed inline carry, no heap), so an
/// occurrence that straddles a chunk edge is found in the small junction of carry and the
/// next chunk's first bytes. Each occurrence is handed to a verifier together with the region
/// it sits in; a verifier may look at most `capacity - 1` bytes from the start of the needle
/// and answers ``MatchVerdict/needMore`` when the region ends too early. Such an occurrence
/// lies within the carry, so it is handed over again with more bytes after it (an occurrence
/// may therefore be verified more than once: verifiers must be pure).
struct CarryScanner: Sendable {
    static let capacity = 128
    private var carry = InlineArray<128, UInt8>(repeating: 0)
    private var carryCount = 0
    /// Absolute stream offset of the next byte to be fed.
    private(set) var offset = 0

    /// The verifier: (region, index of the needle in it, absolute offset of region[0],
    /// whether the region ends at the end of the stream).
    typealias Verifier = (UnsafeRawBufferPointer, Int, Int, Bool) -> MatchVerdict

    /// Feeds a chunk; returns true as soon as a verified occurrence is found.
    mutating func feed(_ chunk: UnsafeRawBufferPointer, needle: UnsafeRawBufferPointer,
                       verify: Verifier) -> Bool {
        let n = chunk.count
        guard n > 0, let chunkBase = chunk.baseAddress else { return false }
        var hit = false
        if carryCount > 0 {
            // Junction: carry followed by the chunk's first bytes. Only occurrences that start
            // inside the carry are considered here; the rest are found in the chunk itself.
            let take = min(n, Self.capacity)
            let held = carryCount
            let base = offset - held
            hit = withUnsafeTemporaryAllocation(byteCount: held + take, alignment: 1) { tmp -> Bool in
                let dst = tmp.baseAddress!
                carry.span.withUnsafeBytes { c in dst.copyMemory(from: c.baseAddress!, byteCount: held) }
                (dst + held).copyMemory(from: chunkBase, byteCount: take)
                return Self.search(UnsafeRawBufferPointer(tmp), base: base, startsBefore: held,
                                   needle: needle, atEnd: false, verify: verify)
            }
        }
        if !hit {
            hit = Self.search(chunk, base: offset, startsBefore: n, needle: needle, atEnd: false, verify: verify)
        }
        keepTail(chunk)
        offset += n
        return hit
    }

    /// The stream ended: occurrences left waiting in the carry are judged on what there is.
    func finish(needle: UnsafeRawBufferPointer, verify: Verifier) -> Bool {
        guard carryCount > 0 else { return false }
        let held = carryCount
        let base = offset - held
        return carry.span.withUnsafeBytes { c in
            Self.search(UnsafeRawBufferPointer(rebasing: c[0..<held]), base: base, startsBefore: held,
                        needle: needle, atEnd: true, verify: verify)
        }
    }

    /// Keeps the last `capacity` bytes of (carry + chunk).
    private mutating func keepTail(_ chunk: UnsafeRawBufferPointer) {
        let cap = Self.capacity
        let n = chunk.count
        var span = carry.mutableSpan
        let held = carryCount
        span.withUnsafeMutableBytes { dst in
            let d = dst.baseAddress!
            if n >= cap {
                d.copyMemory(from: chunk.baseAddress! + (n - cap), byteCount: cap)
            } else {
                let keep = min(held, cap - n)
                if keep > 0 && keep < held { memmove(d, d + (held - keep), keep) }
                (d + keep).copyMemory(from: chunk.baseAddress!, byteCount: n)
            }
        }
        carryCount = n >= cap ? cap : min(held, cap - n) + n
    }

    /// The needle byte to look for with memchr: the first that is not `-`, `/`, `<`, NUL or a
    /// space (frequent in text, PDF, HTML and OLE data).
    @inline(__always) private static func anchorIndex(_ needle: UnsafeRawBufferPointer) -> Int {
        for i in 0..<needle.count {
            switch needle[i] {
            case 0x00, 0x20, UInt8(ascii: "-"), UInt8(ascii: "/"), UInt8(ascii: "<"): continue
            default: return i
            }
        }
        return 0
    }

    /// Every occurrence starting before `startsBefore`, verified in order.
    private static func search(_ region: UnsafeRawBufferPointer, base: Int, startsBefore limit: Int,
                               needle: UnsafeRawBufferPointer, atEnd: Bool, verify: Verifier) -> Bool {
        guard let start = region.baseAddress, let nb = needle.baseAddress else { return false }
        let total = region.count
        let nl = needle.count
        guard nl > 0, total >= nl else { return false }
        // memchr for one byte of the needle (the anchor, chosen to be rare in the data
        // expected), then memcmp for the whole needle.
        let anchor = Self.anchorIndex(needle)
        let anchorByte = Int32(needle[anchor])
        let lastStart = min(limit - 1, total - nl)
        var from = 0
        while from <= lastStart {
            let searchFrom = from + anchor
            let searchLength = lastStart + anchor + 1 - searchFrom
            guard let q = memchr(start + searchFrom, anchorByte, searchLength) else { return false }
            let idx = start.distance(to: UnsafeRawPointer(q)) - anchor
            if memcmp(start + idx, nb, nl) == 0 && verify(region, idx, base, atEnd) == .match { return true }
            from = idx + 1
        }
        return false
    }
}

/// Little-endian and bounds helpers over raw buffers.
extension UnsafeRawBufferPointer {
    @inline(__always) func le16(_ i: Int) -> Int { Int(self[i]) | Int(self[i + 1]) << 8 }
    @inline(__always) func le32(_ i: Int) -> Int { le16(i) | le16(i + 2) << 16 }
}
