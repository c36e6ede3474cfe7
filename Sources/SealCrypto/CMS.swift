import COpenSSL

/// CMS (RFC 5652) signing and encryption over OpenSSL's CMS API, streamed: the
/// content goes through BIOs chunk by chunk (CMS_STREAM, CMS_BINARY so that
/// binary content is not line-converted, CMS_PARTIAL so recipients and signers
/// are added before the structure is finished), never held whole in memory.
public enum CMS {
    /// The content-encryption algorithm.
    public enum Cipher: String, Sendable, CaseIterable {
        /// AES-256-CBC in enveloped-data: every S/MIME client reads it.
        case aes256cbc = "aes-256-cbc"
        /// AES-128-CBC in enveloped-data.
        case aes128cbc = "aes-128-cbc"
        /// AES-256-GCM in authenticated-enveloped-data (RFC 5083/5084): integrity
        /// protected, but classic Outlook cannot read it.
        case aes256gcm = "aes-256-gcm"

        var evp: OpaquePointer? {
            switch self {
            case .aes256cbc: EVP_aes_256_cbc()
            case .aes128cbc: EVP_aes_128_cbc()
            case .aes256gcm: EVP_aes_256_gcm()
            }
        }
        /// Whether it makes authenticated-enveloped-data.
        public var isAuthenticated: Bool { self == .aes256gcm }
    }

    /// The signature's message digest.
    public enum Digest: String, Sendable, CaseIterable {
        case sha256 = "sha256", sha384 = "sha384", sha512 = "sha512"
        var evp: OpaquePointer? {
            switch self {
            case .sha256: EVP_sha256()
            case .sha384: EVP_sha384()
            case .sha512: EVP_sha512()
            }
        }
        /// The `micalg` parameter of multipart/signed (RFC 8551, 3.5.3.2).
        public var micalg: String { "sha-" + rawValue.dropFirst(3) }
    }

    /// How a recipient's RSA key wraps the content key.
    public enum RSAPadding: String, Sendable {
        /// PKCS #1 v1.5 (every client).
        case pkcs1 = "pkcs1"
        /// RSAES-OAEP with SHA-256 (RFC 8017; RFC 4055 in CMS).
        case oaep = "oaep"
    }

    /// A recipient: a certificate (RSA or EC key) and, for RSA, the padding.
    public struct Recipient {
        public var certificate: Certificate
        public var padding: RSAPadding
        public init(_ certificate: Certificate, padding: RSAPadding = .pkcs1) {
            self.certificate = certificate; self.padding = padding
        }
    }

    static let streamFlags = UInt32(CMS_BINARY | CMS_PARTIAL | CMS_STREAM)

    // MARK: encryption

