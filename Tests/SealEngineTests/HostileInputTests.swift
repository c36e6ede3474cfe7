import Foundation
import SealEngine
import SealPolicy
import Testing

/// Issue 8 findings handled in the engine: the rule CPU budget, the spool
/// directory checked like the key files, and a bare `X-Sealmilter:` field.
@Suite struct HostileInputTests {
    /// 150 rules, each scanning about 1 MB of text for a keyword it does not hold.
    static func heavyPolicy(_ extra: String, rules: Int = 150) -> String {
        var y = "limits: {max_rule_cpu: 5ms\(extra)}\nrules:\n"
        for i in 0..<rules { y += "  - name: r\(i)\n    when: {body: {contains: [\"needle\(i)\"]}}\n    actions: [reject]\n" }
        return y
    }
    static let bigText = msg(["From: a@partner.example", "Subject: s", "Content-Type: text/plain", "",
                              String(repeating: "hay stack without anything of interest in it\r\n", count: 22_000)])

    @Test func ruleCPUBudgetTempfailsByDefault() throws {
        let (s, d, _) = try run(Self.heavyPolicy(""), Self.bigText, chunk: 64 * 1024)
        #expect(d == .tempfail)
        #expect(s.reply?.code == "451" && s.reply?.extendedCode == "4.7.0", "\(String(describing: s.reply))")
        #expect(s.logLine.contains("limits=max-rule-cpu"), "\(s.logLine)")
        #expect(s.report?.limits_exceeded == ["max-rule-cpu"])
        // Evaluation stopped: far fewer than 150 rules ran (each takes ~0.1 ms or more).
        #expect(s.outcome?.budgetExceeded == true)
    }

    @Test func ruleCPUBudgetCanAccept() throws {
        let (s, d, _) = try run(Self.heavyPolicy(", on_rule_cpu_exceeded: accept"), Self.bigText, chunk: 64 * 1024)
        #expect(d == .accept)
        #expect(s.logLine.contains("limits=max-rule-cpu"), "\(s.logLine)")
        #expect(s.report?.verdict.action == "accept")
        // Delivered, but flagged: what was not judged was not seen into.
        #expect(s.headerEdits.contains(HeaderEdit(operation: .add, name: "X-Sealmilter-Unscannable", value: "limits-exceeded", index: 0)),
                "\(s.headerEdits)")
    }

    @Test func generousBudgetRunsEveryRule() throws {
        let y = Self.heavyPolicy("", rules: 3).replacingOccurrences(of: "max_rule_cpu: 5ms", with: "max_rule_cpu: 60s")
        let (s, d, _) = try run(y, Self.bigText, chunk: 64 * 1024)
        #expect(s.report?.rules == [])
        #expect(d == .accept)
        #expect(s.outcome?.budgetExceeded == false)
    }

    @Test func budgetSettingsAreChecked() {
        for (bad, fragment) in [("0s", "expected a time"), ("7200s", "at most an hour"), ("fast", "expected a time"),
                                ("0.0001s", "at least 1ms")] {
            do {
                _ = try Policy.parse(yaml: "limits: {max_rule_cpu: \(bad)}\n", file: "t.yaml")
                Issue.record("\(bad) accepted")
            } catch { #expect(error.message.contains(fragment) && error.line == 1, "\(error)") }
        }
        #expect(throws: PolicyError.self) { try Policy.parse(yaml: "limits: {on_rule_cpu_exceeded: pass}\n") }
        let p = try? Policy.parse(yaml: "limits: {max_rule_cpu: 250ms, on_rule_cpu_exceeded: accept}\n")
        #expect(p?.evaluation.maxRuleCPU == .milliseconds(250) && p?.evaluation.onRuleCPUExceeded == .accept)
        #expect(Policy().evaluation.maxRuleCPU == .seconds(2) && Policy().evaluation.onRuleCPUExceeded == .tempfail)
    }

    @Test func spoolDirectoryIsCheckedLikeKeyFiles() throws {
        let dir = NSTemporaryDirectory() + "sealspool-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func problems(_ d: String, owner: uid_t? = nil) throws -> [PolicyError] {
            try Policy.parse(yaml: "spool:\n  directory: \(d)\n", file: "p.yaml").fileProblems(owner: owner)
        }
        #expect(try problems(dir).isEmpty)
        let missing = try problems(dir + "/nope")
        #expect(missing.count == 1 && missing[0].line == 2 && missing[0].column == 14, "\(missing)")
        #expect(missing.first?.message.contains("spool.directory: \(dir)/nope cannot be used") == true, "\(missing)")
        FileManager.default.createFile(atPath: dir + "/file", contents: Data())
        #expect(try problems(dir + "/file").first?.message.contains("is not a directory") == true)
        // Writable only by its owner (root here): not by another user.
        chmod(dir, 0o700)
        let other = try problems(dir, owner: 65534)
        #expect(other.first?.message.contains("is not writable by") == true, "\(other)")
        chmod(dir, 0o1777)
        #expect(try problems(dir, owner: 65534).isEmpty)
    }

    @Test func bareSealmilterFieldIsStripped() throws {
        let m = msg(["From: a@partner.example", "X-Sealmilter: pass", "x-sealmilter:  anything", "Subject: x", "", "body", ""])
        let (s, _, _) = try run(flagOnly, m)
        let deletes = s.headerEdits.filter { $0.operation == .delete }
        #expect(deletes.contains(HeaderEdit(operation: .delete, name: "X-Sealmilter", value: nil, index: 1)), "\(deletes)")
        #expect(deletes.contains(HeaderEdit(operation: .delete, name: "x-sealmilter", value: nil, index: 2)), "\(deletes)")
        #expect(deletes.count == 2)
    }
}

