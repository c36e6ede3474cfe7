import SealPolicy
import SealDetect

/// One SMTP connection's state and its current message. Use from one thread at a time.
public final class Session {
    public let engine: Engine
    /// The reply that goes with the last reject/tempfail decision.
    public private(set) var reply: SMTPReply?
    public private(set) var headerEdits: [HeaderEdit] = []
    public private(set) var recipientEdits: [RecipientEdit] = []
    public private(set) var quarantineReason: String?
    public private(set) var lastError: String = ""
    /// The MTA's queue ID (macro `i`), when known.
    public private(set) var queueID: String?
    /// Whether the body must be passed (valid after end of headers).
    public private(set) var needsBody: Bool = true
    /// Whether the body must be replaced (valid after end of message).
    public private(set) var bodyReplaced: Bool = false

    public init(engine: Engine) { self.engine = engine }

    public func connect(hostname: String?, address: String?) -> Decision { .continue }
    public func helo(_ name: String) -> Decision { .continue }
    public func macro(name: String, value: String) {}
    public func mailFrom(_ sender: String) -> Decision { .continue }
    public func rcpt(_ recipient: String) -> Decision { .continue }
    public func header(name: String, value: String) -> Decision { .continue }
    public func endOfHeaders() -> Decision { .continue }
    public func body(_ chunk: UnsafeRawBufferPointer) -> Decision { .continue }
    /// A whole raw message (header section then body) in chunks of any size.
    public func raw(_ chunk: UnsafeRawBufferPointer) -> Decision { .continue }
    public func endOfMessage() -> Decision { .accept }
    /// Forgets the current message; the connection facts stay.
    public func abort() {}

    /// The next chunk of the replacement body, or nil at its end. Throws on spool I/O errors.
    public func readReplacementBody() throws -> [UInt8]? { nil }

    /// One log line for the decision (without the queue ID).
    public var logLine: String { "action=accept" }

    /// The result as one JSON object: parts, unscannable, rules, verdict.
    public func jsonReport() -> String { "{}" }
}
