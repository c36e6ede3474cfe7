import Foundation
import SealCrypto
import SealEngine
import SealPolicy
import SealSubmit
import Testing

/// Per-recipient versions, submission, markers, notices and RCPT deferral.
@Suite(.serialized) struct VersionsTests {
    /// A private marker key file (mode 0600) for the policies below.
    static let keyPath: String = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sealmilter-versions-\(getpid())")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("marker.key").path
        let key = (try? SealCrypto.randomBytes(32)) ?? []
        FileManager.default.createFile(atPath: path, contents: Data(Base64.encode(key).utf8), attributes: [.posixPermissions: 0o600])
        return path
    }()

    static func policy(port: Int, deferral: Bool = false, extraRules: String = "") -> String {
        """
        internal_domains: [int.test]
        keys: {marker: \(keyPath)}
        submission: {method: smtp, host: 127.0.0.1, port: \(port), timeout: 5s, marker_key: marker,
                     notice_sender: postmaster@int.test, rcpt_deferral: \(deferral)}
        rules:
          - name: outside
            for_each_recipient: true
            when: {direction: outbound}
            actions:
              - add_header: {name: X-Outside, value: "for outside recipients"}
        \(extraRules)
        """
    }

    static let message = msg(["Received: from client (client [10.0.0.1]) by mx", "From: a@int.test", "To: b@int.test, x@ext.test",
                              "Subject: hello", "Message-ID: <m1@int.test>", "X-Sealmilter-Verdict: forged", "", "line one",
                              ".a line with a leading dot", "last", ""])

    /// The message through a session, the milter way.
    func run(_ engine: Engine, _ message: String = message, from: String = "a@int.test",
             to: [String] = ["b@int.test", "x@ext.test", "y@ext.test"], dryRun: Bool = false,
             client: String = "127.0.0.1") -> (Session, Decision, [Decision]) {
        let s = Session(engine: engine, dryRun: dryRun)
        _ = s.connect(hostname: "client", address: client)
        _ = s.mailFrom("<\(from)>")
        let rd = to.map { s.rcpt("<\($0)>") }
        let text = message.replacingOccurrences(of: "\r\n", with: "\n")
        let parts = text.components(separatedBy: "\n\n")
        var fields: [(String, String)] = []
        for line in parts[0].split(separator: "\n") {
            if line.first == "\t" || line.first == " " { fields[fields.count - 1].1 += "\n" + line; continue }
            let colon = line.firstIndex(of: ":")!
            fields.append((String(line[..<colon]), String(line[line.index(after: colon)...].drop { $0 == " " })))
        }
        for (n, v) in fields { _ = s.header(name: n, value: v) }
        var d = s.endOfHeaders()
        let body = Array(parts.dropFirst().joined(separator: "\n\n").replacingOccurrences(of: "\n", with: "\r\n").utf8)
        if d == .continue && s.needsBody { d = body.withUnsafeBytes { s.body($0) } }
        if d == .continue { d = s.endOfMessage() }
        return (s, d, rd)
    }

    // MARK: Crypto and encoding

    @Test func hmacKnownAnswer() throws {
        // RFC 4231, test case 2.
        let mac = try SealCrypto.hmacSHA256(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        #expect(mac.map { String(format: "%02x", $0) }.joined() == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(SealCrypto.constantTimeEqual(mac, mac))
        #expect(!SealCrypto.constantTimeEqual(mac, Array(mac.dropLast()) + [mac.last! ^ 1]))
        let r1 = try SealCrypto.randomBytes(32), r2 = try SealCrypto.randomBytes(32)
        #expect(r1 != r2 && r1.count == 32)
        for n in 0..<10 { let b = Array(r1.prefix(n)); #expect(Base64.decode(Base64.encode(b)) == b) }
        #expect(Base64.decode("a=bc") == nil && Base64.decode("abc") == nil)
    }

    @Test func dataEncoderStuffsDotsAcrossChunks() {
        var e = DataEncoder()
        var out: [UInt8] = []
        for chunk in ["a\n.", "b\r", "\n..c\nlast"] { e.encode(Array(chunk.utf8), into: &out) }
        e.finish(into: &out)
        #expect(String(decoding: out, as: UTF8.self) == "a\r\n..b\r\n...c\r\nlast\r\n.\r\n")
        // A header section without its last line end, then a body that starts with a dot.
        var h = DataEncoder()
        var o: [UInt8] = []
        h.encode(Array("A: b".utf8), into: &o); h.endHeader(into: &o); h.encode(Array(".x\n".utf8), into: &o); h.finish(into: &o)
        #expect(String(decoding: o, as: UTF8.self) == "A: b\r\n\r\n..x\r\n.\r\n")
        #expect(SMTPSubmitter.queueID(in: "250 2.0.0 Ok: queued as 4Xa9Bc1Z2") == "4Xa9Bc1Z2")
        #expect(SMTPSubmitter.queueID(in: "250 ok") == "")
    }

    // MARK: Markers

    @Test func markerVerifiesOnlyForItsMessage() throws {
        let key = Array("0123456789abcdef0123".utf8)
        let v = try SubmissionMarker.value(key: key, messageID: "<m@x>", sender: "a@int.test", recipients: ["x@ext.test", "Y@ext.test"], time: 1000)
        func ok(_ value: String = v, key k: [UInt8] = key, id: String = " <m@x>", sender: String = "a@int.test",
                rcpts: [String] = ["y@ext.test", "x@ext.test"], now: Int64 = 1100) -> Bool {
            SubmissionMarker.verify(value, key: k, messageID: id, sender: sender, recipients: rcpts, now: now, maxAge: 600)
        }
        #expect(ok())                                          // recipients in any order and case
        #expect(!ok(key: Array("another key, 16+ bytes".utf8)))
        #expect(!ok(id: "<other@x>"))
        #expect(!ok(sender: "mallory@ext.test"))
        #expect(!ok(rcpts: ["x@ext.test"]))
        #expect(!ok(rcpts: ["x@ext.test", "y@ext.test", "z@ext.test"]))
        #expect(!ok(now: 1601))                                // stale
        #expect(!ok(now: 900))                                 // from the future
        #expect(!ok(v.replacingOccurrences(of: "t=1000", with: "t=1001")))
        var tampered = Array(v.utf8); tampered[tampered.count - 3] ^= 1
        #expect(!ok(String(decoding: tampered, as: UTF8.self)))
        #expect(!ok("v=1; t=1000; h=AAAA"))
        #expect(!ok(v + "; v=1"))
    }

    // MARK: Versions

    @Test func groupsInDryRun() throws {
        let engine = Engine(policy: try Policy.parse(yaml: Self.policy(port: 9)))
        let (s, d, _) = run(engine, dryRun: true)
        #expect(d == .accept)
        #expect(s.versions.map(\.recipients) == [["b@int.test"], ["x@ext.test", "y@ext.test"]])
        #expect(s.versions[0].keepsTransaction && !s.versions[1].keepsTransaction)
        #expect(s.versions[1].headerChanges.contains("add X-Outside: for outside recipients"))
        #expect(!s.headerEdits.contains { $0.name == "X-Outside" })
        #expect(s.recipientEdits.isEmpty)                      // nothing submitted, nothing removed
        #expect(s.report!.text.contains("x@ext.test, y@ext.test [would be submitted]; rules: outside"))
        #expect(engine.modifications.contains(.deleteRecipients))
    }

    @Test func firstRecipientOutsideKeepsTheTransaction() throws {
        let engine = Engine(policy: try Policy.parse(yaml: Self.policy(port: 9)))
        let (s, _, _) = run(engine, to: ["x@ext.test", "b@int.test", "y@ext.test"], dryRun: true)
        #expect(s.versions.map(\.recipients) == [["x@ext.test", "y@ext.test"], ["b@int.test"]])
        #expect(s.headerEdits.contains { $0.name == "X-Outside" })
    }

    @Test func oneGroupNeedsNoSubmission() throws {
        let engine = Engine(policy: try Policy.parse(yaml: Self.policy(port: 9)))   // nothing listens on 9
        let (s, d, _) = run(engine, to: ["x@ext.test", "y@ext.test"])
        #expect(d == .accept)
        #expect(s.headerEdits.contains { $0.name == "X-Outside" })
        #expect(s.recipientEdits.isEmpty && s.versions.count == 1)
    }

    @Test func submitsOtherVersionsAndRemovesTheirRecipients() throws {
        let server = try FakeSMTPServer()
        defer { server.stop() }
        let engine = Engine(policy: try Policy.parse(yaml: Self.policy(port: server.port)))
        let (s, d, _) = run(engine)
        #expect(d == .accept, "\(s.lastError)")
        #expect(s.recipientEdits == [RecipientEdit(operation: .delete, address: "x@ext.test"),
                                     RecipientEdit(operation: .delete, address: "y@ext.test")])
        #expect(s.logLine.contains("versions=2 resubmitted=FAKE1"))
        let t = try #require(server.transactions.first)
        #expect(server.transactions.count == 1)
        #expect(t.sender == "a@int.test" && t.recipients == ["x@ext.test", "y@ext.test"])
        let text = String(decoding: t.data, as: UTF8.self)
        #expect(text.hasPrefix("X-Sealmilter-Submitted: v=1; t="))
        // The hop the original came by, then its fields as received.
        #expect(text.contains("\r\nReceived: from client (client [127.0.0.1])\r\n\tby "))
        #expect(text.contains(" (Sealmilter, version for other recipients);\r\n\t"))
        #expect(text.contains("\r\nReceived: from client (client [10.0.0.1]) by mx\r\nFrom: a@int.test\r\n"))
        #expect(text.contains("\r\nX-Outside: for outside recipients\r\n"))
        #expect(!text.contains("X-Sealmilter-Verdict"))        // forged field removed in every version
        #expect(text.hasSuffix("\r\n\r\nline one\r\n..a line with a leading dot\r\nlast\r\n"))
        // The transaction's own version: no X-Outside, forged field removed.
        #expect(!s.headerEdits.contains { $0.name == "X-Outside" })
        #expect(s.headerEdits.contains { $0.operation == .delete && $0.name == "X-Sealmilter-Verdict" })

        // The submitted version comes back through the MTA: its marker verifies for
        // these recipients, it is passed untouched (no rule runs) and the marker removed.
        let back = unstuffed(text)
        let (s2, d2, _) = run(engine, back, to: ["x@ext.test", "y@ext.test"])
        #expect(d2 == .accept && s2.markerVerified)
        #expect(s2.headerEdits == [HeaderEdit(operation: .delete, name: "X-Sealmilter-Submitted", value: nil, index: 1)])
        #expect(s2.logLine.hasPrefix("action=accept marker=verified rules=- "))
        #expect(server.transactions.count == 1)
        // Copied into a message to other recipients: no pass, removed as forged, rules run.
        let (s3, _, _) = run(engine, back, to: ["b@int.test", "z@ext.test"])
        #expect(!s3.markerVerified)
        #expect(s3.headerEdits.contains { $0.operation == .delete && $0.name == "X-Sealmilter-Submitted" })
        #expect(s3.recipientEdits == [RecipientEdit(operation: .delete, address: "z@ext.test")])
        // The same message, for the same recipients, from a client that is not local: no pass.
        let (s4, _, _) = run(engine, back, to: ["x@ext.test", "y@ext.test"], client: "192.0.2.7")
        #expect(!s4.markerVerified && s4.headerEdits.contains { $0.operation == .delete && $0.name == "X-Sealmilter-Submitted" })
    }

    /// Body changes per version: a message-level header reaches every version; the
    /// attachment is removed for the outside recipients' version only, through the
    /// body pipeline over the original body, while the transaction keeps its body.
    @Test func bodyTransformsPerVersion() throws {
        let server = try FakeSMTPServer()
        defer { server.stop() }
        let rules = """
          - name: strip-for-outside
            for_each_recipient: true
            when: {direction: outbound, attachment: {extension: [exe]}}
            actions:
              - remove_attachments: true
          - name: everyone
            when: {subject: {contains: [hello]}}
            actions:
              - add_header: {name: X-Everyone, value: "yes"}
        """
        let engine = Engine(policy: try Policy.parse(yaml: Self.policy(port: server.port, extraRules: rules)))
        let message = msg(["From: a@int.test", "Subject: hello", "Message-ID: <m2@int.test>", "MIME-Version: 1.0",
                           "Content-Type: multipart/mixed; boundary=\"B\"", "", "--B", "Content-Type: text/plain", "",
                           "keep me", "--B", "Content-Type: application/octet-stream; name=\"a.exe\"",
                           "Content-Disposition: attachment; filename=\"a.exe\"", "Content-Transfer-Encoding: base64", "",
                           "TVqQAAMAAAAEAAAA", "--B--", ""])
        let (s, d, _) = run(engine, message)
        #expect(d == .accept, "\(s.lastError)")
        #expect(!s.bodyReplaced)                                 // bob's version keeps the attachment
        #expect(s.headerEdits.contains { $0.name == "X-Everyone" })
        let t = try #require(server.transactions.first)
        let text = String(decoding: t.data, as: UTF8.self)
        #expect(t.recipients == ["x@ext.test", "y@ext.test"])
        #expect(text.contains("\r\nX-Everyone: yes\r\n") && text.contains("\r\nX-Outside: for outside recipients\r\n"))
        #expect(text.contains("keep me") && !text.contains("TVqQAAMAAAAEAAAA") && !text.contains("filename=\"a.exe\"\r\nContent-Transfer"))
        #expect(s.versions[1].bodyReplaced && s.versions[1].rules == ["outside", "strip-for-outside"])
    }

    /// An opener's fields for the top: the version the engine submits records the hop
    /// in a Received field of its own and puts them right below it, where the MTA puts
    /// them in the transaction's version (below its own Received).
    @Test func insertedFieldsSitBelowTheRecordedHop() throws {
        let server = try FakeSMTPServer()
        defer { server.stop() }
        let engine = Engine(policy: try Policy.parse(yaml: Self.policy(port: server.port), file: "t.yaml", registry: OpenerTests.registry))
        let (s, d, _) = run(engine, OpenerTests.wrapped(deliver: false))
        #expect(d == .accept, "\(s.lastError)")
        #expect(s.headerEdits.suffix(2).map(\.operation) == [.insert, .insert] && s.headerEdits.last?.index == HeaderEdit.topIndex + 1)
        let t = try #require(server.transactions.first)
        let text = String(decoding: t.data, as: UTF8.self)
        let hop = try #require(text.range(of: " (Sealmilter, version for other recipients);"))
        let first = try #require(text.range(of: "\r\nX-Test-Trace: first\r\nX-Test-Trace: second\r\nFrom: a@partner.example\r\n"))
        #expect(hop.upperBound < first.lowerBound)
        #expect(text.hasPrefix("X-Sealmilter-Submitted: "))
        // Nothing between the recorded Received and the inserted fields.
        #expect(!text[hop.upperBound..<first.lowerBound].contains("\r\n") || text[hop.upperBound..<first.lowerBound].split(separator: "\r\n").allSatisfy { $0.first == "\t" })
        #expect(s.versions.count == 2 && s.versions[1].headerChanges.contains("insert at top X-Test-Trace: first"))
    }

    func unstuffed(_ data: String) -> String {
        data.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("..") ? String($0.dropFirst()) : String($0) }.joined(separator: "\n")
    }

    @Test(arguments: [nil, "MAIL", "RCPT", "DATA", "."])
    func anyFailureTempfailsTheWholeMessage(refuse: String?) throws {
        // nil: nothing listens at all (port 9, as in the other tests: a port freed by
        // a stopped server could be taken by another test's server running in parallel).
        let server = try refuse.map { try FakeSMTPServer(refuse: $0) }
        defer { server?.stop() }
        let engine = Engine(policy: try Policy.parse(yaml: Self.policy(port: server?.port ?? 9)))
        let (s, d, _) = run(engine)
        #expect(d == .tempfail)
        #expect(s.reply == SMTPReply(code: "451", extendedCode: "4.3.0", text: "Message could not be processed, try again later"))
        #expect(s.recipientEdits.isEmpty && s.headerEdits.isEmpty)
        #expect(s.logLine.contains("error=\"version for 2 recipient(s) not submitted: submission"), "\(s.logLine)")
        #expect(server?.transactions.isEmpty ?? true)
    }

    @Test func unreadableMarkerKeyFailsClosed() throws {
        let yaml = Self.policy(port: 9).replacingOccurrences(of: Self.keyPath, with: "/nonexistent/marker.key")
        let engine = Engine(policy: try Policy.parse(yaml: yaml))
        #expect(engine.markerKeyProblem?.contains("/nonexistent/marker.key: cannot be read") == true)
        let (s, d, _) = run(engine)
        #expect(d == .tempfail && s.recipientEdits.isEmpty)
    }

    // MARK: Notices

    @Test func noticeIsSubmittedOnceWithMarkerAndNullSender() throws {
        let server = try FakeSMTPServer()
        defer { server.stop() }
        let rules = """
          - name: tell-sender
            when: {subject: {contains: [hello]}}
            actions:
              - notify: {to: sender, subject: "Delivered: {subject}", text: "Rule {rule} sent your message to {recipients}."}
          - name: inbound
            when: {direction: inbound}
            actions:
              - add_header: {name: X-Inbound, value: checked}
        """
        let engine = Engine(policy: try Policy.parse(yaml: Self.policy(port: server.port, extraRules: rules)))
        let (s, d, _) = run(engine)
        #expect(d == .accept, "\(s.lastError)")
        #expect(server.transactions.count == 2)                // the outside version and one notice
        let n = try #require(server.transactions.first { $0.recipients == ["a@int.test"] })
        #expect(n.sender == "")
        let text = String(decoding: n.data, as: UTF8.self)
        #expect(text.hasPrefix("X-Sealmilter-Submitted: v=1;"))
        #expect(text.contains("\r\nAuto-Submitted: auto-generated\r\n") && text.contains("\r\nSubject: Delivered: hello\r\n"))
        #expect(text.contains("Rule tell-sender sent your message to b@int.test, x@ext.test, y@ext.test."))
        #expect(s.logLine.contains(" notices=FAKE"))
        // The notice comes back: its marker verifies, no rule runs on it.
        let (s2, _, _) = run(engine, unstuffed(text), from: "", to: ["a@int.test"])
        #expect(s2.markerVerified && s2.outcome!.matchedRules.isEmpty)
    }

    // MARK: RCPT deferral

    @Test func rcptDeferralAnswers452ForOtherGroups() throws {
        let engine = Engine(policy: try Policy.parse(yaml: Self.policy(port: 9, deferral: true)))
        let (s, d, rd) = run(engine, to: ["b@int.test", "x@ext.test", "c@int.test", "y@ext.test"])
        #expect(rd == [.continue, .tempfail, .continue, .tempfail])
        #expect(d == .accept && s.recipientEdits.isEmpty && s.versions.count == 1)
        #expect(s.logLine.contains("deferred=2"))
        // The second transaction, with the deferred ones: all accepted.
        let (s2, _, rd2) = run(engine, to: ["x@ext.test", "y@ext.test"])
        #expect(rd2 == [.continue, .continue] && s2.headerEdits.contains { $0.name == "X-Outside" })
    }

    @Test func deferralReply() throws {
        let engine = Engine(policy: try Policy.parse(yaml: Self.policy(port: 9, deferral: true)))
        let s = Session(engine: engine)
        _ = s.mailFrom("<a@int.test>")
        #expect(s.rcpt("<x@ext.test>") == .continue)
        #expect(s.rcpt("<b@int.test>") == .tempfail)
        #expect(s.reply?.code == "452" && s.reply?.extendedCode == "4.5.3")
    }

    // MARK: Policy checks

    @Test func policyErrors() {
        func errors(_ yaml: String) -> String { Policy.diagnose(yaml: yaml).map(\.description).joined(separator: "\n") }
        let noSubmission = "rules:\n  - name: r\n    for_each_recipient: true\n    when: {direction: outbound}\n    actions: [{add_header: {name: X-A, value: b}}]\n"
        #expect(errors(noSubmission).contains("rule 'r': for_each_recipient needs the 'submission:' section"))
        let withReject = Self.policy(port: 9).replacingOccurrences(of: "      - add_header: {name: X-Outside, value: \"for outside recipients\"}", with: "      - reject: blocked by policy")
        #expect(errors(withReject).contains("'reject' cannot be used with for_each_recipient"))
        let badKey = Self.policy(port: 9).replacingOccurrences(of: "marker_key: marker", with: "marker_key: nope")
        #expect(errors(badKey).contains("submission.marker_key: 'nope' is not a key of the 'keys:' section"))
        #expect(errors(Self.policy(port: 9).replacingOccurrences(of: "method: smtp", with: "method: lmtp")).contains("expected smtp or sendmail"))
        #expect(errors(Self.policy(port: 9)) == "")
    }
}

