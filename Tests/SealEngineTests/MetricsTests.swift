import Testing
import Foundation
import SealEngine
import SealMetrics

/// Reads one sample's value from the exposition text ("name{labels} value").
func sample(_ text: String, _ series: String) -> Double {
    for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
        return Double(line.split(separator: " ").last!) ?? -1
    }
    return 0
}

@Test func metricsCountMessagesRulesAndKinds() throws {
    let policy = """
        rules:
          - name: metrics-test-rule
            when: {subject: {contains: ["metrics-test"]}}
            actions: [{add_header: {name: X-M, value: "1"}}]
        """
    let before = Metrics.exposition()
    _ = try run(policy, pkcs7Message.replacingOccurrences(of: "Subject: secret", with: "Subject: metrics-test"))
    let after = Metrics.exposition()
    #expect(sample(after, #"sealmilter_rule_matches_total{rule="metrics-test-rule"}"#)
            == sample(before, #"sealmilter_rule_matches_total{rule="metrics-test-rule"}"#) + 1)
    #expect(sample(after, #"sealmilter_unscannable_total{kind="smime-enveloped"}"#)
            >= sample(before, #"sealmilter_unscannable_total{kind="smime-enveloped"}"#) + 1)
    #expect(sample(after, #"sealmilter_messages_total{action="accept"}"#)
            >= sample(before, #"sealmilter_messages_total{action="accept"}"#) + 1)
    #expect(after.contains("sealmilter_message_duration_seconds_bucket"))
}

@Test func policyLoadsAreCounted() throws {
    let before = sample(Metrics.exposition(), #"sealmilter_policy_loads_total{result="error"}"#)
    #expect(throws: (any Error).self) { try Engine(policyPath: "/nonexistent/policy.yaml") }
    #expect(sample(Metrics.exposition(), #"sealmilter_policy_loads_total{result="error"}"#) >= before + 1)
}
