import SealDetect
import Testing
@testable import SealPolicy
@testable import SealEngine

let fullPolicy = """
    internal_domains: [example.com, "*.example.org"]
    flag_unscannable: false
    limits: {max_depth: 8, max_header_bytes: 32K, max_headers: 200, max_parts: 50, max_inspect_bytes: 2M}
    spool: {memory_limit: 512K, directory: /var/spool/sealmilter}
    milter: {socket: "inet:8891@127.0.0.1", metrics_listen: "127.0.0.1:9125", macros: all}
    rules:
      - name: strip-encrypted-zips
        when:
          direction: inbound
          sender: ["*@partner.example", "example.net"]
          recipient: ["ceo@example.com"]
          header: {name: X-Priority, contains: ["1"], matches: ["^1"]}
          subject: {contains: [invoice], matches: ["(?i)urgent.*payment"]}
          body: {contains: [wire transfer]}
          attachment: {name: ["*.exe", "invoice*.pdf"], extension: [js, .VBS], type: ["application/x-msdownload"]}
          size: {over: 10M, under: 50M}
          unscannable: [zip-encrypted, pdf_encrypted]
          limits-exceeded: false
        unless:
          sender: [boss@partner.example]
          unscannable: any
        actions:
          - add_header: {name: X-Note, value: "text"}
          - remove_attachments: true
          - quarantine: "reason"
        stop: true
      - name: refuse
        when: {direction: [outbound, internal]}
        actions:
          - reject: {code: 554, xcode: 5.7.0, text: "Go away"}
      - name: defer
        actions:
          - remove-attachments: {unscannable: [smime-enveloped], name: ["*.iso"], extension: [img], type: ["application/*"]}
          - tempfail: "Try later"
      - name: defaults
        actions: [reject]
      - name: per-recipient
        when: {recipient: [noreply@example.com]}
        actions:
          - reject_recipient: "No mail for this recipient"
      - name: drop
        when: {limits_exceeded: true}
        actions:
          - add-header: {name: X-Other, value: ""}
          - discard: true
      - name: defaults-2
        actions:
          - tempfail: true
      - name: defaults-3
        when: {sender: ["<>"]}
        actions:
          - reject_recipient
      - name: hold
        when: {header: [{name: X-A, contains: [a]}, {name: X-B, matches: [b]}]}
        actions: [quarantine]
    """

