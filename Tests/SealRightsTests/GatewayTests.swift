import XCTest
import Foundation
import SealEngine
import SealPolicy
import SealRegistry
@testable import SealRights

/// Protect and Do Not Forward through real sessions of the engine, with the
/// registry in an SQLite file.
final class GatewayTests: XCTestCase {
    var db = ""
    var engine: Engine!

    override func setUpWithError() throws {
        db = tempPath("rights.db")
        engine = Engine(policy: try Policy.parse(yaml: rightsPolicy(db: db), file: "p.yaml", registry: rightsRegistry))
    }

    let original = """
        From: Alice <alice@example.com>
        To: Bob <bob@example.com>, Carol <carol@example.com>
        Subject: [secret] Northwind
        Message-ID: <p1@example.com>
        Content-Type: text/plain; charset=utf-8

        \(protectedText)
        """

    func protectOriginal() throws -> Session {
        let (s, d) = send(engine, from: "alice@example.com", to: ["bob@example.com", "carol@example.com"], original)
        XCTAssertEqual(d, .accept, s.lastError)
        XCTAssertTrue(s.headerEdits.contains { $0.name == "Sensitivity" && $0.value == "Company-Confidential" })
        XCTAssertTrue(s.headerEdits.contains { $0.name == "X-Sealmilter-Rights" && $0.value == "do-not-forward" })
        XCTAssertTrue(s.logLine.contains("rights=protect template=do-not-forward protected=<p1@example.com>"), s.logLine)
        let rec = try XCTUnwrap(try RightsRegistry(.sqlite(path: db)).show(messageID: "<p1@example.com>"))
        XCTAssertEqual(rec.recipients, ["bob@example.com", "carol@example.com"])
        XCTAssertEqual(rec.sender, "alice@example.com")
        XCTAssertEqual(rec.textSample.count, 64)
        return s
    }

    func forward(_ body: String, to: [String], headers: String = "", from: String = "bob@example.com") -> (Session, Decision) {
        let m = "From: Bob <\(from)>\nTo: \(to.joined(separator: ", "))\nSubject: Fwd: Northwind\nMessage-ID: <f\(Int.random(in: 1...1_000_000))@example.com>\n"
            + headers + (headers.contains("Content-Type") ? "" : "Content-Type: text/plain; charset=utf-8\n") + "\n" + body
        return send(engine, from: from, to: to, m)
    }

