import Foundation
import Testing
import SealCrypto
import SealEngine
import SealPolicy
@testable import SealSMIME

/// The smime: section and the S/MIME actions in policies: what loads, and the
/// errors (with file and line) for what does not.
@Suite struct PolicyTests {
    static let registry: Registry = { var r = Registry.builtin; SMIMEModule.register(&r); return r }()

    func errors(_ yaml: String) -> [PolicyError] { Policy.diagnose(yaml: yaml, file: "p.yaml", registry: Self.registry) }

    static let section = """
        keys:
          org: /etc/sealmilter/org.p12
          org-pass: /etc/sealmilter/org.pass
        smime:
          store: /var/lib/sealmilter/certs
          trust: {anchors: [/etc/sealmilter/ca.pem]}
          identities:
            - {for: "*", pkcs12: org, passphrase: org-pass}
            - {for: sales@example.com, pkcs12: org, passphrase: org-pass}

        """

    @Test func loadsAndPicksTheMostSpecificIdentity() throws {
        let yaml = Self.section + """
            rules:
              - name: enc
                actions: [{smime_sign_encrypt: {cipher: aes-256-gcm, rsa_padding: oaep, protect_subject: true, without_certificate: quarantine}}]
            """
        let p = try Policy.parse(yaml: yaml, file: "p.yaml", registry: Self.registry)
        let s = try #require(p.settings.features[SMIMESettings.self])
        #expect(s.identityConfig(for: "sales@example.com")?.pattern.pattern == "sales@example.com")
        #expect(s.identityConfig(for: "bob@example.com")?.pattern.pattern == "*")
        let a = try #require(p.rules.first?.actions.first as? SMIMESignEncryptAction)
        #expect(a.options.sign && a.options.encrypt && a.options.cipher == .fixed(.aes256gcm) && a.options.rsaPadding == .oaep)
        #expect(a.options.withoutCertificate == .action("quarantine"))
        #expect(a.modifications.contains(.quarantine))
        #expect(a.bodyPhase == .encrypt)
        // Encryption needs the envelope recipients from the MTA even when no other rule
        // asks for them (else it would have no one to encrypt for); signing the sender.
        #expect(a.needs.isSuperset(of: [.body, .rcpt, .mail]))
        let p2 = try Policy.parse(yaml: Self.section + "rules:\n  - name: e\n    actions: [smime_encrypt]\n  - name: s\n    actions: [smime_sign]\n",
                                  file: "p.yaml", registry: Self.registry)
        let enc = try #require(p2.rules.first?.actions.first as? SMIMEEncryptAction)
        #expect(enc.needs.contains(.rcpt) && enc.options.cipher == .auto)
        let sig = try #require(p2.rules.last?.actions.first as? SMIMESignAction)
        #expect(sig.needs.contains(.mail) && !sig.needs.contains(.rcpt))
    }

    /// An encryption rule whose conditions are decided at MAIL (none, or `sender:`)
    /// waits for the recipients (it needs them: their certificates), so the message
    /// is encrypted for the RCPT TO addresses, never tempfailed for having none; the
    /// recipient's key opens it (openssl cms), and a recipient without a certificate
    /// takes the rule's `without_certificate` path (reject).
    @Test func encryptionRulesDecidedAtMailWaitForTheRecipients() throws {
        let pki = try TestPKI()
        let bob = try pki.issue("bob", san: ["bob@example.org"])
        try CertificateDirectory(path: pki.path("store")).add(bob)
        for when in ["", "    when: {sender: alice@example.com}\n"] {
            let yaml = """
                spool: {directory: \(pki.dir)}
                smime:
                  store: \(pki.path("store"))
                  trust: {anchors: [\(pki.path("ca.pem"))]}
                rules:
                  - name: enc

                """ + when + "    actions: [{smime_encrypt: {without_certificate: reject}}]\n"
            let policy = try Policy.parse(yaml: yaml, file: "p.yaml", registry: Self.registry)
            #expect(policy.rules[0].stage == .rcpt)
            func send(to: String) throws -> (Session, Decision, [UInt8]) {
                let s = Session(engine: Engine(policy: policy))
                #expect(s.mailFrom("<alice@example.com>") == .continue)
                #expect(s.rcpt("<\(to)>") == .continue)
                let m = "From: alice@example.com\r\nTo: \(to)\r\nSubject: Plan\r\n\r\nThe secret plan.\r\n"
                var d = Array(m.utf8).withUnsafeBytes { s.raw($0) }
                if d == .continue { d = s.endOfMessage() }
                var body: [UInt8] = []
                while let c = try s.readReplacementBody() { body += c }
                return (s, d, body)
            }
            let (s, d, body) = try send(to: "bob@example.org")
            #expect(d == .accept && s.bodyReplaced, "\(when): \(d) \(s.logLine)")
            let edits = s.headerEdits.map { "\($0.name): \($0.value ?? "")" }
            #expect(edits.contains { $0.contains("smime-type=enveloped-data") }, "\(edits)")
            try pki.write("out.eml", "Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\n"
                          + "Content-Transfer-Encoding: base64\r\n\r\n" + String(decoding: body, as: UTF8.self))
            let plain = try pki.openssl("cms", "-decrypt", "-in", pki.path("out.eml"), "-recip", pki.path("bob.pem"), "-inkey", pki.path("bob.key"))
            #expect(plain.contains("The secret plan."), "\(plain)")
            let (n, nd, _) = try send(to: "nobody@example.org")
            #expect(nd == .reject && n.reply?.code == "550", "\(when): \(nd) \(n.logLine)")
        }
    }

