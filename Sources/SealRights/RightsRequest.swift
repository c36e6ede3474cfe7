import SealEngine
import SealPolicy

/// Manual templates: an internal, authenticated sender (the MTA's `{auth_authen}`
/// macro is set and the envelope sender's domain is internal) asks for a template
/// with a subject tag (`rights.manual.tags`, `[dnf]` by default) or with
/// `X-Sealmilter-Protect: TEMPLATE` (`rights.manual.header`). From anyone else a
/// tag means nothing and stays in the subject as it came (the header field, like
/// every incoming `X-Sealmilter-*` field, is always removed).
public struct RightsRequest: Sendable, Equatable {
    /// The template asked for.
    public var template: String
    /// The subject tag that asked (removed before delivery), nil for the header field.
    public var tag: String?

    /// The request the message makes, if its sender may make one.
    public static func find(in m: MessageFacts, _ s: RightsSettings) -> RightsRequest? {
        guard let user = m.macros["auth_authen"], !user.isEmpty else { return nil }
        guard let at = m.sender.lastIndex(of: "@"), m.settings.isInternal(domain: String(m.sender[m.sender.index(after: at)...]).lowercased())
        else { return nil }
        if s.headerRequests {
            for f in m.sealmilterFields where f.name.lowercased() == RightsSettings.requestField.lowercased() {
                let name = f.value.trimmingBlanks.lowercased()
                if s.templates[name] != nil { return RightsRequest(template: name, tag: nil) }
            }
        }
        if let subject = m.headerValues("Subject").first {
            let lower = subject.lowercased()
            for (tag, template) in s.tags where lower.contains(tag.lowercased()) {
                return RightsRequest(template: template, tag: tag)
            }
        }
        return nil
    }

    /// `subject` without the first occurrence of `tag` (case-insensitive), spaces tidied.
    static func removing(_ tag: String, from subject: String) -> String {
        let lower = subject.lowercased(), t = tag.lowercased()
        guard let r = lower.firstRange(of: t) else { return subject }
        // Same offsets: lowercasing keeps the scalar count for the tags in use (ASCII);
        // otherwise leave the subject alone rather than cut it wrongly.
        guard lower.unicodeScalars.count == subject.unicodeScalars.count else { return subject }
        let start = lower.unicodeScalars.distance(from: lower.unicodeScalars.startIndex, to: r.lowerBound)
        let end = lower.unicodeScalars.distance(from: lower.unicodeScalars.startIndex, to: r.upperBound)
        let u = Array(subject.unicodeScalars)
        var out = String(String.UnicodeScalarView(u[..<start])) + " " + String(String.UnicodeScalarView(u[end...]))
        while out.contains("  ") { out = out.replacingAll("  ", with: " ") }
        return out.trimmingBlanks
    }
}

/// `rights_requested: true`: the sender asked for a template (see ``RightsRequest``).
public struct RightsRequestedCondition: Condition {
    public static let key = "rights_requested"

    public static func load(_ value: PolicyNode, _ what: String, _ reader: PolicyReader) -> [Self]? {
        guard let b = reader.bool(value, what) else { return nil }
        guard b else { reader.fail(value, "\(what): false is not meaningful here; use 'unless: {rights_requested: true}'"); return nil }
        return [Self()]
    }

    public var stage: Stage { .headers }
    public var needs: Needs { [.mail, .authMacros] }

    public func holds(in message: MessageFacts, recipients: [String]) -> Bool {
        guard let s = message.settings.features[RightsSettings.self] else { return false }
        return RightsRequest.find(in: message, s) != nil
    }

    public func check(_ settings: PolicySettings) -> [String] {
        settings.features[RightsSettings.self] == nil ? ["needs the 'rights:' section"] : []
    }
}

extension String {
    var trimmingBlanks: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
