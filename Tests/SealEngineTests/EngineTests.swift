import Testing
import Foundation
import SealEngine
import SealPolicy
import SealDetect

let flagOnly = "flag_unscannable: true\nrules: []\n"

let pkcs7Message = msg([
    "From: a@partner.example", "To: b@example.com", "Subject: secret",
    "MIME-Version: 1.0",
    "Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m",
    "Content-Transfer-Encoding: base64", "",
    "MIIBAAYJKoZIhvcNAQcDoIIB", "",
])

@Test func passThroughChangesNothing() throws {
    let (s, d, _) = try run(flagOnly, msg(["From: a@partner.example", "Subject: hi", "", "hello", ""]))
    #expect(d == .accept)
    #expect(s.headerEdits.isEmpty)
    #expect(!s.bodyReplaced)
    #expect(s.quarantineReason == nil)
    #expect(s.logLine.hasPrefix("action=accept rules=- unscannable=-"))
}

@Test func flagsUnscannableFromLabel() throws {
    let (s, d, _) = try run(flagOnly, pkcs7Message)
    #expect(d == .accept)
    #expect(s.headerEdits == [HeaderEdit(operation: .add, name: "X-Sealmilter-Unscannable", value: "smime-enveloped", index: 0)])
}

@Test func flaggingCanBeTurnedOff() throws {
    let (s, _, _) = try run("flag_unscannable: false\nrules: []\n", pkcs7Message)
    #expect(s.headerEdits.isEmpty)
    #expect(s.report?.unscannable == ["smime-enveloped"])  // still detected, just not flagged
}

@Test func forgedHeadersAreDeletedInAnyCaseAndFolding() throws {
    let m = msg([
        "From: a@partner.example",
        "X-Sealmilter-Unscannable: none",
        "Subject: x",
        "x-sealmilter-unscannable:",
        "  folded, over lines",
        "X-SEALMILTER-Other: y",
        "X-Sealmilterish: not ours",
        "", "body", "",
    ])
    let (s, _, _) = try run(flagOnly, m)
    let deletes = s.headerEdits.filter { $0.operation == .delete }
    // Both X-Sealmilter-Unscannable fields (index 1 and 2 of that name, case-insensitive),
    // highest index first so that the first deletion does not shift the second.
    #expect(deletes.contains(HeaderEdit(operation: .delete, name: "x-sealmilter-unscannable", value: nil, index: 2)))
    #expect(deletes.contains(HeaderEdit(operation: .delete, name: "X-Sealmilter-Unscannable", value: nil, index: 1)))
    #expect(deletes.contains(HeaderEdit(operation: .delete, name: "X-SEALMILTER-Other", value: nil, index: 1)))
    #expect(deletes.count == 3)
    let i2 = s.headerEdits.firstIndex(of: HeaderEdit(operation: .delete, name: "x-sealmilter-unscannable", value: nil, index: 2))!
    let i1 = s.headerEdits.firstIndex(of: HeaderEdit(operation: .delete, name: "X-Sealmilter-Unscannable", value: nil, index: 1))!
    #expect(i2 < i1)
}

@Test func forgedFlagCannotHideRealOne() throws {
    // A forged header plus real S/MIME content: the forged field is deleted and ours added.
    let (s, _) = try runMilter(flagOnly, headers: [
        ("X-Sealmilter-Unscannable", "none"),
        ("Content-Type", "application/pkcs7-mime; smime-type=enveloped-data"),
        ("Content-Transfer-Encoding", "base64"),
    ], body: "MIIBAAYJKoZIhvcNAQcDoIIB\r\n")
    #expect(s.headerEdits.first == HeaderEdit(operation: .delete, name: "X-Sealmilter-Unscannable", value: nil, index: 1))
    #expect(s.headerEdits.last == HeaderEdit(operation: .add, name: "X-Sealmilter-Unscannable", value: "smime-enveloped", index: 0))
}

@Test func rejectAtMailStageForSenderRule() throws {
    let policy = """
        rules:
          - name: block-sender
            when: {sender: ["spammer@bad.example"]}
            actions: [{reject: {code: 550, xcode: 5.7.1, text: "Go away"}}]
        """
    let engine = Engine(policy: try Policy.parse(yaml: policy))
    let s = Session(engine: engine)
    #expect(s.mailFrom("<spammer@bad.example>") == .reject)
    #expect(s.reply == SMTPReply(code: "550", extendedCode: "5.7.1", text: "Go away"))
    #expect(s.logLine.contains("action=reject rules=block-sender"))
    #expect(s.mailFrom("<friend@good.example>") == .continue)
    #expect(engine.needs.contains(.mail))
}

@Test func needsFollowPolicy() throws {
    let none = Engine(policy: try Policy.parse(yaml: "flag_unscannable: false\nrules: []\n"))
    #expect(none.needs == [.headers])
    #expect(none.modifications == [.changeHeaders])
    let flag = Engine(policy: try Policy.parse(yaml: "rules: []\n"))
    #expect(flag.needs == [.headers, .body])
    #expect(flag.modifications.contains(.addHeaders))
    let all = Engine(policy: try Policy.parse(yaml: "milter: {macros: all}\nrules: []\n"))
    #expect(all.needs == [.headers, .body, .clientMacros, .tlsMacros, .authMacros])
}

