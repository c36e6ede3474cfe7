import SealCrypto
#if canImport(Glibc)
import Glibc
#endif

/// Harvesting: the certificate of a signer whose signature verified and chained
/// goes into the recipient store (``CertificateDirectory/add(_:addresses:)``:
/// atomic, safe while other threads read), so outbound encryption can use it.
/// The signer's advertised S/MIME capabilities (the signed smimeCapabilities
/// attribute, OpenSSL short names, one a line) go beside each stored file as
/// `<fingerprint>.caps` (e.g. `id-aes256-GCM` says the client reads AES-GCM).
enum Harvest {
    /// Adds the certificate; `true` when it was new.
    static func add(_ cert: Certificate, capabilities: [String], store: CertificateDirectory) -> Result<Bool, CertificateDirectory.StoreError> {
        let known = (try? store.all().contains { $0.certificate.fingerprint == cert.fingerprint }) ?? false
        let files: [String]
        do { files = try store.add(cert) } catch { return .failure(error) }
        if !capabilities.isEmpty {
            let text = Array((capabilities.joined(separator: "\n") + "\n").utf8)
            for f in files where f.hasSuffix(".pem") {
                let caps = String(f.dropLast(4)) + ".caps"
                let dir = String(f[..<(f.lastIndex(of: "/") ?? f.endIndex)])
                try? CertificateDirectory.atomicWrite(text, to: caps, in: dir)
            }
        }
        return .success(!known)
    }
}
