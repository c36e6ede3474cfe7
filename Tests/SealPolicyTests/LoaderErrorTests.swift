import Testing
@testable import SealPolicy
@testable import SealEngine

@Suite struct YAMLSyntaxErrors {
    @Test func badIndentationNamesTheLine() {
        let yaml = """
            rules:
              - name: a
                actions:
                  - discard: true
               stop: true
            """
        guard let e = firstError(yaml) else { Issue.record("accepted"); return }
        #expect(e.line == 5, "\(e)")
        #expect(e.column != nil)
        #expect(e.message.hasPrefix("YAML syntax error"))
        #expect(e.description.hasPrefix("test.yaml:5:"))
    }

    @Test func tabIndentationGetsAHint() {
        expectRefused("limits:\n\tmax_depth: 3\n", line: 2, column: 1, "YAML syntax error", "tabs")
    }

    @Test func unclosedFlowSequence() {
        // libyaml notices at the next line's ':' and names where the list began.
        expectRefused("internal_domains: [a.example, b.example\nflag_unscannable: true\n", line: 2,
                      "YAML syntax error", "flow sequence at line 1")
    }

    @Test func undefinedAlias() {
        expectRefused("internal_domains: *nowhere\n", line: 1, column: 19, "undefined alias")
    }

    @Test func controlCharacterIsAReaderError() {
        expectRefused("flag_unscannable: true\nrules:\n  - name: \"a\u{01}b\"\n", line: 3, column: 13, "control characters")
    }

    @Test func twoDocuments() {
        expectRefused("flag_unscannable: true\n---\nflag_unscannable: false\n", line: 2, "YAML syntax error")
    }
}

@Suite struct UnknownKeys {
    @Test func topLevelTypoSuggestsTheKey() {
        expectRefused("internal_domains: [example.com]\nflag_unscanable: true\n", line: 2, column: 1,
                      "unknown key 'flag_unscanable'", "did you mean 'flag_unscannable'?")
    }

    @Test func unrelatedKeyListsTheValidOnes() {
        expectRefused("colour: blue\n", line: 1, "unknown key 'colour'", "valid keys:", "internal_domains", "rules")
    }

    @Test func conditionTypo() {
        expectRefused(oneRule("""
            when:
              recipent: [a@example.com]
            actions: [discard]
            """), line: 4, column: 7, "unknown key 'recipent'", "did you mean 'recipient'?")
    }

    @Test func conditionAtRuleLevelGetsAHint() {
        expectRefused(oneRule("""
            sender: [a@example.com]
            actions: [discard]
            """), line: 3, "unknown key 'sender'", "conditions go under 'when:'")
    }

    @Test func actionTypoSuggestsTheAction() {
        expectRefused(oneRule("""
            actions:
              - rejct: "no"
            """), line: 4, "unknown action 'rejct'", "did you mean 'reject'?")
    }

    @Test func limitsAndMilterKeys() {
        expectRefused("limits:\n  max_parts: 10\n  max_part: 10\n", line: 3, "did you mean 'max_parts'?")
        expectRefused("milter:\n  sokcet: unix:/run/s.sock\n", line: 2, "did you mean 'socket'?")
        expectRefused("spool:\n  dir: /var/tmp\n", line: 2, "spool: unknown key 'dir'")
    }

    @Test func keyInSelectorAndReply() {
        expectRefused(oneRule("""
            when: {attachment: {extensions: [exe]}}
            actions: [discard]
            """), line: 3, "did you mean 'extension'?")
        #expect(Policy.diagnose(yaml: oneRule("when: {attachment: {extensions: [exe]}}\nactions: [discard]")).count == 1)
        #expect(Policy.diagnose(yaml: oneRule("when: {subject: {contain: [a]}}\nactions: [discard]")).count == 1)
        expectRefused(oneRule("""
            actions:
              - reject: {code: 550, text: "no", xcod: 5.7.1}
            """), line: 4, "did you mean 'xcode'?")
    }
}

@Suite struct WrongTypes {
    @Test func quotedBooleanIsText() {
        expectRefused("flag_unscannable: \"yes\"\n", line: 1, column: 19, "expected true or false", "the text \"yes\"")
    }

    @Test func countIsNotASize() {
        expectRefused("limits:\n  max_depth: 10K\n", line: 2, "max_depth", "expected a whole number")
        expectRefused("limits:\n  max_headers: 0\n", line: 2, "must be at least 1")
    }

    @Test func badSizes() {
        expectRefused("limits:\n  max_inspect_bytes: 4X\n", line: 2, "expected a size such as")
        expectRefused("spool:\n  memory_limit: -1\n", line: 2, "expected a size")
        expectRefused("spool:\n  memory_limit: 99999999999999999999G\n", line: 2, "expected a size")
    }

