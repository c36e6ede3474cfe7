import CHyperscan
import Glibc
import Synchronization

/// A compiled set of expressions (a Hyperscan database): matched together, in one pass over the
/// data, in time linear in its length (no backtracking).
///
/// Immutable and shareable between threads; see ``Scratch`` for the threading rules.
/// PatternExpression syntax is Hyperscan's subset of PCRE: no back-references, lookaround, atomic
/// groups, possessive quantifiers, conditionals, recursion or `\K`/`\G`/`\R`/`\X`.
public final class PatternDatabase: @unchecked Sendable {
    public enum Mode: Sendable { case block, stream }

    /// `hs_database_t *`; nil for an empty expression list (which matches nothing).
    let raw: OpaquePointer?
    public let mode: Mode
    public let expressionCount: Int
    /// One more than the largest id (0 when empty): the capacity a ``MatchSet`` of ids needs.
    public let idLimit: Int
    /// Process-unique, so a ``Scratch`` can remember which databases it fits.
    let serial: UInt64
    private static let serials = Atomic<UInt64>(0)

    /// Compiles `expressions`. Throws ``PatternCompileError`` naming the first expression that
    /// does not compile (its index in `expressions`) with Hyperscan's message.
    public init(_ expressions: [PatternExpression], mode: Mode) throws(PatternCompileError) {
        self.mode = mode
        self.expressionCount = expressions.count
        self.idLimit = expressions.map { Int($0.id) + 1 }.max() ?? 0
        self.serial = PatternDatabase.serials.add(1, ordering: .relaxed).newValue
        if expressions.isEmpty { raw = nil; return }
        if let p = Hyperscan.platformProblem { throw PatternCompileError(index: nil, message: p) }
        for (i, e) in expressions.enumerated() where e.pattern.utf8.contains(0) {
            throw PatternCompileError(index: i, message: "contains a NUL character (write it as \\x00)")
        }
        // C strings for the compiler, freed afterwards.
        let cStrings: [UnsafeMutablePointer<CChar>?] = expressions.map { strdupOrDie($0.pattern) }
        defer { for p in cStrings { free(p) } }
        let flags = expressions.map { $0.flags.rawValue }
        let ids = expressions.map { $0.id }
        var db: OpaquePointer? = nil
        var err: UnsafeMutablePointer<hs_compile_error_t>? = nil
        let r = cStrings.withUnsafeBufferPointer { cs in
            cs.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: cs.count) { exprs in
                hs_compile_multi(exprs, flags, ids, UInt32(expressions.count),
                                 UInt32(mode == .block ? HS_MODE_BLOCK : HS_MODE_STREAM), nil, &db, &err)
            }
        }
        guard r == HS_SUCCESS, let db else {
            var message = "does not compile (Hyperscan error \(r))"
            var index: Int? = nil
            if let err {
                if let m = err.pointee.message { message = String(cString: m) }
                if err.pointee.expression >= 0 { index = Int(err.pointee.expression) }
                hs_free_compile_error(err)
            }
            throw PatternCompileError(index: index, message: message)
        }
        raw = db
    }

    deinit { if let raw { hs_free_database(raw) } }

    /// Bytes the compiled database takes.
    public var byteSize: Int {
        guard let raw else { return 0 }
        var n = 0
        return hs_database_size(raw, &n) == HS_SUCCESS ? n : 0
    }

    /// Bytes of stream state per open stream (stream mode; 0 in block mode).
    public var streamStateSize: Int {
        guard let raw, mode == .stream else { return 0 }
        var n = 0
        return hs_stream_size(raw, &n) == HS_SUCCESS ? n : 0
    }

    // MARK: Block mode

    /// Scans `data` (block mode), adding the id of every expression that matches to `matched`.
    /// Stops early once `matched` holds `stopAfter` ids (counting those it held before).
    /// Data larger than 4 GiB is a programming error (Hyperscan's block length is 32 bits).
    public func scan(_ data: UnsafeRawBufferPointer, into matched: inout MatchSet,
                     stopAfter: Int = .max, scratch: Scratch? = nil) {
        precondition(mode == .block, "PatternDatabase.scan needs a block-mode database; use a PatternStream")
        guard let raw else { return }
        precondition(data.count <= Int(UInt32.max), "block scan of more than 4 GiB")
        if matched.count >= stopAfter { return }
        matched.reserve(idLimit)
        let start = matched.count
        ScratchPool.with(scratch) { s in
            let sp = s.prepared(for: self)
            matched.withWords { words in
                var ctx = ScanContext(words: words, found: start, stopAfter: stopAfter)
                let r = withUnsafeMutablePointer(to: &ctx) { c in
                    withBase(data) { base in
                        hs_scan(raw, base, UInt32(data.count), 0, sp, onMatch, UnsafeMutableRawPointer(c))
                    }
                }
                if r != HS_SUCCESS && r != HS_SCAN_TERMINATED { Hyperscan.fatal("hs_scan", r) }
            }
        }
    }

    /// The ids of the expressions that match `data` (block mode).
    public func matches(in data: UnsafeRawBufferPointer, stopAfter: Int = .max, scratch: Scratch? = nil) -> MatchSet {
        var set = MatchSet(capacity: idLimit)
        scan(data, into: &set, stopAfter: stopAfter, scratch: scratch)
        return set
    }

    /// Whether any expression matches `data` (block mode); stops at the first match.
    public func matchesAny(_ data: UnsafeRawBufferPointer, scratch: Scratch? = nil) -> Bool {
        var set = MatchSet(capacity: idLimit)
        scan(data, into: &set, stopAfter: 1, scratch: scratch)
        return !set.isEmpty
    }

    /// Whether any expression matches the UTF-8 of `text` (block mode).
    public func matchesAny(_ text: String, scratch: Scratch? = nil) -> Bool {
        withUTF8(text) { matchesAny($0, scratch: scratch) }
    }

    // MARK: Stream mode

    /// Opens a stream over this (stream-mode) database: feed it chunks, then finish it.
    public func openStream(scratch: Scratch? = nil, stopAfter: Int = .max) -> PatternStream {
        PatternStream(database: self, scratch: scratch, stopAfter: stopAfter)
    }
}

