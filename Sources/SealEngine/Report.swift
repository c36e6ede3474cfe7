#if canImport(FoundationEssentials)
import FoundationEssentials  // JSONEncoder without Foundation's ICU data
#else
import Foundation
#endif
import SealMIME
import SealDetect

/// The result of a message as data: what `sealctl scan --json` prints and what
/// the C interface's `sealmilter_session_json` returns.
public struct Report: Codable, Sendable {
    public struct Part: Codable, Sendable {
        public var path: String
        public var content_type: String
        public var transfer_encoding: String
        public var filename: String?
        public var disposition: String?
        public var leaf: Bool
        public var encoded_size: Int64
        /// Exact when the part was decoded in full (see `decoded_complete`).
        public var decoded_size: Int64
        public var decoded_complete: Bool
        public var unscannable: [String]
    }
    public struct Verdict: Codable, Sendable {
        public var action: String
        public var reply: String?
        public var quarantine: String?
        public var header_edits: [String]
        public var body_replaced: Bool
        public var removed_parts: [String]
    }
    /// One version of the message for a group of recipients (see `for_each_recipient`).
    public struct Version: Codable, Sendable {
        public var recipients: [String]
        public var rules: [String]
        /// The first version stays in the SMTP transaction; the others are submitted.
        public var keeps_transaction: Bool
        public var header_edits: [String]
        public var body_replaced: Bool
        /// The queue ID the MTA gave (absent in a dry run such as `sealctl scan`).
        public var queue_id: String?
    }
    public struct Notice: Codable, Sendable {
        public var to: [String]
        public var subject: String
        /// The envelope sender ("" is the null sender).
        public var sender: String
        public var queue_id: String?
    }
    public var parts: [Part]
    public var unscannable: [String]
    public var limits_exceeded: [String]
    public var rules: [String]
    /// The actions carried out, as `rule: summary`, in order.
    public var actions: [String]
    /// What rules in `mode: audit` would have done (nothing of it was done), as
    /// `rule would summary, ...`: the log line's `audit=`.
    public var audited: [String] = []
    public var verdict: Verdict
    /// The versions by recipient group (empty when the policy makes none).
    public var versions: [Version] = []
    /// The filter's own messages sent with this one.
    public var notices: [Notice] = []
    /// A submission marker verified: the message was passed untouched.
    public var marker_verified: Bool = false
    /// Recipients answered 452 4.5.3 at RCPT (`submission.rcpt_deferral`).
    public var deferred_recipients: [String] = []
    /// Why the text-scanning conditions of matched rules (``TextScanCondition``: the
    /// sensitive-information detectors) held, as `rule: explanation`, matched text
    /// redacted (``Condition/explain(in:recipients:held:)``).
    public var reasons: [String] = []
}

extension Session {
    /// The result as a ``Report`` (nil before a message started).
    public var report: Report? {
        guard let msg = message else { return nil }
        let m = msg.facts, o = msg.outcome
        let parts = m.parser.parts.enumerated().map { (i, p) in
            Report.Part(path: p.path, content_type: p.contentType.mediaType, transfer_encoding: p.transferEncoding.name,
                        filename: p.filename, disposition: p.disposition?.type, leaf: p.isLeaf,
                        encoded_size: p.encodedSize, decoded_size: p.decodedSize, decoded_complete: p.isLeaf && p.decodedAll,
                        unscannable: (m.partKinds[i] ?? []).kinds.map(\.rawValue))
        }
        let edits = headerEdits.map(\.summary)
        let r = (o.decision == .reject || o.decision == .tempfail) ? o.reply.map { "\($0.code) \($0.extendedCode) \($0.text)" } : nil
        var limits = m.parser.exceeded.map(\.rawValue).sorted()
        if o.budgetExceeded { limits.append("max-rule-cpu") }
        var report = Report(parts: parts, unscannable: m.unscannable.kinds.map(\.rawValue),
                            limits_exceeded: limits, rules: o.matchedRules, actions: o.applied,
                            verdict: .init(action: o.actionName, reply: r, quarantine: quarantineReason,
                                           header_edits: edits, body_replaced: bodyReplaced, removed_parts: o.removedParts))
        report.versions = versions.map {
            Report.Version(recipients: $0.recipients, rules: $0.rules, keeps_transaction: $0.keepsTransaction,
                           header_edits: $0.headerChanges, body_replaced: $0.bodyReplaced, queue_id: $0.queueID)
        }
        report.notices = noticesSent.map { Report.Notice(to: $0.to, subject: $0.subject, sender: $0.sender, queue_id: $0.queueID) }
        report.marker_verified = markerVerified
        report.audited = o.audited
        report.deferred_recipients = deferredRecipients
        for rule in engine.policy.rules where o.matchedRules.contains(rule.name) {
            for c in rule.conditions where c is any TextScanCondition {
                if let why = c.explain(in: m, recipients: m.recipients, held: true) { report.reasons.append(rule.name + ": " + why) }
            }
        }
        return report
    }

