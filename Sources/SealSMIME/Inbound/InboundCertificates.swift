import COpenSSL
#if canImport(Glibc)
import Glibc
#endif

/// An X.509 certificate (OpenSSL's X509, reference-counted): what the inbound side
/// reads from it (addresses, serial, issuer, DER).
final class Certificate: @unchecked Sendable {
    let x509: OpaquePointer
    /// Takes a new reference on `x509`.
    init(_ x509: OpaquePointer) { X509_up_ref(x509); self.x509 = x509 }
    private init(owned: OpaquePointer) { self.x509 = owned }
    deinit { X509_free(x509) }

    /// The first certificate of a PEM file.
    static func pem(path: String) throws(InboundConfigError) -> Certificate {
        guard let f = fopen(path, "r") else { throw .file(path, String(cString: strerror(errno))) }
        defer { fclose(f) }
        guard let x = PEM_read_X509(f, nil, nil, nil) else { ERR_clear_error(); throw .file(path, "no PEM certificate") }
        return Certificate(owned: x)
    }

    /// From DER bytes.
    static func der(_ bytes: [UInt8]) -> Certificate? {
        bytes.withUnsafeBufferPointer { b -> Certificate? in
            var p: UnsafePointer<UInt8>? = b.baseAddress
            guard let x = d2i_X509(nil, &p, b.count) else { ERR_clear_error(); return nil }
            return Certificate(owned: x)
        }
    }

    var der: [UInt8]? {
        let n = i2d_X509(x509, nil)
        guard n > 0 else { return nil }
        var out = [UInt8](repeating: 0, count: Int(n))
        _ = out.withUnsafeMutableBufferPointer { b in
            var p: UnsafeMutablePointer<UInt8>? = b.baseAddress
            return i2d_X509(x509, &p)
        }
        return out
    }

    /// rfc822Name entries of subjectAltName, or failing those the subject's emailAddress.
    var emailAddresses: [String] {
        var out: [String] = []
        if let names = X509_get_ext_d2i(x509, NID_subject_alt_name, nil, nil) {
            let sk = OpaquePointer(names)
            for i in 0..<OPENSSL_sk_num(sk) {
                let gn = OPENSSL_sk_value(sk, i)!.assumingMemoryBound(to: GENERAL_NAME.self)
                if gn.pointee.type == GEN_EMAIL, let s = gn.pointee.d.rfc822Name, let d = ASN1_STRING_get0_data(s) {
                    out.append(String(decoding: UnsafeBufferPointer(start: d, count: Int(ASN1_STRING_length(s))), as: UTF8.self))
                }
            }
            GENERAL_NAMES_free(sk)
        }
        if out.isEmpty, let name = X509_get_subject_name(x509) {
            var last: Int32 = -1
            while true {
                last = X509_NAME_get_index_by_NID(name, NID_pkcs9_emailAddress, last)
                if last < 0 { break }
                if let e = X509_NAME_get_entry(name, last), let s = X509_NAME_ENTRY_get_data(e), let d = ASN1_STRING_get0_data(s) {
                    out.append(String(decoding: UnsafeBufferPointer(start: d, count: Int(ASN1_STRING_length(s))), as: UTF8.self))
                }
            }
        }
        return out.map { $0.lowercased() }
    }

    /// The serial number in hexadecimal.
    var serialHex: String? {
        guard let s = X509_get_serialNumber(x509), let bn = ASN1_INTEGER_to_BN(s, nil) else { return nil }
        defer { BN_free(bn) }
        guard let h = BN_bn2hex(bn) else { return nil }
        defer { CRYPTO_free(h, #file, #line) }
        return String(cString: h)
    }

    /// The issuer's name on one line (RFC 2253).
    var issuerLine: String? { Self.line(X509_get_issuer_name(x509)) }
    var subjectLine: String? { Self.line(X509_get_subject_name(x509)) }

    /// XN_FLAG_RFC2253 (a macro Swift does not import): ASN1_STRFLGS_RFC2253 (0x317)
    /// with comma-plus separators, reversed order, dumped unknown fields.
    private static let rfc2253 = UInt(0x317) | UInt(XN_FLAG_SEP_COMMA_PLUS) | UInt(XN_FLAG_DN_REV) | UInt(XN_FLAG_DUMP_UNKNOWN_FIELDS)

    private static func line(_ name: OpaquePointer?) -> String? {
        guard let name, let bio = BIO_new(BIO_s_mem()) else { return nil }
        defer { BIO_free(bio) }
        guard X509_NAME_print_ex(bio, name, 0, Self.rfc2253) >= 0 else { return nil }
        var p: UnsafeMutablePointer<CChar>? = nil
        let n = BIO_ctrl(bio, BIO_CTRL_INFO, 0, &p)
        guard n > 0, let p else { return nil }
        return String(decoding: UnsafeRawBufferPointer(start: p, count: n), as: UTF8.self)
    }
}

/// A private key for decryption and the certificate that goes with it (the
/// certificate picks the key by a message's recipient identifiers).
final class DecryptionKey: @unchecked Sendable {
    /// The key's name in the policy (`keys:`), for logs.
    let name: String
    let privateKey: OpaquePointer
    let certificate: Certificate

    init(name: String, keyPath: String, certificatePath: String) throws(InboundConfigError) {
        self.name = name
        certificate = try Certificate.pem(path: certificatePath)
        guard let f = fopen(keyPath, "r") else { throw .file(keyPath, String(cString: strerror(errno))) }
        defer { fclose(f) }
        guard let k = PEM_read_PrivateKey(f, nil, nil, nil) else {
            ERR_clear_error()
            throw .file(keyPath, "no unencrypted PEM private key")
        }
        guard X509_check_private_key(certificate.x509, k) == 1 else {
            ERR_clear_error(); EVP_PKEY_free(k)
            throw .file(certificatePath, "does not belong to the private key '\(name)'")
        }
        privateKey = k
    }
    deinit { EVP_PKEY_free(privateKey) }
}

/// The trust anchors signatures must chain to (purpose S/MIME signing).
final class InboundTrust: @unchecked Sendable {
    let store: OpaquePointer
    init(caFile: String?, caPath: String?) throws(InboundConfigError) {
        guard let s = X509_STORE_new() else { throw .file(caFile ?? "-", "cannot make a trust store") }
        store = s
        if caFile != nil || caPath != nil {
            if X509_STORE_load_locations(s, caFile, caPath) != 1 {
                ERR_clear_error()
                throw .file(caFile ?? caPath ?? "-", "no usable CA certificates")
            }
        } else if X509_STORE_set_default_paths(s) != 1 {
            ERR_clear_error()
        }
        X509_STORE_set_purpose(s, X509_PURPOSE_SMIME_SIGN)
    }
    deinit { X509_STORE_free(store) }
}

/// A file the S/MIME settings name cannot be used.
public enum InboundConfigError: Error, CustomStringConvertible {
    case file(String, String)
    public var description: String {
        switch self { case .file(let p, let why): return "\(p): \(why)" }
    }
}
