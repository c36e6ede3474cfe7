#if canImport(Glibc)
import Glibc
#endif
import COpenSSL

/// A private key (OpenSSL's `EVP_PKEY`), read-only once loaded and shared by threads.
public final class PrivateKey: @unchecked Sendable {
    /// The `EVP_PKEY*`, owned.
    public let pkey: OpaquePointer

    /// Takes ownership of one reference of `pkey`.
    public init(owning pkey: OpaquePointer) { self.pkey = pkey }
    deinit { EVP_PKEY_free(pkey) }

    /// The key in PEM (PKCS#8 or traditional, encrypted or not) or DER in `bytes`.
    /// `passphrase` decrypts an encrypted PEM key; `what` names the source in errors.
    public static func load(_ bytes: [UInt8], passphrase: [UInt8]? = nil, what: String) throws(CertificateError) -> PrivateKey {
        let bio = try MemoryBIO(bytes)
        var pass = (passphrase ?? []) + [0]
        defer { for i in pass.indices { pass[i] = 0 } }
        let k: OpaquePointer? = pass.withUnsafeMutableBytes { p in
            // Always our callback: OpenSSL's default one would prompt on a terminal.
            PEM_read_bio_PrivateKey(bio.bio, nil, { buf, size, _, u in
                guard let buf, let u else { return 0 }
                let pw = u.assumingMemoryBound(to: CChar.self)
                let n = Int32(strlen(pw))
                guard n > 0, n <= size else { return 0 }
                memcpy(buf, pw, Int(n))
                return n
            }, passphrase == nil ? nil : p.baseAddress)
        }
        if let k { ERR_clear_error(); return PrivateKey(owning: k) }
        let reasons = OpenSSLError.takeErrorQueue()
        // DER (PKCS#8 or traditional).
        let der: OpaquePointer? = bytes.withUnsafeBufferPointer { b in
            var p: UnsafePointer<UInt8>? = b.baseAddress
            return d2i_AutoPrivateKey(nil, &p, b.count)
        }
        if let der { ERR_clear_error(); return PrivateKey(owning: der) }
        ERR_clear_error()
        let encrypted = Hex.contains(bytes, "ENCRYPTED")
        if encrypted || reasons.contains(where: { $0.contains("bad decrypt") || $0.contains("bad password") }) {
            throw .cannotDecrypt(what)
        }
        throw .noPrivateKey(what)
    }

    /// The kind of key.
    public var keyType: KeyType { KeyType(EVP_PKEY_get_base_id(pkey), bits: Int(EVP_PKEY_get_bits(pkey))) }

    /// Whether this key is the private half of `certificate`'s public key.
    public func matches(_ certificate: Certificate) -> Bool {
        let ok = X509_check_private_key(certificate.x509, pkey) == 1
        ERR_clear_error()
        return ok
    }
}

/// A signing (or decryption) identity: a private key, its certificate and the
/// intermediate certificates that lead to a trust anchor (sent with signatures).
public struct Identity: Sendable {
    public let key: PrivateKey
    public let certificate: Certificate
    /// Intermediate CA certificates, leaf's issuer first (may be empty).
    public let chain: [Certificate]

    /// Fails with ``CertificateError/keyMismatch(_:)`` when the key does not belong to the certificate.
    public init(key: PrivateKey, certificate: Certificate, chain: [Certificate] = [], what: String = "identity") throws(CertificateError) {
        guard key.matches(certificate) else { throw .keyMismatch(what) }
        self.key = key; self.certificate = certificate; self.chain = chain
    }

    /// A PEM key file and a PEM/DER certificate file (the first certificate is the
    /// leaf, the others its chain). `passphrase` decrypts an encrypted key.
    public static func load(keyFile: String, certificateFile: String, passphrase: [UInt8]? = nil) throws(CertificateError) -> Identity {
        var keyBytes = try FileBytes.read(keyFile, limit: 1 << 20)
        defer { for i in keyBytes.indices { keyBytes[i] = 0 } }
        let key = try PrivateKey.load(keyBytes, passphrase: passphrase, what: keyFile)
        let certs = try Certificate.load(file: certificateFile)
        // The leaf is the certificate of the key, wherever it is in the file.
        guard let leaf = certs.first(where: { key.matches($0) }) else { throw .keyMismatch("\(keyFile) and \(certificateFile)") }
        return try Identity(key: key, certificate: leaf, chain: certs.filter { $0 !== leaf }, what: keyFile)
    }

    /// A PKCS#12 file (key, certificate, CA certificates), decrypted with `passphrase`.
    public static func load(pkcs12 bytes: [UInt8], passphrase: [UInt8], what: String) throws(CertificateError) -> Identity {
        let bio = try MemoryBIO(bytes)
        guard let p12 = d2i_PKCS12_bio(bio.bio, nil) else {
            ERR_clear_error()
            throw .noCertificate("\(what) (not a PKCS#12 file)")
        }
        defer { PKCS12_free(p12) }
        var pass = passphrase.map { CChar(bitPattern: $0) } + [0]
        defer { for i in pass.indices { pass[i] = 0 } }
        var pkey: OpaquePointer? = nil
        var cert: OpaquePointer? = nil
        var ca: OpaquePointer? = nil
        let ok = PKCS12_parse(p12, pass, &pkey, &cert, &ca) == 1
        defer { if let ca { seal_sk_X509_free_all(ca) } }
        guard ok else {
            if let pkey { EVP_PKEY_free(pkey) }
            if let cert { X509_free(cert) }
            ERR_clear_error()
            throw .cannotDecrypt(what)
        }
        guard let pkey else { if let cert { X509_free(cert) }; throw .noPrivateKey(what) }
        let key = PrivateKey(owning: pkey)
        guard let cert else { throw .noCertificate(what) }
        var chain: [Certificate] = []
        for i in 0..<seal_sk_X509_num(ca) {
            if let x = seal_sk_X509_value(ca, i), X509_up_ref(x) == 1 { chain.append(Certificate(owning: x)) }
        }
        return try Identity(key: key, certificate: Certificate(owning: cert), chain: chain, what: what)
    }

    /// A PKCS#12 file whose passphrase is the first line of `passphraseFile`.
    public static func load(pkcs12File: String, passphraseFile: String?) throws(CertificateError) -> Identity {
        var bytes = try FileBytes.read(pkcs12File, limit: 4 << 20)
        defer { for i in bytes.indices { bytes[i] = 0 } }
        var pass = try passphraseFile.map { p throws(CertificateError) in try FileBytes.passphrase(p) } ?? []
        defer { for i in pass.indices { pass[i] = 0 } }
        return try load(pkcs12: bytes, passphrase: pass, what: pkcs12File)
    }
}

/// An owned `STACK_OF(X509)` holding its own references, for OpenSSL calls that take a stack.
public final class CertificateStack {
    public let stack: OpaquePointer
    public init(_ certificates: [Certificate]) throws(OpenSSLError) {
        guard let s = seal_sk_X509_new() else { throw .drain("sk_X509_new") }
        stack = s
        for c in certificates where seal_sk_X509_push_ref(s, c.x509) != 1 {
            throw .drain("sk_X509_push")
        }
    }
    deinit { seal_sk_X509_free_all(stack) }
}
