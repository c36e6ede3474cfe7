import CHyperscan
import Synchronization

/// Hyperscan scratch space: the working memory of one scan at a time.
///
/// Threading rules (all of SealPattern):
/// - A ``PatternDatabase`` is immutable after compilation: share it freely between threads.
/// - A `Scratch` serves one scan at a time. A session (a milter connection) should own one and
///   pass it to every scan it makes; it grows on first use with each database to fit that
///   database, so one scratch serves all of a policy's databases. Sessions may move between
///   threads, so a `Scratch` is `Sendable`, but two threads must not scan with the same one at
///   once. If they do anyway, the second finds it busy (an atomic flag) and takes a scratch from
///   the process-wide pool instead: correct, only slower.
/// - Scans given no scratch take one from the process-wide pool (a mutex-protected free list,
///   grown on demand to the number of concurrent scans) and return it afterwards.
/// - A ``PatternStream`` belongs to one thread at a time (feeding it concurrently is a
///   programming error and traps).
public final class Scratch: @unchecked Sendable {
    /// `hs_scratch_t *`, nil until the first database.
    private var raw: OpaquePointer?
    /// Serial numbers of the databases `raw` has been sized for.
    private var sizedFor = Set<UInt64>()
    private let busy = Atomic<Bool>(false)

    public init() {}

    /// A scratch already sized for these databases (no allocation on their first scan).
    public convenience init(for databases: [PatternDatabase]) {
        self.init()
        _ = tryAcquire()
        for d in databases { _ = prepared(for: d) }
        release()
    }

    deinit { if let raw { hs_free_scratch(raw) } }

    func tryAcquire() -> Bool {
        busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
    }

    func release() { busy.store(false, ordering: .releasing) }

    /// The scratch pointer, sized for `db`. The caller holds the scratch (``tryAcquire()``).
    func prepared(for db: PatternDatabase) -> OpaquePointer {
        if let raw, sizedFor.contains(db.serial) { return raw }
        if sizedFor.count >= 4096 {
            // Databases come and go with policy reloads: start afresh rather than remember them all.
            if let raw { hs_free_scratch(raw) }
            raw = nil
            sizedFor.removeAll()
        }
        var p = raw
        let r = hs_alloc_scratch(db.raw, &p)
        guard r == HS_SUCCESS, let p else { Hyperscan.fatal("hs_alloc_scratch", r) }
        raw = p
        sizedFor.insert(db.serial)
        return p
    }
}

/// The process-wide free list of scratch spaces, for scans given no scratch of their own.
enum ScratchPool {
    static let free = Mutex<[Scratch]>([])
    static let keep = 64

    /// Runs `body` with `given` if it is free, else with a pooled scratch.
    static func with<R>(_ given: Scratch?, _ body: (Scratch) -> R) -> R {
        if let given, given.tryAcquire() {
            defer { given.release() }
            return body(given)
        }
        let s = free.withLock { $0.popLast() } ?? Scratch()
        _ = s.tryAcquire()
        defer {
            s.release()
            free.withLock { if $0.count < keep { $0.append(s) } }
        }
        return body(s)
    }
}

enum Hyperscan {
    /// Errors that correct use cannot cause (a bad argument, or no memory for scratch space
    /// or stream state, where Swift itself would stop too).
    static func fatal(_ call: String, _ r: hs_error_t) -> Never {
        fatalError("SealPattern: \(call) failed with Hyperscan error \(r)")
    }

    static let platformProblem: String? = {
        hs_valid_platform() == HS_SUCCESS ? nil : "this CPU lacks SSSE3, which the regular-expression engine (Hyperscan) requires"
    }()

    static var version: String { String(cString: hs_version()) }
}

/// The Hyperscan library's version string (e.g. "5.4.0 2021-01-26").
public var hyperscanVersion: String { Hyperscan.version }