@Test func connectionFactsAreLoggedWhenPassed() throws {
    let engine = Engine(policy: try Policy.parse(yaml: flagOnly))
    let s = Session(engine: engine)
    _ = s.mailFrom("<a@x.example>")
    _ = s.rcpt("<b@example.com>")
    _ = s.header(name: "Subject", value: "hi")
    _ = s.endOfHeaders()
    _ = s.endOfMessage()
    #expect(s.logLine == "action=accept rules=- unscannable=-")
    s.macro(name: "{client_addr}", value: "192.0.2.7")
    s.macro(name: "{tls_version}", value: "TLSv1.3")
    s.macro(name: "cipher", value: "TLS_AES_256_GCM_SHA384")
    s.macro(name: "{auth_authen}", value: "al ice\"x")
    #expect(s.logLine == "action=accept rules=- unscannable=- client=192.0.2.7 tls=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 auth=al_ice_x")
}

@Test func headerRuleDecidesAtEndOfHeadersAndSkipsBody() throws {
    let policy = """
        flag_unscannable: false
        rules:
          - name: tempfail-test
            when: {subject: {contains: ["please defer"]}}
            actions: [{tempfail: "Try again later"}]
        """
    let engine = Engine(policy: try Policy.parse(yaml: policy))
    let s = Session(engine: engine)
    _ = s.mailFrom("<a@x.example>")
    _ = s.rcpt("<b@example.com>")
    #expect(s.header(name: "Subject", value: "Please DEFER this") == .continue)
    #expect(s.endOfHeaders() == .tempfail)
    #expect(s.reply?.code == "451")
    #expect(s.reply?.extendedCode.hasPrefix("4.") == true)
    #expect(!s.needsBody)
    // A message that does not match needs no body either: no rule needs it.
    _ = s.mailFrom("<a@x.example>")
    _ = s.header(name: "Subject", value: "hello")
    #expect(s.endOfHeaders() == .continue)
    #expect(!s.needsBody)
    #expect(s.endOfMessage() == .accept)
}

@Test func ruleOrderAndStopHoldAcrossStages() throws {
    // Rule 1 (header stage) stops evaluation; rule 2 (sender, MAIL stage) must not
    // run early at MAIL and reject a message that rule 1 would have stopped for.
    let policy = """
        rules:
          - name: vip
            when: {header: {name: X-VIP, contains: ["yes"]}}
            actions: [{add_header: {name: X-Note, value: vip}}]
            stop: true
          - name: block
            when: {sender: ["*@bad.example"]}
            actions: [{reject: "no"}]
        """
    let (s1, d1, _) = try run(policy, msg(["X-VIP: yes", "", "hi", ""]), from: "<x@bad.example>")
    #expect(d1 == .accept)
    #expect(s1.headerEdits.contains(HeaderEdit(operation: .add, name: "X-Note", value: "vip", index: 0)))
    let (_, d2, _) = try run(policy, msg(["X-VIP: no", "", "hi", ""]), from: "<x@bad.example>")
    #expect(d2 == .reject)
}

@Test func rejectRecipientAtRcptOnly() throws {
    let policy = """
        rules:
          - name: no-ceo
            when: {recipient: ["ceo@example.com"]}
            actions: [{reject_recipient: "No mail for this address"}]
        """
    let (s, d, rcpts) = try run(policy, msg(["Subject: x", "", "hi", ""]), to: ["<ceo@example.com>", "<staff@example.com>"])
    #expect(rcpts == [.reject, .continue])
    #expect(d == .accept)
    #expect(s.logLine.contains("no-ceo(ceo@example.com)"))
}

@Test func directionFromInternalDomains() throws {
    let policy = """
        internal_domains: [example.com]
        rules:
          - name: inbound-tag
            when: {direction: inbound}
            actions: [{add_header: {name: X-Dir, value: in}}]
          - name: outbound-tag
            when: {direction: outbound}
            actions: [{add_header: {name: X-Dir, value: out}}]
        """
    let (s1, _, _) = try run(policy, msg(["Subject: x", "", "b", ""]), from: "<a@partner.example>", to: ["<b@example.com>"])
    #expect(s1.headerEdits.map(\.value) == ["in"])
    let (s2, _, _) = try run(policy, msg(["Subject: x", "", "b", ""]), from: "<b@example.com>", to: ["<a@partner.example>"])
    #expect(s2.headerEdits.map(\.value) == ["out"])
    let (s3, _, _) = try run(policy, msg(["Subject: x", "", "b", ""]), from: "<b@example.com>", to: ["<c@example.com>"])
    #expect(s3.headerEdits.isEmpty)
}

