import COpenSSL

/// The trust anchors (a CA bundle plus extra anchors) and the configured CRLs:
/// whether a certificate chains to a trusted root, for which purpose, at which
/// time, and whether a CRL revokes it. Read-only once built; safe for many threads
/// (each verification has its own `X509_STORE_CTX`).
public final class TrustStore: @unchecked Sendable {
    /// The `X509_STORE*`, owned.
    public let store: OpaquePointer
    /// The anchors loaded (for `sealctl` and messages).
    public let anchors: [Certificate]
    private let crls: [CRL]

    /// What a certificate is checked for.
    public enum Purpose: Sendable {
        /// Signing mail (X509_PURPOSE_SMIME_SIGN).
        case smimeSign
        /// Encrypting mail to it (X509_PURPOSE_SMIME_ENCRYPT for RSA keys; for
        /// key-agreement keys OpenSSL's purpose demands keyEncipherment, which EC
        /// certificates do not carry, so the chain is checked without a purpose and
        /// the leaf's usage by ``Certificate/allowsKeyTransportOrAgreement``).
        case smimeEncrypt
    }

    /// Anchors from `bundles` (PEM files of several certificates, e.g.
    /// /etc/ssl/certs/ca-certificates.crt) and `anchors` (single files), CRLs from `crlFiles` (PEM or DER).
    public init(bundles: [String], anchors anchorFiles: [String] = [], crlFiles: [String] = []) throws(CertificateError) {
        guard let s = X509_STORE_new() else { throw .openssl(.drain("X509_STORE_new")) }
        store = s
        var all: [Certificate] = []
        for path in bundles + anchorFiles {
            let certs = try Certificate.load(file: path)
            for c in certs {
                if X509_STORE_add_cert(s, c.x509) != 1 { ERR_clear_error() }  // duplicates are fine
                all.append(c)
            }
        }
        anchors = all
        var list: [CRL] = []
        for path in crlFiles { list += try CRL.load(file: path) }
        crls = list
    }

    /// An empty store with these anchors (tests, `sealctl`).
    public convenience init(anchors: [Certificate], crls: [CRL] = []) throws(CertificateError) {
        try self.init(bundles: [])
        for c in anchors where X509_STORE_add_cert(store, c.x509) != 1 { ERR_clear_error() }
        extra = anchors
        extraCRLs = crls
    }
    private var extra: [Certificate] = []
    private var extraCRLs: [CRL] = []

    deinit { X509_STORE_free(store) }

    /// Why `certificate` does not chain to an anchor for `purpose` at `time`, or is
    /// revoked by a configured CRL; nil when it is trusted. `untrusted` are
    /// intermediates that may complete the chain (from a signature, an identity's file).
    public func problem(with certificate: Certificate, untrusted: [Certificate] = [], purpose: Purpose, at time: Int64) -> String? {
        guard let ctx = X509_STORE_CTX_new() else { ERR_clear_error(); return "cannot verify (out of memory)" }
        defer { X509_STORE_CTX_free(ctx) }
        let stack: CertificateStack
        do { stack = try CertificateStack(untrusted) } catch { return "cannot verify: \(error)" }
        guard X509_STORE_CTX_init(ctx, store, certificate.x509, stack.stack) == 1 else {
            return "cannot verify: " + OpenSSLError.drain("X509_STORE_CTX_init").description
        }
        switch purpose {
        case .smimeSign: _ = X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SMIME_SIGN)
        case .smimeEncrypt:
            if case .rsa = certificate.keyType { _ = X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SMIME_ENCRYPT) }
        }
        X509_STORE_CTX_set_time(ctx, 0, time_t(time))
        if X509_verify_cert(ctx) != 1 {
            let err = X509_STORE_CTX_get_error(ctx)
            ERR_clear_error()
            return "does not chain to the trust store: " + String(cString: X509_verify_cert_error_string(Int(err)))
        }
        // Revocation: a configured CRL of the certificate's issuer, signed by that issuer.
        let chain = X509_STORE_CTX_get0_chain(ctx)
        let issuer = seal_sk_X509_num(chain) > 1 ? seal_sk_X509_value(chain, 1) : certificate.x509
        for crl in crls + extraCRLs where X509_NAME_cmp(X509_CRL_get_issuer(crl.crl), X509_get_issuer_name(certificate.x509)) == 0 {
            guard let issuer, let key = X509_get0_pubkey(issuer), X509_CRL_verify(crl.crl, key) == 1 else { ERR_clear_error(); continue }
            var revoked: OpaquePointer? = nil
            if X509_CRL_get0_by_cert(crl.crl, &revoked, certificate.x509) == 1 {
                return "is revoked by the CRL \(crl.source)"
            }
        }
        return nil
    }
}

/// A certificate revocation list.
public final class CRL: @unchecked Sendable {
    public let crl: OpaquePointer
    /// The file it came from.
    public let source: String
    init(owning crl: OpaquePointer, source: String) { self.crl = crl; self.source = source }
    deinit { X509_CRL_free(crl) }

    /// Every CRL in `bytes` (PEM blocks, or one DER CRL).
    public static func load(_ bytes: [UInt8], what: String) throws(CertificateError) -> [CRL] {
        var out: [CRL] = []
        let text = Hex.contains(bytes, "-----BEGIN ")
        if text {
            let bio = try MemoryBIO(bytes)
            while let c = PEM_read_bio_X509_CRL(bio.bio, nil, nil, nil) { out.append(CRL(owning: c, source: what)) }
        } else {
            let c: OpaquePointer? = bytes.withUnsafeBufferPointer { b in
                var p: UnsafePointer<UInt8>? = b.baseAddress
                return d2i_X509_CRL(nil, &p, b.count)
            }
            if let c { out.append(CRL(owning: c, source: what)) }
        }
        ERR_clear_error()
        if out.isEmpty { throw .openssl(OpenSSLError(operation: "reading the CRL \(what)", reasons: ["no CRL found"])) }
        return out
    }

    public static func load(file: String) throws(CertificateError) -> [CRL] { try load(FileBytes.read(file, limit: 64 << 20), what: file) }
}
