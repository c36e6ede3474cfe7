#if !FUZZ_CMS  // Tests/fuzz/FuzzCMS compiles this file into its own module
import SealCrypto
#endif

/// A private key the gateway decrypts with and the certificate that goes with it
/// (the certificate picks the key by a message's recipient identifiers): an
/// identity of `smime.identities` (personal or domain keys) or an extra key of
/// `smime.inbound.decrypt`.
struct DecryptionKey: Sendable {
    /// What the policy calls it, for logs (never key material).
    let name: String
    let identity: Identity
    var privateKey: OpaquePointer { identity.key.pkey }
    var certificate: Certificate { identity.certificate }
}
