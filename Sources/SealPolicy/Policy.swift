import SealDetect
import SealMIME

/// A loaded, validated policy: global settings and the ordered rules.
public struct Policy: Sendable {
    /// Domains that count as ours for `direction` (exact or `*.example.org`).
    public var internalDomains: [DomainPattern] = []
    /// Add `X-Sealmilter-Unscannable` when unscannable content is found.
    public var flagUnscannable: Bool = true
    public var limits: Limits = Limits()
    public var spool: SpoolSettings = SpoolSettings()
    public var milter: MilterSettings = MilterSettings()
    /// Key material on disk (the `keys:` section), by name, in file order.
    public var keys: [KeyFile] = []
    public var rules: [Rule] = []
    /// The file it was loaded from, for messages.
    public var source: String = "<policy>"

    public init() {}
}

/// Parser and inspection limits (the `limits:` section): the parser's own type.
/// Exceeding one marks the message `limits-exceeded`.
public typealias Limits = ParserLimits

/// Where and when rewritten bodies are spooled to a private temporary file.
public struct SpoolSettings: Sendable, Equatable {
    /// Bodies larger than this are spooled to disk instead of memory.
    public var memoryLimit: Int = 1024 * 1024
    public var directory: String = "/tmp"
    public init() {}
}

/// Settings of the milter daemon that may come from the policy file.
public struct MilterSettings: Sendable, Equatable {
    public var socket: String? = nil
    public var metricsListen: String? = nil
    /// Which MTA macros the daemon asks for (`milter.macros`).
    public var macros: MacroRequest = .needed
    public init() {}
}

/// Which MTA macros (connection facts) the milter asks the MTA for. Each macro
/// costs the MTA work per message, so by default only what the rules use.
public enum MacroRequest: String, Sendable, CaseIterable {
    /// The queue ID, and the facts the policy's rules use (today's rules use none).
    case needed
    /// Also the client, authentication and TLS facts, logged with each decision.
    case all
}

/// One rule: all conditions must hold, no exception may hold; then the actions apply.
public struct Rule: Sendable {
    public var name: String
    public var conditions: [Condition]
    public var exceptions: [Condition]
    public var actions: [Action]
    public var stop: Bool
    /// Line of the rule in the policy file.
    public var line: Int

    public init(name: String, conditions: [Condition], exceptions: [Condition] = [], actions: [Action], stop: Bool = false, line: Int = 0) {
        self.name = name; self.conditions = conditions; self.exceptions = exceptions
        self.actions = actions; self.stop = stop; self.line = line
    }
}

/// Mail direction, from sender and recipient domains against `internal_domains`.
public enum Direction: String, Sendable, CaseIterable {
    case inbound, outbound, `internal`
}

/// A condition of a rule (or an exception).
public enum Condition: Sendable {
    /// Matches when any recipient's direction is in the set.
    case direction(Set<Direction>)
    case sender([AddressPattern])
    /// Matches when any recipient matches (at RCPT: the recipient at hand).
    case recipient([AddressPattern])
    /// A header field (name compared case-insensitively) whose unfolded, decoded value matches.
    case header(name: String, TextMatcher)
    case subject(TextMatcher)
    /// Decoded text of the text parts.
    case body(TextMatcher)
    case attachment(AttachmentMatcher)
    /// Message size in bytes: `min <= size <= max` (nil: no bound).
    /// The file's `size: {over: X, under: Y}` loads as `min: X + 1, max: Y - 1`.
    case size(min: Int?, max: Int?)
    /// Matches when any of these kinds was found (empty: any kind at all).
    /// The file's `unscannable: any` loads as the set of every kind.
    case unscannable(UnscannableSet)
    case limitsExceeded(Bool)
}

/// An SMTP reply: code (e.g. 550), extended code (e.g. 5.7.1), text.
public struct SMTPReply: Sendable, Equatable {
    public var code: String
    public var extendedCode: String
    public var text: String
    public init(code: String, extendedCode: String, text: String) {
        self.code = code; self.extendedCode = extendedCode; self.text = text
    }
}

/// Which parts `remove-attachments` drops: a part goes when it has any of the
/// `unscannable` kinds, or when `attachment` matches its filename or media type.
/// nil fields select nothing; the loader never produces a selector with both nil.
public struct PartSelector: Sendable {
    public var unscannable: UnscannableSet?
    public var attachment: AttachmentMatcher?
    public init(unscannable: UnscannableSet? = nil, attachment: AttachmentMatcher? = nil) {
        self.unscannable = unscannable; self.attachment = attachment
    }
}

/// An action of a rule.
public enum Action: Sendable {
    case addHeader(name: String, value: String)
    case reject(SMTPReply)
    case tempfail(SMTPReply)
    /// Hold the message in the MTA's hold queue with this reason.
    case quarantine(String)
    case discard
    /// Refuse only the recipient at hand, at RCPT time.
    case rejectRecipient(SMTPReply)
    /// Drop the selected parts and add a short text part saying what was removed.
    /// Without a selector: the parts the rule's own attachment/unscannable conditions matched.
    case removeAttachments(PartSelector?)
}