    @Test func refusesBadSections() {
        // A key name that is not in keys:, at the identity's line.
        var e = errors("""
            keys: {org: /k/org.p12}
            smime:
              identities:
                - {for: "*", pkcs12: org, passphrase: nope}
            """)
        #expect(e.contains { $0.line == 4 && $0.message.contains("passphrase 'nope' is not a key of the 'keys:' section") }, "\(e)")
        e = errors("smime: {store: relative/dir}\n")
        #expect(e.contains { $0.line == 1 && $0.message.contains("must be an absolute path") }, "\(e)")
        e = errors("smime:\n  identities:\n    - {for: a@b.c, key: k}\n")
        #expect(e.contains { $0.line == 3 && $0.message.contains("needs 'certificate'") }, "\(e)")
        e = errors("smime:\n  trust: {crls: [/x.crl]}\n")
        #expect(e.contains { $0.message.contains("needs 'bundles' or 'anchors'") }, "\(e)")
        e = errors("smime: {stor: /x}\n")
        #expect(e.contains { $0.message.contains("did you mean 'store'") }, "\(e)")
    }

    @Test func refusesBadActions() {
        // Unknown fallback: neither a keyword nor a registered action (the envelope action is not built yet).
        var e = errors(Self.section + "rules:\n  - name: r\n    actions: [{smime_encrypt: {without_certificate: encrypt}}]\n")
        #expect(e.contains { $0.message.contains("'encrypt' is neither reject, tempfail, version nor a registered action") }, "\(e)")
        e = errors(Self.section + "rules:\n  - name: r\n    actions: [{smime_encrypt: {cipher: des}}]\n")
        #expect(e.contains { $0.message.contains("'des' is not one of auto, cbc, gcm, aes-256-cbc") }, "\(e)")
        // Options of encryption on the signing action.
        e = errors(Self.section + "rules:\n  - name: r\n    actions: [{smime_sign: {protect_subject: true}}]\n")
        #expect(e.contains { $0.message.contains("unknown key 'protect_subject'") }, "\(e)")
        // Without the section.
        e = errors("rules:\n  - name: r\n    actions: [smime_encrypt]\n")
        #expect(e.contains { $0.line == 2 && $0.message.contains("needs the 'smime:' section") }, "\(e)")
        // A body change after signing.
        e = errors(Self.section + "rules:\n  - name: r\n    actions: [smime_sign, {remove_attachments: {attachment: {name: ['*.exe']}}}]\n")
        #expect(!e.isEmpty, "a body change after signing was accepted")
    }

    @Test func fileProblemsNameTheFileNotTheSecret() throws {
        let pki = try TestPKI()
        _ = try pki.issue("org", san: ["org@example.com"])
        try pki.openssl("pkcs12", "-export", "-in", "org.pem", "-inkey", "org.key", "-out", "org.p12", "-passout", "pass:right-one")
        try pki.write("pass", "wrong-one\n")
        for f in ["org.p12", "pass"] { chmod(pki.path(f), 0o600) }
        let yaml = """
            keys: {org: \(pki.path("org.p12")), pass: \(pki.path("pass"))}
            smime:
              trust: {anchors: [\(pki.path("ca.pem"))]}
              escrow: \(pki.path("missing.pem"))
              identities:
                - {for: "*", pkcs12: org, passphrase: pass}
            """
        let p = try Policy.parse(yaml: yaml, file: "p.yaml", registry: Self.registry)
        let problems = p.fileProblems()
        #expect(problems.contains { $0.message.contains("smime.escrow") && $0.message.contains("missing.pem") }, "\(problems)")
        #expect(problems.contains { $0.line == 6 && $0.message.contains("org.p12") && $0.message.contains("cannot be decrypted") }, "\(problems)")
        #expect(!problems.contains { $0.message.contains("wrong-one") || $0.message.contains("right-one") })
        try pki.write("pass", "right-one\n"); chmod(pki.path("pass"), 0o600)
        let p2 = try Policy.parse(yaml: yaml.replacingOccurrences(of: "  escrow: \(pki.path("missing.pem"))\n", with: ""), file: "p.yaml", registry: Self.registry)
        #expect(p2.fileProblems().isEmpty, "\(p2.fileProblems())")
        #expect(try p2.settings.features[SMIMESettings.self]?.identity(for: "x@example.com")?.certificate.names("org@example.com") == true)
    }
}