/// The sendmail interface, with a stand-in program that records its arguments and
/// input and exits with a chosen status.
@Suite(.serialized) struct SendmailSubmitterTests {
    func fake(exit status: Int) throws -> (path: String, dir: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sealmilter-sendmail-\(getpid())-\(status)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/sendmail"
        let script = "#!/bin/sh\nprintf '%s\\n' \"$@\" > '\(dir)/args'\ncat > '\(dir)/data'\nexit \(status)\n"
        FileManager.default.createFile(atPath: path, contents: Data(script.utf8), attributes: [.posixPermissions: 0o700])
        return (path, dir)
    }

    @Test func passesEnvelopeAndLFMessage() throws {
        let (path, dir) = try fake(exit: 0)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var chunks = [Array("line one\r\n.dot".utf8), Array(" line\r\nlast".utf8)]
        let id = try SendmailSubmitter(path: path).submit(sender: "a@int.test", recipients: ["x@ext.test", "y@ext.test"],
                                                         header: Array("Subject: s\r\nX-A: b\r\n".utf8),
                                                         body: { chunks.isEmpty ? nil : chunks.removeFirst() })
        #expect(id == "")
        #expect(try String(contentsOfFile: dir + "/args", encoding: .utf8) == "-G\n-i\n-f\na@int.test\n--\nx@ext.test\ny@ext.test\n")
        #expect(try String(contentsOfFile: dir + "/data", encoding: .utf8) == "Subject: s\nX-A: b\n\nline one\n.dot line\nlast\n")
    }

