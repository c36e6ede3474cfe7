import COpenSSL

/// An OpenSSL operation failed: which one, and what OpenSSL's error queue said
/// (library reasons such as "unsupported algorithm"; never key material).
public struct OpenSSLError: Error, Equatable, CustomStringConvertible {
    /// What was being done ("CMS_sign", "reading the PKCS#12 file").
    public var operation: String
    /// OpenSSL's reasons, oldest first (may be empty).
    public var reasons: [String]

    public init(operation: String, reasons: [String]) { self.operation = operation; self.reasons = reasons }

    /// The error for `operation`, taking (and clearing) this thread's OpenSSL error queue.
    public static func drain(_ operation: String) -> OpenSSLError {
        OpenSSLError(operation: operation, reasons: takeErrorQueue())
    }

    /// Takes and clears this thread's OpenSSL error queue, as reason strings.
    public static func takeErrorQueue() -> [String] {
        var out: [String] = []
        var buf = [CChar](repeating: 0, count: 256)
        while true {
            let e = ERR_get_error()
            if e == 0 { break }
            if out.count < 8 {
                ERR_error_string_n(e, &buf, buf.count)
                out.append(String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
        }
        return out
    }

    public var description: String {
        reasons.isEmpty ? "\(operation) failed in OpenSSL" : "\(operation) failed in OpenSSL: " + reasons.joined(separator: "; ")
    }
}

/// Certificates, keys and trust stores that cannot be read or do not fit together.
/// Messages name files, never their secret content or passphrases.
public enum CertificateError: Error, Equatable, CustomStringConvertible {
    /// A file could not be read (the system's reason).
    case unreadable(path: String, reason: String)
    /// The input holds no certificate (or no key) of the expected form.
    case noCertificate(String)
    case noPrivateKey(String)
    /// The key could not be decrypted: wrong or missing passphrase, or a damaged file.
    case cannotDecrypt(String)
    /// The private key does not belong to the certificate.
    case keyMismatch(String)
    /// OpenSSL refused the input.
    case openssl(OpenSSLError)

    public var description: String {
        switch self {
        case .unreadable(let p, let r): "cannot read \(p): \(r)"
        case .noCertificate(let w): "\(w): no certificate found (PEM or DER X.509 expected)"
        case .noPrivateKey(let w): "\(w): no private key found"
        case .cannotDecrypt(let w): "\(w): cannot be decrypted (wrong passphrase, or the file is damaged)"
        case .keyMismatch(let w): "\(w): the private key does not belong to the certificate"
        case .openssl(let e): e.description
        }
    }
}
