import Foundation
import SealEngine
import SealPolicy
import SealSMIME
import Testing

/// Inbound S/MIME through the engine with real `openssl cms` messages.
@Suite(.serialized) struct InboundTests {
    static let registry: Registry = {
        var r = Registry.builtin
        SMIMEModule.register(&r)
        return r
    }()

    static let harvest: String = {
        let d = Material.path("harvest-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }()

    static func policy(deliver: String = "plaintext", keys: Bool = true) -> String {
        let m = Material.dir
        return """
            keys:
              bob-key: \(m)/bob.key
              carol-key: \(m)/carol.key
            smime:
              store: \(harvest)
              trust: {anchors: [\(m)/ca.pem]}
            \(keys ? "  identities:\n    - {for: bob@example.org, key: bob-key, certificate: \(m)/bob.pem}" : "")
              inbound:
                authserv_id: mx.example.org
                deliver: \(deliver)
            \(keys ? "    decrypt:\n      - {key: carol-key, certificate: \(m)/carol.pem}" : "")
            rules:
              - name: keyword
                when: {body: {contains: Kumquat}}
                actions: [{add_header: {name: X-Keyword, value: found}}]
            """
    }

    static let inner = "Content-Type: text/plain\r\n\r\nHello Bob, the Kumquat word.\r\n"

    /// `openssl cms` with `args`, the inner entity on standard input; the S/MIME output.
    static func cms(_ args: [String], input: String = inner) throws -> String {
        try must(["openssl", "cms"] + args, stdin: Data(input.utf8))
    }

    static func message(_ smime: String, extra: [String] = []) -> String {
        (["From: alice@partner.example", "To: bob@example.org", "Subject: test"] + extra).joined(separator: "\r\n") + "\r\n"
            + smime.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n")
    }

    func run(_ message: String, policy: String = InboundTests.policy()) throws -> Session {
        let engine = Engine(policy: try Policy.parse(yaml: policy, file: "t.yaml", registry: Self.registry))
        let s = Session(engine: engine)
        _ = s.mailFrom("<alice@partner.example>"); _ = s.rcpt("<bob@example.org>")
        let bytes = Array(message.utf8)
        var d = Decision.continue
        for i in stride(from: 0, to: bytes.count, by: 997) where d == .continue {
            d = bytes[i..<min(bytes.count, i + 997)].withUnsafeBytes { s.raw($0) }
        }
        if d == .continue { _ = s.endOfMessage() }
        return s
    }

    func results(_ s: Session) -> [String] {
        s.headerEdits.filter { $0.operation == .insert && $0.name == "Authentication-Results" }.map { $0.value ?? "" }
    }

    func body(_ s: Session) throws -> String {
        var out: [UInt8] = []
        while let c = try s.readReplacementBody() { out += c }
        return String(decoding: out, as: UTF8.self)
    }

    @Test func detachedSignatureVerifiesAndIsHarvested() throws {
        let m = Material.dir
        let signed = try Self.cms(["-sign", "-signer", "\(m)/alice.pem", "-inkey", "\(m)/alice.key"])
        let s = try run(Self.message(signed, extra: ["Authentication-Results: mx.example.org; smime=pass (forged)",
                                                      "Authentication-Results: other.example; spf=pass"]))
        let ar = results(s)
        #expect(ar.count == 1 && ar[0].hasPrefix("mx.example.org;") && ar[0].contains("smime=pass"), "\(ar)")
        #expect(ar[0].contains("body.smime-identifier=alice@partner.example"))
        #expect(ar[0].contains("body.smime-serial=") && ar[0].contains("body.smime-issuer=\"CN=Sealmilter Test CA\""))
        // The forged one (our authserv-id, first of two) is removed; the other stays.
        #expect(s.headerEdits.filter { $0.name == "Authentication-Results" && $0.operation == .delete }.map(\.index) == [1])
        // Ours goes at the top (RFC 8601), inserted after the delete so the indices hold.
        #expect(s.headerEdits.last?.operation == .insert && s.headerEdits.last?.index == HeaderEdit.topIndex
                && s.headerEdits.last?.name == "Authentication-Results", "\(s.headerEdits.map(\.summary))")
        #expect(!s.headerEdits.contains { $0.operation == .add && $0.name == "Authentication-Results" })
        #expect(s.headerEdits.contains { $0.name == "X-Keyword" })
        // Harvested: the signer's certificate, with its capabilities.
        let files = try FileManager.default.subpathsOfDirectory(atPath: Self.harvest)
        let pem = try #require(files.first { $0.hasSuffix(".pem") })
        #expect(pem.hasPrefix("alice@partner.example/"), "\(files)")
        let subject = try must(["openssl", "x509", "-in", Self.harvest + "/" + pem, "-noout", "-ext", "subjectAltName"])
        #expect(subject.contains("alice@partner.example"))
        let caps = try String(contentsOfFile: Self.harvest + "/" + pem.replacingOccurrences(of: ".pem", with: ".caps"), encoding: .utf8)
        #expect(caps.contains("AES-256-CBC") || caps.contains("aes-256-cbc") || caps.contains("id-aes256"), "\(caps)")
        #expect(s.logLine.contains("smime=pass") && s.logLine.contains("smime-signer=alice@partner.example"))
    }

    @Test func tamperedUntrustedAndGarbledSignatures() throws {
        let m = Material.dir
        let signed = try Self.cms(["-sign", "-signer", "\(m)/alice.pem", "-inkey", "\(m)/alice.key"])
        let tampered = signed.replacingOccurrences(of: "Kumquat", with: "Kumqu4t")
        #expect(tampered != signed)
        let t = try run(Self.message(tampered))
        #expect(results(t).first?.contains("smime=fail") == true, "\(results(t))")
        // A self-signed signer does not chain: policy (signed, certificate not acceptable), not harvested.
        let before = try FileManager.default.subpathsOfDirectory(atPath: Self.harvest).count
        let u = try run(Self.message(try Self.cms(["-sign", "-signer", "\(m)/mallory.pem", "-inkey", "\(m)/mallory.key"])))
        #expect(results(u).first?.contains("smime=policy") == true, "\(results(u))")
        #expect(try FileManager.default.subpathsOfDirectory(atPath: Self.harvest).count == before)
        // A garbled signature part: permerror, never a crash.
        var lines = signed.components(separatedBy: "\n")
        if let i = lines.firstIndex(where: { $0.hasPrefix("MII") }) { lines[i] = String(lines[i].reversed()) }
        let g = try run(Self.message(lines.joined(separator: "\n")))
        #expect(results(g).first.map { $0.contains("smime=permerror") || $0.contains("smime=fail") } == true, "\(results(g))")
    }

    @Test func opaqueSignedContentIsScanned() throws {
        let m = Material.dir
        let s = try run(Self.message(try Self.cms(["-sign", "-nodetach", "-signer", "\(m)/alice.pem", "-inkey", "\(m)/alice.key"])))
        #expect(results(s).first?.contains("smime=pass") == true)
        #expect(s.headerEdits.contains { $0.name == "X-Keyword" })
        #expect(!s.bodyReplaced)   // the signed original is delivered
    }

    @Test func envelopedAndAuthEnvelopedAreDecrypted() throws {
        let m = Material.dir
        for (cipher, cert) in [("-aes-256-cbc", "bob.pem"), ("-aes-128-cbc", "carol.pem"), ("-aes-256-gcm", "bob.pem"), ("-aes-256-gcm", "carol.pem")] {
            let enc = try Self.cms(["-encrypt", cipher, "\(m)/\(cert)"])
            let s = try run(Self.message(enc))
            #expect(s.headerEdits.contains { $0.name == "X-Keyword" }, "\(cipher) \(cert)")
            #expect(s.headerEdits.contains { $0.name == "X-Sealmilter-Decrypted" && $0.value == "smime" })
            #expect(s.headerEdits.contains { $0.operation == .add && $0.name == "Content-Type" && $0.value == "text/plain" })
            #expect(try body(s) == "Hello Bob, the Kumquat word.\r\n", "\(cipher) \(cert)")
            #expect(!s.headerEdits.contains { $0.name == "X-Sealmilter-Unscannable" })
        }
    }

    @Test func signedThenEncryptedIsDecryptedAndVerified() throws {
        let m = Material.dir
        let signed = try Self.cms(["-sign", "-signer", "\(m)/alice.pem", "-inkey", "\(m)/alice.key"])
        let enc = try Self.cms(["-encrypt", "-aes-256-cbc", "\(m)/bob.pem"], input: signed)
        let s = try run(Self.message(enc))
        #expect(results(s).first?.contains("smime=pass") == true, "\(results(s))")
        #expect(s.headerEdits.contains { $0.name == "X-Keyword" })
        let b = try body(s)
        // The delivered plaintext is the signed entity: openssl verifies it.
        let ct = try #require(s.headerEdits.first { $0.operation == .add && $0.name == "Content-Type" }?.value)
        let entity = "Content-Type: \(ct)\r\n\r\n" + b
        let out = try must(["openssl", "cms", "-verify", "-CAfile", "\(m)/ca.pem", "-purpose", "smimesign"], stdin: Data(entity.utf8))
        #expect(out.contains("Kumquat"))
    }

    @Test func withoutAMatchingKeyNothingIsDecrypted() throws {
        let m = Material.dir
        // For dave, whose key the gateway does not hold: not decrypted, still flagged.
        let s = try run(Self.message(try Self.cms(["-encrypt", "-aes-256-cbc", "\(m)/dave.pem"])))
        #expect(!s.bodyReplaced && !s.headerEdits.contains { $0.name == "X-Keyword" || $0.name == "X-Sealmilter-Decrypted" })
        #expect(s.headerEdits.contains { $0.name == "X-Sealmilter-Unscannable" && ($0.value ?? "").contains("smime-enveloped") })
        #expect(s.logLine.contains("smime-decrypt=no-matching-key"))
        // No keys configured at all.
        let n = try run(Self.message(try Self.cms(["-encrypt", "-aes-256-cbc", "\(m)/bob.pem"])), policy: Self.policy(keys: false))
        #expect(!n.bodyReplaced && n.logLine.contains("smime-decrypt=no-keys"))
    }

    @Test func ciphertextDeliveryScansButKeepsTheOriginal() throws {
        let m = Material.dir
        let s = try run(Self.message(try Self.cms(["-encrypt", "-aes-256-cbc", "\(m)/bob.pem"])), policy: Self.policy(deliver: "ciphertext"))
        #expect(s.headerEdits.contains { $0.name == "X-Keyword" })
        #expect(!s.bodyReplaced && !s.headerEdits.contains { $0.name == "X-Sealmilter-Decrypted" })
    }

    @Test func hostileCMSNeverCrashes() throws {
        let m = Material.dir
        let enc = try Self.cms(["-encrypt", "-aes-256-cbc", "\(m)/bob.pem"])
        let head = enc.components(separatedBy: "\n\n")[0]
        let b64 = enc.components(separatedBy: "\n\n").dropFirst().joined().filter { !$0.isWhitespace }
        let der = try #require(Data(base64Encoded: b64))
        var cases: [(String, [UInt8])] = [
            ("truncated", Array(der.prefix(der.count / 2))),
            ("empty", []),
            ("huge length", [0x30, 0x84, 0x7f, 0xff, 0xff, 0xff] + Array(der.dropFirst(4))),
            ("deep nesting", Array(repeating: [0x30, 0x80], count: 5000).flatMap { $0 }),
            ("wrong content type", Array(der)),   // patched below: the data OID, not enveloped-data
            ("garbage", (0..<4000).map { UInt8(truncatingIfNeeded: $0 &* 7919) }),
        ]
        // id-envelopedData 1.2.840.113549.1.7.3 -> id-data 1.2.840.113549.1.7.1
        let oid: [UInt8] = [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x03]
        if let r = cases[4].1.firstRange(of: oid) { cases[4].1[r.upperBound - 1] = 0x01 } else { Issue.record("no envelopedData OID") }
        for (name, bytes) in cases {
            let smime = head + "\n\n" + Data(bytes).base64EncodedString(options: .lineLength64Characters) + "\n"
            let s = try run(Self.message(smime))
            #expect(!s.bodyReplaced, "\(name)")
            #expect(s.headerEdits.contains { $0.name == "X-Sealmilter-Unscannable" }, "\(name)")
            #expect(s.logLine.contains("smime-error=") || s.logLine.contains("smime-decrypt="), "\(name): \(s.logLine)")
        }
    }

    @Test func settingsErrorsHaveLines() throws {
        func err(_ yaml: String) -> String {
            do { _ = try Policy.parse(yaml: yaml, file: "t.yaml", registry: Self.registry); return "" } catch { return "\(error)" }
        }
        #expect(err("smime:\n  inbound:\n    decrypt:\n      - {key: nope, certificate: /x.pem}\n").contains("key 'nope' is not named in the 'keys:' section"))
        #expect(err("smime:\n  inbound:\n    deliver: both\n").contains("t.yaml:3"))
        #expect(err("smime:\n  ldap: {uri: http://x, base: dc=x}\n").contains("expected ldap://"))
        #expect(err("smime:\n  ldap: {uri: ldap://x, base: dc=x, filter: \"(mail=x)\"}\n").contains("one %s"))
        #expect(err("smime:\n  inbound:\n    authserv_id: \"a b\"\n").contains("authserv_id"))
        #expect(err("smime:\n  inbound: {}\n") == "")
        #expect(err("smime:\n  inbound:\n") == "")
        // Without `inbound:` the opener is off.
        let p = try Policy.parse(yaml: "smime:\n  store: /tmp\n", file: "t.yaml", registry: Self.registry)
        #expect(p.openers.isEmpty)
        #expect(try Policy.parse(yaml: "smime:\n  inbound: {}\n", file: "t.yaml", registry: Self.registry).openers.count == 1)
    }
}
