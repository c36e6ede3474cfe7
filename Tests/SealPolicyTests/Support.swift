import Testing
@testable import SealPolicy
@testable import SealEngine

/// The first error of `yaml`, or nil when it loads.
func firstError(_ yaml: String) -> PolicyError? {
    do {
        _ = try Policy.parse(yaml: yaml, file: "test.yaml")
        return nil
    } catch {
        return error
    }
}

/// Expects `yaml` to be refused with an error at `line` whose message contains every fragment.
func expectRefused(_ yaml: String, line: Int, column: Int? = nil, _ fragments: String...,
                   sourceLocation: SourceLocation = #_sourceLocation) {
    guard let e = firstError(yaml) else {
        Issue.record("policy was accepted, expected an error at line \(line)", sourceLocation: sourceLocation)
        return
    }
    #expect(e.file == "test.yaml", sourceLocation: sourceLocation)
    #expect(e.line == line, "\(e)", sourceLocation: sourceLocation)
    if let column { #expect(e.column == column, "\(e)", sourceLocation: sourceLocation) }
    for f in fragments {
        #expect(e.message.contains(f), "message \"\(e.message)\" lacks \"\(f)\"", sourceLocation: sourceLocation)
    }
}

/// Parses `yaml`, recording an issue when it is refused.
func accepted(_ yaml: String, sourceLocation: SourceLocation = #_sourceLocation) -> Policy? {
    do {
        return try Policy.parse(yaml: yaml, file: "test.yaml")
    } catch {
        Issue.record("refused: \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// A policy with one rule: `body` are the rule's lines after `- name: r`, indented by four spaces.
func oneRule(_ body: String) -> String {
    "rules:\n  - name: r\n" + body.split(separator: "\n", omittingEmptySubsequences: false)
        .map { $0.isEmpty ? "" : "    " + $0 }.joined(separator: "\n")
}
