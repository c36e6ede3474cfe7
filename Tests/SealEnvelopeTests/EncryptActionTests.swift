import XCTest
import Glibc
import Foundation
@testable import SealEnvelope
import SealEngine
import SealPolicy
import SealCrypto

/// The `encrypt` action and the `envelope:` section through the engine: the
/// replaced message, per-recipient passcodes and passcode messages, policy errors,
/// fail-closed paths.
final class EncryptActionTests: XCTestCase {
    static let dir: String = {
        var t = Array("/tmp/sealenv-test.XXXXXX".utf8CString)
        let d = t.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        return d
    }()
    static let org = try! P256Key.generate()
    static let files: Void = {
        func write(_ name: String, _ s: String) {
            let fd = open(dir + "/" + name, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            _ = try? FileSink(fd: fd).write(s); close(fd)
        }
        write("org.pem", try! org.privatePEM())
        write("reply.secret", "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA==\n")
        write("marker", "bWFya2VyLW1hcmtlci1tYXJrZXI=\n")
        write("shared", "# shared secrets\nbob@example.com  BOB-SECRET-123456\n@example.net  NET-SECRET-654321\n")
        write("short", "bob@example.com  SHORT\n\nx@example.com LONG-ENOUGH-SECRET\n")
    }()

    var registry: Registry {
        var r = Registry.builtin
        r.register(feature: EnvelopeSettings.self)
        r.register(action: EncryptAction.self)
        return r
    }

    func policy(_ action: String, envelope: String = "", recoveryPath: String? = nil, spool: String = "",
                when: String = "{direction: outbound}") -> String {
        Self.policy(action, envelope: envelope, recoveryPath: recoveryPath, spool: spool, when: when)
    }

    static func policy(_ action: String, envelope: String = "", recoveryPath: String? = nil, spool: String = "",
                       when: String = "{direction: outbound}") -> String {
        _ = Self.files
        return """
            internal_domains: [int.test]
            keys:
              marker: \(Self.dir)/marker
              org: \(recoveryPath ?? Self.dir + "/org.pem")
              reply: \(Self.dir)/reply.secret
              shared: \(Self.dir)/shared
            \(spool)
            submission: {method: smtp, host: 127.0.0.1, port: 1, marker_key: marker, notice_sender: postmaster@int.test}
            envelope:
              recovery_key: org
              reply_secret: reply
              shared_secrets: shared
            \(envelope)
            rules:
              - name: enc
                when: \(when)
                actions:
                  - \(action)
            """
    }

    let message = "From: Alice <alice@int.test>\r\nTo: bob@example.com, carol@example.net\r\nSubject: Figures\r\n"
        + "Message-ID: <m1@int.test>\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + "The secret figures: 42.\r\n"

    func run(_ yaml: String, from: String = "alice@int.test", to: [String] = ["bob@example.com", "carol@example.net"])
        throws -> (Session, Decision, [UInt8]) {
        let engine = Engine(policy: try Policy.parse(yaml: yaml, file: "test.yaml", registry: registry))
        let s = Session(engine: engine, decodeAll: true, dryRun: true)
        var d = s.mailFrom("<\(from)>")
        for r in to { _ = s.rcpt("<\(r)>") }
        let bytes = Array(message.utf8)
        var i = 0
        while d == .continue && i < bytes.count {
            let n = min(13, bytes.count - i)
            d = bytes[i..<(i + n)].withUnsafeBytes { s.raw($0) }
            i += n
        }
        if d == .continue { d = s.endOfMessage() }
        var body: [UInt8] = []
        if d == .accept { while let c = try s.readReplacementBody() { body += c } }
        return (s, d, body)
    }

    /// The message.html part of a replaced body (7bit).
    func page(_ body: [UInt8]) throws -> [UInt8] {
        let text = String(decoding: body, as: UTF8.self)
        let start = try XCTUnwrap(text.range(of: "filename=\"message.html\"\r\n\r\n"))
        let end = try XCTUnwrap(text.range(of: "\r\n--=_sealmilter_", range: start.upperBound..<text.endIndex))
        return Array(text[start.upperBound..<end.lowerBound].utf8)
    }

    func passcode(in text: String) -> String? {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        return words.first { $0.count == 23 && $0.split(separator: "-").count == 4 }.map(String.init)
    }

    func testEnvelopeReplacesTheMessage() throws {
        let (s, d, body) = try run(policy("encrypt: {subject: \"Encrypted message\", expires: 7d}"))
        XCTAssertEqual(d, .accept, s.lastError)
        XCTAssertFalse(String(decoding: body, as: UTF8.self).contains("secret figures"), "no plaintext in the new body")
        let edits = s.headerEdits
        XCTAssertTrue(edits.contains { $0.operation == .change && $0.name == "Content-Type" && ($0.value ?? "").hasPrefix("multipart/mixed; boundary=") })
        XCTAssertTrue(edits.contains { $0.operation == .delete && $0.name == "Content-Transfer-Encoding" })
        XCTAssertTrue(edits.contains { $0.operation == .change && $0.name == "Subject" && $0.value == "Encrypted message" })
        XCTAssertTrue(edits.contains { $0.operation == .add && $0.name == "MIME-Version" })
        XCTAssertFalse(edits.contains { ["from", "to", "cc", "date", "message-id"].contains($0.name.lowercased()) }, "outer fields kept")
        let text = String(decoding: body, as: UTF8.self)
        XCTAssertTrue(text.contains("Content-Type: multipart/alternative"))
        XCTAssertTrue(text.contains("Content-Type: text/html; charset=us-ascii; name=\"message.html\"\r\nContent-Transfer-Encoding: 7bit"))
        XCTAssertTrue(text.contains("Save the attached file message.html"))

        // One passcode message per recipient, each with its own passcode; each opens
        // the envelope, and only its own wrap.
        let notices = try XCTUnwrap(s.outcome?.notices)
        XCTAssertEqual(notices.map(\.to), [["bob@example.com"], ["carol@example.net"]])
        let codes = notices.compactMap { passcode(in: $0.text) }
        XCTAssertEqual(codes.count, 2)
        XCTAssertNotEqual(codes[0], codes[1])
        for n in notices { XCTAssertFalse(n.subject.contains(codes[0]) || n.subject.contains(codes[1])) }
        let r = try EnvelopeReader(page: try page(body))
        XCTAssertEqual(r.recipients.map(\.address), ["bob@example.com", "carol@example.net"])
        XCTAssertEqual(r.header["expires"].flatMap { $0.string }?.count, 20)
        let ck = try r.contentKey(passcode: codes[0], address: "bob@example.com")
        XCTAssertEqual(try r.contentKey(passcode: codes[1], address: "carol@example.net"), ck)
        XCTAssertThrowsError(try r.contentKey(passcode: codes[0], address: "carol@example.net"))
        var original: [UInt8] = []
        let meta = try r.open(contentKey: try r.contentKey(recovery: Self.org)) { original += $0 }
        XCTAssertEqual(String(decoding: original, as: UTF8.self), message, "the original, byte for byte")
        XCTAssertEqual(meta["subject"]?.string, "Figures")
        XCTAssertEqual(meta["reply"]?["to"]?.string, "alice@int.test")
        XCTAssertNotNil(meta["expires"]?.string)
        // A secure reply made with the meta's key opens with the gateway's keys.
        let replyKey = try XCTUnwrap(meta["reply"]?["key"]?.string.flatMap(Base64.decode))
        let block = try SecureReply.build(envelopeID: r.id, organisation: Self.org, replyKey: replyKey, message: Array("Subject: Re\r\n\r\nok\r\n".utf8))
        let settings = try XCTUnwrap(s.facts?.settings.features[EnvelopeSettings.self])
        let (k, secret) = try settings.replyKeys()
        let armor = try XCTUnwrap(try SecureReply.armor(in: Array(("Hello\n\n" + block).utf8)))
        XCTAssertEqual(try SecureReply.open(try SecureReply.parse(armor: armor), replySecret: secret, organisation: k), Array("Subject: Re\r\n\r\nok\r\n".utf8))
    }

    func testSenderModeSendsAllPasscodesToTheSender() throws {
        let (s, d, body) = try run(policy("encrypt: {passcode: sender}"))
        XCTAssertEqual(d, .accept, s.lastError)
        let notices = try XCTUnwrap(s.outcome?.notices)
        XCTAssertEqual(notices.count, 1)
        XCTAssertEqual(notices[0].to, ["alice@int.test"])
        XCTAssertTrue(notices[0].nullSender)
        let lines = notices[0].text.split(separator: "\n").filter { $0.contains("@example.") }
        XCTAssertEqual(lines.count, 2)
        let r = try EnvelopeReader(page: try page(body))
        for l in lines {
            let parts = l.split(separator: " ").map(String.init)
            XCTAssertNoThrow(try r.contentKey(passcode: parts[1], address: String(parts[0].dropLast())))
        }
        // No sender to tell: fail closed.
        let (_, d2, _) = try run(policy("encrypt: {passcode: sender}", when: "{subject: {contains: [Figures]}}"), from: "")
        XCTAssertEqual(d2, .tempfail)
    }

    func testSharedSecrets() throws {
        let (s, d, body) = try run(policy("encrypt: {passcode: shared}"))
        XCTAssertEqual(d, .accept, s.lastError)
        XCTAssertEqual(s.outcome?.notices.count, 0, "shared secrets are not sent")
        let r = try EnvelopeReader(page: try page(body))
        XCTAssertNoThrow(try r.contentKey(passcode: "bob-secret-123456", address: "bob@example.com"))
        XCTAssertNoThrow(try r.contentKey(passcode: "NET-SECRET-654321", address: "carol@example.net"))
        // A recipient without a secret: the message is not sent (closed).
        let (s2, d2, _) = try run(policy("encrypt: {passcode: shared, on_failure: reject}"), to: ["bob@example.com", "dan@example.org"])
        XCTAssertEqual(d2, .reject)
        XCTAssertEqual(s2.reply?.code, "554")
    }

    func testFailsClosedWithoutTheKey() throws {
        let (s, d, body) = try run(policy("encrypt", recoveryPath: Self.dir + "/missing.pem"))
        XCTAssertEqual(d, .tempfail)
        XCTAssertEqual(s.reply?.code, "451")
        XCTAssertTrue(body.isEmpty)
        XCTAssertFalse(s.bodyReplaced)
        XCTAssertTrue(s.lastError.contains("missing.pem"), s.lastError)
        let (s2, d2, _) = try run(policy("encrypt: {on_failure: reject}", recoveryPath: Self.dir + "/missing.pem"))
        XCTAssertEqual(d2, .reject)
        XCTAssertEqual(s2.reply?.code, "554")
    }

    func testFailsClosedWhenTheSpoolFails() throws {
        // The original fits in memory, the envelope does not, and the spool directory cannot be used.
        let (s, d, _) = try run(policy("encrypt", spool: "spool: {memory_limit: 1K, directory: /nonexistent-sealmilter-spool}"))
        XCTAssertEqual(d, .tempfail, "spool full or unusable: tempfail, never the plaintext")
        XCTAssertFalse(s.bodyReplaced)
        XCTAssertTrue(s.lastError.contains("spool"), s.lastError)
    }

    func testPolicyErrors() throws {
        func errors(_ yaml: String) -> String {
            Policy.diagnose(yaml: yaml, file: "p.yaml", registry: registry).map(\.description).joined(separator: "\n")
        }
        XCTAssertTrue(errors(policy("encrypt", envelope: "  iterations: 1000")).contains("envelope.iterations: must be at least 600000"))
        XCTAssertTrue(errors(policy("encrypt: {passcode: maybe}")).contains("expected generated, sender or shared"))
        XCTAssertTrue(errors(policy("encrypt: {expires: 0d}")).contains("expires"))
        XCTAssertTrue(errors(policy("encrypt", envelope: "  branding: {colors: {accent: red}}")).contains("expected #rrggbb"))
        XCTAssertTrue(errors(policy("encrypt", envelope: "  passcode_message: {text: no code here}")).contains("must contain {passcode}"))
        let noSection = """
            rules:
              - name: enc
                when: {direction: outbound}
                actions: [encrypt]
            """
        let e = errors(noSection)
        XCTAssertTrue(e.contains("rule 'enc': encrypt: needs the 'envelope:' section"), e)
        XCTAssertTrue(errors(policy("encrypt").replacingOccurrences(of: "recovery_key: org", with: "recovery_key: nokey"))
            .contains("envelope.recovery_key: 'nokey' is not a key in the keys: section"))
        // Shared secrets shorter than the minimum: refused by the checker with the file's line.
        let p = try Policy.parse(yaml: policy("encrypt: {passcode: shared}").replacingOccurrences(of: Self.dir + "/shared", with: Self.dir + "/short"),
                                 file: "p.yaml", registry: registry)
        let problems = p.fileProblems().map(\.description)
        XCTAssertEqual(problems.count, 1, "\(problems)")
        XCTAssertTrue(problems[0].hasPrefix(Self.dir + "/short:1:"), problems[0])
        XCTAssertTrue(problems[0].contains("shorter than envelope.min_shared_secret_length"))
        XCTAssertFalse(problems[0].contains("SHORT"), "the secret itself is not in the message")
        // A public key is not enough for the gateway's recovery_key (replies need the private one).
        XCTAssertEqual(try Policy.parse(yaml: policy("encrypt"), file: "p.yaml", registry: registry).fileProblems().count, 0)
    }
}

/// Inbound secure replies through the engine's opener hook.
final class ReplyOpenerTests: XCTestCase {
    var registry: Registry {
        var r = Registry.builtin
        r.register(feature: EnvelopeSettings.self)
        r.register(action: EncryptAction.self)
        r.register(opener: EnvelopeReplyOpener.self)
        return r
    }

