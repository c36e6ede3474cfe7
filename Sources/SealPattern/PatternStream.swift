import CHyperscan
import Synchronization

/// A stream over a stream-mode ``PatternDatabase``: feed the text chunk by chunk (matches
/// spanning chunk edges are found; no text is kept, only Hyperscan's fixed-size stream state),
/// then ``finish()`` to get every id that matched, including end-anchored (`$`) matches.
///
/// One thread at a time (concurrent use traps). A stream that is dropped unfinished is closed.
public final class PatternStream: @unchecked Sendable {
    public let database: PatternDatabase
    private var raw: OpaquePointer?
    private let scratch: Scratch?
    private let stopAfter: Int
    private var found: MatchSet
    private let busy = Atomic<Bool>(false)
    /// True once the stream stopped early (``matched`` holds `stopAfter` ids) or was finished.
    public private(set) var isDone = false
    /// Bytes fed so far.
    public private(set) var bytesFed = 0

    init(database: PatternDatabase, scratch: Scratch?, stopAfter: Int) {
        precondition(database.mode == .stream, "PatternStream needs a stream-mode database")
        self.database = database
        self.scratch = scratch
        self.stopAfter = stopAfter
        self.found = MatchSet(capacity: database.idLimit)
        if let db = database.raw {
            var s: OpaquePointer? = nil
            let r = hs_open_stream(db, 0, &s)
            guard r == HS_SUCCESS, let s else { Hyperscan.fatal("hs_open_stream", r) }
            raw = s
        } else {
            raw = nil
        }
    }

    deinit { if let raw { hs_close_stream(raw, nil, nil, nil) } }

    /// The ids matched so far.
    public var matched: MatchSet { found }

    /// Scans the next chunk. Does nothing once the stream is done.
    public func feed(_ chunk: UnsafeRawBufferPointer) {
        enter(); defer { leave() }
        bytesFed += chunk.count
        guard !isDone, let raw, let db = database.raw else { return }
        var offset = 0
        repeat {  // Hyperscan takes 32-bit lengths
            let n = min(chunk.count - offset, Int(UInt32.max))
            let piece = UnsafeRawBufferPointer(rebasing: chunk[offset..<(offset + n)])
            let r = call { sp, ctx in
                withBase(piece) { hs_scan_stream(raw, $0, UInt32(n), 0, sp, onMatch, ctx) }
            }
            _ = db
            if r == HS_SCAN_TERMINATED {
                // Hyperscan does not accept more data for a terminated stream: free it now.
                hs_close_stream(raw, nil, nil, nil)
                self.raw = nil
                isDone = true
                return
            }
            if r != HS_SUCCESS { Hyperscan.fatal("hs_scan_stream", r) }
            offset += n
        } while offset < chunk.count
    }

    /// Ends the stream (end-anchored expressions match now) and returns every id that matched.
    @discardableResult
    public func finish() -> MatchSet {
        enter(); defer { leave() }
        if let raw {
            let r = call { sp, ctx in hs_close_stream(raw, sp, onMatch, ctx) }
            self.raw = nil
            if r != HS_SUCCESS && r != HS_SCAN_TERMINATED { Hyperscan.fatal("hs_close_stream", r) }
        }
        isDone = true
        return found
    }

    /// Runs a Hyperscan call with a scratch space and the match context.
    private func call(_ body: (OpaquePointer, UnsafeMutableRawPointer) -> hs_error_t) -> hs_error_t {
        let start = found.count
        return ScratchPool.with(scratch) { s in
            let sp = s.prepared(for: database)
            return found.withWords { words in
                var ctx = ScanContext(words: words, found: start, stopAfter: stopAfter)
                return withUnsafeMutablePointer(to: &ctx) { body(sp, UnsafeMutableRawPointer($0)) }
            }
        }
    }

    private func enter() {
        precondition(busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged,
                     "PatternStream used by two threads at once")
    }
    private func leave() { busy.store(false, ordering: .releasing) }
}
