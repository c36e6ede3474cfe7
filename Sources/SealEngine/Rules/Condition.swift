import SealPolicy

/// A condition of a rule (under `when:`) or an exception (under `unless:`).
///
/// A condition is one type in one file (the built-in ones under `Conditions/`, a
/// feature's in its own module) that knows its policy key, how it loads from its
/// YAML value, when its facts are known, and whether it holds for a message. It is
/// made known to the loader by registering it with a ``Registry``.
public protocol Condition: Sendable {
    /// Its key under `when:` and `unless:`.
    static var key: String { get }
    /// Whether it picks parts, so that `remove_attachments: true` in the same rule
    /// has something to remove (see ``picks(part:in:)``).
    static var picksParts: Bool { get }
    /// Reads the condition from its YAML value. Problems are reported through
    /// `reader` with the node's line and column, and nil is returned. One key may
    /// give several conditions (a list of header conditions).
    static func load(_ value: PolicyNode, _ what: String, _ reader: PolicyReader) -> [Self]?

    /// The earliest stage whose facts decide it.
    var stage: Stage { get }
    /// The stages and MTA facts it needs, beyond the header fields (always passed)
    /// and the end of message. Default: what its stage implies.
    var needs: Needs { get }
    /// Whether the condition reads the decoded text of the text parts (which the
    /// engine then keeps, up to `limits.max_inspect_bytes` per part).
    var readsText: Bool { get }
    /// Whether it reads the other leaves' digests and attached messages
    /// (``MessageFacts/partDigests``, ``MessageFacts/attachedMessages``).
    var readsParts: Bool { get }
    /// Whether it holds for the message. `recipients` are all recipients, or the
    /// one at hand for rules decided per recipient at RCPT.
    func holds(in message: MessageFacts, recipients: [String]) -> Bool
    /// Whether it picks part `index` (for part-removing actions without a selector).
    func picks(part index: Int, in message: MessageFacts) -> Bool
    /// Checks against the whole policy's settings once everything is read (a
    /// feature section it reads, a list it names): problems as messages.
    func check(_ settings: PolicySettings) -> [String]
    /// Why it held or not, in a few words, for `sealctl test` (``RuleTrace``); any
    /// text of the message it quotes is ``redacted(_:)``. Nil: nothing to add.
    /// Not called on the milter path; may do extra work.
    func explain(in message: MessageFacts, recipients: [String], held: Bool) -> String?
}

extension Condition {
    public static var picksParts: Bool { false }
    public var readsText: Bool { false }
    public var readsParts: Bool { false }
    public func picks(part index: Int, in message: MessageFacts) -> Bool { false }
    public func check(_ settings: PolicySettings) -> [String] { [] }
    public func explain(in message: MessageFacts, recipients: [String], held: Bool) -> String? { nil }
    public var needs: Needs {
        switch stage {
        case .connect: return .connect
        case .helo: return .helo
        case .mail: return .mail
        case .rcpt: return .rcpt
        case .headers: return []
        case .body: return .body
        }
    }
    /// The condition's policy key.
    public var key: String { Self.key }
    /// Whether only the envelope decides it (as rules decided per recipient require).
    public var isEnvelopeOnly: Bool { stage <= .rcpt }
}
