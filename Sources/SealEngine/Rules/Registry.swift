import SealPolicy

/// The actions and conditions a policy may use, by policy key.
///
/// The engine's own are in ``builtin``. A feature module (S/MIME, envelopes, ...)
/// provides a registration function; the composition roots (the C interface
/// library, `sealctl`) add each module with one line, so the engine never imports
/// a feature module:
///
///     var registry = Registry.builtin
///     registry.register(action: SomeFeatureAction.self)
public struct Registry: @unchecked Sendable {
    // Metatypes of Sendable types; never mutated once shared.
    private(set) var actionTypes: [any Action.Type] = []
    private(set) var conditionTypes: [any Condition.Type] = []
    private(set) var featureTypes: [any PolicyFeature.Type] = []
    private(set) var openerTypes: [any MessageOpener.Type] = []

    public init() {}

    /// The built-in actions and conditions.
    public static let builtin: Registry = {
        var r = Registry()
        for c: any Condition.Type in [DirectionCondition.self, SenderCondition.self, RecipientCondition.self,
                                      HeaderCondition.self, SubjectCondition.self, BodyCondition.self,
                                      AttachmentCondition.self, SizeCondition.self, UnscannableCondition.self,
                                      LimitsExceededCondition.self] {
            r.register(condition: c)
        }
        for a: any Action.Type in [AddHeaderAction.self, RejectAction.self, TempfailAction.self,
                                   QuarantineAction.self, DiscardAction.self, RejectRecipientAction.self,
                                   RemoveAttachmentsAction.self, NotifyAction.self] {
            r.register(action: a)
        }
        return r
    }()

    /// Adds an action; a later registration of the same key replaces the earlier one.
    public mutating func register(action: any Action.Type) {
        actionTypes.removeAll { $0.key == action.key }
        actionTypes.append(action)
    }

    /// Adds a condition; a later registration of the same key replaces the earlier one.
    public mutating func register(condition: any Condition.Type) {
        conditionTypes.removeAll { $0.key == condition.key }
        conditionTypes.append(condition)
    }

    /// Adds a feature's top-level policy section (``PolicyFeature``); a later
    /// registration of the same key replaces the earlier one.
    public mutating func register(feature: any PolicyFeature.Type) {
        featureTypes.removeAll { $0.key == feature.key }
        featureTypes.append(feature)
    }

    /// Adds a message opener (``MessageOpener``); a later registration of the same
    /// name replaces the earlier one. Openers run in registration order.
    public mutating func register(opener: any MessageOpener.Type) {
        openerTypes.removeAll { $0.name == opener.name }
        openerTypes.append(opener)
    }

    public var featureKeys: [String] { featureTypes.map { $0.key } }
    public var actionKeys: [String] { actionTypes.map { $0.key } }
    public var conditionKeys: [String] { conditionTypes.map { $0.key } }
    public func action(_ key: String) -> (any Action.Type)? { actionTypes.first { $0.key == key } }
    public func condition(_ key: String) -> (any Condition.Type)? { conditionTypes.first { $0.key == key } }
}
