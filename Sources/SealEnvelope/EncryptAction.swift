import SealEngine
import SealPolicy
import SealCrypto
import SealMIME

/// `encrypt` (or `encrypt: {passcode: generated|sender|shared, subject: keep|TEXT,
/// expires: 30d, hint: TEXT, on_failure: tempfail|reject}`): replaces the message
/// by an envelope (docs/envelope.md): the same outer From, To, Cc, Date and
/// Message-ID, a short notice saying how to open it, and the attachment
/// `message.html` holding the whole original encrypted. Each recipient gets a
/// wrap under their own passcode: generated and sent to them in a separate
/// message (`generated`, the default), generated and sent to the sender to pass on
/// (`sender`), or read from `envelope.shared_secrets` (`shared`). Fails closed:
/// when an envelope cannot be made (a key missing, the spool full, a passcode
/// message not accepted), the message is tempfailed (or rejected with
/// `on_failure: reject`) and never delivered in plaintext.
public struct EncryptAction: Action {
    public static let key = "encrypt"
    public enum PasscodeMode: String, Sendable { case generated, sender, shared }
    public var passcode: PasscodeMode = .generated
    /// nil: the section's default (keep, unless the section sets a text).
    public var subject: String?? = nil
    public var expires: Int64? = nil
    public var hint: String? = nil
    public var rejectOnFailure = false
    /// Issue 13's rights object put in the payload meta (set by the `protect` action).
    public var rights: JSON? = nil

    public init(passcode: PasscodeMode = .generated, rights: JSON? = nil) { self.passcode = passcode; self.rights = rights }

    public static func load(_ value: PolicyNode?, _ c: ActionLoadContext) -> Self? {
        var a = Self()
        guard let value else { return a }
        let r = c.reader, what = c.what
        if case .scalar = value, PolicyReader.scalarText(value) == nil || r.bool(value, what) == true { return a }
        guard let f = r.fields(value, in: what, allowed: ["passcode", "subject", "expires", "hint", "on_failure"]) else { return nil }
        var ok = !f.rejected
        if let v = f["passcode"] {
            if let t = r.text(v, "\(what).passcode", maxLength: 20), let m = PasscodeMode(rawValue: t) { a.passcode = m }
            else { r.fail(v, "\(what).passcode: expected generated, sender or shared"); ok = false }
        }
        if let v = f["subject"] {
            if let t = r.text(v, "\(what).subject", maxLength: 200) { a.subject = .some(t == "keep" ? nil : t) } else { ok = false }
        }
        if let v = f["expires"] {
            if let e = EnvelopeSettings.readDuration(v, "\(what).expires", r) { a.expires = e } else { ok = false }
        }
        if let v = f["hint"] { a.hint = r.text(v, "\(what).hint", maxLength: 200); ok = ok && a.hint != nil }
        if let v = f["on_failure"] {
            switch r.text(v, "\(what).on_failure", maxLength: 20) {
            case "tempfail": a.rejectOnFailure = false
            case "reject": a.rejectOnFailure = true
            default: r.fail(v, "\(what).on_failure: expected tempfail or reject"); ok = false
            }
        }
        return ok ? a : nil
    }

    public var needs: Needs { [.mail, .rcpt, .body] }
    public var modifications: Modifications { [.changeBody, .changeHeaders, .addHeaders] }
    public var bodyPhase: BodyPhase? { .envelope }
    public var sendsMessages: Bool { passcode != .shared }
    public var keepsOriginalHeaders: Bool { true }
    public var summary: String { "encrypt (envelope, passcode \(passcode.rawValue))" }

    public func check(_ settings: PolicySettings) -> [String] {
        guard let s = settings.features[EnvelopeSettings.self] else {
            return ["needs the 'envelope:' section (recovery_key at least; sealctl keys init makes the keys)"]
        }
        if passcode == .shared && s.sharedSecrets == nil { return ["passcode: shared needs envelope.shared_secrets"] }
        return []
    }

    func failure(_ reason: String) -> ClosedFailure {
        ClosedFailure(reject: rejectOnFailure,
                      reply: rejectOnFailure ? SMTPReply(code: "554", extendedCode: "5.7.0", text: "Message could not be encrypted as the policy requires")
                                             : SMTPReply(code: "451", extendedCode: "4.3.0", text: "Message could not be encrypted, try again later"),
                      reason: "encrypt: " + reason)
    }

