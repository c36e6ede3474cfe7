import Foundation
import SealEngine
import SealPolicy
import Testing

/// The rule engine of issue 14: priorities, modes, date windows, the order
/// checks, the new conditions (each also as an exception), and the explanation
/// `sealctl test` prints.
@Suite struct RuleEngineTests {
    static let plain = msg([
        "From: \"Doe, Jane\" <jane@example.com>", "To: b@example.com", "Subject: quarterly secret plan",
        "X-Mailer: mua 1", "", "hello world", "",
    ])

    /// The message through a session of `yaml` at `time` (UTC seconds), with MTA `macros`.
    func run(_ yaml: String, _ message: String = plain, from: String = "<a@partner.example>",
             to: [String] = ["<b@example.com>"], time: Int64 = 1_790_000_000, macros: [String: String] = [:],
             explain: Bool = false, file: String = "test.yaml") throws -> (Session, Decision) {
        let engine = Engine(policy: try Policy.parse(yaml: yaml, file: file), clock: { time })
        let s = Session(engine: engine, decodeAll: true, explain: explain)
        for (k, v) in macros { s.macro(name: k, value: v) }
        var d = s.mailFrom(from)
        for r in to where d == .continue { _ = s.rcpt(r) }
        let bytes = Array(message.utf8)
        var i = 0
        while d == .continue && i < bytes.count {
            let n = min(11, bytes.count - i)
            d = bytes[i..<(i + n)].withUnsafeBytes { s.raw($0) }
            i += n
        }
        if d == .continue { d = s.endOfMessage() }
        return (s, d)
    }

