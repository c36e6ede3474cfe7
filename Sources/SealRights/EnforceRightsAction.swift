import SealEngine
import SealPolicy
#if canImport(Glibc)
import Glibc
#endif

/// `enforce_rights` (or `enforce_rights: true`): Do Not Forward at the gateway. In
/// a rule with `forwards_protected: true`, it refuses or holds the message as the
/// protected message's template says (`violation: {action, text}`), naming the
/// protected message in the reply and the log line; when the registry could not
/// be asked it applies `rights.on_registry_error`: tempfail (default), or pass with
/// `X-Sealmilter-Rights-Unchecked: registry unavailable`.
public struct EnforceRightsAction: Action {
    public static let key = "enforce_rights"

    public static func load(_ value: PolicyNode?, _ c: ActionLoadContext) -> Self? {
        guard let d = c.reader.isDefault(value, c.what) else { return nil }
        guard d else { c.reader.fail(value, "\(c.what): takes no value (write '- enforce_rights'); the templates say what a violation gets"); return nil }
        return Self()
    }

    public var disposition: Disposition? { .reject }
    public var needs: Needs { [.mail, .rcpt, .body] }
    public var readsText: Bool { true }
    public var readsParts: Bool { true }
    public var modifications: Modifications { [.addHeaders, .quarantine] }
    public var summary: String { "enforce rights (Do Not Forward)" }

    public func check(_ settings: PolicySettings) -> [String] {
        settings.features[RightsSettings.self] == nil ? ["needs the 'rights:' section (templates and the registry)"] : []
    }

    public func apply(_ context: ActionContext) -> Decision? {
        let m = context.message, o = context.outcome
        guard let settings = m.settings.features[RightsSettings.self] else { return nil }
        let check = m.state { ForwardCheck() }
        check.run(m, settings, now: Int64(time(nil)))
        if let e = check.error {
            o.note("rights=registry-error registry_error=\"" + e.message.replacingAll("\"", with: "'") + "\"")
            switch settings.onRegistryError {
            case .tempfail:
                return o.decide(.tempfail, name: "tempfail", reply: SMTPReply(
                    code: "451", extendedCode: "4.3.0", text: "Rights registry unavailable, try again later"))
            case .passFlagged:
                o.addHeader(name: "X-Sealmilter-Rights-Unchecked", value: "registry unavailable")
                return nil
            }
        }
        guard !check.violations.isEmpty else { return nil }
        let v = check.violations.first { $0.template.violation.action == .reject } ?? check.violations[0]
        let id = Self.logSafe(v.match.message.messageID)
        o.note("rights=dnf protected=\(id) template=\(v.template.name) evidence=\"\(v.match.evidenceDescription)\""
               + (v.match.message.queueID.isEmpty ? "" : " protected_queue=\(Self.logSafe(v.match.message.queueID))")
               + " outsiders=\(v.outsiders.count)")
        var reply = v.template.violation.reply
        reply.text = reply.text.replacingAll("{message_id}", with: id)
        switch v.template.violation.action {
        case .reject:
            return o.decide(.reject, name: "reject", reply: reply)
        case .quarantine:
            o.hold(reason: "Do Not Forward: protected message \(id)")
            return nil
        }
    }

    /// A value as one printable ASCII word (log lines and SMTP replies).
    static func logSafe(_ s: String) -> String {
        String(String.UnicodeScalarView(s.unicodeScalars.prefix(300).map { $0.value <= 0x20 || $0.value >= 0x7f || $0 == "\"" ? "_" : $0 }))
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = ""
        var rest = Substring(self)
        while let r = rest.firstRange(of: target) {
            out += rest[..<r.lowerBound]; out += replacement
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}