    @Test func rulesMustBeAList() {
        expectRefused("rules:\n  name: a\n", line: 2, "expected a list of rules")
    }

    @Test func senderMustBeStrings() {
        expectRefused(oneRule("""
            when:
              sender: {a: b}
            actions: [discard]
            """), line: 4, "sender", "found a mapping")
        expectRefused(oneRule("""
            when:
              sender: [a@example.com, [b@example.com]]
            actions: [discard]
            """), line: 4, "expected a string, found a list")
    }

    @Test func emptyListsAreRefused() {
        expectRefused(oneRule("""
            when:
              recipient: []
            actions: [discard]
            """), line: 4, "the list is empty")
    }

    @Test func actionsMustBeAList() {
        expectRefused(oneRule("actions: {discard: true}"), line: 3, "expected a list")
    }

    @Test func actionItemWithTwoKeys() {
        expectRefused(oneRule("""
            actions:
              - reject: "no"
                discard: true
            """), line: 4, "each action is one key")
    }

    @Test func falseIsNotAnAction() {
        expectRefused(oneRule("actions:\n  - discard: false"), line: 4, "false is not meaningful")
        expectRefused(oneRule("actions:\n  - remove_attachments: false"), line: 4, "false is not meaningful")
    }

    @Test func stopIsABoolean() {
        expectRefused(oneRule("actions: [discard]\nstop: please"), line: 4, "stop", "expected true or false")
    }

    @Test func topLevelMustBeAMapping() {
        expectRefused("- a\n- b\n", line: 1, "expected a mapping")
    }

    @Test func settings() {
        expectRefused("spool:\n  directory: var/spool\n", line: 2, "absolute path")
        expectRefused("milter:\n  socket: tcp:25\n", line: 2, "unix:/path")
        expectRefused("milter:\n  socket: inet:99999@localhost\n", line: 2, "port number")
        expectRefused("milter:\n  metrics_listen: localhost\n", line: 2, "host:port")
        expectRefused("milter:\n  macros: some\n", line: 2, column: 11, "milter.macros: expected needed or all, found 'some'")
        expectRefused("internal_domains: [user@example.com]\n", line: 1, "is an address")
        expectRefused("internal_domains: [\"a.example, b.example\"]\n", line: 1, "one domain per list item")
    }
}

@Suite struct BadPatterns {
    @Test func regexIsCompiledAtLoad() {
        expectRefused(oneRule("""
            when:
              subject:
                matches:
                  - "^ok$"
                  - "(unclosed"
            actions: [discard]
            """), line: 7, column: 13, "invalid regular expression \"(unclosed\"")
    }

    @Test func everyBadRegexIsReported() {
        let errors = Policy.diagnose(yaml: oneRule("""
            when:
              body: {matches: ["[z-a]", "fine", "(?<"]}
            actions: [discard]
            """), file: "test.yaml")
        #expect(errors.count == 2, "\(errors)")
        #expect(errors.allSatisfy { $0.line == 4 && $0.message.contains("invalid regular expression") })
    }

    @Test func headerNeedsNameAndMatcher() {
        expectRefused(oneRule("""
            when:
              header: {contains: [x]}
            actions: [discard]
            """), line: 4, "needs 'name'")
        expectRefused(oneRule("""
            when:
              header: {name: X-Spam}
            actions: [discard]
            """), line: 4, "needs 'contains'")
        expectRefused(oneRule("""
            when:
              header: {name: "X-Spam:", contains: [yes]}
            actions: [discard]
            """), line: 4, "without the colon")
    }

    @Test func addressPatterns() {
        expectRefused(oneRule("""
            when:
              sender: ["a@example.com, b@example.com"]
            actions: [discard]
            """), line: 4, "one pattern per list item")
        expectRefused(oneRule("""
            when:
              recipient: ["user@"]
            actions: [discard]
            """), line: 4, "no domain after '@'")
    }

    @Test func mediaTypesAndExtensions() {
        expectRefused(oneRule("""
            when:
              attachment: {type: [pdf]}
            actions: [discard]
            """), line: 4, "not a media type")
        expectRefused(oneRule("""
            when:
              attachment: {extension: ["*.exe"]}
            actions: [discard]
            """), line: 4, "not a file extension")
    }

    @Test func unknownDirection() {
        expectRefused(oneRule("""
            when:
              direction: [inbound, outbund]
            actions: [discard]
            """), line: 4, "unknown direction 'outbund'", "did you mean 'outbound'?", "inbound, outbound, internal")
    }