    /// The result as one JSON object: parts, unscannable, rules, verdict.
    public func jsonReport(pretty: Bool = false) -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        guard let r = report, let data = try? enc.encode(r) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}

extension Report {
    /// The report as `sealctl scan` prints it: the part tree, unscannable kinds,
    /// matched rules, the actions carried out and the verdict.
    public var text: String {
        var out = "Parts:\n"
        for p in parts {
            let indent = String(repeating: "  ", count: p.path.split(separator: ".").count)
            var line = "\(indent)\(p.path) \(p.content_type) \(p.transfer_encoding)"
            if let f = p.filename { line += " \"\(f)\"" }
            if p.leaf { line += " \(p.decoded_size) bytes" }
            if !p.unscannable.isEmpty { line += " UNSCANNABLE: " + p.unscannable.joined(separator: ", ") }
            out += line + "\n"
        }
        out += "Unscannable: " + (unscannable.isEmpty ? "none" : unscannable.joined(separator: ", ")) + "\n"
        if !limits_exceeded.isEmpty { out += "Limits exceeded: " + limits_exceeded.joined(separator: ", ") + "\n" }
        out += "Rules matched: " + (rules.isEmpty ? "none" : rules.joined(separator: ", ")) + "\n"
        for r in reasons { out += "  because \(r)\n" }
        if !actions.isEmpty { out += "Actions: " + actions.joined(separator: "; ") + "\n" }
        if !audited.isEmpty { out += "Audit (logged, not done): " + audited.joined(separator: "; ") + "\n" }
        var v = "Verdict: \(verdict.action)"
        if let reply = verdict.reply { v += " (\(reply))" }
        if let q = verdict.quarantine { v += ", quarantine: \(q)" }
        out += v + "\n"
        for e in verdict.header_edits { out += "  header: \(e)\n" }
        if verdict.body_replaced { out += "  body replaced; removed parts: " + verdict.removed_parts.joined(separator: ", ") + "\n" }
        if marker_verified { out += "Submission marker verified: passed untouched, no rules run\n" }
        if !deferred_recipients.isEmpty {
            out += "Deferred at RCPT (452 4.5.3, to send in another transaction): " + deferred_recipients.joined(separator: ", ") + "\n"
        }
        if versions.count > 1 {
            out += "Versions: \(versions.count) (by recipient group)\n"
            for (i, v) in versions.enumerated() {
                var line = "  \(i + 1). " + v.recipients.joined(separator: ", ")
                line += v.keeps_transaction ? " [keeps the transaction]" : (v.queue_id.map { " [submitted as \($0.isEmpty ? "-" : $0)]" } ?? " [would be submitted]")
                line += "; rules: " + (v.rules.isEmpty ? "none" : v.rules.joined(separator: ", "))
                out += line + "\n"
                for e in v.header_edits { out += "     header: \(e)\n" }
                if v.body_replaced { out += "     body replaced\n" }
            }
        }
        for n in notices {
            out += "Notice to " + n.to.joined(separator: ", ") + " from <\(n.sender)>: \(n.subject)"
            out += n.queue_id.map { " [submitted as \($0.isEmpty ? "-" : $0)]" } ?? " [would be sent]"
            out += "\n"
        }
        return out
    }
}
