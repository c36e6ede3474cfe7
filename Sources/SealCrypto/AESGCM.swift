import COpenSSL

/// AES-256-GCM on OpenSSL with a 12-byte nonce and a 16-byte tag appended to the
/// ciphertext. One value holds one cipher context and one key, so that a stream of
/// chunks under one key (an envelope's content) pays for the key schedule once.
/// Not thread-safe: one per stream. Never logs; errors carry no key material.
public final class AESGCM {
    public static let keySize = 32, nonceSize = 12, tagSize = 16
    private let ctx: OpaquePointer
    private let encrypting: Bool

    /// A context for `key` (32 bytes), sealing (`encrypt: true`) or opening.
    public init(key: [UInt8], encrypt: Bool) throws(CryptoError) {
        guard key.count == Self.keySize else { throw CryptoError.failed("AES-256-GCM (key of \(key.count) bytes)") }
        guard let c = EVP_CIPHER_CTX_new() else { throw CryptoError.failed("EVP_CIPHER_CTX_new") }
        let ok = key.withUnsafeBufferPointer { k in
            encrypt ? EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), nil, k.baseAddress, nil) == 1
                    : EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), nil, k.baseAddress, nil) == 1
        }
        guard ok else { EVP_CIPHER_CTX_free(c); throw CryptoError.failed("AES-256-GCM init") }
        ctx = c
        encrypting = encrypt
    }

    deinit { EVP_CIPHER_CTX_free(ctx) }

    /// Encrypts `plaintext` with `nonce` (12 bytes) and `aad`, appending the
    /// ciphertext and the tag to `out`.
    public func seal(nonce: [UInt8], aad: [UInt8], _ plaintext: UnsafeRawBufferPointer, into out: inout [UInt8]) throws(CryptoError) {
        precondition(encrypting)
        guard nonce.count == Self.nonceSize else { throw CryptoError.failed("AES-256-GCM (nonce of \(nonce.count) bytes)") }
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: plaintext.count + Self.tagSize))
        var n: Int32 = 0
        let ok = nonce.withUnsafeBufferPointer { iv in aad.withUnsafeBufferPointer { a in out.withUnsafeMutableBufferPointer { o -> Bool in
            guard EVP_EncryptInit_ex(ctx, nil, nil, nil, iv.baseAddress) == 1 else { return false }
            if a.count > 0 { guard EVP_EncryptUpdate(ctx, nil, &n, a.baseAddress, Int32(a.count)) == 1 else { return false } }
            var written = 0
            if plaintext.count > 0 {
                guard EVP_EncryptUpdate(ctx, o.baseAddress! + start, &n, plaintext.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                        Int32(plaintext.count)) == 1 else { return false }
                written = Int(n)
            }
            guard EVP_EncryptFinal_ex(ctx, o.baseAddress! + start + written, &n) == 1 else { return false }
            written += Int(n)
            guard written == plaintext.count else { return false }
            return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, Int32(Self.tagSize), o.baseAddress! + start + written) == 1
        } } }
        guard ok else { out.removeSubrange(start...); throw CryptoError.failed("AES-256-GCM encryption") }
    }

    /// Decrypts `sealed` (ciphertext and tag) with `nonce` and `aad`, appending the
    /// plaintext to `out`. Returns false when the tag does not verify (wrong key,
    /// damaged or forged data): nothing is appended then.
    @discardableResult
    public func open(nonce: [UInt8], aad: [UInt8], _ sealed: UnsafeRawBufferPointer, into out: inout [UInt8]) throws(CryptoError) -> Bool {
        precondition(!encrypting)
        guard nonce.count == Self.nonceSize else { throw CryptoError.failed("AES-256-GCM (nonce of \(nonce.count) bytes)") }
        guard sealed.count >= Self.tagSize else { return false }
        let textCount = sealed.count - Self.tagSize
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: textCount + 16))
        var n: Int32 = 0
        var tag = [UInt8](UnsafeRawBufferPointer(rebasing: sealed[textCount...]))
        let result: Int = nonce.withUnsafeBufferPointer { iv in aad.withUnsafeBufferPointer { a in out.withUnsafeMutableBufferPointer { o -> Int in
            guard EVP_DecryptInit_ex(ctx, nil, nil, nil, iv.baseAddress) == 1 else { return -1 }
            if a.count > 0 { guard EVP_DecryptUpdate(ctx, nil, &n, a.baseAddress, Int32(a.count)) == 1 else { return -1 } }
            var written = 0
            if textCount > 0 {
                guard EVP_DecryptUpdate(ctx, o.baseAddress! + start, &n, sealed.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                        Int32(textCount)) == 1 else { return -1 }
                written = Int(n)
            }
            guard tag.withUnsafeMutableBytes({ EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, Int32(Self.tagSize), $0.baseAddress) }) == 1 else { return -1 }
            guard EVP_DecryptFinal_ex(ctx, o.baseAddress! + start + written, &n) == 1 else { return 0 }
            return 1
        } } }
        out.removeLast(16)
        if result != 1 {
            // Wipe what was decrypted before the tag check failed.
            for i in start..<out.count { out[i] = 0 }
            out.removeSubrange(start...)
            if result == 0 { return false }
            throw CryptoError.failed("AES-256-GCM decryption")
        }
        return true
    }

    /// One-shot encryption: ciphertext and tag.
    public static func seal(key: [UInt8], nonce: [UInt8], aad: [UInt8], _ plaintext: [UInt8]) throws(CryptoError) -> [UInt8] {
        let c = try AESGCM(key: key, encrypt: true)
        var out: [UInt8] = []
        var failure: CryptoError? = nil
        plaintext.withUnsafeBytes { p in
            do throws(CryptoError) { try c.seal(nonce: nonce, aad: aad, p, into: &out) } catch { failure = error }
        }
        if let failure { throw failure }
        return out
    }

    /// One-shot decryption; nil when the tag does not verify.
    public static func open(key: [UInt8], nonce: [UInt8], aad: [UInt8], _ sealed: [UInt8]) throws(CryptoError) -> [UInt8]? {
        let c = try AESGCM(key: key, encrypt: false)
        var out: [UInt8] = []
        var failure: CryptoError? = nil
        let ok = sealed.withUnsafeBytes { p -> Bool in
            do throws(CryptoError) { return try c.open(nonce: nonce, aad: aad, p, into: &out) } catch { failure = error; return false }
        }
        if let failure { throw failure }
        return ok ? out : nil
    }
}
