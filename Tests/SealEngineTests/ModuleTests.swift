import Foundation
import SealEngine
import SealPolicy
import Testing

/// A new action is one file (StampAction.swift) and one registration line.
@Suite struct ModuleTests {
    static let registry: Registry = {
        var r = Registry.builtin
        r.register(action: StampAction.self)   // the one registration line
        r.register(feature: StampFeature.self)
        r.register(condition: StampPrefixCondition.self)
        return r
    }()

    static let zipMessage = msg([
        "From: a@partner.example", "To: b@example.com", "Subject: s", "MIME-Version: 1.0",
        "Content-Type: multipart/mixed; boundary=\"B\"", "",
        "--B", "Content-Type: text/plain", "", "hello", "--B",
        "Content-Type: application/zip; name=\"a.exe\"", "Content-Disposition: attachment; filename=\"a.exe\"",
        "Content-Transfer-Encoding: base64", "", "AAAA", "--B--", "",
    ])

    /// The message through a session of `yaml`, with the test action registered.
    func run(_ yaml: String, _ message: String = zipMessage, chunk: Int = 7) throws -> (Session, Decision) {
        let (s, d, _) = try SealEngineTests.run(yaml, message, chunk: chunk, registry: Self.registry)
        return (s, d)
    }

    @Test func loadsOnlyWhenRegistered() throws {
        let yaml = "rules:\n  - name: stamp\n    actions:\n      - test_stamp: {header: X-Stamp, text: stamped}\n"
        let p = try Policy.parse(yaml: yaml, file: "test.yaml", registry: Self.registry)
        let a = try #require(p.rules.first?.actions.first as? StampAction)
        #expect(a.header == "X-Stamp" && a.text == "stamped" && !a.seal)
        // Without the registration the key is unknown, with file, line and column.
        do {
            _ = try Policy.parse(yaml: yaml, file: "test.yaml")
            Issue.record("an unregistered action was accepted")
        } catch {
            #expect(error.line == 4 && error.column == 9, "\(error)")
            #expect(error.message.contains("unknown action 'test_stamp'"), "\(error)")
        }
        // The action's own loader reports its errors with positions.
        do {
            _ = try Policy.parse(yaml: "rules:\n  - name: r\n    actions:\n      - test_stamp: {header: X-S, text: t, seal: maybe}\n",
                                 file: "t.yaml", registry: Self.registry)
            Issue.record("a bad value was accepted")
        } catch {
            #expect(error.line == 4 && error.message.contains("test_stamp.seal: expected true or false"), "\(error)")
        }
    }

