import Foundation
import Testing
@testable import SealPolicy
@testable import SealEngine

/// packaging/sealmilter.yaml, found from this file's path.
let samplePath: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }  // SealPolicyTests, Tests, repository root
    return url.appendingPathComponent("packaging/sealmilter.yaml").path
}()

@Suite struct SampleFile {
    @Test func loadsAsShipped() throws {
        let p = try Policy.load(path: samplePath)
        #expect(p.flagUnscannable == true)
        #expect(p.internalDomains == [DomainPattern("example.com")])
        #expect(p.milter.socket == "inet:8891@127.0.0.1")
        #expect(p.rules.isEmpty, "the sample's rules are examples and ship commented out")
        #expect(p.limits == Limits())
    }

    /// Uncommenting the examples as the file's comments say (drop the single "#" of
    /// each rule line, `rules: []` to `rules:`) gives a valid policy that shows every
    /// condition and every action.
    @Test func examplesAreValidAndCoverEveryKind() throws {
        let text = try String(contentsOfFile: samplePath, encoding: .utf8)
        var lines: [String] = []
        var inRules = false
        var inSection = false   // the commented `keys:` and `submission:` that some examples need
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "rules: []" { lines.append("rules:"); inRules = true; continue }
            if inRules && line.hasPrefix("#  ") { lines.append(String(line.dropFirst())); continue }
            if !inRules && (line == "# keys:" || line == "# submission:") { inSection = true; lines.append(String(line.dropFirst(2))); continue }
            if inSection && line.hasPrefix("#   ") { lines.append(String(line.dropFirst(2))); continue }
            inSection = false
            lines.append(String(line))
        }
        let p: Policy
        do {
            p = try Policy.parse(yaml: lines.joined(separator: "\n"), file: "uncommented")
        } catch {
            Issue.record("uncommented examples are refused: \(error)")
            return
        }
        #expect(p.rules.count >= 7)
        let conditionKeys = Set(p.rules.flatMap { $0.conditions + $0.exceptions }.map(\.key))
        #expect(conditionKeys == ["direction", "sender", "recipient", "header", "subject", "body",
                                  "attachment", "size", "unscannable", "limits_exceeded"])
        let actionKeys = Set(p.rules.flatMap(\.actions).map(\.key))
        #expect(actionKeys == ["add_header", "reject", "tempfail", "quarantine", "discard",
                               "reject_recipient", "remove_attachments", "notify"])
        #expect(p.rules.contains { $0.forEachRecipient } && p.settings.submission != nil)
        // Both forms of remove_attachments are shown.
        let removals = p.rules.flatMap(\.actions).compactMap { a -> PartSelector?? in
            guard let r = a as? RemoveAttachmentsAction else { return nil }
            return .some(r.selector)
        }
        #expect(removals.contains { $0 == nil } && removals.contains { $0 != nil })
        #expect(p.rules.contains { $0.stop })
    }
}
