/// Why the rights registry could not answer. The message never contains a
/// password: connection URIs are reported without their credentials.
public struct RegistryError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
