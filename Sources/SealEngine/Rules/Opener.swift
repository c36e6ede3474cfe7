import SealPolicy
import SealMIME

/// A feature that opens a message before the end-of-message rules are judged:
/// verifies a signature and records the result in header fields, or turns a
/// protected body (an encrypted or opaque-signed entity) into the entity inside,
/// which the rules then see as the message's content.
///
/// The composition root registers it (`registry.register(opener: T.self)`); a
/// policy keeps the openers that are ``isActive(_:)`` for its settings. At the end
/// of the message, after the body has been parsed and before the rules of the body
/// stage run, the engine asks each active opener, in registration order, whose
/// ``wants(_:)`` said yes after the header section. An opener reads its own
/// configuration from `settings.features[T.self]`; it is called on any session's
/// thread, so what it shares must be thread-safe.
///
/// What it may do (``OpenerResult``):
/// - header edits only (a verification result inserted at the top, removal of a
///   forged one);
/// - return the opened entity (a MIME entity: its header section, then its body,
///   as a stream): the engine parses it with a fresh parser into the message
///   facts, so body, attachment, text and unscannable conditions see the opened
///   content, while header conditions keep seeing the outer header fields. The
///   opener says whether the recipients get the opened entity (outer header with
///   the inner `Content-*` fields and a marker field) or the original body.
///
/// An opener that cannot open a message (no key, garbage) returns no entity and
/// says why in its log words; the message keeps its unscannable kinds.
public protocol MessageOpener: Sendable {
    /// Its name in logs and errors (`smime`).
    static var name: String { get }
    /// Whether the policy's settings turn it on (its section is there).
    static func isActive(_ settings: PolicySettings) -> Bool
    /// After the top-level header section: whether it wants to look at this
    /// message (the body is then kept). Cheap; reads header fields only.
    static func wants(_ message: MessageFacts) -> Bool
    /// Looks at the whole message. Never throws: problems become log words and a
    /// result without an entity.
    static func open(_ input: OpenerInput) -> OpenerResult
}

/// What an opener reads: the facts (outer header fields, the parser's part tree
/// with offsets into the body) and the spooled body as it arrived.
public struct OpenerInput {
    public let message: MessageFacts
    /// The body as it arrived (random access, the parser's offsets apply).
    public let body: BodySpool
    /// The MTA's queue ID, when known (for log lines).
    public let queueID: String?
    /// What earlier openers added to the message (a feature may look at another's result).
    public let earlier: [OpenerResult]

    /// A new private spool (memory up to `spool.memory_limit`, then an unlinked 0600 file).
    public func newSpool() -> BodySpool {
        BodySpool(memoryLimit: message.settings.spool.memoryLimit, directory: message.settings.spool.directory)
    }
}

/// What an opener found.
public struct OpenerResult {
    /// Edits of the outer header section (e.g. deleting a forged result field),
    /// 1-based indices among fields of that name as received.
    public var headerEdits: [HeaderEdit] = []
    /// Header fields to append at the end of the header section.
    public var addedHeaders: [(name: String, value: String)] = []
    /// Header fields to insert at the top of the header section, in this order:
    /// below the MTA's own `Received` field, above every field the message arrived
    /// with (``HeaderEdit/topIndex``). For trace fields such as a verification
    /// result (`Authentication-Results`: RFC 8601 has a receiver prepend it, and
    /// readers trust the topmost ones). The engine inserts them after all other
    /// header edits of the message, so those keep their indices; the fields of
    /// earlier openers come first.
    public var insertedHeaders: [(name: String, value: String)] = []
    /// Words for the message's log line (`smime=pass signer=...`), logged as given.
    public var logWords: [String] = []
    /// The opened entity, when the opener opened the body.
    public var opened: OpenedEntity? = nil

    public init(headerEdits: [HeaderEdit] = [], addedHeaders: [(name: String, value: String)] = [],
                insertedHeaders: [(name: String, value: String)] = [],
                logWords: [String] = [], opened: OpenedEntity? = nil) {
        self.headerEdits = headerEdits; self.addedHeaders = addedHeaders; self.insertedHeaders = insertedHeaders
        self.logWords = logWords; self.opened = opened
    }
}

/// An opened MIME entity (header section, blank line, body) and what is delivered.
public struct OpenedEntity {
    /// The entity, read front to back once by the engine.
    public var entity: any BodySource
    /// Whether the recipients get the opened entity (else the original body).
    public var deliver: Bool
    /// The value of `X-Sealmilter-Decrypted` on a delivered entity (`smime`).
    public var marker: String

    public init(entity: any BodySource, deliver: Bool, marker: String) {
        self.entity = entity; self.deliver = deliver; self.marker = marker
    }
}
