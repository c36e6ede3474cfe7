#if canImport(Glibc)
import Glibc
#endif

/// The CPU time rule evaluation may spend on one message, measured on the calling
/// thread's CPU clock while rules run (the session's stages may run on different
/// threads; each stretch is measured where it runs).
final class CPUBudget {
    let limit: Duration
    private(set) var used: Duration = .zero
    private var started: Duration? = nil
    /// Set once the budget is found spent; stays set.
    private(set) var exhausted = false

    init(limit: Duration) { self.limit = limit }

    static func threadTime() -> Duration {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return .seconds(ts.tv_sec) + .nanoseconds(ts.tv_nsec)
    }

    func begin() { if started == nil { started = CPUBudget.threadTime() } }

    func end() {
        if let s = started { used += CPUBudget.threadTime() - s; started = nil }
    }

    /// Whether the budget is spent (checked between rules and by long conditions).
    var spent: Bool {
        if exhausted { return true }
        var total = used
        if let s = started { total += CPUBudget.threadTime() - s }
        if total > limit { exhausted = true }
        return exhausted
    }
}
