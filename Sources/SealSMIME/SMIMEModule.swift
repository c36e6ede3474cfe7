import SealEngine

/// The S/MIME module's registration: its policy section, actions and conditions
/// (one line in each composition root: `SMIMEModule.register(&registry)`).
public enum SMIMEModule {
    public static func register(_ registry: inout Registry) {
        registry.register(feature: SMIMESettings.self)
        registry.register(action: SMIMESignAction.self)
        registry.register(action: SMIMEEncryptAction.self)
        registry.register(action: SMIMESignEncryptAction.self)
        registry.register(condition: SMIMECertificateCondition.self)
        registry.register(opener: SMIMEOpener.self)   // inbound: verify, harvest, decrypt (smime.inbound)
    }
}
