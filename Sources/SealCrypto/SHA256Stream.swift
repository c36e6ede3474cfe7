import COpenSSL

/// SHA-256 over bytes that arrive in pieces (a part's decoded content as the
/// parser delivers it), without keeping them.
public final class SHA256Stream {
    private var ctx: OpaquePointer?
    private var failed = false

    public init() {
        ctx = EVP_MD_CTX_new()
        if ctx == nil || EVP_DigestInit_ex(ctx, EVP_sha256(), nil) != 1 { failed = true }
    }

    deinit { EVP_MD_CTX_free(ctx) }

    /// Adds `bytes`.
    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard !failed, bytes.count > 0 else { return }
        if EVP_DigestUpdate(ctx, bytes.baseAddress, bytes.count) != 1 { failed = true }
    }

    /// The digest (32 bytes); the stream is spent afterwards.
    public func finish() throws(CryptoError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var len: UInt32 = 0
        guard !failed else { throw CryptoError.failed("SHA-256") }
        let ok = out.withUnsafeMutableBufferPointer { EVP_DigestFinal_ex(ctx, $0.baseAddress, &len) == 1 }
        failed = true
        guard ok, len == 32 else { throw CryptoError.failed("SHA-256") }
        return out
    }
}
