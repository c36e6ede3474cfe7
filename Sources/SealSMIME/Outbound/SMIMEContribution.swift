import SealEngine
import SealPolicy

/// The S/MIME work a message (or version) gets at its end: the options of the
/// S/MIME actions that applied, merged (`smime_sign` in one rule and
/// `smime_encrypt` in another sign and encrypt), and the one body transform.
final class SMIMEContribution: MessageContribution {
    var options = OutboundOptions()
    var names: [String] = []

    func add(_ o: OutboundOptions, key: String) {
        if o.sign {
            options.sign = true; options.opaque = o.opaque; options.digest = o.digest
        }
        if o.encrypt {
            let signOpts = (options.sign, options.opaque, options.digest)
            options = o
            (options.sign, options.opaque, options.digest) = (signOpts.0 || o.sign, o.sign ? o.opaque : signOpts.1, o.sign ? o.digest : signOpts.2)
        }
        if !names.contains(key) { names.append(key) }
    }

    func endOfMessage(_ context: EndOfMessageContext) throws {
        guard options.sign || options.encrypt else { return }
        context.add(SMIMETransform(options: options, name: names.joined(separator: "+")))
    }
}

/// What the three S/MIME actions share: loading, checks, and applying.
public protocol SMIMEOutboundAction: Action {
    var options: OutboundOptions { get }
}

extension SMIMEOutboundAction {
    /// The body; for encryption the envelope recipients (whose certificates are
    /// used), for signing the envelope sender (the identity when From has no address);
    /// and what the fallback action needs.
    public var needs: Needs {
        var n: Needs = .body
        if options.encrypt { n.formUnion(.rcpt) }
        if options.sign { n.formUnion(.mail) }
        return options.fallbackAction.map { $0.needs.union(n) } ?? n
    }
    /// Its own, and those of its fallback action (a quarantine must be negotiated with the MTA).
    public var modifications: Modifications {
        Modifications([.changeBody, .changeHeaders, .addHeaders]).union(options.fallbackAction?.modifications ?? [])
    }
    public var bodyPhase: BodyPhase? { options.encrypt ? .encrypt : .sign }
    public var summary: String { Self.key + " (" + options.summary + ")" }

    public func check(_ settings: PolicySettings) -> [String] {
        guard let s = settings.features[SMIMESettings.self] else {
            return ["needs the 'smime:' section (identities, store, trust)"]
        }
        var out: [String] = []
        if options.sign && s.identities.isEmpty { out.append("signs, but smime.identities is empty") }
        if options.encrypt && s.storePath == nil && s.ldap == nil { out.append("encrypts, but neither smime.store nor smime.ldap (the recipient certificates) is set") }
        if options.encrypt && s.bundles.isEmpty && s.anchors.isEmpty { out.append("encrypts, but smime.trust names no certificates to trust") }
        return out
    }

    public func apply(_ context: ActionContext) -> Decision? {
        let outcome = context.outcome
        guard let settings = context.message.settings.features[SMIMESettings.self] else {
            return fail(outcome, "the policy has no smime: section")
        }
        // A signing identity that cannot be loaded: the rule's on_error now, not a tempfail later.
        if options.sign {
            let who = SMIMETransform.senderAddress(context.message)
            do {
                if try settings.identity(for: who) == nil { return fail(outcome, "no signing identity in smime.identities for \(who)") }
            } catch {
                return fail(outcome, "the signing identity for \(who) cannot be used: \(error)")
            }
        }
        if options.encrypt {
            let rcpts = outcome.recipients ?? context.message.recipients
            if rcpts.isEmpty { return fail(outcome, "the message has no envelope recipients to encrypt for") }
            let lookup: RecipientLookup
            do { lookup = try RecipientLookup.shared(settings, outcome) } catch { return fail(outcome, "\(error)") }
            let missing = rcpts.filter { lookup.select($0).chosen == nil }
            if !missing.isEmpty {
                let list = missing.map { "<\($0)>" }.joined(separator: ", ")
                // A source that could not be asked (smime.ldap down, on_unavailable: tempfail)
                // is no answer: the message waits rather than take a no-certificate path.
                let errors = missing.flatMap { lookup.select($0).sourceErrors }
                if !errors.isEmpty {
                    outcome.noteFailure(Self.key + ": " + errors.joined(separator: "; "))
                    return outcome.decide(.tempfail, name: "tempfail", reply: SMTPReply(
                        code: "451", extendedCode: "4.7.1", text: "Certificate directory unavailable for \(list); try again later"))
                }
                switch options.withoutCertificate {
                case .reject:
                    return outcome.decide(.reject, name: "reject", reply: SMTPReply(
                        code: "550", extendedCode: "5.7.1", text: "No usable S/MIME certificate for \(list); the message must be encrypted"))
                case .tempfail:
                    return outcome.decide(.tempfail, name: "tempfail", reply: SMTPReply(
                        code: "451", extendedCode: "4.7.1", text: "No usable S/MIME certificate for \(list) yet; try again later"))
                case .version:
                    // The rule should hold only for recipients with a certificate
                    // (smime_certificate: true); one without fails the message closed.
                    return fail(outcome, "without_certificate: version, but \(list) has no usable certificate (add 'smime_certificate: true' to the rule)")
                case .action:
                    if missing.count == rcpts.count, let a = options.fallbackAction {
                        return a.apply(context)
                    }
                    return fail(outcome, "some recipients have no usable certificate (\(list)) and others have: split them with for_each_recipient and smime_certificate")
                }
            }
        }
        outcome.contribution { SMIMEContribution() }.add(options, key: Self.key)
        return nil
    }

    /// Ends the message as `on_error` says (tempfail by default); never plaintext.
    func fail(_ outcome: MessageOutcome, _ why: String) -> Decision {
        outcome.noteFailure(Self.key + ": " + why)
        if options.onError == .reject {
            return outcome.decide(.reject, name: "reject", reply: SMTPReply(code: "550", extendedCode: "5.7.1", text: "S/MIME processing failed"))
        }
        return outcome.decide(.tempfail, name: "tempfail", reply: SMTPReply(code: "451", extendedCode: "4.7.1", text: "S/MIME processing failed, try again later"))
    }
}
