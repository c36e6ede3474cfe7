#if canImport(Glibc)
import Glibc
#endif

/// The CPU time rule evaluation may spend on one message.
///
/// Reading a thread's CPU clock is a system call (about a microsecond, more in a
/// virtual machine), too dear to make around every rule of every message. A
/// thread's CPU time never exceeds the wall-clock time that passed, so each
/// stretch of evaluation is timed on the cheap monotonic clock (vDSO), and only a
/// stretch that runs longer than ``wallGrace`` switches to the thread's CPU clock
/// from then on. A message whose rules take microseconds makes no system call;
/// one that runs long is charged its real CPU time (plus at most the grace). The
/// session's stages may run on different threads; each stretch is measured on
/// the thread it runs on.
final class CPUBudget {
    let limit: Duration
    /// How long a stretch is timed on the wall clock before the CPU clock takes over.
    static let wallGrace: Duration = .milliseconds(1)
    private(set) var used: Duration = .zero
    private var wallStart: Duration? = nil
    /// Set once a stretch ran past the grace: the CPU clock then, and the wall time before.
    private var cpuStart: Duration? = nil
    private var chargedBeforeCPU: Duration = .zero
    /// Set once the budget is found spent; stays set.
    private(set) var exhausted = false

    init(limit: Duration) { self.limit = limit }

    static func clock(_ id: clockid_t) -> Duration {
        var ts = timespec()
        clock_gettime(id, &ts)
        return .seconds(ts.tv_sec) + .nanoseconds(ts.tv_nsec)
    }

    func begin() {
        guard wallStart == nil else { return }
        wallStart = CPUBudget.clock(CLOCK_MONOTONIC)
        cpuStart = nil
    }

    /// This stretch's charge so far.
    private func stretch() -> Duration {
        guard let w = wallStart else { return .zero }
        if let c = cpuStart { return chargedBeforeCPU + (CPUBudget.clock(CLOCK_THREAD_CPUTIME_ID) - c) }
        let elapsed = CPUBudget.clock(CLOCK_MONOTONIC) - w
        if elapsed > CPUBudget.wallGrace {
            cpuStart = CPUBudget.clock(CLOCK_THREAD_CPUTIME_ID)
            chargedBeforeCPU = elapsed
        }
        return elapsed
    }

    func end() {
        guard wallStart != nil else { return }
        used += stretch()
        wallStart = nil
        cpuStart = nil
    }

    /// Whether the budget is spent (checked between rules and by long conditions).
    var spent: Bool {
        if exhausted { return true }
        if used + stretch() > limit { exhausted = true }
        return exhausted
    }
}