    func refused(_ yaml: String, line: Int, _ fragments: String..., file: String = "test.yaml") {
        do {
            _ = try Policy.parse(yaml: yaml, file: file)
            Issue.record("accepted:\n\(yaml)")
        } catch {
            #expect(error.line == line, "\(error)")
            for f in fragments { #expect(error.message.contains(f), "\(error)") }
        }
    }

    func added(_ s: Session) -> [String] {
        s.headerEdits.filter { $0.operation == .add }.map { "\($0.name): \($0.value ?? "")" }
    }

    // MARK: Priorities

    @Test func priorityOrdersRulesAndTiesKeepFileOrder() throws {
        let (s, d) = try run("""
            rules:
              - name: c
                priority: 5
                actions: [{add_header: {name: X-C, value: "1"}}]
              - name: a
                actions: [{add_header: {name: X-A, value: "1"}}]
              - name: b
                actions: [{add_header: {name: X-B, value: "1"}}]
              - name: first
                priority: -1
                actions: [{add_header: {name: X-First, value: "1"}}]
            """)
        #expect(d == .accept)
        #expect(s.outcome?.matchedRules == ["first", "a", "b", "c"])
        #expect(added(s) == ["X-First: 1", "X-A: 1", "X-B: 1", "X-C: 1"])
    }

    @Test func aLowerPriorityRuleDecidesFirstAndStopHolds() throws {
        let yaml = """
            rules:
              - name: tag
                actions: [{add_header: {name: X-Tag, value: "1"}}]
              - name: block
                priority: -10
                when: {subject: {contains: [secret]}}
                actions: [{reject: "no"}]
              - name: trusted
                priority: -20
                when: {sender: "*@trusted.example"}
                stop: true
                actions: [{add_header: {name: X-Trusted, value: "1"}}]
            """
        let (s, d) = try run(yaml)
        #expect(d == .reject && s.outcome?.matchedRules == ["block"])
        let (s2, d2) = try run(yaml, from: "<x@trusted.example>")
        #expect(d2 == .accept && s2.outcome?.matchedRules == ["trusted"], "stop ends evaluation")
        #expect(added(s2) == ["X-Trusted: 1"])
        refused("rules:\n  - name: r\n    priority: high\n    actions: [discard]\n", line: 3, "priority", "whole number")
    }

    // MARK: Modes

    static let auditYAML = """
        rules:
          - name: would-block
            mode: audit
            when: {subject: {contains: [secret]}}
            stop: true
            actions:
              - add_header: {name: X-Blocked, value: "yes"}
              - reject: "Secrets may not leave"
          - name: later
            when: {subject: {contains: [secret]}}
            actions: [{add_header: {name: X-Later, value: "1"}}]
        """

    @Test func auditRuleChangesNothingAndLogsWhatItWouldDo() throws {
        let (s, d) = try run(Self.auditYAML)
        #expect(d == .accept)
        // Nothing from the audit rule; its stop does not stop the next rule.
        #expect(added(s) == ["X-Later: 1"])
        #expect(s.outcome?.matchedRules == ["later"])
        #expect(s.outcome?.audited == ["would-block would add_header X-Blocked, reject, stop"])
        #expect(s.logLine.contains("audit=\"would-block would add_header X-Blocked, reject, stop\""), "\(s.logLine)")
        #expect(s.logLine.contains("action=accept"))
        #expect(s.report?.audited == ["would-block would add_header X-Blocked, reject, stop"])
        #expect(s.report?.text.contains("Audit (logged, not done): would-block would add_header X-Blocked, reject, stop") == true)
        // The same rule enforced acts.
        let (e, ed) = try run(Self.auditYAML.replacingOccurrences(of: "mode: audit", with: "mode: enforce"))
        #expect(ed == .reject && e.reply?.text == "Secrets may not leave")
        #expect(!e.logLine.contains("audit="))
        // An audit rule that does not hold logs nothing.
        let (n, _) = try run(Self.auditYAML, msg(["Subject: hi", "", "x", ""]))
        #expect(n.outcome?.audited == [] && !n.logLine.contains("audit="))
        // An audit rule asks the MTA for no modification and no early reply.
        let p = try Policy.parse(yaml: "flag_unscannable: false\n" + Self.auditYAML.replacingOccurrences(of: "  - name: later\n", with: "  - name: later\n    mode: off\n"), file: "t")
        #expect(Engine(policy: p).modifications == [.changeHeaders])
        #expect(!Engine(policy: p).needs.contains(.earlyReply))
    }

    @Test func auditPerRecipientRuleRefusesNobody() throws {
        let yaml = """
            rules:
              - name: no-ext
                mode: audit
                when: {recipient: "*@ext.example"}
                actions: [{reject_recipient: true}]
            """
        let (s, d) = try run(yaml, to: ["<x@ext.example>", "<b@example.com>"])
        #expect(d == .accept)
        #expect(s.facts?.recipients == ["x@ext.example", "b@example.com"])
        #expect(s.outcome?.audited.first?.hasPrefix("no-ext would reject_recipient") == true, "\(s.outcome?.audited ?? [])")
    }

    @Test func offRuleIsNotEvaluatedAndNeedsNothing() throws {
        let yaml = """
            rules:
              - name: scan-body
                mode: off
                when: {body: {contains: [hello]}}
                actions: [discard]
            """
        let (s, d) = try run(yaml, explain: true)
        #expect(d == .accept && s.outcome?.matchedRules == [])
        #expect(s.trace?.evaluations.isEmpty == true)
        #expect(s.explanation?.rules.first?.status == "off")
        let e = Engine(policy: try Policy.parse(yaml: "flag_unscannable: false\n" + yaml, file: "t"))
        #expect(!e.needs.contains(.body), "an off rule's body condition asks for no body")
        refused("rules:\n  - name: r\n    mode: audti\n    actions: [discard]\n", line: 3, "unknown mode 'audti'", "valid: enforce (act), audit")
    }

    // MARK: Date windows

    static let windowYAML = """
        rules:
          - name: holiday
            active: {from: 2026-12-24, until: 2026-12-26}
            actions: [{add_header: {name: X-Holiday, value: "1"}}]
          - name: until-evening
            active: {until: 2027-01-31T18:00Z}
            actions: [{add_header: {name: X-Until, value: "1"}}]
          - name: offset
            active: {from: "2027-01-01T01:00+01:00"}
            actions: [{add_header: {name: X-Offset, value: "1"}}]
        """

    func utc(_ s: String) -> Int64 { DateWindow.parsePoint(s)! }

    @Test func dateWindowsUseTheInjectedClockInUTC() throws {
        func rules(at t: String) throws -> [String] { try run(Self.windowYAML, time: utc(t)).0.outcome?.matchedRules ?? [] }
        #expect(try rules(at: "2026-12-23T23:59:59Z") == ["until-evening"])
        #expect(try rules(at: "2026-12-24T00:00:00Z") == ["holiday", "until-evening"])
        // A date alone as `until` includes that whole day.
        #expect(try rules(at: "2026-12-26T23:59:59Z") == ["holiday", "until-evening"])
        #expect(try rules(at: "2026-12-27T00:00:00Z") == ["until-evening"])
        // +01:00 is converted: 01:00+01:00 is midnight UTC.
        #expect(try rules(at: "2026-12-31T23:59:59Z") == ["until-evening"])
        #expect(try rules(at: "2027-01-01T00:00:00Z") == ["until-evening", "offset"])
        // A time as `until` ends the window at that instant.
        #expect(try rules(at: "2027-01-31T17:59:59Z") == ["until-evening", "offset"])
        #expect(try rules(at: "2027-01-31T18:00:00Z") == ["offset"])
        let (s, _) = try run(Self.windowYAML, time: utc("2026-06-01"), explain: true)
        #expect(s.explanation?.rules.first?.status == "inactive")
        #expect(s.explanation?.rules.first?.active == "from 2026-12-24 until 2026-12-26")
        #expect(DateWindow.format(utc("2024-02-29T12:34:56Z")) == "2024-02-29T12:34:56Z")
    }

    @Test func badDateWindowsAreRefusedWithTheirLine() {
        func window(_ w: String) -> String { "rules:\n  - name: r\n    active: \(w)\n    actions: [discard]\n" }
        refused(window("{from: 2027-01-31, until: 2026-12-01}"), line: 3, "'from' (2027-01-31) is not before 'until' (2026-12-01)")
        refused(window("{from: 2026-12-01T10:00Z, until: 2026-12-01T10:00Z}"), line: 3, "not before")
        refused(window("{from: 2026-13-01}"), line: 3, "month 13 does not exist")
        refused(window("{from: 2026-02-29}"), line: 3, "has no day 29")
        refused(window("{until: 2026-12-01T25:00Z}"), line: 3, "is not a time of day")
        refused(window("{from: tomorrow}"), line: 3, "'tomorrow' is not a date")
        refused(window("{from: 2026-12-01T10:00+1}"), line: 3, "offset from UTC")
        refused(window("{}"), line: 3, "give 'from', 'until' or both")
        refused(window("{since: 2026-12-01}"), line: 3, "unknown key 'since'")
    }

    // MARK: Order of actions

    @Test func actionOrderIsExplained() {
        refused("""
            rules:
              - name: r
                actions:
                  - reject: "no"
                  - add_header: {name: X-A, value: b}
            """, line: 5, "'add_header' is listed after 'reject' (line 4), which ends the message", "list order")
        refused("""
            rules:
              - name: r
                actions:
                  - reject: "no"
                  - quarantine: held
            """, line: 5, "'quarantine' conflicts with 'reject'", "would never be held in quarantine")
        refused("""
            rules:
              - name: r
                actions:
                  - discard
                  - tempfail: "later"
            """, line: 5, "both end the message")
    }

    @Test func sealingOrderFollowsPrioritiesAndNamesBothRules() throws {
        func parse(_ yaml: String) throws -> Policy { try Policy.parse(yaml: yaml, file: "t", registry: ModuleTests.registry) }
        // In file order the body change comes first, but its priority makes it run after the seal.
        do {
            _ = try Policy.parse(yaml: """
                rules:
                  - name: strip
                    priority: 10
                    actions:
                      - remove_attachments: {extension: [exe]}
                  - name: seal
                    actions:
                      - test_stamp: {header: X-S, text: t, seal: true}
                """, file: "t", registry: ModuleTests.registry)
            Issue.record("a body change after a seal was accepted")
        } catch {
            #expect(error.line == 5, "\(error)")
            #expect(error.message.contains("'remove_attachments' would change the body after 'test_stamp' (rule 'seal', line 8)"), "\(error)")
            #expect(error.message.contains("'seal' runs before 'strip': priority 0 before 10"), "\(error)")
            #expect(error.message.contains("remove parts, other content changes, sign, encrypt, envelope"), "\(error)")
        }
        // A lower priority puts it first; an audit seal seals nothing.
        _ = try parse("rules:\n  - name: seal\n    priority: 5\n    actions:\n      - test_stamp: {header: X-S, text: t, seal: true}\n"
                      + "  - name: strip\n    actions:\n      - remove_attachments: {extension: [exe]}\n")
        _ = try parse("rules:\n  - name: seal\n    mode: audit\n    actions:\n      - test_stamp: {header: X-S, text: t, seal: true}\n"
                      + "  - name: strip\n    actions:\n      - remove_attachments: {extension: [exe]}\n")
    }

    // MARK: Recipients

    @Test func recipientMatchAnyOrAll() throws {
        let any = """
            rules:
              - name: r
                when: {recipient: "*@example.com"}
                actions: [{add_header: {name: X-R, value: "1"}}]
            """
        let all = """
            rules:
              - name: r
                when: {recipient: {patterns: ["*@example.com", "*@example.org"], match: all}}
                actions: [{add_header: {name: X-R, value: "1"}}]
            """
        let mixed = ["<b@example.com>", "<c@other.example>"]
        #expect(try run(any, to: mixed).0.outcome?.matchedRules == ["r"])
        #expect(try run(all, to: mixed).0.outcome?.matchedRules == [])
        #expect(try run(all, to: ["<b@example.com>", "<c@example.org>"]).0.outcome?.matchedRules == ["r"])
        refused("rules:\n  - name: r\n    when: {recipient: {patterns: [a@b.c], match: most}}\n    actions: [discard]\n",
                line: 3, "'most' is not a way to count recipients")
        refused("rules:\n  - name: r\n    when: {recipient: {match: all}}\n    actions: [discard]\n", line: 3, "needs 'patterns'")
    }

    @Test func recipientLocationInsideOrOutside() throws {
        func yaml(_ v: String) -> String {
            "internal_domains: [example.com, \"*.example.com\"]\nrules:\n  - name: r\n    when: {recipient_location: \(v)}\n    actions: [{add_header: {name: X-R, value: \"1\"}}]\n"
        }
        let mixed = ["<b@example.com>", "<c@other.example>"]
        func held(_ v: String, _ to: [String]) throws -> Bool { try run(yaml(v), to: to).0.outcome?.matchedRules == ["r"] }
        #expect(try held("outside", mixed))
        #expect(try held("inside", mixed))
        #expect(try !held("{is: outside, match: all}", mixed))
        #expect(try held("{is: inside, match: all}", ["<b@example.com>", "<c@sub.example.com>"]))
        #expect(try !held("outside", ["<b@EXAMPLE.com>"]))
        refused(yaml("outsde"), line: 4, "did you mean 'outside'")
    }

    // MARK: List files

    func listDir(_ files: [String: String]) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sm-lists-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (n, t) in files { try t.write(toFile: dir + "/" + n, atomically: true, encoding: .utf8) }
        return dir
    }