    func run(_ message: String) throws -> (Session, Decision, String) {
        let yaml = EncryptActionTests.policy("encrypt") + """

              - name: scanned
                when: {direction: inbound, body: {contains: [decrypted words]}}
                actions:
                  - add_header: {name: X-Scanned, value: yes}
            """
        let engine = Engine(policy: try Policy.parse(yaml: yaml, file: "test.yaml", registry: registry))
        let s = Session(engine: engine, decodeAll: true, dryRun: true)
        var d = s.mailFrom("<bob@example.com>")
        _ = s.rcpt("<alice@int.test>")
        if d == .continue { d = Array(message.utf8).withUnsafeBytes { s.raw($0) } }
        if d == .continue { d = s.endOfMessage() }
        var body: [UInt8] = []
        while let c = try s.readReplacementBody() { body += c }
        return (s, d, String(decoding: body, as: UTF8.self))
    }

    func carrier(_ block: String, base64Attachment: Bool = false) -> String {
        if base64Attachment {
            let b64 = Base64.encode(Array(block.utf8))
            return "From: bob@example.com\r\nTo: alice@int.test\r\nSubject: Re: x\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSee the file.\r\n"
                + "--b\r\nContent-Type: text/plain; name=secure-reply.txt\r\nContent-Transfer-Encoding: base64\r\n"
                + "Content-Disposition: attachment; filename=secure-reply.txt\r\n\r\n\(b64)\r\n--b--\r\n"
        }
        return "From: bob@example.com\r\nTo: alice@int.test\r\nSubject: Re: x\r\n\r\nHello,\r\n\r\n"
            + block.replacingOccurrences(of: "\n", with: "\r\n")
    }