    @Test func emptySizeRange() {
        expectRefused(oneRule("""
            when:
              size: {over: 10M, under: 5M}
            actions: [discard]
            """), line: 4, "no size is over")
    }
}

@Suite struct UnscannableKinds {
    @Test func unknownKindListsTheValidOnes() {
        expectRefused(oneRule("""
            when:
              unscannable: [pdf-encrypted, zip-encrypt]
            actions: [discard]
            """), line: 4, column: 36, "unknown unscannable kind 'zip-encrypt'",
            "did you mean 'zip-encrypted'?", "valid kinds: any, smime-enveloped", "sealmilter-envelope")
    }

    @Test func unknownKindInSelector() {
        expectRefused(oneRule("""
            actions:
              - remove_attachments: {unscannable: [rar-encrypted]}
            """), line: 4, "unknown unscannable kind 'rar-encrypted'", "valid kinds:")
    }

    @Test func anyMustStandAlone() {
        expectRefused(oneRule("""
            when:
              unscannable: [any, zip-encrypted]
            actions: [discard]
            """), line: 4, "'any' must stand alone")
    }
}

@Suite struct SMTPReplies {
    @Test func rejectMustBePermanent() {
        expectRefused(oneRule("actions:\n  - reject: {code: 450, text: nope}"), line: 4, "permanent failure (5xx)", "450")
        expectRefused(oneRule("actions:\n  - reject: {code: 550, xcode: 4.7.1}"), line: 4, "must start with 5.")
        expectRefused(oneRule("actions:\n  - reject_recipient: {code: 421}"), line: 4, "permanent failure (5xx)")
    }

    @Test func tempfailMustBeTemporary() {
        expectRefused(oneRule("actions:\n  - tempfail: {code: 550}"), line: 4, "temporary failure (4xx)")
        expectRefused(oneRule("actions:\n  - tempfail: {xcode: 5.7.1}"), line: 4, "must start with 4.")
    }

    @Test func malformedCodes() {
        expectRefused(oneRule("actions:\n  - reject: {code: 55}"), line: 4, "not an SMTP reply code")
        expectRefused(oneRule("actions:\n  - reject: {code: 590}"), line: 4, "not an SMTP reply code")
        expectRefused(oneRule("actions:\n  - reject: {code: abc}"), line: 4, "not an SMTP reply code")
        expectRefused(oneRule("actions:\n  - reject: {xcode: 5.7}"), line: 4, "not an enhanced status code")
        expectRefused(oneRule("actions:\n  - reject: {xcode: 5.7.1000}"), line: 4, "not an enhanced status code")
        expectRefused(oneRule("actions:\n  - reject: {xcode: 55.7.1}"), line: 4, "not an enhanced status code")
    }

    @Test func replyTextIsOneLine() {
        expectRefused(oneRule("actions:\n  - reject: \"line one\\r\\nline two\""), line: 4, "control characters")
        expectRefused(oneRule("actions:\n  - reject: \"\""), line: 4, "must not be empty")
    }
}

@Suite struct RuleStructure {
    @Test func duplicateRuleNames() {
        let yaml = """
            rules:
              - name: Block-Exe
                actions: [discard]
              - name: other
                actions: [discard]
              - name: block-exe
                actions: [discard]
            """
        expectRefused(yaml, line: 6, "duplicate rule name 'block-exe'", "line 2")
    }

    @Test func duplicateNameOfABrokenRuleIsStillReported() {
        let errors = Policy.diagnose(yaml: """
            rules:
              - name: a
                when: {unscannable: [nope]}
                actions: [discard]
              - name: A
                actions: [explode]
            """)
        #expect(errors.map { $0.line ?? 0 } == [3, 5, 6], "\(errors)")
        #expect(errors.count == 3 && errors[1].message.contains("duplicate rule name 'A'"))
    }

    @Test func noFollowOnErrorsForABrokenSelectingCondition() {
        let errors = Policy.diagnose(yaml: oneRule("""
            when:
              attachment: {extension: ["*.exe"]}
            actions: [remove_attachments]
            """))
        #expect(errors.count == 1, "\(errors)")
        #expect(errors.first?.message.contains("not a file extension") == true)
    }

    @Test func messagesNameTheRule() {
        expectRefused("rules:\n  - name: vip\n    sender: [a@example.com]\n    actions: [discard]\n",
                      line: 3, "rule 'vip': unknown key 'sender'")
        expectRefused("rules:\n  - name: vip\n    when: {size: {over: 1G, under: 1K}}\n    actions: [discard]\n",
                      line: 3, "rule 'vip': when.size: no size is over 1G and under 1K")
    }

