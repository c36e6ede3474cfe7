#if canImport(Glibc)
import Glibc
#endif
import COpenSSL

/// An X.509 certificate (OpenSSL's `X509`, reference counted and read-only once
/// parsed, so one value may be shared by every thread).
///
/// Parsing, selection facts (addresses, validity, key usage) and the CMS
/// operations all use this one OpenSSL object: what the store decides about a
/// certificate is what OpenSSL then encrypts to.
public final class Certificate: @unchecked Sendable, CustomStringConvertible {
    /// The `X509*`; owned (freed at deinit). Pass it to OpenSSL calls that do not keep it,
    /// or up-reference it first.
    public let x509: OpaquePointer

    /// Takes ownership of one reference of `x509`.
    public init(owning x509: OpaquePointer) { self.x509 = x509 }

    deinit { X509_free(x509) }

    // MARK: loading

    /// Every certificate in `bytes`: PEM (one or more `CERTIFICATE` blocks) or one DER certificate.
    public static func load(_ bytes: [UInt8], what: String = "input") throws(CertificateError) -> [Certificate] {
        let text = Hex.contains(bytes, "-----BEGIN ")
        var out: [Certificate] = []
        if text {
            let bio = try MemoryBIO(bytes)
            while let x = PEM_read_bio_X509(bio.bio, nil, nil, nil) { out.append(Certificate(owning: x)) }
            ERR_clear_error()  // the end of the input is an "error" too
        } else {
            let r: OpaquePointer? = bytes.withUnsafeBufferPointer { b in
                var p: UnsafePointer<UInt8>? = b.baseAddress
                return d2i_X509(nil, &p, b.count)
            }
            if let r { out.append(Certificate(owning: r)) }
            ERR_clear_error()
        }
        if out.isEmpty { throw .noCertificate(what) }
        return out
    }

    /// Every certificate in the file at `path` (PEM or DER).
    public static func load(file path: String) throws(CertificateError) -> [Certificate] {
        try load(FileBytes.read(path), what: path)
    }

    // MARK: identity

    /// The subject, as RFC 2253 text.
    public var subject: String { Self.nameText(X509_get_subject_name(x509)) }
    /// The issuer, as RFC 2253 text.
    public var issuer: String { Self.nameText(X509_get_issuer_name(x509)) }