    /// Encrypts the content read from `source` for every recipient (one
    /// enveloped-data, or authenticated-enveloped-data for AES-GCM) and writes
    /// the DER, base64-encoded in 64-column lines, to `sink`. `crlf` writes the
    /// lines with CRLF. Returns the number of content bytes read.
    @discardableResult
    public static func encrypt(from source: any ByteSource, to sink: any ByteSink, recipients: [Recipient],
                               cipher: Cipher = .aes256cbc, crlf: Bool) throws -> Int64 {
        precondition(!recipients.isEmpty)
        let flags = streamFlags
        guard let cms = CMS_encrypt(nil, nil, cipher.evp, flags) else { throw OpenSSLError.drain("CMS_encrypt(\(cipher.rawValue))") }
        defer { CMS_ContentInfo_free(cms) }
        for r in recipients {
            let oaep = r.padding == .oaep && { if case .rsa = r.certificate.keyType { return true }; return false }()
            let rflags = flags | (oaep ? UInt32(CMS_KEY_PARAM) : 0)
            guard let ri = CMS_add1_recipient_cert(cms, r.certificate.x509, rflags) else {
                throw OpenSSLError.drain("adding the recipient \(r.certificate.subject)")
            }
            if oaep {
                guard let pctx = CMS_RecipientInfo_get0_pkey_ctx(ri),
                      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING) > 0,
                      EVP_PKEY_CTX_set_rsa_oaep_md(pctx, EVP_sha256()) > 0 else {
                    throw OpenSSLError.drain("RSA-OAEP for \(r.certificate.subject)")
                }
            }
        }
        return try stream(cms, from: source, to: sink, crlf: crlf, what: "CMS encryption")
    }

    // MARK: signing

    /// Signs the content read from `source` as an opaque signed-data (the content
    /// inside), written base64 to `sink`.
    @discardableResult
    public static func signOpaque(from source: any ByteSource, to sink: any ByteSink, identity: Identity,
                                  digest: Digest = .sha256, crlf: Bool) throws -> Int64 {
        let cms = try makeSigned(identity, digest: digest, flags: streamFlags)
        defer { CMS_ContentInfo_free(cms) }
        return try stream(cms, from: source, to: sink, crlf: crlf, what: "CMS signing")
    }

    static func makeSigned(_ identity: Identity, digest: Digest, flags: UInt32) throws -> OpaquePointer {
        let chain = try CertificateStack(identity.chain)
        guard let cms = CMS_sign(nil, nil, chain.stack, nil, flags) else { throw OpenSSLError.drain("CMS_sign") }
        guard CMS_add1_signer(cms, identity.certificate.x509, identity.key.pkey, digest.evp, flags) != nil else {
            CMS_ContentInfo_free(cms)
            throw OpenSSLError.drain("CMS_add1_signer")
        }
        return cms
    }

    /// Streams `source` through the CMS structure's data BIOs and writes the
    /// indefinite-length DER, base64, to `sink` (i2d_CMS_bio_stream).
    static func stream(_ cms: OpaquePointer, from source: any ByteSource, to sink: any ByteSink, crlf: Bool, what: String) throws -> Int64 {
        let input = try StreamBIO(source: source)
        // OpenSSL's base64 without line ends; the lines (76 columns, CRLF or LF) are cut by block copies.
        let lines = Base64LineSink(crlf ? sink : LFSink(sink))
        let output = try StreamBIO(sink: lines)
        guard let b64 = BIO_new(BIO_f_base64()) else { throw OpenSSLError.drain("BIO_new(base64)") }
        BIO_set_flags(b64, BIO_FLAGS_BASE64_NO_NL)
        defer { BIO_free(b64) }  // output is freed by its own owner
        BIO_push(b64, output.bio)
        defer { _ = BIO_pop(b64) }
        let ok = i2d_CMS_bio_stream(b64, cms, input.bio, Int32(streamFlags)) == 1 && seal_bio_flush(b64) == 1
        if let e = input.error ?? output.error { ERR_clear_error(); throw e }
        guard ok else { throw OpenSSLError.drain(what) }
        try lines.finish()
        return input.count
    }
}

/// A detached signature made as the content is pushed through it (for
/// multipart/signed, whose first part the caller writes out at the same time):
/// `update` with every byte of the signed entity, then `finish` for the DER.
public final class DetachedSigner {
    private let cms: OpaquePointer
    private var data: OpaquePointer?
    /// Content bytes signed so far.
    public private(set) var count: Int64 = 0

    public init(identity: Identity, digest: CMS.Digest = .sha256) throws {
        let flags = CMS.streamFlags | UInt32(CMS_DETACHED)
        cms = try CMS.makeSigned(identity, digest: digest, flags: flags)
        guard let d = CMS_dataInit(cms, nil) else {
            CMS_ContentInfo_free(cms)
            throw OpenSSLError.drain("CMS_dataInit")
        }
        data = d
    }

    deinit {
        if let data { BIO_free_all(data) }
        CMS_ContentInfo_free(cms)
    }

    /// Adds content bytes to the digest.
    public func update(_ bytes: UnsafeRawBufferPointer) throws(OpenSSLError) {
        guard let data else { throw OpenSSLError(operation: "signing", reasons: ["already finished"]) }
        var off = 0
        while off < bytes.count {
            var written = 0
            guard BIO_write_ex(data, bytes.baseAddress! + off, bytes.count - off, &written) == 1 else { throw .drain("signing (digest)") }
            off += written
        }
        count += Int64(bytes.count)
    }

    public func update(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try update($0) }
    }

    /// Finishes the signature: the DER of the signed-data (content detached).
    public func finish() throws(OpenSSLError) -> [UInt8] {
        guard let d = data else { throw OpenSSLError(operation: "signing", reasons: ["already finished"]) }
        data = nil
        defer { BIO_free_all(d) }
        _ = seal_bio_flush(d)
        guard CMS_dataFinal(cms, d) == 1 else { throw .drain("CMS_dataFinal") }
        let n = i2d_CMS_ContentInfo(cms, nil)
        guard n > 0 else { throw .drain("i2d_CMS_ContentInfo") }
        var out = [UInt8](repeating: 0, count: Int(n))
        out.withUnsafeMutableBufferPointer { b in
            var p: UnsafeMutablePointer<UInt8>? = b.baseAddress
            _ = i2d_CMS_ContentInfo(cms, &p)
        }
        return out
    }
}

/// Turns CRLF into LF on the way to `sink` (the base64 lines of a message with LF line ends).
final class LFSink: ByteSink {
    let sink: any ByteSink
    init(_ sink: any ByteSink) { self.sink = sink }
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        try bytes.filter { $0 != 13 }.withUnsafeBytes { try sink.write($0) }
    }
}
