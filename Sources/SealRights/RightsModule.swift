import SealEngine

/// The rights feature's registrations: its `rights:` section, the `protect` and
/// `enforce_rights` actions, the `forwards_protected` and `rights_requested`
/// conditions (the composition roots call this, one line each).
public enum RightsModule {
    public static func register(_ registry: inout Registry) {
        registry.register(feature: RightsSettings.self)
        registry.register(action: ProtectAction.self)
        registry.register(action: EnforceRightsAction.self)
        registry.register(condition: ForwardsProtectedCondition.self)
        registry.register(condition: RightsRequestedCondition.self)
    }
}
