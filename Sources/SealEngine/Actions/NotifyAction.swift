import SealPolicy

/// `notify: {to: sender | recipients | ADDRESS, subject: TEXT, text: TEXT}`: sends a
/// notice of the filter's own when its rule applies (through `submission:`, with
/// `Auto-Submitted: auto-generated` and the marker, so that it is not filtered
/// again). A notice to the sender goes out with the null envelope sender (it must
/// never bounce) and is not sent for a message with the null sender. In `subject`
/// and `text`, `{sender}`, `{recipients}`, `{subject}` and `{rule}` are replaced by
/// the envelope sender, the recipients (of the version, in a
/// `for_each_recipient` rule), the message's subject and the rule's name.
public struct NotifyAction: Action {
    public static let key = "notify"
    public enum Target: Sendable, Equatable { case sender, recipients, address(String) }
    public var to: Target
    public var subject: String
    public var text: String

    public static func load(_ value: PolicyNode?, _ c: ActionLoadContext) -> Self? {
        let r = c.reader, what = c.what
        guard let value else { r.fail(c.keyNode, "\(c.ruleContext): notify needs {to: sender|recipients|ADDRESS, subject: ..., text: ...}"); return nil }
        guard let f = r.fields(value, in: what, allowed: ["to", "subject", "text"]) else { return nil }
        guard let tv = f["to"], let sv = f["subject"], let xv = f["text"] else {
            if f.rejected { return nil }
            r.fail(value, "\(what): needs 'to', 'subject' and 'text'"); return nil
        }
        guard let t = r.text(tv, "\(what).to", maxLength: 300), let subject = r.text(sv, "\(what).subject", maxLength: 200),
              let text = r.string(xv, "\(what).text") else { return nil }
        let target: Target
        switch t {
        case "sender": target = .sender
        case "recipients": target = .recipients
        default:
            let parts = t.split(separator: "@", omittingEmptySubsequences: false)
            if parts.count != 2 || parts[0].isEmpty || parts[1].isEmpty
                || t.unicodeScalars.contains(where: { $0.value <= 0x20 || $0 == "<" || $0 == ">" || $0 == "," || $0.value == 0x7f }) {
                r.fail(tv, "\(what).to: expected sender, recipients or one address such as security@example.org, found '\(t)'")
                return nil
            }
            target = .address(t)
        }
        if subject.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) {
            r.fail(sv, "\(what).subject: must be one line without control characters"); return nil
        }
        if text.utf8.count > 64 * 1024 { r.fail(xv, "\(what).text: at most 64 KiB"); return nil }
        return Self(to: target, subject: subject, text: text)
    }

    public var sendsMessages: Bool { true }
    public var summary: String {
        switch to {
        case .sender: "notify sender"
        case .recipients: "notify recipients"
        case .address(let a): "notify \(a)"
        }
    }

    public func apply(_ context: ActionContext) -> Decision? {
        let m = context.message
        let recipients = context.outcome.recipients ?? m.recipients
        let to: [String]
        var nullSender = false
        switch self.to {
        case .sender:
            // Never answer a bounce (or another notice).
            guard !m.sender.isEmpty else { return nil }
            to = [m.sender]; nullSender = true
        case .recipients: to = recipients
        case .address(let a): to = [a]
        }
        guard !to.isEmpty else { return nil }
        let originalSubject = m.headerValues("Subject").first ?? ""
        func fill(_ s: String) -> String {
            var out = ""
            var rest = Substring(s)
            let names: [(String, String)] = [("{sender}", m.sender.isEmpty ? "<>" : m.sender),
                                             ("{recipients}", recipients.joined(separator: ", ")),
                                             ("{subject}", originalSubject), ("{rule}", context.rule.name)]
            outer: while !rest.isEmpty {
                for (k, v) in names where rest.hasPrefix(k) {
                    out += v; rest = rest.dropFirst(k.count); continue outer
                }
                out.append(rest.removeFirst())
            }
            return out
        }
        var headers: [(name: String, value: String)] = []
        if let id = m.headers.first(where: { $0.name.lowercased() == "message-id" })?.value {
            headers.append(("References", id.trimmingSpaces))
        }
        context.outcome.send(Notice(to: to, subject: fill(subject), text: fill(text), nullSender: nullSender, headers: headers))
        return nil
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\n" || f == "\r" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\n" || l == "\r" { s.removeLast() }
        return String(s)
    }
}
