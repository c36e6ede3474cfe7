import SealEngine

/// The composition root: the actions and conditions this library's engines know.
/// The engine's built-in ones, then each feature module's, one line per module
/// (`registry.register(action: SomeFeature.Action.self)`). `sealctl` uses the same
/// registry, so the daemon and the tool accept the same policies.
public enum Composition {
    public static let registry: Registry = {
        let registry = Registry.builtin
        return registry
    }()
}