    func block(secret: String = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA==") throws -> String {
        _ = EncryptActionTests.files
        let id = try SealCrypto.randomBytes(16)
        let key = try EnvelopeFormat.replyKey(secret: Array(secret.utf8), id: id)
        return try SecureReply.build(envelopeID: id, organisation: EncryptActionTests.org, replyKey: key,
                                     message: Array("From: bob@example.com\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSome decrypted words.\r\n".utf8))
    }

    func testGoodReplyIsDecryptedAndScanned() throws {
        for attached in [false, true] {
            let (s, d, body) = try run(carrier(try block(), base64Attachment: attached))
            XCTAssertEqual(d, .accept)
            XCTAssertEqual(body, "Some decrypted words.\r\n", "attached: \(attached)")
            XCTAssertTrue(s.headerEdits.contains { $0.name == "X-Sealmilter-Decrypted" && $0.value == "envelope-reply" })
            XCTAssertTrue(s.headerEdits.contains { $0.name == "X-Scanned" }, "the rules saw the decrypted text")
            XCTAssertTrue(s.headerEdits.contains { $0.name == "Content-Type" && $0.value == "text/plain; charset=utf-8" })
        }
    }

    func testBadRepliesAreFlaggedAndDeliveredAsTheyCame() throws {
        let good = try block()
        var lines = good.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let truncated = lines.prefix(3).joined(separator: "\n") + "\n"
        lines[2] = String(lines[2].reversed())
        let garbled = lines.joined(separator: "\n")
        let cases = ["foreign": try block(secret: "another-gateway-secret-another-gateway-secret"), "truncated": truncated,
                     "garbled": garbled, "quoted": good.split(separator: "\n").map { "> " + $0 }.joined(separator: "\n"),
                     "huge-version": "-----BEGIN SEALMILTER SECURE REPLY-----\n" + Base64.encode(Array("{\"v\":99999999999}".utf8)) + "\n-----END SEALMILTER SECURE REPLY-----\n"]
        for (name, b) in cases {
            let (s, d, body) = try run(carrier(b))
            XCTAssertEqual(d, .accept, name)
            XCTAssertEqual(body, "", "\(name): the body is not replaced")
            XCTAssertFalse(s.headerEdits.contains { $0.name == "X-Sealmilter-Decrypted" }, name)
            XCTAssertFalse(s.headerEdits.contains { $0.name == "X-Scanned" }, name)
            XCTAssertTrue(s.headerEdits.contains { $0.name == "X-Sealmilter-Envelope-Reply" && ($0.value ?? "").hasPrefix("invalid (") },
                          "\(name): \(s.headerEdits)")
        }
        // No block at all: nothing happens.
        let (s, _, body) = try run(carrier("just text\n"))
        XCTAssertEqual(body, "")
        XCTAssertFalse(s.headerEdits.contains { $0.name.hasPrefix("X-Sealmilter-Envelope") })
    }
}