/// Issue 8, points 4 and 5, in the engine: the parser's ambiguity and limit marks
/// become unscannable kinds that the policy acts on.
@Suite struct ParserMarksTests {
    @Test func ambiguousStructureIsFlagged() throws {
        let m = msg(["From: a@partner.example", "Subject: s", "Content-Type: text/plain",
                     "Content-Type: multipart/mixed; boundary=\"B\"", "", "--B", "Content-Type: text/plain", "", "x", "--B--", ""])
        let (s, _, _) = try run(flagOnly, m)
        #expect(s.headerEdits.contains { $0.name == "X-Sealmilter-Unscannable" && ($0.value ?? "").contains("ambiguous-structure") },
                "\(s.headerEdits)")
        let (clean, _, _) = try run(flagOnly, msg(["From: a@partner.example", "Content-Type: text/plain", "", "x", ""]))
        #expect(clean.headerEdits.isEmpty)
    }

    @Test func partsPastTheDepthLimitAreFlaggedAndRemovable() throws {
        // 6 levels of multipart with a zip at the bottom; the policy allows 3.
        var lines = ["From: a@partner.example", "Subject: deep", "Content-Type: multipart/mixed; boundary=\"b0\"", ""]
        for i in 0..<6 { lines += ["--b\(i)", "Content-Type: multipart/mixed; boundary=\"b\(i + 1)\"", ""] }
        lines += ["--b6", "Content-Type: application/zip; name=\"x.zip\"", "Content-Transfer-Encoding: base64", "", "UEsDBBQAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAA==", "--b6--"]
        for i in (0..<6).reversed() { lines += ["--b\(i)--"] }
        lines.append("")
        let policy = """
            limits: {max_depth: 3}
            rules:
              - name: strip
                actions:
                  - remove_attachments: {unscannable: any}
            """
        let (s, d, _) = try run(policy, msg(lines))
        #expect(d == .accept)
        #expect(s.report?.unscannable.contains("limits-exceeded") == true, "\(String(describing: s.report?.unscannable))")
        #expect(s.headerEdits.contains { $0.name == "X-Sealmilter-Unscannable" && ($0.value ?? "").contains("limits-exceeded") })
        #expect(s.bodyReplaced)
        let body = try replacementBody(s)
        #expect(!body.contains("UEsDBBQ"), "the uninspected part is still there:\n\(body)")
        #expect(body.contains("Sealmilter removed"))
    }
}
