import SealEngine
import SealPolicy
import SealRegistry
import SealCrypto
import SealEnvelope
#if canImport(Glibc)
import Glibc
#endif

/// `protect: {template: NAME}` (or `protect: NAME`; `requested` takes the
/// template the sender asked for, see ``RightsRequest``): rights protection.
///
/// Every protected message is recorded in the registry (Message-ID, sender, all
/// recipients, template, expiry, text and attachment fingerprints), so that Do Not
/// Forward is enforced at the gateway (`forwards_protected` + `enforce_rights`).
/// The recipients of the version it applies to decide the form: inside recipients
/// (all of them internal) in `rights.inside: labels` mode get the readable message
/// labelled `Sensitivity: Company-Confidential` and `X-Sealmilter-Rights: NAME`;
/// outside recipients (and inside ones in `envelope` mode) get the envelope with
/// the rights in its authenticated payload. Write the rule with
/// `for_each_recipient: true` and a direction so that inside and outside
/// recipients get their own versions.
public struct ProtectAction: Action {
    public static let key = "protect"
    /// The template's name, or nil for `requested`.
    public var template: String?

    public static func load(_ value: PolicyNode?, _ c: ActionLoadContext) -> Self? {
        let r = c.reader
        guard let value else { r.fail(c.keyNode, "\(c.what): needs a template: protect: {template: do-not-forward}"); return nil }
        var nameNode = value
        if case .mapping = value {
            guard let f = r.fields(value, in: c.what, allowed: ["template"]) else { return nil }
            guard let t = f["template"] else { r.fail(value, "\(c.what): needs 'template'"); return nil }
            nameNode = t
        }
        guard let name = r.text(nameNode, "\(c.what).template", maxLength: 64) else { return nil }
        if name != "requested" && !RightsSettings.validName(name) {
            r.fail(nameNode, "\(c.what).template: '\(name)' is not a template name"); return nil
        }
        return Self(template: name == "requested" ? nil : name)
    }

    public var needs: Needs { template == nil ? [.mail, .rcpt, .body, .authMacros] : [.mail, .rcpt, .body] }
    public var readsText: Bool { true }
    public var readsParts: Bool { true }
    public var modifications: Modifications { [.addHeaders, .changeHeaders, .changeBody] }
    /// It may replace the body with the envelope (the last phase).
    public var bodyPhase: BodyPhase? { .envelope }
    public var summary: String { "protect " + (template ?? "requested") }

    public func check(_ settings: PolicySettings) -> [String] {
        guard let s = settings.features[RightsSettings.self] else { return ["needs the 'rights:' section (templates and the registry)"] }
        if let t = template, s.templates[t] == nil {
            return ["no rights template '\(t)' (known: \(s.templates.keys.sorted().joined(separator: ", ")))"]
        }
        return []
    }

    public var sendsMessages: Bool { true }
    public var keepsOriginalHeaders: Bool { true }

    public func apply(_ context: ActionContext) -> Decision? {
        let m = context.message, o = context.outcome
        let protection = o.contribution { Protection() }
        protection.add(template)
        guard let s = m.settings.features[RightsSettings.self] else { return nil }
        guard !protection.envelopeRequested else { return nil }
        let name = template ?? RightsRequest.find(in: m, s)?.template
        guard let name, let t = s.templates[name] else { return nil }
        let recipients = o.recipients ?? m.recipients
        let allInside = !recipients.isEmpty && recipients.allSatisfy { m.direction(of: $0) == .internal }
        guard !allInside || s.inside == .envelope else { return nil }
        // The envelope with the rights in its authenticated payload meta: the
        // envelope gateway's own `encrypt` action (issue 12), not a second builder.
        protection.envelope = true
        guard m.settings.features[EnvelopeSettings.self] != nil else { return nil }   // fails closed at the end
        protection.envelopeRequested = true
        var encrypt = EncryptAction(passcode: .generated, rights: t.metaRights(sent: Int64(time(nil))))
        encrypt.expires = t.expirySeconds
        return encrypt.apply(context)
    }

    /// The protection of one version of a message.
    final class Protection: MessageContribution {
        private var asked: [String?] = []
        /// This version goes out as an envelope (outside recipients, or `inside: envelope`).
        var envelope = false
        /// The `encrypt` action was applied for it (the envelope section is there).
        var envelopeRequested = false
        func add(_ template: String?) { asked.append(template) }