@Suite struct RoundTrip {
    @Test func globalSettings() throws {
        let p = try Policy.parse(yaml: fullPolicy, file: "full.yaml")
        #expect(p.source == "full.yaml")
        #expect(p.internalDomains == [DomainPattern("example.com"), DomainPattern("*.example.org")])
        #expect(p.flagUnscannable == false)
        #expect(p.limits.maxDepth == 8)
        #expect(p.limits.maxHeaderBytes == 32 * 1024)
        #expect(p.limits.maxHeaders == 200)
        #expect(p.limits.maxParts == 50)
        #expect(p.limits.maxInspectBytes == 2 * 1024 * 1024)
        #expect(p.spool.memoryLimit == 512 * 1024)
        #expect(p.spool.directory == "/var/spool/sealmilter")
        #expect(p.milter.socket == "inet:8891@127.0.0.1")
        #expect(p.milter.metricsListen == "127.0.0.1:9125")
        #expect(p.milter.macros == .all)
        #expect(p.rules.map(\.name) == ["strip-encrypted-zips", "refuse", "defer", "defaults", "per-recipient",
                                        "drop", "defaults-2", "defaults-3", "hold"])
        #expect(p.rules.map(\.line) == [7, 27, 31, 35, 37, 41, 46, 49, 53])
    }

    @Test func defaultsWhenAbsent() throws {
        let p = try Policy.parse(yaml: "# nothing but a comment\n")
        #expect(p.internalDomains.isEmpty)
        #expect(p.flagUnscannable == true)
        #expect(p.limits == Limits())
        #expect(p.spool == SpoolSettings())
        #expect(p.milter == MilterSettings())
        #expect(p.rules.isEmpty)
        let q = try Policy.parse(yaml: "limits:\nspool:\nrules:\n")
        #expect(q.limits == Limits() && q.rules.isEmpty)
    }

    @Test func conditionsOfTheFirstRule() throws {
        let r = try Policy.parse(yaml: fullPolicy).rules[0]
        #expect(r.stop == true)
        #expect(r.conditions.map(\.key) == ["direction", "sender", "recipient", "header", "subject", "body",
                                            "attachment", "size", "unscannable", "limits_exceeded"])
        for c in r.conditions {
            switch c {
            case let c as DirectionCondition: #expect(c.directions == [.inbound])
            case let c as SenderCondition: #expect(c.patterns == [AddressPattern("*@partner.example"), AddressPattern("example.net")])
            case let c as RecipientCondition: #expect(c.patterns == [AddressPattern("ceo@example.com")])
            case let c as HeaderCondition:
                let m = c.matcher!
                #expect(c.name == "X-Priority")
                #expect(m.keywords == ["1"] && m.patterns == ["^1"])
                #expect(m.matches("1 (Highest)") && !m.matches("3"))
            case let c as SubjectCondition:
                #expect(c.matcher.keywords == ["invoice"] && c.matcher.patterns == ["(?i)urgent.*payment"])
                #expect(c.matcher.matches("URGENT: your Payment"))
            case let c as BodyCondition: #expect(c.matcher.keywords == ["wire transfer"] && c.matcher.patterns.isEmpty)
            case let c as AttachmentCondition:
                #expect(c.matcher.names == ["*.exe", "invoice*.pdf"])
                #expect(c.matcher.extensions == ["js", "vbs"])
                #expect(c.matcher.mediaTypes == ["application/x-msdownload"])
            case let c as SizeCondition:
                #expect(c.min == 10 * 1024 * 1024 + 1)
                #expect(c.max == 50 * 1024 * 1024 - 1)
            case let c as UnscannableCondition: #expect(c.kinds == UnscannableSet(kinds: [.zipEncrypted, .pdfEncrypted]))
            case let c as LimitsExceededCondition: #expect(c.value == false)
            default: Issue.record("unexpected condition \(c.key)")
            }
        }
        #expect(r.exceptions.count == 2)
        if let u = r.exceptions[1] as? UnscannableCondition {
            #expect(u.kinds.kinds == UnscannableKind.allCases)
        } else { Issue.record("second exception is not unscannable") }
        #expect(r.actions.map(\.key) == ["add_header", "remove_attachments", "quarantine"])
        let h = r.actions[0] as? AddHeaderAction
        #expect(h?.name == "X-Note" && h?.value == "text")
        let ra = r.actions[1] as? RemoveAttachmentsAction
        #expect(ra != nil && ra?.selector == nil)
        #expect((r.actions[2] as? QuarantineAction)?.reason == "reason")
    }

    @Test func actionsAndReplies() throws {
        let rules = try Policy.parse(yaml: fullPolicy).rules
        func only(_ i: Int) -> any Action { rules[i].actions[0] }
        guard let r1 = (only(1) as? RejectAction)?.reply else { Issue.record("rule 1"); return }
        #expect(r1 == SMTPReply(code: "554", extendedCode: "5.7.0", text: "Go away"))
        // A rule's actions apply in list order; the tempfail that ends the message comes last.
        guard let t = (rules[2].actions[1] as? TempfailAction)?.reply else { Issue.record("rule 2"); return }
        #expect(t == SMTPReply(code: "451", extendedCode: "4.7.1", text: "Try later"))
        guard let sel = (rules[2].actions[0] as? RemoveAttachmentsAction)?.selector else { Issue.record("selector"); return }
        #expect(sel.unscannable == UnscannableSet(.smimeEnveloped))
        #expect(sel.attachment?.names == ["*.iso"])
        #expect(sel.attachment?.extensions == ["img"])
        #expect(sel.attachment?.mediaTypes == ["application/*"])
        guard let r3 = (only(3) as? RejectAction)?.reply else { Issue.record("rule 3"); return }
        #expect(r3.code == "550" && r3.extendedCode == "5.7.1" && !r3.text.isEmpty)
        guard let rr = (only(4) as? RejectRecipientAction)?.reply else { Issue.record("rule 4"); return }
        #expect(rr == SMTPReply(code: "550", extendedCode: "5.7.1", text: "No mail for this recipient"))
        guard rules[5].actions[1] is DiscardAction else { Issue.record("rule 5"); return }
        guard let h5 = rules[5].actions[0] as? AddHeaderAction else { Issue.record("rule 5 header"); return }
        #expect(h5.name == "X-Other" && h5.value == "")
        guard let t2 = (only(6) as? TempfailAction)?.reply else { Issue.record("rule 6"); return }
        #expect(t2.code == "451" && t2.extendedCode == "4.7.1")
        guard let rr2 = (only(7) as? RejectRecipientAction)?.reply else { Issue.record("rule 7"); return }
        #expect(rr2.code == "550")
        guard let q = (only(8) as? QuarantineAction)?.reason else { Issue.record("rule 8"); return }
        #expect(q.contains("hold"))
        #expect(rules[8].conditions.count == 2)
    }

    @Test func stages() throws {
        let rules = try Policy.parse(yaml: fullPolicy).rules
        #expect(rules.map(\.stage) == [.body, .rcpt, .mail, .mail, .rcpt, .body, .mail, .rcpt, .headers])
        #expect(try Policy.parse(yaml: fullPolicy).stages == [.mail, .rcpt, .headers, .body])
    }

    @Test func loadFromDisk() throws {
        let path = "/tmp/sealpolicy-test-\(getpid()).yaml"
        try fullPolicy.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let p = try Policy.load(path: path)
        #expect(p.source == path && p.rules.count == 9)
        try "rules: [".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: PolicyError.self) { try Policy.load(path: path) }
        #expect(Policy.diagnose(path: path).first?.file == path)
    }

    @Test func sizeSyntax() {
        #expect(ByteSize.parse("0") == 0)
        #expect(ByteSize.parse("512") == 512)
        #expect(ByteSize.parse("10K") == 10_240)
        #expect(ByteSize.parse("10k") == 10_240)
        #expect(ByteSize.parse("5M") == 5 * 1_048_576)
        #expect(ByteSize.parse("1G") == 1_073_741_824)
        for bad in ["", "K", "1.5M", "-1", "10KB", "1T", "0x10", "99999999999G"] {
            #expect(ByteSize.parse(bad) == nil, "\(bad)")
        }
    }
}

