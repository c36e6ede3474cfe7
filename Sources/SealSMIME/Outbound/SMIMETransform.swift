import SealCrypto
import SealEngine
import SealMIME
import SealPolicy

/// The S/MIME body transform: signs (multipart/signed, or opaque
/// application/pkcs7-mime), encrypts (application/pkcs7-mime enveloped-data or
/// authEnveloped-data), or both (signed, then the signed entity encrypted), in
/// one pass per layer from the spooled body into a new spool.
///
/// The outer header keeps From, To, Cc, Date, Message-ID and Subject; the
/// content header fields (`Content-*`) move inside, and the new ones go outside.
/// With header protection (RFC 8551 3.1) the inner entity is a message/rfc822
/// carrying the original header fields, and the outer Subject becomes neutral.
final class SMIMETransform: BodyTransform {
    let options: OutboundOptions
    let name: String
    /// Recipients of the version, with the certificates chosen when the rule applied (re-checked here).
    init(options: OutboundOptions, name: String) { self.options = options; self.name = name }

    var phase: BodyPhase { options.encrypt ? .encrypt : .sign }

    /// Header fields that go inside with header protection (the rest stay outside only).
    static let protectedFields: Set<String> = ["from", "sender", "reply-to", "to", "cc", "date", "subject", "message-id",
                                                "in-reply-to", "references", "mime-version"]

    func transform(_ input: BodyInput, _ context: TransformContext) throws -> BodyOutput? {
        guard let settings = context.message.settings.features[SMIMESettings.self] else {
            throw SMIMEError("\(name): the policy has no smime: section")
        }
        let eol = LineEnd.of(input.original)
        let headers = HeaderEdit.apply(input.headerEdits, to: context.message.headers)
        let content = headers.filter { $0.name.lowercased().hasPrefix("content-") }
        var innerHead: [UInt8] = []
        if options.protectSubject {
            innerHead = HeaderFields.serialize([("Content-Type", "message/rfc822")]) + [13, 10]
            innerHead += HeaderFields.serialize(headers.filter { Self.protectedFields.contains($0.name.lowercased()) || $0.name.lowercased().hasPrefix("content-") })
        } else {
            innerHead = HeaderFields.serialize(content.isEmpty ? [("Content-Type", "text/plain; charset=us-ascii")] : content)
        }
        innerHead += [13, 10]

        // Edits: the content fields move inside; the new ones are added outside.
        var edits: [HeaderEdit] = []
        var counts: [String: Int] = [:]
        var positions: [(name: String, index: Int)] = []
        for h in headers {
            let k = h.name.lowercased()
            counts[k, default: 0] += 1
            if k.hasPrefix("content-") { positions.append((h.name, counts[k]!)) }
        }
        for p in positions.reversed() { edits.append(HeaderEdit(operation: .delete, name: p.name, value: nil, index: p.index)) }
        if options.protectSubject {
            if counts["subject", default: 0] > 0 {
                edits.append(HeaderEdit(operation: .change, name: "Subject", value: options.outerSubject, index: 1))
            } else {
                edits.append(HeaderEdit(operation: .add, name: "Subject", value: options.outerSubject, index: 0))
            }
        }
        if counts["mime-version", default: 0] == 0 { edits.append(HeaderEdit(operation: .add, name: "MIME-Version", value: "1.0", index: 0)) }

        let (recipients, cipher) = options.encrypt ? try recipientCertificates(settings, context) : ([], .aes256cbc)
        if options.encrypt { context.outcome.note("smime-cipher=\(cipher.rawValue)" + (options.cipher == .auto ? "(auto)" : "")) }
        let identity = options.sign ? try signingIdentity(settings, context.message) : nil

        let out = context.newSpool()
        let sink = SpoolSink(out, lineEnd: eol)
        let entity = EntitySource([.bytes(innerHead), .body(input.stream())])
        var outer: [(String, String)] = []
        do {
            if let identity, !options.encrypt {
                outer = try sign(entity, identity, into: sink, eol: eol)
            } else if let identity {
                // Sign into a private spool (canonical CRLF), then encrypt that entity.
                let signed = context.newSpool()
                let signedSink = SpoolSink(signed, lineEnd: .crlf)
                let signedHead = try sign(entity, identity, into: signedSink, eol: .crlf)
                try signedSink.finish()
                let head = HeaderFields.serialize(signedHead) + [13, 10]
                outer = try encrypt(EntitySource([.bytes(head), .body(signed.reader())]), recipients, cipher, into: sink)
            } else {
                outer = try encrypt(entity, recipients, cipher, into: sink)
            }
            try sink.finish()
        } catch let e as SMIMEError {
            throw e
        } catch {
            throw SMIMEError("\(name): \(error)")
        }
        for (n, v) in outer { edits.append(HeaderEdit(operation: .add, name: n, value: v, index: 0)) }
        return BodyOutput(body: out.reader(), headerEdits: edits)
    }

    // MARK: layers

