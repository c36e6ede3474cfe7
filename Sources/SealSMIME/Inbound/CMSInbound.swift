import COpenSSL
import SealEngine

/// The inbound CMS operations over OpenSSL: read an S/MIME entity, verify a
/// signature, decrypt with a key picked by the message's recipient identifiers.
/// Nothing here logs; results carry short reasons without key material.
enum CMSInbound {
    /// What an S/MIME entity holds (its CMS content type).
    enum Kind: Equatable {
        case signed, enveloped, authEnveloped
        case other(String)
    }

    /// A parsed CMS structure and, for multipart/signed, its detached content.
    final class Parsed {
        let cms: OpaquePointer
        /// The signed content of a multipart/signed entity (a memory BIO), if any.
        var detached: OpaquePointer?
        init(cms: OpaquePointer, detached: OpaquePointer?) { self.cms = cms; self.detached = detached }
        deinit {
            CMS_ContentInfo_free(cms)
            if let d = detached { BIO_free(d) }
        }

        var kind: Kind {
            guard let t = CMS_get0_type(cms) else { return .other("none") }
            let nid = OBJ_obj2nid(t)
            switch nid {
            case NID_pkcs7_signed: return .signed
            case NID_pkcs7_enveloped: return .enveloped
            case NID_id_smime_ct_authEnvelopedData: return .authEnveloped
            default: return .other(OBJ_nid2sn(nid).map { String(cString: $0) } ?? "unknown")
            }
        }
    }

    /// Reads an S/MIME entity (its header section, then its body): multipart/signed
    /// or application/pkcs7-mime. OpenSSL holds the decoded CMS in memory (its CMS
    /// reader parses the whole structure); callers bound the size first.
    static func read(_ entity: any BodySource) -> Result<Parsed, InboundError> {
        ERR_clear_error()
        guard let (bio, box) = SpoolBIO.reader(entity) else { return .failure(.openssl("cannot make a BIO")) }
        defer { BIO_free_all(bio) }
        var bcont: OpaquePointer? = nil
        guard let cms = SMIME_read_CMS(bio, &bcont) else {
            if let e = box.error { return .failure(.io(e)) }
            return .failure(.malformed(opensslReason() ?? "not an S/MIME entity"))
        }
        ERR_clear_error()
        return .success(Parsed(cms: cms, detached: bcont))
    }

    // MARK: Verification

    /// Verifies a signed entity against `trust` (purpose S/MIME signing). The
    /// signed content of an opaque signature goes to `content` when given.
    static func verify(_ p: Parsed, trust: OpaquePointer, content: BodySpool?) -> SignatureResult {
        ERR_clear_error()
        defer { ERR_clear_error() }
        var out: OpaquePointer? = nil
        if let content { out = SpoolBIO.writer(content) }
        defer { if let out { BIO_free(out) } }
        // The detached content was canonicalised (CRLF) by the MIME reader: binary.
        let flags = UInt32(CMS_BINARY)
        let ok = CMS_verify(p.cms, nil, trust, p.detached, out, flags) == 1
        let err = ERR_peek_error()
        let reasonCode = Int32(err & 0x7FFFFF)
        let reasonText = opensslReason()
        var r = SignatureResult(status: ok ? .pass : .fail, reason: ok ? "verified" : (reasonText ?? "verification failed"))
        if !ok {
            switch reasonCode {
            case CMS_R_CERTIFICATE_VERIFY_ERROR: r.status = .policy     // signer certificate not acceptable (chain, purpose, dates)
            case CMS_R_VERIFICATION_FAILURE, CMS_R_CONTENT_VERIFY_ERROR: r.status = .fail
            case CMS_R_SIGNER_CERTIFICATE_NOT_FOUND, CMS_R_NO_CONTENT: r.status = .permerror
            default: r.status = .fail
            }
        }
        describeSigner(p, &r, verified: ok)
        return r
    }

    /// The signer's identity from the first SignerInfo's certificate, its
    /// certificates for harvesting, and its advertised S/MIME capabilities.
    private static func describeSigner(_ p: Parsed, _ r: inout SignatureResult, verified: Bool) {
        guard let sis = CMS_get0_SignerInfos(p.cms), OPENSSL_sk_num(sis) > 0,
              let si = OpaquePointer(OPENSSL_sk_value(sis, 0)) else { return }
        // The signer's certificate: the one of the message's certificates the SignerInfo names.
        if let certs = CMS_get1_certs(p.cms) {
            defer { OPENSSL_sk_pop_free(certs) { X509_free(OpaquePointer($0)) } }
            for i in 0..<OPENSSL_sk_num(certs) {
                guard let c = OpaquePointer(OPENSSL_sk_value(certs, i)) else { continue }
                if CMS_SignerInfo_cert_cmp(si, c) == 0 {
                    let cert = Certificate(c)
                    r.signerEmail = cert.emailAddresses.first
                    r.serialHex = cert.serialHex
                    r.issuer = cert.issuerLine
                    if verified { r.signerCertificate = cert.der }
                } else if verified, let der = Certificate(c).der {
                    r.chain.append(der)
                }
            }
        }
        r.capabilities = capabilities(si)
    }

