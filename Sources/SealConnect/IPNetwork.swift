#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 network in CIDR notation (`192.0.2.0/24`, `2001:db8::/32`, or a
/// single address). IPv4-mapped IPv6 client addresses (`::ffff:192.0.2.1`) match
/// IPv4 networks.
public struct IPNetwork: Sendable, Hashable, CustomStringConvertible {
    /// 4 or 16 bytes, host bits cleared.
    public let address: [UInt8]
    public let prefixLength: Int

    /// Why a text is not a network.
    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case badAddress(String), badPrefix(String), hostBitsSet(String)
        public var description: String {
            switch self {
            case .badAddress(let a): return "'\(a)' is not an IPv4 or IPv6 address"
            case .badPrefix(let p): return "'\(p)' is not a prefix length for this address family"
            case .hostBitsSet(let n): return "'\(n)' has bits set after the prefix (did you mean the network address?)"
            }
        }
    }

    /// Parses `ADDRESS[/PREFIX]`; an address alone is a /32 or /128.
    public init(parsing text: String) throws(ParseError) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let bytes = IPNetwork.bytes(of: String(parts[0])) else { throw .badAddress(String(parts[0])) }
        let bits = bytes.count * 8
        var prefix = bits
        if parts.count == 2 {
            guard let p = Int(parts[1]), parts[1].allSatisfy(\.isNumber), p >= 0, p <= bits else { throw .badPrefix(String(parts[1])) }
            prefix = p
        }
        let masked = IPNetwork.mask(bytes, prefix)
        if masked != bytes { throw .hostBitsSet(text) }
        address = masked
        prefixLength = prefix
    }

    /// The bytes of an address (4 for IPv4, 16 for IPv6), nil when it is none.
    /// `[...]` brackets and an `IPv6:` prefix (as some MTAs write them) are allowed.
    public static func bytes(of text: String) -> [UInt8]? {
        var t = Substring(text)
        if t.hasPrefix("[") && t.hasSuffix("]") { t = t.dropFirst().dropLast() }
        if t.lowercased().hasPrefix("ipv6:") { t = t.dropFirst(5) }
        if let zone = t.firstIndex(of: "%") { t = t[..<zone] }
        let s = String(t)
        var v4 = in_addr()
        if s.contains("."), !s.contains(":"), inet_pton(AF_INET, s, &v4) == 1 {
            return withUnsafeBytes(of: v4) { Array($0) }
        }
        var v6 = in6_addr()
        if s.contains(":"), inet_pton(AF_INET6, s, &v6) == 1 {
            return withUnsafeBytes(of: v6) { Array($0) }
        }
        return nil
    }

    static func mask(_ bytes: [UInt8], _ prefix: Int) -> [UInt8] {
        var out = bytes
        for i in out.indices {
            let keep = max(0, min(8, prefix - i * 8))
            out[i] &= keep == 0 ? 0 : UInt8(truncatingIfNeeded: 0xff << (8 - keep))
        }
        return out
    }

    /// Whether the address `text` is in the network (false when it is no address).
    public func contains(_ text: String) -> Bool {
        guard var b = IPNetwork.bytes(of: text) else { return false }
        // ::ffff:a.b.c.d is the IPv4 client a.b.c.d.
        if b.count == 16, address.count == 4, b[0..<10].allSatisfy({ $0 == 0 }), b[10] == 0xff, b[11] == 0xff {
            b = Array(b[12...])
        }
        guard b.count == address.count else { return false }
        return IPNetwork.mask(b, prefixLength) == address
    }

    public var description: String {
        var buf = [CChar](repeating: 0, count: 64)
        let family = address.count == 4 ? AF_INET : AF_INET6
        let ok = address.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &buf, socklen_t(buf.count)) } != nil
        let a = ok ? String(cString: buf) : "?"
        return "\(a)/\(prefixLength)"
    }
}