    @Test func senderAndRecipientListFiles() throws {
        let dir = try listDir([
            "partners.txt": "# partners, one per line\n\npartner.example\nbob@friends.example   # a friend\n*.gov.example\n@lists.example\n",
            "vip.txt": "ceo@example.com\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let yaml = """
            rules:
              - name: from-partner
                when: {sender_list: partners.txt}
                actions: [{add_header: {name: X-Partner, value: "1"}}]
              - name: to-vip
                when: {recipient_list: [\(dir)/vip.txt]}
                actions: [{add_header: {name: X-Vip, value: "1"}}]
              - name: all-partners
                when: {recipient_list: {files: partners.txt, match: all}}
                actions: [{add_header: {name: X-All, value: "1"}}]
            """
        // The policy file's directory resolves relative list files.
        func rules(_ from: String, _ to: [String]) throws -> [String] {
            try run(yaml, from: from, to: to, file: dir + "/policy.yaml").0.outcome?.matchedRules ?? []
        }
        #expect(try rules("<a@partner.example>", ["<ceo@example.com>"]) == ["from-partner", "to-vip"])
        #expect(try rules("<BOB@Friends.Example>", ["<x@tax.gov.example>", "<l@lists.example>"]) == ["from-partner", "all-partners"])
        #expect(try rules("<eve@friends.example>", ["<x@tax.gov.example>", "<b@example.com>"]) == [])
        #expect(try rules("<x@sub.partner.example>", []) == [], "a domain entry is that domain only")
    }

    @Test func listFileProblemsNameTheFileAndLine() throws {
        let dir = try listDir(["bad.txt": "ok.example\nbad entry here\nalso,bad@example.com\n"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        refused("rules:\n  - name: r\n    when: {sender_list: \(dir)/missing.txt}\n    actions: [discard]\n",
                line: 3, "cannot use list file '\(dir)/missing.txt'", "No such file")
        do {
            _ = try Policy.parse(yaml: "rules:\n  - name: r\n    when: {sender_list: bad.txt}\n    actions: [discard]\n", file: dir + "/p.yaml")
            Issue.record("a bad list was accepted")
        } catch {
            #expect(error.line == 3 && error.message.contains("\(dir)/bad.txt:2: 'bad entry here' contains spaces"), "\(error)")
        }
        let all = Policy.diagnose(yaml: "rules:\n  - name: r\n    when: {sender_list: bad.txt}\n    actions: [discard]\n", file: dir + "/p.yaml")
        #expect(all.contains { $0.message.contains("bad.txt:3: 'also,bad@example.com' holds several addresses") }, "\(all)")
    }

    // MARK: Header From domain

    @Test func fromDomainIsTheHeaderNotTheEnvelope() throws {
        let yaml = """
            rules:
              - name: r
                when: {from_domain: ["*.example.org", example.com]}
                actions: [{add_header: {name: X-R, value: "1"}}]
            """
        func held(_ from: String, envelope: String = "<a@partner.example>") throws -> Bool {
            try run(yaml, msg(["From: \(from)", "Subject: s", "", "x", ""]), from: envelope).0.outcome?.matchedRules == ["r"]
        }
        #expect(try held("\"Doe, Jane\" <jane@Example.COM>"))
        #expect(try held("jane@mail.example.org (Jane)"))
        #expect(try held("Team: a@other.example, b@x.example.org;"))
        #expect(try !held("\"jane@example.com\" <jane@evil.example>"), "the display name is not the address")
        #expect(try !held("jane@example.org"), "*.example.org is subdomains only")
        #expect(try !held("x@evil.example", envelope: "<jane@example.com>"))
        refused("rules:\n  - name: r\n    when: {from_domain: jane@example.com}\n    actions: [discard]\n", line: 3, "is not a domain")
    }

    // MARK: Attachments

    static func attachmentMessage(body: String, attachment: String, name: String = "report.csv") -> String {
        msg([
            "From: a@partner.example", "Subject: s", "MIME-Version: 1.0", "Content-Type: multipart/mixed; boundary=\"B\"", "",
            "--B", "Content-Type: text/plain", "", body,
            "--B", "Content-Type: text/csv; name=\"\(name)\"", "Content-Disposition: attachment; filename=\"\(name)\"",
            "Content-Transfer-Encoding: base64", "", Data(attachment.utf8).base64EncodedString(), "--B--", "",
        ])
    }

    @Test func attachmentContentLooksAtAttachmentsOnlyInTheSharedPass() throws {
        let yaml = """
            rules:
              - name: body
                when: {body: {contains: [payroll]}}
                actions: [{add_header: {name: X-Body, value: "1"}}]
              - name: att
                when: {attachment_content: {matches: ["IBAN [A-Z]{2}[0-9]{2}"]}}
                actions: [{remove_attachments: true}]
            """
        let p = try Policy.parse(yaml: yaml, file: "t")
        #expect(p.rules[1].conditions.first is AttachmentContentCondition)
        // Decoded (base64) attachment text matches; the part is picked for removal.
        let (s, _) = try run(yaml, Self.attachmentMessage(body: "see attached", attachment: "name,IBAN DE44 5001\n"))
        #expect(s.outcome?.matchedRules == ["att"])
        #expect(s.outcome?.removedParts == ["1.2"])
        // The same text in the body is not an attachment.
        let (s2, _) = try run(yaml, Self.attachmentMessage(body: "IBAN DE44 5001 payroll", attachment: "nothing\n"))
        #expect(s2.outcome?.matchedRules == ["body"])
        // Both conditions are slots of one set (one scan per text part).
        let e = Engine(policy: p)
        let slots = e.policy.rules.flatMap(\.conditions).compactMap { ($0 as? BodyCondition)?.slot ?? ($0 as? AttachmentContentCondition)?.slot }
        #expect(slots == [0, 1])
    }

    static let zipPolicy = """
        rules:
          - name: locked
            when: {password_protected: true}
            actions: [{add_header: {name: X-Locked, value: "1"}}]
          - name: unscannable-att
            when: {attachment_unscannable: [zip-encrypted, pdf-encrypted]}
            actions: [{add_header: {name: X-UA, value: "1"}}]
          - name: open
            when: {password_protected: false}
            actions: [{add_header: {name: X-Open, value: "1"}}]
        """

    @Test func passwordProtectedAndUnscannableAttachments() throws {
        let zip = try encryptedZipBase64()
        let m = msg([
            "From: a@partner.example", "Subject: s", "MIME-Version: 1.0", "Content-Type: multipart/mixed; boundary=\"b\"", "",
            "--b", "Content-Type: text/plain", "", "see attached",
            "--b", "Content-Type: application/zip; name=\"report.zip\"", "Content-Disposition: attachment; filename=\"report.zip\"",
            "Content-Transfer-Encoding: base64", "", zip, "--b--", "",
        ])
        let (s, _) = try run(Self.zipPolicy, m, explain: true)
        #expect(s.outcome?.matchedRules == ["locked", "unscannable-att"])
        #expect(s.explanation?.rules[0].evaluations.first?.conditions.first?.detail == "part 1.2 \"report.zip\": zip-encrypted")
        let (s2, _) = try run(Self.zipPolicy, Self.attachmentMessage(body: "x", attachment: "y"))
        #expect(s2.outcome?.matchedRules == ["open"])
        // A whole S/MIME message is unscannable, but not an attachment.
        let smime = msg(["Subject: s", "MIME-Version: 1.0", "Content-Type: application/pkcs7-mime; smime-type=enveloped-data",
                         "Content-Transfer-Encoding: base64", "", "MIAGCSqGSIb3DQEHA6CAMIACAQAx", ""])
        let (s3, _) = try run(Self.zipPolicy.replacingOccurrences(of: "[zip-encrypted, pdf-encrypted]", with: "any"), smime)
        #expect(s3.facts?.unscannable.isEmpty == false)
        #expect(s3.outcome?.matchedRules == ["open"])
    }

    // MARK: Header fields

    @Test func headerContainsMatchesExistsAbsent() throws {
        func held(_ cond: String, _ headers: [String] = ["X-Mailer: mua 1", "Subject: s"]) throws -> Bool {
            let yaml = "rules:\n  - name: r\n    when: {header: \(cond)}\n    actions: [{add_header: {name: X-R, value: \"1\"}}]\n"
            return try run(yaml, msg(headers + ["", "x", ""])).0.outcome?.matchedRules == ["r"]
        }
        #expect(try held("{name: x-mailer, contains: [MUA]}"))
        #expect(try held("{name: X-Mailer, matches: ['^mua [0-9]+$']}"))
        #expect(try !held("{name: X-Mailer, matches: ['^mua [a-z]+$']}"))
        #expect(try held("{name: X-Mailer, exists: true}"))
        #expect(try !held("{name: X-Mailer, exists: true}", ["Subject: s"]))
        #expect(try held("{name: X-Mailer, absent: true}", ["Subject: s"]))
        #expect(try held("{name: X-Mailer, exists: false}", ["Subject: s"]))
        #expect(try !held("{name: X-Mailer, absent: true}"))
        #expect(try held("[{name: X-Mailer, exists: true}, {name: X-Spam, absent: true}]"))
        refused("rules:\n  - name: r\n    when: {header: {name: X, absent: true, contains: [a]}}\n    actions: [discard]\n",
                line: 3, "must be absent has no value")
        refused("rules:\n  - name: r\n    when: {header: {name: X, absent: true, exists: true}}\n    actions: [discard]\n",
                line: 3, "not both")
        refused("rules:\n  - name: r\n    when: {header: {name: X}}\n    actions: [discard]\n", line: 3, "'exists: true' or 'absent: true'")
    }

    // MARK: SMTP AUTH

    @Test func authUserAndAuthenticatedFromTheMacro() throws {
        let yaml = """
            rules:
              - name: svc
                when: {auth_user: ["svc-*", Alice]}
                actions: [{add_header: {name: X-Svc, value: "1"}}]
              - name: anon
                when: {authenticated: false}
                actions: [{add_header: {name: X-Anon, value: "1"}}]
            """
        #expect(try run(yaml, macros: ["{auth_authen}": "svc-build"]).0.outcome?.matchedRules == ["svc"])
        #expect(try run(yaml, macros: ["{auth_authen}": "alice"]).0.outcome?.matchedRules == ["svc"])
        #expect(try run(yaml, macros: ["{auth_authen}": "bob"]).0.outcome?.matchedRules == [])
        #expect(try run(yaml).0.outcome?.matchedRules == ["anon"])
        #expect(try run(yaml, macros: ["{auth_authen}": ""]).0.outcome?.matchedRules == ["anon"])
        // The engine asks the MTA for {auth_authen} at MAIL only when a rule needs it.
        let e = Engine(policy: try Policy.parse(yaml: yaml, file: "t"))
        #expect(e.needs.contains(.authMacros))
        #expect(e.macros(at: .mail).contains("{auth_authen}"))
        #expect(!Engine(policy: try Policy.parse(yaml: "rules: []\n", file: "t")).macros(at: .mail).contains("{auth_authen}"))
    }

    // MARK: Every condition as an exception

    /// Each condition with a message/envelope for which it holds and one for which
    /// it does not: as `when:` the rule applies exactly when it holds, as `unless:`
    /// exactly when it does not.
    @Test func everyConditionWorksAsConditionAndException() throws {
        let dir = try listDir(["l.txt": "partner.example\nb@example.com\n"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let zip = try encryptedZipBase64()
        let zipMsg = msg([
            "From: a@partner.example", "Subject: s", "MIME-Version: 1.0", "Content-Type: multipart/mixed; boundary=\"b\"", "",
            "--b", "Content-Type: text/plain", "", "x",
            "--b", "Content-Type: application/zip; name=\"r.zip\"", "Content-Disposition: attachment; filename=\"r.zip\"",
            "Content-Transfer-Encoding: base64", "", zip, "--b--", "",
        ])
        struct Case { var cond: String; var holds: (String, String, [String], [String: String]); var fails: (String, String, [String], [String: String]) }
        let m = Self.plain, other = msg(["From: x@other.example", "Subject: hi", "", "bye", ""])
        let att = Self.attachmentMessage(body: "x", attachment: "secret code")
        let p = "<a@partner.example>", o = "<z@other.example>", b = ["<b@example.com>"], ob = ["<q@other.example>"]
        let cases: [Case] = [
            Case(cond: "direction: inbound", holds: (m, p, b, [:]), fails: (m, "<b@example.com>", ob, [:])),
            Case(cond: "sender: \"*@partner.example\"", holds: (m, p, b, [:]), fails: (m, o, b, [:])),
            Case(cond: "recipient: b@example.com", holds: (m, p, b, [:]), fails: (m, p, ob, [:])),
            Case(cond: "header: {name: X-Mailer, exists: true}", holds: (m, p, b, [:]), fails: (other, p, b, [:])),
            Case(cond: "subject: {contains: [secret]}", holds: (m, p, b, [:]), fails: (other, p, b, [:])),
            Case(cond: "body: {contains: [hello]}", holds: (m, p, b, [:]), fails: (other, p, b, [:])),
            Case(cond: "attachment: {extension: [csv]}", holds: (att, p, b, [:]), fails: (m, p, b, [:])),
            Case(cond: "size: {over: 100}", holds: (m, p, b, [:]), fails: (msg(["Subject: a", "", "b", ""]), p, b, [:])),
            Case(cond: "unscannable: any", holds: (zipMsg, p, b, [:]), fails: (m, p, b, [:])),
            Case(cond: "limits_exceeded: false", holds: (m, p, b, [:]), fails: (msg(["Subject: a", "MIME-Version: 1.0",
                "Content-Type: multipart/mixed; boundary=\"q\"", "", "--q", "Content-Type: multipart/mixed; boundary=\"r\"", "",
                "--r", "Content-Type: multipart/mixed; boundary=\"s\"", "", "--s", "", "x", "--s--", "--r--", "--q--", ""]), p, b, [:])),
            Case(cond: "recipient_location: inside", holds: (m, p, b, [:]), fails: (m, p, ob, [:])),
            Case(cond: "sender_list: \(dir)/l.txt", holds: (m, p, b, [:]), fails: (m, o, b, [:])),
            Case(cond: "recipient_list: \(dir)/l.txt", holds: (m, p, b, [:]), fails: (m, p, ob, [:])),
            Case(cond: "from_domain: example.com", holds: (m, p, b, [:]), fails: (other, p, b, [:])),
            Case(cond: "attachment_content: {contains: [secret]}", holds: (att, p, b, [:]), fails: (m, p, b, [:])),
            Case(cond: "attachment_unscannable: any", holds: (zipMsg, p, b, [:]), fails: (att, p, b, [:])),
            Case(cond: "password_protected: true", holds: (zipMsg, p, b, [:]), fails: (att, p, b, [:])),
            Case(cond: "auth_user: alice", holds: (m, p, b, ["{auth_authen}": "alice"]), fails: (m, p, b, [:])),
            Case(cond: "authenticated: true", holds: (m, p, b, ["{auth_authen}": "alice"]), fails: (m, p, b, [:])),
        ]
        // Every registered condition is covered (a new one must be added here).
        let covered = Set(cases.map { String($0.cond.prefix { $0 != ":" }) })
        let registered = Set(Registry.builtin.conditionKeys)
        #expect(registered.subtracting(covered).isEmpty, "not covered: \(registered.subtracting(covered).sorted())")
        for c in cases {
            for asException in [false, true] {
                let yaml = "internal_domains: [example.com]\nlimits: {max_depth: 2}\nrules:\n  - name: r\n    \(asException ? "unless" : "when"):\n      \(c.cond)\n    actions: [{add_header: {name: X-R, value: \"1\"}}]\n"
                for (holds, input) in [(true, c.holds), (false, c.fails)] {
                    let (s, _) = try run(yaml, input.0, from: input.1, to: input.2, macros: input.3)
                    let applied = s.outcome?.matchedRules == ["r"]
                    #expect(applied == (holds != asException), "\(asException ? "unless" : "when") \(c.cond), input where it \(holds ? "holds" : "fails"): applied \(applied)")
                }
            }
        }
    }

    // MARK: Explanation

    @Test func explanationShowsEachConditionWithRedactedText() throws {
        let yaml = """
            internal_domains: [example.com]
            rules:
              - name: confidential-out
                when:
                  subject: {contains: [secret]}
                  body: {matches: ["h[a-z]+o"]}
                unless:
                  sender: "*@example.com"
                actions: [{add_header: {name: X-S, value: "1"}}]
              - name: never
                when: {size: {over: 10M}}
                actions: [discard]
              - name: stopper
                stop: true
                actions: [{add_header: {name: X-Stop, value: "1"}}]
              - name: after-stop
                actions: [discard]
            """
        let (s, _) = try run(yaml, explain: true)
        let e = try #require(s.explanation)
        #expect(e.rules.map(\.status) == ["applied", "not-matched", "applied", "not-reached"])
        let c = try #require(e.rules.first?.evaluations.first?.conditions)
        #expect(c.map(\.key) == ["subject", "body", "sender"])
        #expect(c.map(\.held) == [true, true, false])
        #expect(c[2].exception)
        #expect(c[0].detail == "keyword 1 \"s…t\" (6 chars)")
        #expect(c[1].detail == "part 1: expression 1 matched \"h…o\" (5 chars)")
        #expect(!e.text.contains("secret") && !e.text.contains("hello"), "matched text is redacted:\n\(e.text)")
        #expect(e.text.contains("1. confidential-out [line 3, priority 0, enforce, decided at body]: MATCHED, applied"), "\(e.text)")
        // JSON round trip.
        let back = try JSONDecoder().decode(Explanation.self, from: Data(e.json().utf8))
        #expect(back.rules.count == 4 && back.result.verdict.action == "accept")
        #expect(redacted("ab") == "\"…\" (2 chars)" && redacted("4111111111111111") == "\"4…1\" (16 chars)")
        // Without explain the milter path records nothing.
        let (m, _) = try run(yaml)
        #expect(m.trace == nil && m.explanation == nil)
    }
}
