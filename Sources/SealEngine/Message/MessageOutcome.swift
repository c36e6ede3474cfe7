import SealPolicy

/// What the rules decided for one message: its fate, the reply, header fields to
/// add, the quarantine reason, and each action's own end-of-message contribution.
/// Actions write here when their rule applies; the session reads it at the end.
public final class MessageOutcome {
    /// The decision that ended the message early (reject, tempfail, discard), if any.
    public internal(set) var decision: Decision?
    /// The name of the fate, for logs and metrics (`accept`, `reject`, ...).
    public internal(set) var actionName = "accept"
    /// The reply that goes with a reject or tempfail decision.
    public internal(set) var reply: SMTPReply?
    /// Rules that applied, in order (`name`, or `name(recipient)` for per-recipient ones).
    public internal(set) var matchedRules: [String] = []
    /// Actions carried out, as `rule: summary`, in order (for reports).
    public internal(set) var applied: [String] = []
    /// What rules in `mode: audit` would have done, as `rule would summary, ...`
    /// (logged, never applied).
    public private(set) var audited: [String] = []
    /// Header fields to add at the end of the message, in order.
    public private(set) var addedHeaders: [(name: String, value: String)] = []
    /// Why the message is to be held (the first reason given wins).
    public private(set) var quarantine: String?
    /// Paths of the parts removed from the body (set by the removal transform).
    public var removedParts: [String] = []
    /// Why the message could not be processed (it was then tempfailed).
    public internal(set) var failure: String?
    /// Rule evaluation ran out of its CPU budget.
    public internal(set) var budgetExceeded = false
    /// An action that changes the body applied (the body is kept for rewriting).
    public internal(set) var changesBody = false
    /// The recipients of the version this outcome makes (nil: all recipients of the
    /// message; set for the versions of `for_each_recipient` rules).
    public internal(set) var recipients: [String]? = nil
    /// Messages of the filter's own to send with this message (see ``send(_:)``).
    public private(set) var notices: [Notice] = []
    /// How many of ``notices`` come from message-level rules replayed for another
    /// version (they are sent once, with the first version's).
    var replayedNotices = 0

    /// Words an action adds to the message's log line (`rights=... protected=<id>`).
    public private(set) var notes: [String] = []

    private var contributions: [ObjectIdentifier: any MessageContribution] = [:]
    private(set) var contributionOrder: [any MessageContribution] = []

    init() {}

    /// Ends the message with `decision` (reject, tempfail, discard) and its reply.
    @discardableResult
    public func decide(_ decision: Decision, name: String, reply: SMTPReply?) -> Decision {
        self.decision = decision
        actionName = name
        self.reply = reply
        return decision
    }

    /// Records what an audit rule would have done.
    func audit(rule: String, would: String) {
        audited.append(rule + " would " + would)
    }

    /// Records why the message could not be processed (logged with it; the first
    /// reason wins). For an action that ends the message with a tempfail or reject
    /// of its own because something it needs is broken.
    public func noteFailure(_ reason: String) {
        if failure == nil { failure = reason }
    }

    /// Adds a header field at the end of the message.
    public func addHeader(name: String, value: String) {
        addedHeaders.append((name, value))
    }

    /// Queues a message of the filter's own (a notice). It is submitted at the end
    /// of the message, before the message is answered, through the policy's
    /// `submission:` path, signed with the marker; if it cannot be submitted the
    /// message is tempfailed (and the notice comes again with the retry).
    public func send(_ notice: Notice) {
        notices.append(notice)
    }

    /// Adds `word` (`key=value`, no spaces unless quoted) to the message's log line.
    public func note(_ word: String) {
        notes.append(word)
    }

    /// Holds the message in the MTA's quarantine; the first reason given wins.
    public func hold(reason: String) {
        if quarantine == nil { quarantine = reason }
    }

    /// The message's contribution of type `C`, made by `make` the first time: one
    /// per type and message, so that several rules' actions of one kind add up
    /// (all parts to remove, in one body transform).
    public func contribution<C: MessageContribution>(_ make: () -> C) -> C {
        let id = ObjectIdentifier(C.self)
        if let c = contributions[id] as? C { return c }
        let c = make()
        contributions[id] = c
        contributionOrder.append(c)
        return c
    }
}

/// What an action adds at the end of the message (header edits, body transforms),
/// gathered across the rules that applied. See ``MessageOutcome/contribution(_:)``.
public protocol MessageContribution: AnyObject {
    func endOfMessage(_ context: EndOfMessageContext) throws
}

/// What a contribution may do at the end of the message.
public final class EndOfMessageContext {
    public let message: MessageFacts
    public let outcome: MessageOutcome
    public private(set) var headerEdits: [HeaderEdit] = []
    public private(set) var transforms: [any BodyTransform] = []
    /// A dry run (`sealctl scan`): plan, but change nothing outside the message
    /// (no registry writes, no submissions).
    public internal(set) var dryRun = false

    init(message: MessageFacts, outcome: MessageOutcome) {
        self.message = message; self.outcome = outcome
    }

    public func add(_ edit: HeaderEdit) { headerEdits.append(edit) }
    public func add(_ transform: any BodyTransform) { transforms.append(transform) }
}
