import SealPolicy

/// The order in which the engine changes a body. Transforms run in phase order
/// (those of one phase in the order their rules applied), each reading the
/// previous one's output: parts are removed from the original first, other
/// content changes follow, and signing, encryption and envelopes come last, so a
/// signature covers the final content. The policy checker refuses a rule order
/// that would change a body after it was sealed (``isSealing``).
public enum BodyPhase: Int, Comparable, Sendable, CaseIterable {
    /// Edits by the original's part offsets (remove_attachments): first, on the original.
    case structure = 0
    /// Other changes of the content.
    case content = 10
    /// Signing (S/MIME): seals the body.
    case sign = 20
    /// Encryption (S/MIME): seals the body.
    case encrypt = 30
    /// Replacing the message by an envelope: seals the body.
    case envelope = 40

    public static func < (a: BodyPhase, b: BodyPhase) -> Bool { a.rawValue < b.rawValue }

    /// Whether no body change may follow this phase's (a signature or ciphertext would break).
    public var isSealing: Bool { self >= .sign }

    static let orderText = "remove parts, other content changes, sign, encrypt, envelope"

    static func sealedVerb(_ key: String) -> String {
        key.contains("sign") ? "signed" : "sealed (signed or encrypted)"
    }
}

/// A body read front to back in chunks.
public protocol BodySource: AnyObject {
    /// The next chunk, or nil at the end. Throws when the body cannot be read.
    func next() throws -> [UInt8]?
}

/// What a body transform reads: the original body (random access, with the
/// parser's part offsets) and, when an earlier transform changed it, that
/// transform's output.
public struct BodyInput {
    /// The body as it arrived.
    public let original: BodySpool
    /// The body as the earlier transforms left it (nil: unchanged so far).
    public let current: (any BodySource)?
    /// The name of the last transform that changed the body.
    public let changedBy: String?

    /// The body to read: the current one, or the original.
    public func stream() -> any BodySource { current ?? original.reader() }
}

/// A transform's result: the new body and the header edits that go with it.
public struct BodyOutput {
    public var body: any BodySource
    public var headerEdits: [HeaderEdit]
    public init(body: any BodySource, headerEdits: [HeaderEdit] = []) {
        self.body = body; self.headerEdits = headerEdits
    }
}

/// One step of the body pipeline.
public protocol BodyTransform: AnyObject {
    var phase: BodyPhase { get }
    /// Its name in messages (the action's key).
    var name: String { get }
    /// Reads `input` and returns the new body, or nil when it changes nothing.
    /// Throwing fails the message closed (tempfail), never passes it unchanged.
    func transform(_ input: BodyInput, _ context: TransformContext) throws -> BodyOutput?
}

/// What a transform may use besides its input.
public struct TransformContext {
    public let message: MessageFacts
    public let outcome: MessageOutcome
    /// A new private spool for output that must be read more than once or is large.
    public func newSpool() -> BodySpool {
        BodySpool(memoryLimit: message.settings.spool.memoryLimit, directory: message.settings.spool.directory)
    }
}

/// Runs the transforms in phase order over the original body.
enum BodyPipeline {
    static func run(_ transforms: [any BodyTransform], original: BodySpool?, context: TransformContext) throws
        -> (body: (any BodySource)?, headerEdits: [HeaderEdit]) {
        guard !transforms.isEmpty else { return (nil, []) }
        guard let original else { throw SpoolError(message: "the body was not spooled for rewriting") }
        if let e = original.error { throw SpoolError(message: e) }
        let ordered = transforms.enumerated().sorted { a, b in
            a.element.phase != b.element.phase ? a.element.phase < b.element.phase : a.offset < b.offset
        }.map(\.element)
        var current: (any BodySource)? = nil
        var changedBy: String? = nil
        var edits: [HeaderEdit] = []
        for t in ordered {
            let input = BodyInput(original: original, current: current, changedBy: changedBy)
            if let out = try t.transform(input, context) {
                current = out.body
                changedBy = t.name
                edits += out.headerEdits
            }
        }
        return (current, edits)
    }
}

/// A failure of an action's end-of-message work that its rule wants answered
/// with a rejection rather than the default tempfail (e.g. `encrypt:
/// {on_failure: reject}`): throwing it from a contribution or a transform fails
/// the message closed with ``reply``. Any other error tempfails (451 4.3.0).
public struct ClosedFailure: Error, CustomStringConvertible {
    /// Reject (5xx) instead of tempfail.
    public var reject: Bool
    public var reply: SMTPReply
    /// Why, for the log (no secrets).
    public var reason: String
    public init(reject: Bool, reply: SMTPReply, reason: String) { self.reject = reject; self.reply = reply; self.reason = reason }
    public var description: String { reason }
}