        func endOfMessage(_ context: EndOfMessageContext) throws {
            let m = context.message, o = context.outcome
            guard let s = m.settings.features[RightsSettings.self] else { return }
            let request = RightsRequest.find(in: m, s)
            // The first named template wins; `requested` takes the sender's.
            var name: String? = nil
            for a in asked { if let a { name = a; break } else if let r = request { name = r.template; break } }
            guard let name, let template = s.templates[name] else { return }
            let recipients = o.recipients ?? m.recipients
            let allInside = !recipients.isEmpty && recipients.allSatisfy { m.direction(of: $0) == .internal }
            let envelope = envelope || !allInside || s.inside == .envelope
            let id = m.headerValues("Message-ID").first.flatMap { MessageEvidence.ids(in: $0).first }
            let queueID = m.macros["i"] ?? ""
            if envelope && !envelopeRequested {
                // No `envelope:` section: never let the protected content out
                // readable (fail closed: 451, and the log line says why).
                throw RightsFailure("envelope encryption unavailable (no 'envelope:' section): template \(name) for \(recipients.count) recipient(s) needs the envelope")
            }
            let now = Int64(time(nil))
            let hashes = Fingerprint.hashes(of: m.textParts() + m.attachedMessages.sorted { $0.key < $1.key }.flatMap { AttachedMessage($0.value).texts },
                                            shingle: s.fingerprints.shingle)
            let record = ProtectedMessage(
                messageID: id ?? "<sealmilter-unrecorded-\(queueID.isEmpty ? String(now) : queueID)@localhost>",
                sender: m.sender, recipients: m.recipients, template: name, created: now,
                expires: template.expirySeconds.map { now + $0 }, queueID: queueID,
                textSample: Fingerprint.sample(hashes, k: s.fingerprints.sample),
                attachments: MessageEvidence.attachmentDigests(m, s.fingerprints))
            do {
                if !context.dryRun { try s.registry.record(record) }
                o.note("rights=protect template=\(name) protected=\(EnforceRightsAction.logSafe(record.messageID)) samples=\(record.textSample.count)")
            } catch {
                switch s.onRegistryError {
                case .tempfail: throw RightsFailure("rights registry: \(error.message)")
                case .passFlagged:
                    o.note("rights=registry-error template=\(name)")
                    context.add(HeaderEdit(operation: .add, name: "X-Sealmilter-Rights-Unrecorded", value: "registry unavailable", index: 0))
                }
            }
            if envelope {
                o.note("rights_envelope=yes")
                return
            }
            // Labels for inside recipients (the gateway's own: incoming X-Sealmilter-*
            // fields were removed).
            if m.headerValues("Sensitivity").isEmpty {
                context.add(HeaderEdit(operation: .add, name: "Sensitivity", value: "Company-Confidential", index: 0))
            } else {
                context.add(HeaderEdit(operation: .change, name: "Sensitivity", value: "Company-Confidential", index: 1))
            }
            context.add(HeaderEdit(operation: .add, name: RightsSettings.labelField, value: name, index: 0))
            if let r = request, r.template == name, let tag = r.tag, let subject = m.headerValues("Subject").first {
                context.add(HeaderEdit(operation: .change, name: "Subject", value: Self.encodedSubject(RightsRequest.removing(tag, from: subject)), index: 1))
            }
        }

        /// A subject as a header value: as is when ASCII, else one RFC 2047 word per ~45 bytes.
        static func encodedSubject(_ s: String) -> String {
            if s.utf8.allSatisfy({ $0 < 0x80 }) { return s }
            var words: [String] = []
            var chunk: [UInt8] = []
            for u in s.unicodeScalars {
                let bytes = Array(String(u).utf8)
                if chunk.count + bytes.count > 45 { words.append("=?UTF-8?B?" + Base64.encode(chunk) + "?="); chunk = [] }
                chunk += bytes
            }
            if !chunk.isEmpty { words.append("=?UTF-8?B?" + Base64.encode(chunk) + "?=") }
            return words.joined(separator: " ")
        }
    }
}

/// Why a protected message could not be handled (the message is tempfailed).
public struct RightsFailure: Error, CustomStringConvertible {
    public var description: String
    init(_ d: String) { description = d }
}
