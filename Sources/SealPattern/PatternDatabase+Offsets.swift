import CHyperscan

extension PatternFlags {
    /// Report the leftmost start of each match as well as its end (Hyperscan's
    /// `HS_FLAG_SOM_LEFTMOST`). Costs scan time: use it only on expressions whose start the
    /// caller cannot find itself (a policy's custom regular expression, not a digit run).
    public static let somLeftmost = PatternFlags(rawValue: UInt32(HS_FLAG_SOM_LEFTMOST))
}

/// One match of an offset scan: the expression's id and the byte range it matched. `from` is
/// the leftmost start only for expressions compiled with ``PatternFlags/somLeftmost``, 0 otherwise.
public struct PatternMatch: Sendable, Hashable {
    public var id: UInt32
    public var from: Int
    public var to: Int
    public init(id: UInt32, from: Int, to: Int) { self.id = id; self.from = from; self.to = to }
}

/// What the offset callback updates: the caller's closure, through a pointer.
private struct OffsetContext {
    var body: (PatternMatch) -> Bool
}

private let onOffsetMatch: match_event_handler = { id, from, to, _, ctx in
    let c = ctx!.assumingMemoryBound(to: OffsetContext.self)
    return c.pointee.body(PatternMatch(id: id, from: Int(from), to: Int(to))) ? 0 : 1
}

extension PatternDatabase {
    /// Scans `data` (block mode) and calls `body` for every match, in order of end offset, with
    /// its id and offsets; `body` returns false to stop the scan. This is the form for callers
    /// that judge matches themselves (validators, proximity of keywords): the set-of-ids scans
    /// (``scan(_:into:stopAfter:scratch:)``) are cheaper when only "which matched" counts.
    public func scanMatches(_ data: UnsafeRawBufferPointer, scratch: Scratch? = nil,
                            _ body: (PatternMatch) -> Bool) {
        precondition(mode == .block, "PatternDatabase.scanMatches needs a block-mode database")
        guard let raw else { return }
        precondition(data.count <= Int(UInt32.max), "block scan of more than 4 GiB")
        withoutActuallyEscaping(body) { escaping in
            ScratchPool.with(scratch) { s in
                let sp = s.prepared(for: self)
                var ctx = OffsetContext(body: escaping)
                let r = withUnsafeMutablePointer(to: &ctx) { c in
                    withBase(data) { base in
                        hs_scan(raw, base, UInt32(data.count), 0, sp, onOffsetMatch, UnsafeMutableRawPointer(c))
                    }
                }
                if r != HS_SUCCESS && r != HS_SCAN_TERMINATED { Hyperscan.fatal("hs_scan", r) }
            }
        }
    }
}
