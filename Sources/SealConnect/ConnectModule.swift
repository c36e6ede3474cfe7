import SealEngine

/// SealConnect's registrations: the `connectors:` section and the conditions on
/// TLS and connectors. The composition roots call this once.
public enum ConnectModule {
    public static func register(_ registry: inout Registry) {
        registry.register(feature: ConnectorSettings.self)
        registry.register(condition: ConnectorCondition.self)
        registry.register(condition: TLSVersionCondition.self)
        registry.register(condition: CipherCondition.self)
        registry.register(condition: TLSCertNameCondition<TLSCertSubject>.self)
        registry.register(condition: TLSCertNameCondition<TLSCertIssuer>.self)
        registry.register(condition: ClientNetworkCondition.self)
        registry.register(condition: RecipientForcedTLSCondition.self)
    }
}
