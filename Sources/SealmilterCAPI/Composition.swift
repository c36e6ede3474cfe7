import SealEngine
import SealCtl
import SealConnect
import SealSensitive
import SealRights
import SealSMIME
import SealEnvelope

/// The composition root: the actions and conditions this library's engines know.
/// The engine's built-in ones, then each feature module's, one line per module
/// (`registry.register(action: SomeFeature.Action.self)`). `sealctl` uses the same
/// registry, so the daemon and the tool accept the same policies.
public enum Composition {
    public static let registry: Registry = {
        var registry = Registry.builtin
        ConnectModule.register(&registry)   // TLS connectors and the TLS/connector conditions
        registry.register(condition: SensitiveCondition.self)
        registry.register(feature: SensitiveTypes.self)
        SMIMEModule.register(&registry)
        RightsModule.register(&registry)
        registry.register(feature: EnvelopeSettings.self)
        registry.register(action: EncryptAction.self)
        registry.register(opener: EnvelopeReplyOpener.self)
        return registry
    }()
}

/// The `sealctl` command line: the sealctl program's `main` is this call, so the
/// package holds one copy of the engine (in libsealmilter).
@c(sealmilter_ctl_main)
public func sealmilterCtlMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var args: [String] = []
    if let argv {
        for i in 1..<Int(max(argc, 1)) { if let a = argv[i] { args.append(String(cString: a)) } }
    }
    return Sealctl.run(arguments: args, registry: Composition.registry)
}
