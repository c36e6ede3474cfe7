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
    public var parts: [Part]
    public var unscannable: [String]
    public var limits_exceeded: [String]
    public var rules: [String]
    /// The actions carried out, as `rule: summary`, in order.
    public var actions: [String]
    public var verdict: Verdict
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
        let edits = headerEdits.map { e -> String in
            switch e.operation {
            case .add: "add \(e.name): \(e.value ?? "")"
            case .change: "change \(e.name)[\(e.index)]: \(e.value ?? "")"
            case .delete: "delete \(e.name)[\(e.index)]"
            }
        }
        let r = (o.decision == .reject || o.decision == .tempfail) ? o.reply.map { "\($0.code) \($0.extendedCode) \($0.text)" } : nil
        var limits = m.parser.exceeded.map(\.rawValue).sorted()
        if o.budgetExceeded { limits.append("max-rule-cpu") }
        return Report(parts: parts, unscannable: m.unscannable.kinds.map(\.rawValue),
                      limits_exceeded: limits, rules: o.matchedRules, actions: o.applied,
                      verdict: .init(action: o.actionName, reply: r, quarantine: quarantineReason,
                                     header_edits: edits, body_replaced: bodyReplaced, removed_parts: o.removedParts))
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
        if !actions.isEmpty { out += "Actions: " + actions.joined(separator: "; ") + "\n" }
        var v = "Verdict: \(verdict.action)"
        if let reply = verdict.reply { v += " (\(reply))" }
        if let q = verdict.quarantine { v += ", quarantine: \(q)" }
        out += v + "\n"
        for e in verdict.header_edits { out += "  header: \(e)\n" }
        if verdict.body_replaced { out += "  body replaced; removed parts: " + verdict.removed_parts.joined(separator: ", ") + "\n" }
        return out
    }
}
