import COpenSSL

/// A P-256 (prime256v1) key on OpenSSL, public only or with its private part: the
/// envelope's recovery key pair and the ephemeral keys of ECDH. Immutable after
/// creation; OpenSSL's EVP_PKEY is safe to share for these read-only uses.
public final class P256Key: @unchecked Sendable {
    let pkey: OpaquePointer
    /// Whether the private part is there.
    public let hasPrivate: Bool

    private init(_ pkey: OpaquePointer, hasPrivate: Bool) { self.pkey = pkey; self.hasPrivate = hasPrivate }
    deinit { EVP_PKEY_free(pkey) }

    /// A fresh key pair from OpenSSL's CSPRNG.
    public static func generate() throws(CryptoError) -> P256Key {
        guard let ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, nil) else { throw CryptoError.failed("EC key context") }
        defer { EVP_PKEY_CTX_free(ctx) }
        var key: OpaquePointer? = nil
        guard EVP_PKEY_keygen_init(ctx) == 1,
              EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx, NID_X9_62_prime256v1) == 1,
              EVP_PKEY_keygen(ctx, &key) == 1, let key else { throw CryptoError.failed("P-256 key generation") }
        return P256Key(key, hasPrivate: true)
    }

    /// A public key from its SubjectPublicKeyInfo DER; nil when it is not a valid
    /// P-256 public key (other curves and algorithms, points off the curve).
    public static func fromSPKI(_ der: [UInt8]) -> P256Key? {
        guard !der.isEmpty, der.count < 1024 else { return nil }
        let key: OpaquePointer? = der.withUnsafeBufferPointer { b in
            var p: UnsafePointer<UInt8>? = b.baseAddress
            return d2i_PUBKEY(nil, &p, b.count)
        }
        guard let key else { ERR_clear_error(); return nil }
        let k = P256Key(key, hasPrivate: false)
        guard k.isP256, k.checkPublic() else { return nil }
        return k
    }

    /// A key from PEM text: a private key (PKCS#8 or SEC 1 "EC PRIVATE KEY") or a
    /// public key ("PUBLIC KEY"). Nil when it is neither or not P-256.
    public static func fromPEM(_ pem: [UInt8]) -> P256Key? {
        guard !pem.isEmpty, pem.count < 64 * 1024 else { return nil }
        return pem.withUnsafeBytes { b -> P256Key? in
            guard let bio = BIO_new_mem_buf(b.baseAddress, Int32(b.count)) else { return nil }
            defer { BIO_free(bio) }
            if let k = PEM_read_bio_PrivateKey(bio, nil, nil, nil) {
                let key = P256Key(k, hasPrivate: true)
                return key.isP256 ? key : nil
            }
            ERR_clear_error()
            _ = BIO_ctrl(bio, BIO_CTRL_RESET, 0, nil)
            if let k = PEM_read_bio_PUBKEY(bio, nil, nil, nil) {
                let key = P256Key(k, hasPrivate: false)
                return key.isP256 && key.checkPublic() ? key : nil
            }
            ERR_clear_error()
            return nil
        }
    }

    private var isP256: Bool {
        guard EVP_PKEY_get_base_id(pkey) == EVP_PKEY_EC else { return false }
        var name = [CChar](repeating: 0, count: 64)
        var len = 0
        guard EVP_PKEY_get_group_name(pkey, &name, name.count, &len) == 1 else { return false }
        let n = String(cString: name)
        return n == "prime256v1" || n == "P-256"
    }

    private func checkPublic() -> Bool {
        guard let ctx = EVP_PKEY_CTX_new(pkey, nil) else { return false }
        defer { EVP_PKEY_CTX_free(ctx) }
        let ok = EVP_PKEY_public_check(ctx) == 1
        if !ok { ERR_clear_error() }
        return ok
    }

    /// The public key's SubjectPublicKeyInfo, DER (91 bytes for P-256).
    public func spkiDER() throws(CryptoError) -> [UInt8] {
        var p: UnsafeMutablePointer<UInt8>? = nil
        let n = i2d_PUBKEY(pkey, &p)
        guard n > 0, let p else { throw CryptoError.failed("i2d_PUBKEY") }
        defer { CRYPTO_free(p, "ECDH.swift", 0) }
        return Array(UnsafeBufferPointer(start: p, count: Int(n)))
    }

    /// The public key as PEM ("PUBLIC KEY").
    public func publicPEM() throws(CryptoError) -> String {
        try Self.pem { PEM_write_bio_PUBKEY($0, pkey) == 1 }
    }

    /// The private key as unencrypted PKCS#8 PEM ("PRIVATE KEY"). Only for writing
    /// the key file; the caller keeps it out of logs.
    public func privatePEM() throws(CryptoError) -> String {
        guard hasPrivate else { throw CryptoError.failed("no private key") }
        return try Self.pem { PEM_write_bio_PrivateKey($0, pkey, nil, nil, 0, nil, nil) == 1 }
    }

    private static func pem(_ write: (OpaquePointer) -> Bool) throws(CryptoError) -> String {
        guard let bio = BIO_new(BIO_s_mem()) else { throw CryptoError.failed("BIO_new") }
        defer { BIO_free(bio) }
        guard write(bio) else { throw CryptoError.failed("PEM write") }
        var data: UnsafeMutablePointer<CChar>? = nil
        let n = BIO_ctrl(bio, BIO_CTRL_INFO, 0, &data)
        guard n > 0, let data else { throw CryptoError.failed("PEM write") }
        return String(decoding: UnsafeRawBufferPointer(start: data, count: n), as: UTF8.self)
    }

    /// The ECDH shared secret with `peer`: the x-coordinate of the shared point,
    /// 32 bytes (what WebCrypto's `deriveBits` for ECDH P-256 gives).
    public func sharedSecret(with peer: P256Key) throws(CryptoError) -> [UInt8] {
        guard hasPrivate else { throw CryptoError.failed("ECDH without a private key") }
        guard let ctx = EVP_PKEY_CTX_new(pkey, nil) else { throw CryptoError.failed("ECDH context") }
        defer { EVP_PKEY_CTX_free(ctx) }
        var len = 0
        guard EVP_PKEY_derive_init(ctx) == 1, EVP_PKEY_derive_set_peer(ctx, peer.pkey) == 1,
              EVP_PKEY_derive(ctx, nil, &len) == 1, len == 32 else { ERR_clear_error(); throw CryptoError.failed("ECDH") }
        var out = [UInt8](repeating: 0, count: len)
        guard out.withUnsafeMutableBufferPointer({ EVP_PKEY_derive(ctx, $0.baseAddress, &len) }) == 1, len == 32 else {
            throw CryptoError.failed("ECDH")
        }
        return out
    }
}
