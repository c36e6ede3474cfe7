import COpenSSL

/// Key derivation on OpenSSL: HKDF-SHA-256 (RFC 5869) and PBKDF2-HMAC-SHA-256
/// (RFC 8018).
public enum KDF {
    /// HKDF-SHA-256 (extract and expand) of `ikm` with `salt` and `info`, `length` bytes.
    public static func hkdfSHA256(ikm: [UInt8], salt: [UInt8], info: [UInt8], length: Int = 32) throws(CryptoError) -> [UInt8] {
        guard length > 0, length <= 255 * 32, !ikm.isEmpty else { throw CryptoError.failed("HKDF (length)") }
        guard let ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nil) else { throw CryptoError.failed("HKDF context") }
        defer { EVP_PKEY_CTX_free(ctx) }
        var out = [UInt8](repeating: 0, count: length)
        var outLen = length
        // An empty salt is legal (RFC 5869: a string of zeros); OpenSSL wants a pointer.
        let zero = [UInt8](repeating: 0, count: 32)
        let s = salt.isEmpty ? zero : salt
        let ok = ikm.withUnsafeBufferPointer { k in s.withUnsafeBufferPointer { sa in info.withUnsafeBufferPointer { i in
            out.withUnsafeMutableBufferPointer { o -> Bool in
                guard EVP_PKEY_derive_init(ctx) == 1,
                      EVP_PKEY_CTX_set_hkdf_md(ctx, EVP_sha256()) == 1,
                      EVP_PKEY_CTX_set1_hkdf_salt(ctx, sa.baseAddress, Int32(sa.count)) == 1,
                      EVP_PKEY_CTX_set1_hkdf_key(ctx, k.baseAddress, Int32(k.count)) == 1 else { return false }
                if i.count > 0 { guard EVP_PKEY_CTX_add1_hkdf_info(ctx, i.baseAddress, Int32(i.count)) == 1 else { return false } }
                return EVP_PKEY_derive(ctx, o.baseAddress, &outLen) == 1
            } } } }
        guard ok, outLen == length else { throw CryptoError.failed("HKDF-SHA-256") }
        return out
    }

    /// HKDF-SHA-256 with a text `info`.
    public static func hkdfSHA256(ikm: [UInt8], salt: [UInt8], info: String, length: Int = 32) throws(CryptoError) -> [UInt8] {
        try hkdfSHA256(ikm: ikm, salt: salt, info: Array(info.utf8), length: length)
    }

    /// PBKDF2-HMAC-SHA-256 of `password` with `salt`, `iterations` rounds, `length` bytes.
    public static func pbkdf2SHA256(password: [UInt8], salt: [UInt8], iterations: Int, length: Int = 32) throws(CryptoError) -> [UInt8] {
        guard iterations >= 1, iterations <= Int(Int32.max), length > 0 else { throw CryptoError.failed("PBKDF2 (parameters)") }
        var out = [UInt8](repeating: 0, count: length)
        // Empty passwords and salts are legal; OpenSSL wants non-NULL pointers.
        let p = password.isEmpty ? [0] : password, s = salt.isEmpty ? [0] : salt
        let ok = p.withUnsafeBytes { pw in s.withUnsafeBufferPointer { sa in out.withUnsafeMutableBufferPointer { o in
            PKCS5_PBKDF2_HMAC(pw.baseAddress!.assumingMemoryBound(to: CChar.self), Int32(password.count),
                              sa.baseAddress, Int32(salt.count), Int32(iterations), EVP_sha256(), Int32(length), o.baseAddress) == 1
        } } }
        guard ok else { throw CryptoError.failed("PBKDF2-HMAC-SHA-256") }
        return out
    }
}