    public func apply(_ context: ActionContext) -> Decision? {
        let m = context.message
        let recipients = context.outcome.recipients ?? m.recipients
        func fail(_ reason: String) -> Decision {
            let f = failure(reason)
            return context.outcome.decide(rejectOnFailure ? .reject : .tempfail, name: rejectOnFailure ? "reject" : "tempfail", reply: f.reply)
        }
        guard let settings = m.settings.features[EnvelopeSettings.self] else { return fail("no envelope section") }
        guard !recipients.isEmpty else { return nil }
        let originalSubject = m.headerValues("Subject").first.map { OriginalMessage.unfold($0) } ?? ""
        var codes: [(String, String)] = []
        do {
            for r in recipients {
                switch passcode {
                case .generated, .sender:
                    codes.append((r, try settings.passcode(for: r, message: m) { try Passcode.generate() }))
                case .shared:
                    guard let s = try settings.sharedSecret(for: r) else { return fail("no shared secret for a recipient") }
                    codes.append((r, s))
                }
            }
        } catch {
            return fail("\(error)")
        }
        let org = settings.organisation ?? "the sender's organisation"
        let sender = m.sender.isEmpty ? "<>" : m.sender
        func fill(_ t: String, passcode: String = "", recipient: String = "") -> String {
            var out = t
            for (k, v) in [("{sender}", sender), ("{organisation}", org), ("{recipient}", recipient), ("{subject}", originalSubject),
                           ("{passcode}", passcode)] {
                out = out.replacing(k, with: v)
            }
            return out
        }
        var refs: [(name: String, value: String)] = []
        if let id = m.headers.first(where: { $0.name.lowercased() == "message-id" })?.value {
            refs.append(("References", OriginalMessage.unfold(id)))
        }
        switch passcode {
        case .generated:
            for (r, code) in codes {
                let subject = fill(settings.passcodeSubject ?? "Passcode for an encrypted message from {sender}", recipient: r)
                let text = fill(settings.passcodeText ?? Texts.passcodeMessage, passcode: code, recipient: r)
                context.outcome.send(Notice(to: [r], subject: subject, text: text, nullSender: false, headers: refs))
            }
        case .sender:
            guard !m.sender.isEmpty else { return fail("passcode: sender, but the message has the null sender") }
            let list = codes.map { "    \($0.0): \($0.1)" }.joined(separator: "\n")
            context.outcome.send(Notice(to: [m.sender], subject: "Passcodes for your encrypted message",
                                        text: fill(Texts.senderMessage).replacing("{passcodes}", with: list), nullSender: true, headers: refs))
        case .shared:
            break
        }
        let c = context.outcome.contribution { EnvelopeContribution() }
        c.requests.append(EnvelopeRequest(action: self, settings: settings, codes: codes, rule: context.rule.name))
        return nil
    }
}

/// The built-in texts (the policy's `envelope.notice` and `passcode_message` replace them).
enum Texts {
    static let passcodeMessage = """
        You have been sent an encrypted message by {sender}. It arrives as a separate
        message with an attachment named message.html.

        Your passcode for it is:

            {passcode}

        To read the message, save message.html on your computer, open it in a web
        browser (Chrome, Firefox, Edge or Safari) and type this passcode. Keep the
        passcode to yourself; it opens only the message sent to {recipient}.
        """
    static let senderMessage = """
        Your message "{subject}" was sent encrypted. Each recipient needs their
        passcode to open it; give it to them by another channel than e-mail (a
        phone call, a text message), never in a reply to this message:

        {passcodes}

        """
    static func notice(_ mode: EncryptAction.PasscodeMode) -> String {
        let how: String
        switch mode {
        case .generated: how = "Your passcode was sent to you in a separate message."
        case .sender: how = "Ask the sender ({sender}) for your passcode."
        case .shared: how = "Use the passcode agreed with {organisation}."
        }
        return """
            This message from {sender} is encrypted. To read it:

            1. Save the attached file message.html on your computer (some mail
               programs cannot show it in their preview).
            2. Open the saved file in a web browser: Chrome, Firefox, Edge or Safari.
            3. Type your passcode. \(how)

            You can reply securely from the opened message. Nothing is sent anywhere
            when you open it: it is decrypted in your browser.
            """
    }
}

/// One encrypt action's wish for the version's envelope.
struct EnvelopeRequest {
    var action: EncryptAction
    var settings: EnvelopeSettings
    var codes: [(String, String)]
    var rule: String
}

/// The envelope of one version: at the end of the message, one body transform
/// (the first encrypt rule's options win when several applied).
final class EnvelopeContribution: MessageContribution {
    var requests: [EnvelopeRequest] = []
    func endOfMessage(_ context: EndOfMessageContext) throws {
        guard let first = requests.first else { return }
        context.add(EnvelopeTransform(request: first))
    }
}