    /// The serial number in hex (upper case).
    public var serialHex: String {
        guard let bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x509), nil) else { return "" }
        defer { BN_free(bn) }
        guard let hex = BN_bn2hex(bn) else { return "" }
        defer { seal_openssl_free(hex) }
        return String(cString: hex)
    }

    /// The SHA-256 fingerprint of the DER encoding (32 bytes).
    public var sha256: [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var len: UInt32 = 0
        _ = X509_digest(x509, EVP_sha256(), &out, &len)
        return out
    }

    /// The SHA-256 fingerprint as 64 lower-case hex digits (the store's file name).
    public var fingerprint: String { Hex.encode(sha256) }

    /// The rfc822Name entries of the subjectAltName extension, as written.
    public var subjectAltNameEmails: [String] {
        guard let names = seal_x509_subject_alt_names(x509) else { return [] }
        defer { seal_general_names_free(names) }
        var out: [String] = []
        for i in 0..<seal_general_names_num(names) {
            if let s = seal_general_names_rfc822(names, i) { out.append(Self.asn1Text(s)) }
        }
        return out
    }

    /// The subject's emailAddress attributes, as written.
    public var subjectEmails: [String] {
        guard let name = X509_get_subject_name(x509) else { return [] }
        var out: [String] = []
        var last: Int32 = -1
        while true {
            last = X509_NAME_get_index_by_NID(name, NID_pkcs9_emailAddress, last)
            if last < 0 { break }
            if let e = X509_NAME_get_entry(name, last), let d = X509_NAME_ENTRY_get_data(e) { out.append(Self.asn1Text(d)) }
        }
        return out
    }

    /// The addresses the certificate names for S/MIME: the subjectAltName's
    /// rfc822Names or, when it has none, the subject's emailAddress (RFC 8550, 3).
    public var emailAddresses: [String] {
        let san = subjectAltNameEmails
        return san.isEmpty ? subjectEmails : san
    }

    /// Whether the certificate names `address` (case-insensitively; see ``emailAddresses``).
    public func names(_ address: String) -> Bool {
        let a = address.lowercased()
        return emailAddresses.contains { $0.lowercased() == a }
    }

    // MARK: validity and usage

    /// Start of validity, seconds since 1970 (UTC).
    public var notBefore: Int64 { Self.unixTime(X509_get0_notBefore(x509)) }
    /// End of validity, seconds since 1970 (UTC).
    public var notAfter: Int64 { Self.unixTime(X509_get0_notAfter(x509)) }

    /// Whether `time` (seconds since 1970) is within the validity dates.
    public func isValid(at time: Int64) -> Bool { time >= notBefore && time <= notAfter }

    /// The keyUsage bits (OpenSSL's `KU_*`), or nil when the extension is absent (any use).
    public var keyUsage: UInt32? {
        let flags = X509_get_extension_flags(x509)
        return flags & UInt32(EXFLAG_KUSAGE) != 0 ? X509_get_key_usage(x509) : nil
    }

    /// Whether the extended key usage allows email protection: true when the
    /// extension is absent (no restriction, RFC 5280 4.2.1.12) or lists
    /// emailProtection or anyExtendedKeyUsage.
    public var allowsEmailProtection: Bool {
        let flags = X509_get_extension_flags(x509)
        if flags & UInt32(EXFLAG_XKUSAGE) == 0 { return true }
        let xku = X509_get_extended_key_usage(x509)
        return xku & UInt32(XKU_SMIME) != 0 || xku & UInt32(XKU_ANYEKU) != 0
    }

    /// Whether the key usage allows signing mail (digitalSignature or nonRepudiation).
    public var allowsSigning: Bool {
        guard let ku = keyUsage else { return true }
        return ku & UInt32(KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION) != 0
    }

    /// Whether the key usage allows encrypting a content key to this certificate:
    /// keyEncipherment for RSA, keyAgreement for EC and other key-agreement keys.
    public var allowsKeyTransportOrAgreement: Bool {
        guard let ku = keyUsage else { return true }
        switch keyType {
        case .rsa: return ku & UInt32(KU_KEY_ENCIPHERMENT) != 0
        case .ec, .other: return ku & UInt32(KU_KEY_AGREEMENT | KU_KEY_ENCIPHERMENT) != 0
        }
    }

    /// Whether it is a CA certificate (basicConstraints CA:TRUE).
    public var isCA: Bool { X509_check_ca(x509) != 0 }

    /// Whether it is self-signed (subject equals issuer and its own key verifies it).
    public var isSelfSigned: Bool { X509_self_signed(x509, 1) == 1 }

    /// The kind of its public key.
    public var keyType: KeyType {
        guard let k = X509_get0_pubkey(x509) else { return .other("none") }
        return KeyType(EVP_PKEY_get_base_id(k), bits: Int(EVP_PKEY_get_bits(k)))
    }

    /// The public key's size in bits.
    public var keyBits: Int { X509_get0_pubkey(x509).map { Int(EVP_PKEY_get_bits($0)) } ?? 0 }

    // MARK: output

    /// The DER encoding.
    public var der: [UInt8] {
        let n = i2d_X509(x509, nil)
        guard n > 0 else { return [] }
        var out = [UInt8](repeating: 0, count: Int(n))
        out.withUnsafeMutableBufferPointer { b in
            var p: UnsafeMutablePointer<UInt8>? = b.baseAddress
            _ = i2d_X509(x509, &p)
        }
        return out
    }

    /// The PEM encoding (`-----BEGIN CERTIFICATE-----`, LF line ends).
    public var pem: String {
        guard let bio = try? MemoryBIO() else { return "" }
        guard PEM_write_bio_X509(bio.bio, x509) == 1 else { return "" }
        return String(decoding: bio.contents, as: UTF8.self)
    }

    public var description: String { "\(subject) [sha256 \(fingerprint.prefix(16))…]" }

    // MARK: helpers

    static func nameText(_ name: OpaquePointer?) -> String {
        guard let name, let bio = try? MemoryBIO() else { return "" }
        _ = X509_NAME_print_ex(bio.bio, name, 0, seal_xn_flags_rfc2253())
        return String(decoding: bio.contents, as: UTF8.self)
    }

    static func asn1Text(_ s: UnsafePointer<ASN1_STRING>) -> String {
        let n = Int(ASN1_STRING_length(s))
        guard n > 0, let d = ASN1_STRING_get0_data(s) else { return "" }
        return String(decoding: UnsafeBufferPointer(start: d, count: n), as: UTF8.self)
    }

    static func asn1Text(_ s: OpaquePointer) -> String {
        asn1Text(UnsafePointer<ASN1_STRING>(s))
    }

    static func unixTime(_ t: UnsafePointer<ASN1_TIME>?) -> Int64 {
        guard let t else { return 0 }
        var tm = Glibc.tm()
        guard ASN1_TIME_to_tm(t, &tm) == 1 else { return 0 }
        return Int64(timegm(&tm))
    }
}

/// The kind of a public or private key.
public enum KeyType: Equatable, Sendable, CustomStringConvertible {
    case rsa(bits: Int)
    case ec(bits: Int)
    case other(String)

    init(_ id: Int32, bits: Int) {
        switch id {
        case EVP_PKEY_RSA, EVP_PKEY_RSA_PSS: self = .rsa(bits: bits)
        case EVP_PKEY_EC: self = .ec(bits: bits)
        default: self = .other(String(cString: OBJ_nid2sn(id)))
        }
    }

    public var description: String {
        switch self {
        case .rsa(let b): "RSA \(b)"
        case .ec(let b): "EC \(b)"
        case .other(let s): s
        }
    }

    public static func == (a: KeyType, b: KeyType) -> Bool { a.description == b.description }
}

/// Lower-case hex.
public enum Hex {
    public static func encode(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether `bytes` contains the ASCII text `needle` (a naive search, for small inputs).
    public static func contains(_ bytes: [UInt8], _ needle: String) -> Bool {
        let n = Array(needle.utf8)
        guard !n.isEmpty, bytes.count >= n.count else { return false }
        for i in 0...(bytes.count - n.count) where bytes[i] == n[0] {
            if bytes[i..<(i + n.count)].elementsEqual(n) { return true }
        }
        return false
    }
}