    @Test func failureIsAnError() throws {
        let (path, dir) = try fake(exit: 75)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(throws: SubmitError.refused("\(path) exited with status 75")) {
            try SendmailSubmitter(path: path).submit(sender: "", recipients: ["x@ext.test"], header: [], body: { nil })
        }
        #expect(throws: SubmitError.unavailable("/nonexistent/sendmail: No such file or directory")) {
            try SendmailSubmitter(path: "/nonexistent/sendmail").submit(sender: "", recipients: ["x@ext.test"], header: [], body: { nil })
        }
        #expect(throws: SubmitError.refused("recipient address starts with '-'")) {
            try SendmailSubmitter(path: path).submit(sender: "", recipients: ["-oQ/tmp"], header: [], body: { nil })
        }
    }

    @Test func versionsThroughSendmail() throws {
        let (path, dir) = try fake(exit: 0)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let yaml = VersionsTests.policy(port: 9).replacingOccurrences(of: "method: smtp", with: "method: sendmail, sendmail: \(path)")
        let engine = Engine(policy: try Policy.parse(yaml: yaml))
        let (s, d, _) = VersionsTests().run(engine)
        #expect(d == .accept && s.logLine.contains("versions=2 resubmitted=sent submit_ms="), "\(s.logLine)")
        #expect(s.recipientEdits.count == 2)
        let data = try String(contentsOfFile: dir + "/data", encoding: .utf8)
        #expect(data.hasPrefix("X-Sealmilter-Submitted: v=1;") && data.contains("\nX-Outside: for outside recipients\n"))
        #expect(data.hasSuffix("\n\nline one\n.a line with a leading dot\nlast\n"))
    }
}