    func assertRefused(_ r: (Session, Decision), _ evidence: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.1, .reject, r.0.logLine, file: file, line: line)
        XCTAssertEqual(r.0.reply?.code, "550", file: file, line: line)
        XCTAssertTrue(r.0.reply?.text.contains("Do Not Forward") == true && r.0.reply?.text.contains("<p1@example.com>") == true,
                      "\(String(describing: r.0.reply))", file: file, line: line)
        XCTAssertTrue(r.0.logLine.contains("rights=dnf protected=<p1@example.com> template=do-not-forward evidence=\"\(evidence)"), r.0.logLine, file: file, line: line)
    }

    func testReferencesForwardIsRefusedAndReplyPasses() throws {
        _ = try protectOriginal()
        assertRefused(forward("FYI, see the thread.", to: ["eve@outside.org"], headers: "References: <x@y> <p1@example.com>\n"), "message-id")
        // An outsider added to a reply: refused too.
        assertRefused(forward("Adding Eve.", to: ["alice@example.com", "eve@outside.org"], headers: "In-Reply-To: <p1@example.com>\n"), "message-id")
        // Reply to the sender and the other recipient: passes.
        let ok = forward("Agreed.\n\n> " + protectedText, to: ["alice@example.com", "carol@example.com"], headers: "In-Reply-To: <p1@example.com>\n")
        XCTAssertEqual(ok.1, .accept, ok.0.logLine)
        // Unrelated mail to the outsider: passes.
        let other = forward("Lunch on Friday?", to: ["eve@outside.org"])
        XCTAssertEqual(other.1, .accept, other.0.logLine)
    }

    func testQuotedTextRewrappedAndEditedIsRefused() throws {
        _ = try protectOriginal()
        assertRefused(forward("Eve, keep this to yourself.\n\n" + quoted(protectedText, width: 38), to: ["eve@outside.org"]), "text 64/64")
        var edited = protectedText
        for (a, b) in [("forty two", "roughly forty"), ("fourteenth", "fifteenth"), ("finance", "controlling")] {
            edited = edited.replacingOccurrences(of: a, with: b)
        }
        let r = forward("Heads up:\n\n" + quoted(edited, width: 55, prefix: ">> "), to: ["eve@outside.org"])
        assertRefused(r, "text ")
    }

    func testAttachedMessagesAreRefused() throws {
        _ = try protectOriginal()
        let eml = Data(original.replacingOccurrences(of: "\n", with: "\r\n").utf8).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        let asEml = """
            --b1
            Content-Type: text/plain

            See attached.
            --b1
            Content-Type: application/octet-stream; name="northwind.eml"
            Content-Disposition: attachment; filename="northwind.eml"
            Content-Transfer-Encoding: base64

            \(eml)
            --b1--
            """
        assertRefused(forward(asEml, to: ["eve@outside.org"], headers: "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b1\n"), "message-id")
        // message/rfc822: its Message-ID (the strongest evidence) ...
        let rfc822 = """
            --b2
            Content-Type: text/plain

            Forwarded as an attachment.
            --b2
            Content-Type: message/rfc822

            \(original)
            --b2--
            """
        assertRefused(forward(rfc822, to: ["eve@outside.org"], headers: "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b2\n"), "message-id")
        // ... and, under another Message-ID, its text.
        let rfc822Text = rfc822.replacingOccurrences(of: "<p1@example.com>", with: "<copy@example.com>")
        assertRefused(forward(rfc822Text, to: ["eve@outside.org"], headers: "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b2\n"), "text 64/64")
        // The same attachment to the original sender passes.
        let ok = forward(asEml, to: ["alice@example.com"], headers: "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b1\n")
        XCTAssertEqual(ok.1, .accept, ok.0.logLine)
    }

    /// The protected message with its text rewritten beyond any fingerprint match:
    /// only its Message-ID ties it to the protected one.
    func rewritten(messageID: String) -> String {
        """
        From: Alice <alice@example.com>
        To: Bob <bob@example.com>, Carol <carol@example.com>
        Subject: Lunch plans
        Message-ID: \(messageID)
        Content-Type: text/plain; charset=utf-8

        Nothing of the original text is left here: this paragraph talks about the
        canteen, the new coffee machine on the third floor and the summer party that
        the social committee is planning for the last Friday of June.
        """
    }

    func testForwardedMessageIsRefusedByItsMessageIDAlone() throws {
        _ = try protectOriginal()
        let mixed = "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b3\n"
        func attached(_ type: String, _ inner: String) -> String {
            "--b3\nContent-Type: text/plain\n\nForwarded as an attachment.\n--b3\nContent-Type: \(type)\n\n\(inner)\n--b3--\n"
        }
        // message/rfc822 with the text fully rewritten: the inner Message-ID alone refuses it.
        assertRefused(forward(attached("message/rfc822", rewritten(messageID: "<p1@example.com>")), to: ["eve@outside.org"], headers: mixed), "message-id")
        // message/global (RFC 6532) likewise; the Message-ID folded onto a second line.
        assertRefused(forward(attached("message/global", rewritten(messageID: "\n <p1@example.com>")), to: ["eve@outside.org"], headers: mixed), "message-id")
        // A base64-encoded message/rfc822 (kept as a leaf, read like an .eml).
        let b64 = Data(rewritten(messageID: "<p1@example.com>").replacingOccurrences(of: "\n", with: "\r\n").utf8)
            .base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        assertRefused(forward(attached("message/rfc822\nContent-Transfer-Encoding: base64", b64), to: ["eve@outside.org"], headers: mixed), "message-id")
        // Control: the same forward with an unrelated inner Message-ID passes.
        let control = forward(attached("message/rfc822", rewritten(messageID: "<lunch-7@example.com>")), to: ["eve@outside.org"], headers: mixed)
        XCTAssertEqual(control.1, .accept, control.0.logLine)
        XCTAssertFalse(control.0.logLine.contains("rights=dnf"), control.0.logLine)
        // Nested: rfc822 inside multipart inside rfc822, the outer one unrelated.
        let wrapper = """
            From: Carol <carol@example.com>
            To: Bob <bob@example.com>
            Subject: Fwd: lunch
            Message-ID: <wrapper-1@example.com>
            MIME-Version: 1.0
            Content-Type: multipart/mixed; boundary=w1

            --w1
            Content-Type: text/plain

            Carol's note.
            --w1
            Content-Type: message/rfc822

            \(rewritten(messageID: "<p1@example.com>"))
            --w1--
            """
        assertRefused(forward(attached("message/rfc822", wrapper), to: ["eve@outside.org"], headers: mixed), "message-id")
        let nestedControl = forward(attached("message/rfc822", wrapper.replacingOccurrences(of: "<p1@example.com>", with: "<lunch-8@example.com>")),
                                    to: ["eve@outside.org"], headers: mixed)
        XCTAssertEqual(nestedControl.1, .accept, nestedControl.0.logLine)
        // To the original sender the nested forward passes.
        let ok = forward(attached("message/rfc822", wrapper), to: ["alice@example.com"], headers: mixed)
        XCTAssertEqual(ok.1, .accept, ok.0.logLine)
    }

    func testQuarantineTemplate() throws {
        let m = original.replacingOccurrences(of: "[secret]", with: "[confidential]").replacingOccurrences(of: "<p1@", with: "<c1@")
        XCTAssertEqual(send(engine, from: "alice@example.com", to: ["bob@example.com"], m).1, .accept)
        let r = forward("fyi", to: ["eve@outside.org"], headers: "References: <c1@example.com>\n")
        XCTAssertEqual(r.1, .accept)
        XCTAssertEqual(r.0.quarantineReason, "Do Not Forward: protected message <c1@example.com>")
        XCTAssertTrue(r.0.logLine.contains("rights=dnf protected=<c1@example.com> template=confidential"), r.0.logLine)
        let rec = try XCTUnwrap(try RightsRegistry(.sqlite(path: db)).show(messageID: "<c1@example.com>"))
        XCTAssertEqual(rec.expires.map { $0 - rec.created }, 7 * 86400)
    }

    func testSubjectTagOnlyFromAuthenticatedInsiders() throws {
        let tagged = """
            From: alice@example.com
            To: bob@example.com
            Subject: [dnf] Salary review
            Message-ID: <m1@example.com>

            The salary review figures for the whole department are in the table below, please check them.
            """
        // Unauthenticated: nothing happens, the subject stays as it came.
        let (s1, d1) = send(engine, from: "alice@example.com", to: ["bob@example.com"], tagged)
        XCTAssertEqual(d1, .accept)
        XCTAssertFalse(s1.headerEdits.contains { $0.name == "Subject" || $0.name == "X-Sealmilter-Rights" }, "\(s1.headerEdits)")
        XCTAssertNil(try RightsRegistry(.sqlite(path: db)).show(messageID: "<m1@example.com>"))
        // An outside sender, authenticated elsewhere: nothing either.
        let (s2, _) = send(engine, from: "mallory@outside.org", to: ["bob@example.com"], tagged.replacingOccurrences(of: "alice@example.com", with: "mallory@outside.org"), auth: "mallory")
        XCTAssertFalse(s2.headerEdits.contains { $0.name == "Subject" || $0.name == "X-Sealmilter-Rights" })
        // Authenticated insider: protected, the tag removed.
        let (s3, d3) = send(engine, from: "alice@example.com", to: ["bob@example.com"], tagged, auth: "alice")
        XCTAssertEqual(d3, .accept, s3.lastError)
        XCTAssertTrue(s3.headerEdits.contains { $0.name == "Subject" && $0.value == "Salary review" }, "\(s3.headerEdits)")
        XCTAssertTrue(s3.headerEdits.contains { $0.name == "X-Sealmilter-Rights" && $0.value == "do-not-forward" })
        XCTAssertNotNil(try RightsRegistry(.sqlite(path: db)).show(messageID: "<m1@example.com>"))
        // The header request (removed like every incoming X-Sealmilter-* field).
        let viaHeader = tagged.replacingOccurrences(of: "[dnf] ", with: "").replacingOccurrences(of: "<m1@", with: "<m2@")
            .replacingOccurrences(of: "Subject:", with: "X-Sealmilter-Protect: confidential\nSubject:")
        let (s4, _) = send(engine, from: "alice@example.com", to: ["bob@example.com"], viaHeader, auth: "alice")
        XCTAssertTrue(s4.headerEdits.contains { $0.name == "X-Sealmilter-Rights" && $0.value == "confidential" }, "\(s4.headerEdits)")
        XCTAssertTrue(s4.headerEdits.contains { $0.operation == .delete && $0.name == "X-Sealmilter-Protect" })
        // A forged rights label coming in is removed.
        let forged = tagged.replacingOccurrences(of: "[dnf] ", with: "").replacingOccurrences(of: "Subject:", with: "X-Sealmilter-Rights: do-not-forward\nSubject:")
        let (s5, _) = send(engine, from: "mallory@outside.org", to: ["bob@example.com"], forged)
        XCTAssertTrue(s5.headerEdits.contains { $0.operation == .delete && $0.name == "X-Sealmilter-Rights" })
        XCTAssertFalse(s5.headerEdits.contains { $0.operation == .add && $0.name == "X-Sealmilter-Rights" })
    }

    func testOutsideRecipientsFailClosedWithoutEnvelope() throws {
        let (s, d) = send(engine, from: "alice@example.com", to: ["bob@example.com", "eve@outside.org"], original)
        XCTAssertEqual(d, .tempfail)
        XCTAssertTrue(s.lastError.contains("envelope encryption unavailable"), s.lastError)
        XCTAssertTrue(s.headerEdits.isEmpty && !s.bodyReplaced)
    }

    func testRegistryErrorTempfailsOrFlags() throws {
        let broken = "{sqlite: /nonexistent-sealmilter-dir/rights.db}"
        let tf = Engine(policy: try Policy.parse(yaml: rightsPolicy(db: "", registry: broken), file: "p.yaml", registry: rightsRegistry))
        let fwd = "From: bob@example.com\nTo: eve@outside.org\nSubject: x\nReferences: <p1@example.com>\n\nfyi"
        let (s1, d1) = send(tf, from: "bob@example.com", to: ["eve@outside.org"], fwd)
        XCTAssertEqual(d1, .tempfail)
        XCTAssertEqual(s1.reply?.code, "451")
        XCTAssertTrue(s1.logLine.contains("rights=registry-error"), s1.logLine)
        // Protecting with the registry down tempfails too (nothing goes out unrecorded).
        let protectOnly = rightsPolicy(db: "", registry: broken)
            .replacingOccurrences(of: "  - name: dnf-gateway\n    when: {forwards_protected: true}\n    actions: [enforce_rights]", with: "")
        XCTAssertFalse(protectOnly.contains("enforce_rights"))
        let po = Engine(policy: try Policy.parse(yaml: protectOnly, file: "p.yaml", registry: rightsRegistry))
        let (s1b, d1b) = send(po, from: "alice@example.com", to: ["bob@example.com"], original)
        XCTAssertEqual(d1b, .tempfail)
        XCTAssertTrue(s1b.lastError.contains("rights registry: sqlite /nonexistent-sealmilter-dir/rights.db: cannot open"), s1b.lastError)
        XCTAssertTrue(s1b.headerEdits.isEmpty)

        let pf = Engine(policy: try Policy.parse(yaml: rightsPolicy(db: "", registry: broken, onError: "pass_flagged"), file: "p.yaml", registry: rightsRegistry))
        let (s2, d2) = send(pf, from: "bob@example.com", to: ["eve@outside.org"], fwd)
        XCTAssertEqual(d2, .accept)
        XCTAssertTrue(s2.headerEdits.contains { $0.name == "X-Sealmilter-Rights-Unchecked" }, "\(s2.headerEdits)")
        XCTAssertTrue(s2.logLine.contains("rights=registry-error"), s2.logLine)
    }
}
