import SealCrypto

/// Where recipient certificates come from: the directory store
/// (``CertificateDirectory``), an LDAP directory, a test's list. Implementations
/// are shared by every session and must be safe to call from many threads.
public protocol RecipientCertificateSource: Sendable {
    /// A short name for logs and `sealctl cert lookup` ("store /var/lib/...", "ldap://...").
    var sourceName: String { get }
    /// Every certificate on file for `address` (lower-cased by the caller), usable
    /// or not; the caller chooses (``CertificateSelector``). Throws when the source
    /// cannot be read (not when it has nothing for the address).
    func certificates(for address: String) throws -> [Certificate]
    /// The capabilities harvested for the certificate `fingerprint` filed under
    /// `address`, nil when none are on file (the default: only the directory
    /// store keeps them).
    func capabilities(for address: String, fingerprint: String) -> SMIMECapabilities?
}

extension RecipientCertificateSource {
    public func capabilities(for address: String, fingerprint: String) -> SMIMECapabilities? { nil }
}

/// A fixed list of certificates (tests, a policy's inline certificates).
public struct CertificateList: RecipientCertificateSource {
    public let certificates: [Certificate]
    public var sourceName: String { "list" }
    public init(_ certificates: [Certificate]) { self.certificates = certificates }
    public func certificates(for address: String) throws -> [Certificate] {
        certificates.filter { $0.names(address) }
    }
}
