/// A TLS protocol version as MTAs name it in `{tls_version}` (`TLSv1`, `TLSv1.1`,
/// `TLSv1.2`, `TLSv1.3`; `SSLv3` and older sort below every TLS version).
public struct TLSVersion: Sendable, Comparable, Hashable, CustomStringConvertible {
    /// Major and minor as in the name: TLSv1.2 is (1, 2); SSLv3 is (0, 3).
    public var major: Int
    public var minor: Int

    public init(major: Int, minor: Int) { self.major = major; self.minor = minor }

    /// The versions a policy may name as a minimum.
    public static let known: [TLSVersion] = [.tls1_0, .tls1_1, .tls1_2, .tls1_3]
    public static let tls1_0 = TLSVersion(major: 1, minor: 0)
    public static let tls1_1 = TLSVersion(major: 1, minor: 1)
    public static let tls1_2 = TLSVersion(major: 1, minor: 2)
    public static let tls1_3 = TLSVersion(major: 1, minor: 3)

    /// Reads `TLSv1`, `TLSv1.2`, `TLS1.2`, `1.2`, `SSLv3` (any case). Versions
    /// after 1.3 parse too (`TLSv1.4` sorts above 1.3), so that a newer MTA is not
    /// refused for a name this version has not seen. Nil for anything else.
    public init?(_ text: String) {
        var s = Substring(text.lowercased())
        var ssl = false
        if s.hasPrefix("sslv") { ssl = true; s = s.dropFirst(4) }
        else if s.hasPrefix("tlsv") { s = s.dropFirst(4) }
        else if s.hasPrefix("tls") { s = s.dropFirst(3) }
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count),
              parts.allSatisfy({ !$0.isEmpty && $0.count <= 2 && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              let a = Int(parts[0]) else { return nil }
        let b = parts.count == 2 ? Int(parts[1])! : 0
        if ssl {
            guard parts.count == 1, (2...3).contains(a) else { return nil }
            self.init(major: 0, minor: a)
        } else {
            guard a == 1 else { return nil }
            self.init(major: 1, minor: b)
        }
    }

    public static func < (x: TLSVersion, y: TLSVersion) -> Bool { (x.major, x.minor) < (y.major, y.minor) }

    /// The name as OpenSSL and Postfix write it (`TLSv1`, `TLSv1.2`, `SSLv3`).
    public var description: String {
        if major == 0 { return "SSLv\(minor)" }
        return minor == 0 ? "TLSv1" : "TLSv1.\(minor)"
    }
}
