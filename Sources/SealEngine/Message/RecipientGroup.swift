/// Recipients that get the same version of a message: those for which the same
/// set of `for_each_recipient` rules held. The first group keeps the SMTP
/// transaction; every other group's version is submitted as a new message.
public struct RecipientGroup: Sendable, Equatable {
    /// The group's envelope recipients, in the order they were given.
    public var recipients: [String]
    /// The indices of the rules that held for the group, in policy order.
    var rules: [Int]
    /// Their names.
    public var ruleNames: [String]
}
