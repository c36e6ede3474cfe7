import SealPolicy

/// An action of a rule.
///
/// An action is one type in one file (the built-in ones under `Actions/`, a
/// feature's in its own module) that says everything the engine needs to know
/// about it: its policy key and how it loads, the stages, MTA facts and
/// modifications it needs, whether it decides the message's fate, what it does
/// when its rule applies (``apply(_:)``), and what it contributes at the end of the
/// message (a ``MessageContribution``: header edits, a ``BodyTransform``). It is
/// made known to the loader by registering it with a ``Registry``.
public protocol Action: Sendable {
    /// Its key in a rule's `actions:` list.
    static var key: String { get }
    /// Reads the action from its YAML value; `value` is nil for the shorthand
    /// `- key`. Problems are reported through `context.reader` and nil is returned.
    static func load(_ value: PolicyNode?, _ context: ActionLoadContext) -> Self?

    /// The fate of the message it decides, if any: a rule has at most one.
    var disposition: Disposition? { get }
    /// Whether it acts per recipient at RCPT (its rule is then decided for each
    /// recipient alone, and may look at the envelope only).
    var isPerRecipient: Bool { get }
    /// The stages and MTA facts it needs.
    var needs: Needs { get }
    /// The modifications its results may ask the MTA for.
    var modifications: Modifications { get }
    /// When it changes the body: the phase of its body transform.
    var bodyPhase: BodyPhase? { get }
    /// A short description for reports (`sealctl scan`).
    var summary: String { get }
    /// Whether it sends messages of the filter's own (``MessageOutcome/send(_:)``),
    /// which needs the policy's `submission:` section.
    var sendsMessages: Bool { get }
    /// Whether it reads the decoded text of the text parts (kept by the engine as
    /// for a text condition; its rule must be decided at the end of the message).
    var readsText: Bool { get }
    /// Whether it reads the other leaves' digests and attached messages
    /// (``MessageFacts/partDigests``, ``MessageFacts/attachedMessages``).
    var readsParts: Bool { get }
    /// Whether it needs the original header section as received
    /// (``MessageFacts/originalHeaders``), e.g. to put the whole message in an envelope.
    var keepsOriginalHeaders: Bool { get }

    /// Its rule applies (at the rule's stage). Records what it does in the
    /// context's outcome; returns a decision that ends the message now (reject,
    /// tempfail, discard), or nil to go on.
    func apply(_ context: ActionContext) -> Decision?
    /// Per-recipient actions: the reply that refuses `recipient` (nil: accept it).
    func refuse(recipient: String) -> SMTPReply?
    /// Checks against the whole policy's settings once everything is read (for
    /// example that a feature section it needs is there, or a key it names):
    /// problems as messages (the loader adds the rule and the action's key).
    func check(_ settings: PolicySettings) -> [String]
}

extension Action {
    public var disposition: Disposition? { nil }
    public var isPerRecipient: Bool { false }
    public var needs: Needs { [] }
    public var modifications: Modifications { [] }
    public var bodyPhase: BodyPhase? { nil }
    public var summary: String { Self.key }
    public var sendsMessages: Bool { false }
    public var readsText: Bool { false }
    public var readsParts: Bool { false }
    public var keepsOriginalHeaders: Bool { false }
    public func refuse(recipient: String) -> SMTPReply? { nil }
    public func check(_ settings: PolicySettings) -> [String] { [] }
    /// The action's policy key.
    public var key: String { Self.key }
}

/// The fate of a message an action decides; a rule may have one.
public enum Disposition: String, Sendable {
    case reject, tempfail, discard, quarantine, rejectRecipient
}

/// What an action's loader gets besides its value.
public struct ActionLoadContext {
    /// Reports problems with file, line and column.
    public let reader: PolicyReader
    /// `rule 'NAME'` (or `rule #N`), to begin messages with.
    public let ruleContext: String
    /// The rule's name.
    public let ruleName: String
    /// The node of the action's key, for messages about the action as a whole.
    public let keyNode: PolicyNode
    /// Whether a condition of the rule picks parts (see ``Condition/picksParts``),
    /// judged from the keys under `when:` so that a broken condition still counts.
    public let rulePicksParts: Bool
    /// The actions and conditions this build knows (an action that names another
    /// one, such as a fallback, checks it here).
    public let registry: Registry
    /// `ruleContext: key`, the prefix of messages about this action.
    public var what: String { "\(ruleContext): \(keyNodeKey)" }
    let keyNodeKey: String
}

/// What an action sees when its rule applies.
public struct ActionContext {
    /// The message's facts so far.
    public let message: MessageFacts
    /// Where actions record what they do.
    public let outcome: MessageOutcome
    /// The rule that applied.
    public let rule: Rule
}
