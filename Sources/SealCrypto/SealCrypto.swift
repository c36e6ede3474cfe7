import COpenSSL

/// Small cryptographic building blocks on OpenSSL (libcrypto): HMAC-SHA-256,
/// SHA-256, constant-time comparison, random bytes. Protections build on this
/// module; it holds no state and logs nothing (secrets never leave the caller).
public enum SealCrypto {
    /// HMAC-SHA-256 of `message` under `key` (32 bytes).
    public static func hmacSHA256(key: [UInt8], message: [UInt8]) throws(CryptoError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var len: UInt32 = 0
        let ok = key.withUnsafeBufferPointer { k in
            message.withUnsafeBufferPointer { m in
                out.withUnsafeMutableBufferPointer { o in
                    // A zero-length key is legal for HMAC; OpenSSL wants a non-NULL pointer.
                    var empty: UInt8 = 0
                    return withUnsafePointer(to: &empty) { e in
                        HMAC(EVP_sha256(), k.baseAddress.map { UnsafeRawPointer($0) } ?? UnsafeRawPointer(e), Int32(k.count),
                             m.baseAddress ?? e, m.count, o.baseAddress, &len) != nil
                    }
                }
            }
        }
        guard ok, len == 32 else { throw CryptoError.failed("HMAC-SHA-256") }
        return out
    }

    /// SHA-256 of `data` (32 bytes).
    public static func sha256(_ data: [UInt8]) throws(CryptoError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var len: UInt32 = 0
        let ok = data.withUnsafeBufferPointer { d in
            out.withUnsafeMutableBufferPointer { o in
                EVP_Digest(d.baseAddress, d.count, o.baseAddress, &len, EVP_sha256(), nil) == 1
            }
        }
        guard ok, len == 32 else { throw CryptoError.failed("SHA-256") }
        return out
    }

    /// Whether `a` and `b` are equal, in time that depends on their length only.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        if a.isEmpty { return true }
        return a.withUnsafeBytes { x in b.withUnsafeBytes { y in CRYPTO_memcmp(x.baseAddress, y.baseAddress, a.count) == 0 } }
    }

    /// `count` bytes from OpenSSL's CSPRNG.
    public static func randomBytes(_ count: Int) throws(CryptoError) -> [UInt8] {
        precondition(count >= 0)
        var out = [UInt8](repeating: 0, count: count)
        if count == 0 { return out }
        let ok = out.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32(count)) == 1 }
        guard ok else { throw CryptoError.failed("RAND_bytes") }
        return out
    }
}

/// A cryptographic operation failed (OpenSSL said no); never carries key material.
public enum CryptoError: Error, Equatable, CustomStringConvertible {
    case failed(String)
    public var description: String {
        switch self { case .failed(let what): "\(what) failed in OpenSSL" }
    }
}