@Suite struct Stages {
    @Test func conditionStages() throws {
        let m = try TextMatcher(keywords: ["x"])
        let table: [(any Condition, Stage, Bool)] = [
            (DirectionCondition(directions: [.inbound]), .rcpt, true),
            (SenderCondition(patterns: []), .mail, true),
            (RecipientCondition(patterns: []), .rcpt, true),
            (HeaderCondition(name: "X", matcher: m), .headers, false),
            (SubjectCondition(matcher: m), .headers, false),
            (BodyCondition(matcher: m), .body, false),
            (AttachmentCondition(matcher: AttachmentMatcher()), .body, false),
            (SizeCondition(min: 1, max: nil), .body, false),
            (UnscannableCondition(kinds: []), .body, false),
            (LimitsExceededCondition(value: true), .body, false),
        ]
        for (c, stage, envelope) in table {
            #expect(c.stage == stage, "\(c.key)")
            #expect(c.isEnvelopeOnly == envelope, "\(c.key)")
        }
        #expect(Stage.connect < .helo && .helo < .mail && .mail < .rcpt && .rcpt < .headers && .headers < .body)
    }

    @Test func ruleStageIsTheLatestConditionOrException() throws {
        let m = try TextMatcher(keywords: ["x"])
        let a = Rule(name: "a", conditions: [SenderCondition(patterns: [])], exceptions: [SubjectCondition(matcher: m)],
                     actions: [DiscardAction()])
        #expect(a.stage == .headers)
        let b = Rule(name: "b", conditions: [BodyCondition(matcher: m), SenderCondition(patterns: [])],
                     actions: [AddHeaderAction(name: "X", value: "y")])
        #expect(b.stage == .body)
        let c = Rule(name: "c", conditions: [SubjectCondition(matcher: m)],
                     actions: [RemoveAttachmentsAction(selector: nil), QuarantineAction(reason: "q")])
        #expect(c.stage == .headers)
        let d = Rule(name: "d", conditions: [], actions: [DiscardAction()])
        #expect(d.stage == .mail)
        let e = Rule(name: "e", conditions: [SenderCondition(patterns: [])],
                     actions: [RejectRecipientAction(reply: SMTPReply(code: "550", extendedCode: "5.7.1", text: "x"))])
        #expect(e.stage == .rcpt)
    }
}
import Foundation