/// What the match callback updates: the id bit set and the count of distinct ids in it.
struct ScanContext {
    var words: UnsafeMutablePointer<UInt64>
    var found: Int
    var stopAfter: Int
}

/// The match callback: records the id; returns non-zero (stop) once enough ids were found.
let onMatch: match_event_handler = { id, _, _, _, ctx in
    let c = ctx!.assumingMemoryBound(to: ScanContext.self)
    let w = Int(id >> 6)
    let bit = UInt64(1) << UInt64(id & 63)
    if c.pointee.words[w] & bit == 0 {
        c.pointee.words[w] |= bit
        c.pointee.found += 1
    }
    return c.pointee.found >= c.pointee.stopAfter ? 1 : 0
}

/// A base pointer for `data`, valid even for an empty buffer (Hyperscan wants non-null data).
@inline(__always)
func withBase<R>(_ data: UnsafeRawBufferPointer, _ body: (UnsafePointer<CChar>) -> R) -> R {
    if let b = data.baseAddress { return body(b.assumingMemoryBound(to: CChar.self)) }
    var zero: CChar = 0
    return withUnsafePointer(to: &zero) { body($0) }
}

/// The UTF-8 bytes of `text`, without a copy for native strings.
@inline(__always)
public func withUTF8<R>(_ text: String, _ body: (UnsafeRawBufferPointer) -> R) -> R {
    if let r = text.utf8.withContiguousStorageIfAvailable({ body(UnsafeRawBufferPointer($0)) }) { return r }
    var copy = text
    return copy.withUTF8 { body(UnsafeRawBufferPointer($0)) }
}

private func strdupOrDie(_ s: String) -> UnsafeMutablePointer<CChar> {
    guard let p = strdup(s) else { fatalError("SealPattern: out of memory") }
    return p
}