    @Test func ruleWithoutActions() {
        expectRefused(oneRule("when: {sender: [a@example.com]}"), line: 2, "has no 'actions'")
        expectRefused(oneRule("when: {sender: [a@example.com]}\nactions: []"), line: 4, "the list is empty")
    }

    @Test func ruleWithoutName() {
        expectRefused("rules:\n  - actions: [discard]\n", line: 2, "has no 'name'")
    }

    @Test func emptyWhen() {
        expectRefused(oneRule("when: {}\nactions: [discard]"), line: 3, "is empty")
    }

    @Test func conditionKeyOncePerWhen() {
        expectRefused(oneRule("""
            when:
              sender: [a@example.com]
              sender: [b@example.com]
            actions: [discard]
            """), line: 5, "duplicate key 'sender'", "line 4")
        expectRefused(oneRule("""
            when:
              limits_exceeded: true
              limits-exceeded: false
            actions: [discard]
            """), line: 5, "duplicate key 'limits-exceeded'")
    }

    @Test func rejectRecipientNeedsEnvelopeOnlyConditions() {
        expectRefused(oneRule("""
            when:
              recipient: [ceo@example.com]
              subject: {contains: [hello]}
            actions:
              - reject_recipient: "no"
            """), line: 5, "condition 'subject' is not allowed", "only direction, sender and recipient")
        expectRefused(oneRule("""
            when:
              recipient: [ceo@example.com]
            unless:
              attachment: {extension: [pdf]}
            actions:
              - reject_recipient: "no"
            """), line: 6, "condition 'attachment' is not allowed")
        expectRefused(oneRule("""
            when:
              recipient: [ceo@example.com]
            actions:
              - reject_recipient: "no"
              - add_header: {name: X-A, value: b}
            """), line: 7, "cannot be combined with 'reject_recipient'")
    }

    @Test func rejectRecipientWithEnvelopeConditionsIsFine() {
        let p = accepted(oneRule("""
            when:
              direction: inbound
              sender: ["*@partner.example"]
              recipient: [ceo@example.com]
            unless:
              sender: [boss@partner.example]
            actions:
              - reject_recipient: "no"
            """))
        #expect(p?.rules.first?.stage == .rcpt)
    }

    @Test func removeAttachmentsNeedsSomethingToSelect() {
        expectRefused(oneRule("""
            when:
              sender: [a@example.com]
            actions:
              - remove_attachments: true
            """), line: 6, "nothing to remove")
        // An exception does not select parts.
        expectRefused(oneRule("""
            unless:
              attachment: {extension: [pdf]}
            actions:
              - remove-attachments
            """), line: 6, "nothing to remove")
        expectRefused(oneRule("actions:\n  - remove_attachments: {}"), line: 4, "give at least one of")
    }

    @Test func oneDispositionPerRule() {
        expectRefused(oneRule("""
            actions:
              - add_header: {name: X-A, value: b}
              - reject: "no"
              - discard: true
            """), line: 6, "'discard' conflicts with 'reject' at line 5")
    }

    @Test func reservedAndMalformedHeaders() {
        expectRefused(oneRule("actions:\n  - add_header: {name: X-Sealmilter-Unscannable, value: none}"), line: 4, "reserved")
        expectRefused(oneRule("actions:\n  - add_header: {name: \"X Note\", value: a}"), line: 4, "not a header field name")
        expectRefused(oneRule("actions:\n  - add_header: {name: X-Note}"), line: 4, "needs both 'name' and 'value'")
        expectRefused(oneRule("actions:\n  - add_header"), line: 4, "add_header needs")
    }
}

@Suite struct Diagnostics {
    @Test func allErrorsInFileOrder() {
        let yaml = """
            flag_unscannable: maybe
            rules:
              - name: a
                when:
                  unscannable: [nope]
                actions:
                  - tempfail: {code: 550}
              - name: b
                actions: [explode]
            """
        let errors = Policy.diagnose(yaml: yaml, file: "p.yaml")
        #expect(errors.map { $0.line ?? 0 } == [1, 5, 7, 9], "\(errors)")
        #expect(errors.allSatisfy { $0.file == "p.yaml" })
        #expect(Policy.diagnose(yaml: "flag_unscannable: true\n").isEmpty)
    }

    @Test func missingFile() {
        do {
            _ = try Policy.load(path: "/nonexistent/sealmilter.yaml")
            Issue.record("loaded a missing file")
        } catch {
            #expect(error.file == "/nonexistent/sealmilter.yaml")
            #expect(error.message.contains("cannot read"))
        }
    }
}
