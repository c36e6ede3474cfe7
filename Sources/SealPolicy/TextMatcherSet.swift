import SealPattern

/// Many ``TextMatcher``s compiled into one Hyperscan database, so that one pass over a text
/// tells which of them match: the policy-wide form of the body conditions (a policy of 1000
/// body patterns then costs one scan per text, not 1000).
///
/// Matcher `i` of the list given to ``init(_:modes:)`` is reported as index `i`; every
/// expression of matcher `i` is compiled with id `i` and ``PatternFlags/singleMatch``, so each
/// index is reported at most once per scan or stream. Matchers with neither keywords nor
/// patterns never match. Semantics are exactly those of ``TextMatcher/matches(_:)`` for each
/// matcher on the same text (anchors refer to the start and end of the text or stream).
///
/// Threading: the set is immutable and shareable. Scans take an optional ``Scratch`` (one per
/// session; see ``makeScratch()``), otherwise they borrow one from the process-wide pool.
/// A ``PatternStream`` is used by one thread at a time.
public struct TextMatcherSet: Sendable {
    public struct Modes: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// Whole texts at once: ``matching(_:scratch:)``, ``scan(utf8:into:scratch:)``.
        public static let block = Modes(rawValue: 1)
        /// Texts in chunks: ``openStream(scratch:)``.
        public static let stream = Modes(rawValue: 2)
    }

    /// A set that does not compile (only resource limits: each matcher compiled on its own).
    public struct CompileError: Error, Sendable, CustomStringConvertible {
        /// Index of the matcher whose expression failed; nil when the set as a whole failed.
        public var matcher: Int?
        public var message: String
        public var description: String {
            (matcher.map { "text condition \($0): " } ?? "text conditions: ") + message
        }
    }

    public let matchers: [TextMatcher]
    /// Matchers that can match (have at least one keyword or pattern): a scan that has found
    /// all of them stops early.
    public let activeCount: Int
    private let block: PatternDatabase?
    private let stream: PatternDatabase?

    public init(_ matchers: [TextMatcher], modes: Modes = .block) throws(CompileError) {
        self.matchers = matchers
        var exprs: [PatternExpression] = []
        var owner: [Int] = []
        for (i, m) in matchers.enumerated() {
            let e = m.expressions(id: UInt32(i))
            exprs += e
            owner += repeatElement(i, count: e.count)
        }
        activeCount = matchers.filter { !$0.isEmpty }.count
        func compile(_ mode: PatternDatabase.Mode) throws(CompileError) -> PatternDatabase {
            do { return try PatternDatabase(exprs, mode: mode) } catch {
                throw CompileError(matcher: error.index.map { owner[$0] },
                                   message: (mode == .stream ? "in stream mode: " : "") + error.message)
            }
        }
        block = modes.contains(.block) ? try compile(.block) : nil
        stream = modes.contains(.stream) ? try compile(.stream) : nil
    }

    public var count: Int { matchers.count }

    /// A scratch space sized for this set's databases, for one session to pass to its scans.
    public func makeScratch() -> Scratch {
        Scratch(for: [block, stream].compactMap { $0 })
    }

    /// Indices of the matchers that match `text` (block mode).
    public func matching(_ text: String, scratch: Scratch? = nil) -> MatchSet {
        var set = MatchSet(capacity: count)
        withUTF8(text) { scan(utf8: $0, into: &set, scratch: scratch) }
        return set
    }

    /// Adds to `matched` the indices of the matchers that match the UTF-8 text `utf8` (block
    /// mode; valid UTF-8 required). Use one `matched` across the texts of a message (e.g. each
    /// text part): the scan stops as soon as every active matcher is in it.
    public func scan(utf8: UnsafeRawBufferPointer, into matched: inout MatchSet, scratch: Scratch? = nil) {
        guard let block else { preconditionFailure("TextMatcherSet was compiled without .block") }
        block.scan(utf8, into: &matched, stopAfter: activeCount, scratch: scratch)
    }

    /// A stream for one text fed in chunks (stream mode): `feed` decoded UTF-8 chunks in order
    /// (a character may be split between chunks), then `finish()` returns the indices of the
    /// matchers that match the whole text, the same as ``matching(_:scratch:)`` on it. A stream
    /// stops scanning (``PatternStream/isDone``) once every active matcher matched.
    public func openStream(scratch: Scratch? = nil) -> PatternStream {
        guard let stream else { preconditionFailure("TextMatcherSet was compiled without .stream") }
        return stream.openStream(scratch: scratch, stopAfter: activeCount)
    }

    /// Bytes of stream state each open stream holds.
    public var streamStateSize: Int { stream?.streamStateSize ?? 0 }
    /// Bytes of the compiled databases.
    public var byteSize: Int { (block?.byteSize ?? 0) + (stream?.byteSize ?? 0) }
}