    @Test func featureSectionLoadsAndReachesConditionsAtRunTime() throws {
        let yaml = """
            test_stamp_settings: {prefix: "[x]"}
            rules:
              - name: tagged
                when: {test_stamp_prefix: true}
                actions:
                  - add_header: {name: X-Tagged, value: "yes"}
            """
        let p = try Policy.parse(yaml: yaml, file: "t.yaml", registry: Self.registry)
        #expect(p.settings.features[StampFeature.self]?.prefix == "[x]")
        let tagged = Self.zipMessage.replacingOccurrences(of: "Subject: s", with: "Subject: [x] s")
        let (s1, _) = try run(yaml, tagged)
        #expect(s1.headerEdits.contains { $0.name == "X-Tagged" })
        let (s2, _) = try run(yaml)
        #expect(!s2.headerEdits.contains { $0.name == "X-Tagged" })
        // Errors: the section's own (with a position), the feature's whole-policy
        // check, a condition that needs a missing section, and an unregistered section.
        do { _ = try Policy.parse(yaml: "test_stamp_settings: {prefix: 3, other: 1}\n", file: "t.yaml", registry: Self.registry)
             Issue.record("unknown key accepted") } catch { #expect(error.line == 1 && error.message.contains("other"), "\(error)") }
        do { _ = try Policy.parse(yaml: "test_stamp_settings: {prefix: bad}\n", file: "t.yaml", registry: Self.registry)
             Issue.record("check ignored") } catch { #expect(error.message.contains("'bad' is refused"), "\(error)") }
        do { _ = try Policy.parse(yaml: "rules:\n  - name: r\n    when: {test_stamp_prefix: true}\n    actions: [discard]\n", file: "t.yaml", registry: Self.registry)
             Issue.record("missing section accepted") } catch {
            #expect(error.line == 2 && error.message.contains("rule 'r': test_stamp_prefix: needs the 'test_stamp_settings:' section"), "\(error)") }
        do { _ = try Policy.parse(yaml: "test_stamp_settings: {prefix: a}\n", file: "t.yaml")
             Issue.record("unregistered section accepted") } catch { #expect(error.message.contains("test_stamp_settings"), "\(error)") }
    }

    @Test func asksForAHeaderAndABodyTransformAndShowsInTheReport() throws {
        let yaml = "rules:\n  - name: stamp\n    actions:\n      - test_stamp: {header: X-Stamp, text: stamped}\n"
        let engine = Engine(policy: try Policy.parse(yaml: yaml, file: "t", registry: Self.registry))
        #expect(engine.needs.contains(.body))
        #expect(engine.modifications.contains(.changeBody) && engine.modifications.contains(.addHeaders))
        let (s, d) = try run(yaml)
        #expect(d == .accept)
        #expect(s.headerEdits.contains(HeaderEdit(operation: .add, name: "X-Stamp", value: "stamped", index: 0)))
        #expect(s.bodyReplaced)
        let body = try replacementBody(s)
        let original = String(Self.zipMessage[Self.zipMessage.range(of: "\r\n\r\n")!.upperBound...])
        #expect(body == original + "stamped\r\n")
        // What sealctl scan prints (text and --json) names the action.
        let report = try #require(s.report)
        #expect(report.actions == ["stamp: test_stamp X-Stamp"])
        #expect(report.text.contains("Actions: stamp: test_stamp X-Stamp"))
        #expect(s.jsonReport().contains("\"actions\":[\"stamp: test_stamp X-Stamp\"]"))
    }

    @Test func transformsChainInTheEnginesOrder() throws {
        // The stamp is listed first, but removal edits the original by part offsets
        // and runs first; the stamp reads the removal's output.
        let yaml = """
            rules:
              - name: both
                actions:
                  - test_stamp: {header: X-Stamp, text: stamped}
                  - remove_attachments: {extension: [exe]}
            """
        for chunk in [1, 7, 4096] {
            let (s, d) = try run(yaml, chunk: chunk)
            #expect(d == .accept)
            let body = try replacementBody(s)
            #expect(!body.contains("AAAA"), "chunk \(chunk)")
            #expect(body.contains("Sealmilter removed an attachment"), "chunk \(chunk)")
            #expect(body.hasSuffix("--B--\r\nstamped\r\n"), "chunk \(chunk): \(body)")
            #expect(s.report?.verdict.removed_parts == ["1.2"])
        }
    }

    @Test func noBodyChangeAfterSealing() throws {
        func refused(_ yaml: String, line: Int, _ fragment: String) {
            do {
                _ = try Policy.parse(yaml: yaml, file: "t.yaml", registry: Self.registry)
                Issue.record("accepted:\n\(yaml)")
            } catch {
                #expect(error.line == line, "\(error)")
                #expect(error.message.contains(fragment), "\(error)")
                #expect(error.message.contains("remove parts, other content changes, sign, encrypt, envelope"), "\(error)")
            }
        }
        // In one rule.
        refused("""
            rules:
              - name: r
                actions:
                  - test_stamp: {header: X-S, text: t, seal: true}
                  - remove_attachments: {extension: [exe]}
            """, line: 5, "'remove_attachments' would change the body after 'test_stamp'")
        // Across rules, in policy order.
        refused("""
            rules:
              - name: seal
                actions:
                  - test_stamp: {header: X-S, text: t, seal: true}
              - name: later
                actions:
                  - remove_attachments: {extension: [exe]}
            """, line: 7, "'remove_attachments' would change the body after 'test_stamp' (rule 'seal', line 4)")
        // Sealing last is fine, and the sealing transform sees the changed body.
        let (s, _) = try run("""
            rules:
              - name: r
                actions:
                  - remove_attachments: {extension: [exe]}
                  - test_stamp: {header: X-S, text: sealed, seal: true}
            """)
        let body = try replacementBody(s)
        #expect(!body.contains("AAAA") && body.hasSuffix("sealed\r\n"))
    }
}
