import Prometheus

/// Process-wide metrics of the filter, kept in a swift-prometheus registry and
/// rendered in the Prometheus text exposition format. They outlive policy
/// reloads: every engine records into the same registry.
///
/// Names:
/// - `sealmilter_messages_total{action}`: messages decided, by action
/// - `sealmilter_rule_matches_total{rule}`: rules that applied
/// - `sealmilter_unscannable_total{kind}`: messages carrying each unscannable kind
/// - `sealmilter_limits_exceeded_total`: messages that exceeded a parser limit
/// - `sealmilter_errors_total{stage}`: actions that failed (the message was tempfailed)
/// - `sealmilter_policy_loads_total{result}`: policy loads (`ok`, `error`); reloads are loads after the first
/// - `sealmilter_message_duration_seconds`: engine time from the first stage of a message to its decision
public enum Metrics {
    public static let registry = PrometheusCollectorRegistry()

    private static let durationBuckets: [Duration] = [
        .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500),
        .milliseconds(1), .milliseconds(2.5), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
    ]
    static let duration = registry.makeDurationHistogram(
        name: "sealmilter_message_duration_seconds", buckets: durationBuckets,
        help: "Engine time per message, from its first stage to its decision")
    static let limits = registry.makeCounter(
        name: "sealmilter_limits_exceeded_total", help: "Messages that exceeded a parser limit")

    /// Records one message's outcome.
    public static func message(action: String, rules: [String], unscannable: [String], limitsExceeded: Bool, duration: Duration) {
        registry.makeCounter(name: "sealmilter_messages_total", labels: [("action", action)],
                             help: "Messages decided, by action").increment()
        for r in rules {
            registry.makeCounter(name: "sealmilter_rule_matches_total", labels: [("rule", r)],
                                 help: "Rules that applied").increment()
        }
        for k in unscannable {
            registry.makeCounter(name: "sealmilter_unscannable_total", labels: [("kind", k)],
                                 help: "Messages carrying unscannable content, by kind").increment()
        }
        if limitsExceeded { limits.increment() }
        Self.duration.recordNanoseconds(Int64(duration.components.seconds) * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    /// An action that could not be carried out (the message was tempfailed).
    public static func error(stage: String) {
        registry.makeCounter(name: "sealmilter_errors_total", labels: [("stage", stage)],
                             help: "Actions that failed; the message was tempfailed").increment()
    }

    /// A policy load, successful or not.
    public static func policyLoad(ok: Bool) {
        registry.makeCounter(name: "sealmilter_policy_loads_total", labels: [("result", ok ? "ok" : "error")],
                             help: "Policy loads; reloads are the loads after the first").increment()
    }

    /// The metrics in the Prometheus text exposition format.
    public static func exposition() -> String { registry.emitToString() }
}