    /// Writes the signed body; returns the outer content fields.
    func sign(_ entity: EntitySource, _ identity: Identity, into sink: SpoolSink, eol: LineEnd) throws -> [(String, String)] {
        let e = eol.text
        if options.opaque {
            try CMS.signOpaque(from: entity, to: sink, identity: identity, digest: options.digest, crlf: true)
            return [("Content-Type", "application/pkcs7-mime; smime-type=signed-data; name=\"smime.p7m\""),
                    ("Content-Transfer-Encoding", "base64"),
                    ("Content-Disposition", "attachment; filename=\"smime.p7m\"")]
        }
        let boundary = "----=_sealmilter_" + Hex.encode(try SealCrypto.randomBytes(12))
        let signer = try DetachedSigner(identity: identity, digest: options.digest)
        try sink.write("This is an S/MIME signed message" + e + e + "--" + boundary + e)
        while let chunk = try entity.nextChunk() {
            try signer.update(chunk)
            try sink.write(chunk)
        }
        let der = try signer.finish()
        try sink.write(e + "--" + boundary + e
                       + "Content-Type: application/pkcs7-signature; name=\"smime.p7s\"" + e
                       + "Content-Transfer-Encoding: base64" + e
                       + "Content-Disposition: attachment; filename=\"smime.p7s\"" + e + e)
        let b64 = Array(Base64.encode(der).utf8)
        var i = 0
        while i < b64.count {
            try sink.write(Array(b64[i..<min(i + 76, b64.count)]) + Array(e.utf8))
            i += 76
        }
        try sink.write(e + "--" + boundary + "--" + e)
        return [("Content-Type", "multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=\(options.digest.micalg); boundary=\"\(boundary)\"")]
    }

    func encrypt(_ entity: EntitySource, _ recipients: [CMS.Recipient], _ cipher: CMS.Cipher, into sink: SpoolSink) throws -> [(String, String)] {
        try CMS.encrypt(from: entity, to: sink, recipients: recipients, cipher: cipher, crlf: true)
        let type = cipher.isAuthenticated ? "authEnveloped-data" : "enveloped-data"
        return [("Content-Type", "application/pkcs7-mime; smime-type=\(type); name=\"smime.p7m\""),
                ("Content-Transfer-Encoding", "base64"),
                ("Content-Disposition", "attachment; filename=\"smime.p7m\"")]
    }

    // MARK: keys and certificates

    /// A usable certificate for every recipient of this version, plus the escrow
    /// certificate, and the content cipher for them (``CipherChoice``: with `auto`,
    /// from the capabilities harvested beside the recipients' chosen certificates);
    /// throws (the message is then tempfailed) when one has none.
    func recipientCertificates(_ settings: SMIMESettings, _ context: TransformContext) throws -> ([CMS.Recipient], CMS.Cipher) {
        let rcpts = context.outcome.recipients ?? context.message.recipients
        // Never a CMS for nobody (or for the escrow certificate alone).
        if rcpts.isEmpty { throw SMIMEError("\(name): the message has no envelope recipients to encrypt for; not sent") }
        let lookup = try RecipientLookup.shared(settings, context.outcome)
        var certs: [Certificate] = []
        var caps: [SMIMECapabilities?] = []
        var missing: [String] = []
        for r in rcpts {
            let sel = lookup.select(r)
            if let c = sel.chosen { certs.append(c); caps.append(sel.capabilities) } else { missing.append(r) }
        }
        if !missing.isEmpty {
            throw SMIMEError("\(name): no usable S/MIME certificate for " + missing.joined(separator: ", ")
                             + "; not sent (without_certificate: \(options.withoutCertificate.text))")
        }
        if options.escrow {
            do { certs += try settings.escrowCertificates() } catch { throw SMIMEError("\(name): smime.escrow: \(error)") }
        }
        var seen = Set<String>()
        let recipients = certs.filter { seen.insert($0.fingerprint).inserted }.map { CMS.Recipient($0, padding: options.rsaPadding) }
        return (recipients, options.cipher.cipher(for: caps))
    }

    func signingIdentity(_ settings: SMIMESettings, _ message: MessageFacts) throws -> Identity {
        let who = Self.senderAddress(message)
        do {
            guard let id = try settings.identity(for: who) else {
                throw SMIMEError("\(name): no signing identity in smime.identities for \(who.isEmpty ? "<>" : who)")
            }
            return id
        } catch let e as SMIMEError { throw e } catch {
            throw SMIMEError("\(name): the signing identity for \(who) cannot be used: \(error)")
        }
    }

    /// The address the message is from: the From field's address, else the envelope sender.
    static func senderAddress(_ message: MessageFacts) -> String {
        if let from = message.headerValues("From").first, let a = firstAddress(from) { return a }
        return message.sender.lowercased()
    }

    /// The first addr-spec of an address list (inside <...>, or a bare token with @).
    static func firstAddress(_ value: String) -> String? {
        if let lt = value.firstIndex(of: "<"), let gt = value[lt...].firstIndex(of: ">") {
            let a = value[value.index(after: lt)..<gt].trimmingCharacters(in: " \t")
            return a.contains("@") ? a.lowercased() : nil
        }
        for token in value.split(whereSeparator: { " \t,;\r\n".contains($0) }) where token.contains("@") {
            return String(token).lowercased()
        }
        return nil
    }

    // MARK: header helpers
}

extension Substring {
    func trimmingCharacters(in set: String) -> String {
        var s = self[...]
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