@Test func bodyKeywordAcrossChunkEdgesAndEncodings() throws {
    let policy = """
        flag_unscannable: false
        rules:
          - name: kw
            when: {body: {contains: ["confidential project"], matches: ["acct-[0-9]{4}"]}}
            actions: [{quarantine: "keyword"}]
        """
    // Quoted-printable with a soft break in the middle of the keyword, fed 1 byte at a time.
    let m = msg(["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: quoted-printable", "",
                 "This is about the Confidential Pro=", "ject, see acct=2D12", ""])
    for chunk in [1, 3, 64] {
        let (s, d, _) = try run(policy, m, chunk: chunk)
        #expect(d == .accept)
        #expect(s.quarantineReason == "keyword")
    }
    let (s2, _, _) = try run(policy, msg(["Content-Type: text/plain", "", "nothing here", ""]))
    #expect(s2.quarantineReason == nil)
}

@Test func attachmentAndSizeConditions() throws {
    let policy = """
        flag_unscannable: false
        rules:
          - name: exe
            when: {attachment: {extension: [exe]}}
            actions: [{reject: "executables refused"}]
          - name: big
            when: {size: {over: 1K}}
            actions: [{add_header: {name: X-Big, value: "yes"}}]
        """
    let withExe = msg(["Content-Type: multipart/mixed; boundary=b", "", "--b", "Content-Type: text/plain", "", "hi",
                       "--b", "Content-Type: application/octet-stream", "Content-Disposition: attachment; filename=\"Setup.EXE\"",
                       "Content-Transfer-Encoding: base64", "", "TVqQAAMAAAAEAAAA", "--b--", ""])
    let (_, d, _) = try run(policy, withExe)
    #expect(d == .reject)
    let big = msg(["Subject: x", "", String(repeating: "a", count: 2000), ""])
    let (s2, d2, _) = try run(policy, big)
    #expect(d2 == .accept)
    #expect(s2.headerEdits.map(\.name) == ["X-Big"])
    let (s3, _, _) = try run(policy, msg(["Subject: x", "", "small", ""]))
    #expect(s3.headerEdits.isEmpty)
}

@Test func limitsExceededMarksMessageAndPolicyDecides() throws {
    let policy = """
        flag_unscannable: false
        limits: {max_depth: 3}
        rules:
          - name: too-deep
            when: {limits_exceeded: true}
            actions: [{tempfail: "Message too complex"}]
        """
    var lines = ["Content-Type: multipart/mixed; boundary=b0", ""]
    for i in 1..<10 { lines += ["--b\(i - 1)", "Content-Type: multipart/mixed; boundary=b\(i)", ""] }
    lines += ["--b9", "Content-Type: text/plain", "", "deep", "--b9--", ""]
    let (s, d, _) = try run(policy, msg(lines))
    #expect(d == .tempfail)
    #expect(s.report?.limits_exceeded == ["max-depth"])
    let (_, d2, _) = try run(policy, msg(["Subject: x", "", "flat", ""]))
    #expect(d2 == .accept)
}

@Test func discardDecision() throws {
    let policy = "rules:\n  - name: drop\n    when: {subject: {contains: [drop me]}}\n    actions: [{discard: true}]\n"
    let (_, d, _) = try run(policy, msg(["Subject: please drop me", "", "x", ""]))
    #expect(d == .discard)
}

@Test func earlyReplyOnlyWhenARuleCanRefuseBeforeTheEnd() throws {
    // Pass-through and body-stage refusals: nothing to answer before end of message.
    #expect(!Engine(policy: try Policy.parse(yaml: "rules: []\n")).needs.contains(.earlyReply))
    let bodyReject = "rules:\n  - name: b\n    when: {body: {contains: [x]}}\n    actions: [{reject: \"refused\"}]\n"
    #expect(!Engine(policy: try Policy.parse(yaml: bodyReject)).needs.contains(.earlyReply))
    let headerTag = "rules:\n  - name: h\n    when: {subject: {contains: [x]}}\n    actions: [{add_header: {name: X-A, value: b}}]\n"
    #expect(!Engine(policy: try Policy.parse(yaml: headerTag)).needs.contains(.earlyReply))
    // A header-stage or sender-stage refusal must be answered early.
    let headerReject = "rules:\n  - name: h\n    when: {subject: {contains: [x]}}\n    actions: [{tempfail: later}]\n"
    #expect(Engine(policy: try Policy.parse(yaml: headerReject)).needs.contains(.earlyReply))
    let senderDiscard = "rules:\n  - name: s\n    when: {sender: [a@b.example]}\n    actions: [{discard: true}]\n"
    #expect(Engine(policy: try Policy.parse(yaml: senderDiscard)).needs.contains(.earlyReply))
    // reject_recipient is answered at RCPT, not at end of headers.
    let rcpt = "rules:\n  - name: r\n    when: {recipient: [a@b.example]}\n    actions: [{reject_recipient: \"refused\"}]\n"
    #expect(!Engine(policy: try Policy.parse(yaml: rcpt)).needs.contains(.earlyReply))
}