    /// The algorithms of the signed smimeCapabilities attribute (OpenSSL short names).
    private static func capabilities(_ si: OpaquePointer) -> [String] {
        guard let obj = OBJ_nid2obj(NID_SMIMECapabilities),
              let raw = CMS_signed_get0_data_by_OBJ(si, obj, -3, V_ASN1_SEQUENCE) else { return [] }
        let str = raw.assumingMemoryBound(to: ASN1_STRING.self)
        guard let data = ASN1_STRING_get0_data(str) else { return [] }
        var ptr: UnsafePointer<UInt8>? = data
        guard let algs = d2i_X509_ALGORS(nil, &ptr, Int(ASN1_STRING_length(str))) else { return [] }
        defer { OPENSSL_sk_pop_free(algs) { X509_ALGOR_free($0?.assumingMemoryBound(to: X509_ALGOR.self)) } }
        var out: [String] = []
        for i in 0..<min(64, OPENSSL_sk_num(algs)) {
            var aobj: OpaquePointer? = nil
            guard let alg = OPENSSL_sk_value(algs, i) else { continue }
            X509_ALGOR_get0(&aobj, nil, nil, alg.assumingMemoryBound(to: X509_ALGOR.self))
            let nid = OBJ_obj2nid(aobj)
            if nid != NID_undef, let sn = OBJ_nid2sn(nid) { out.append(String(cString: sn)) }
        }
        return out
    }

    // MARK: Decryption

    /// The key of `keys` whose certificate one of the message's RecipientInfos
    /// names (issuer and serial, or subject key identifier), nil when none does.
    /// OpenSSL is never left to try every key: without a matching RecipientInfo it
    /// would decrypt with a random key (its defence against the million-message
    /// attack) and yield garbage.
    static func matchingKey(_ p: Parsed, _ keys: [DecryptionKey]) -> DecryptionKey? {
        guard let ris = CMS_get0_RecipientInfos(p.cms) else { return nil }
        let n = OPENSSL_sk_num(ris)
        for key in keys {
            for i in 0..<n {
                guard let ri = OpaquePointer(OPENSSL_sk_value(ris, i)) else { continue }
                switch CMS_RecipientInfo_type(ri) {
                case CMS_RECIPINFO_TRANS:
                    if CMS_RecipientInfo_ktri_cert_cmp(ri, key.certificate.x509) == 0 { return key }
                case CMS_RECIPINFO_AGREE:
                    guard let reks = CMS_RecipientInfo_kari_get0_reks(ri) else { continue }
                    for j in 0..<OPENSSL_sk_num(reks) {
                        guard let rek = OpaquePointer(OPENSSL_sk_value(reks, j)) else { continue }
                        if CMS_RecipientEncryptedKey_cert_cmp(rek, key.certificate.x509) == 0 { return key }
                    }
                default:
                    continue
                }
            }
        }
        return nil
    }

    /// Decrypts enveloped or authenticated-enveloped data with `key` (which
    /// ``matchingKey(_:_:)`` picked) into `out`.
    static func decrypt(_ p: Parsed, with key: DecryptionKey, into out: BodySpool) -> Result<Void, InboundError> {
        ERR_clear_error()
        defer { ERR_clear_error() }
        guard let bio = SpoolBIO.writer(out) else { return .failure(.openssl("cannot make a BIO")) }
        defer { BIO_free(bio) }
        // With the certificate given, OpenSSL decrypts only a RecipientInfo that names it.
        let ok = CMS_decrypt(p.cms, key.privateKey, key.certificate.x509, nil, bio, UInt32(CMS_BINARY)) == 1
        if let e = out.error { return .failure(.io(e)) }
        return ok ? .success(()) : .failure(.decrypt(opensslReason() ?? "decryption failed"))
    }
}

/// The reason of OpenSSL's first queued error (no data strings: they could carry input).
func opensslReason() -> String? {
    let e = ERR_peek_error()
    guard e != 0, let r = ERR_reason_error_string(e) else { return nil }
    return String(cString: r)
}

/// What a signature check found (RFC 7281 result and the signer).
struct SignatureResult {
    /// RFC 7281 results.
    enum Status: String { case pass, fail, policy, neutral, temperror, permerror }
    var status: Status
    var reason: String
    var signerEmail: String? = nil
    var serialHex: String? = nil
    var issuer: String? = nil
    /// DER of the signer's certificate, when the signature verified (for harvesting).
    var signerCertificate: [UInt8]? = nil
    /// DER of the other certificates the message carried, when it verified.
    var chain: [[UInt8]] = []
    /// Algorithms the signer advertises (smimeCapabilities), OpenSSL short names.
    var capabilities: [String] = []
}

/// Why an inbound S/MIME step failed.
enum InboundError: Error, CustomStringConvertible {
    case malformed(String), decrypt(String), io(String), openssl(String), tooLarge(Int64, Int)
    var description: String {
        switch self {
        case .malformed(let s): return "malformed CMS: \(s)"
        case .decrypt(let s): return "decryption failed: \(s)"
        case .io(let s): return "body: \(s)"
        case .openssl(let s): return "OpenSSL: \(s)"
        case .tooLarge(let n, let max): return "\(n) bytes, over inbound.max_size \(max)"
        }
    }
}
