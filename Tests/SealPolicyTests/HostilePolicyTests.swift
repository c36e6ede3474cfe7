import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import SealPolicy
@testable import SealEngine

/// Hostile policy files (issue 8, points 2 and 3): each is refused with one error
/// naming the file, line and column, in well under a second. The files are
/// generated here; none is committed.
@Suite struct HostilePolicies {
    /// Every error of `yaml`, checking that there is exactly one, that it contains
    /// `fragments`, and that it came within a second.
    @discardableResult
    func expectOneError(_ yaml: String, _ fragments: String..., sourceLocation: SourceLocation = #_sourceLocation) -> PolicyError? {
        let clock = ContinuousClock()
        let start = clock.now
        let errors = Policy.diagnose(yaml: yaml, file: "hostile.yaml")
        let elapsed = clock.now - start
        #expect(elapsed < .seconds(1), "took \(elapsed)", sourceLocation: sourceLocation)
        #expect(errors.count == 1, "\(errors.count) errors, the first: \(errors.prefix(3))", sourceLocation: sourceLocation)
        guard let e = errors.first else { return nil }
        #expect(e.file == "hostile.yaml", sourceLocation: sourceLocation)
        #expect(e.line != nil && e.column != nil, "\(e)", sourceLocation: sourceLocation)
        for f in fragments {
            #expect(e.message.contains(f), "\"\(e.message)\" lacks \"\(f)\"", sourceLocation: sourceLocation)
        }
        // parse() throws the same error.
        #expect(throws: PolicyError.self, sourceLocation: sourceLocation) { try Policy.parse(yaml: yaml, file: "hostile.yaml") }
        return e
    }

    // MARK: Point 2: nesting

    @Test func fiveThousandBrackets() {
        let e = expectOneError(String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000) + "\n",
                               "YAML error: nesting deeper than 64 levels")
        #expect(e?.line == 1 && e?.column == 65)
        #expect(e?.description.hasPrefix("hostile.yaml:1:65: ") == true)
    }

    @Test func fiveThousandBracketsUnderARule() {
        let yaml = "rules:\n  - name: r\n    actions: " + String(repeating: "[", count: 5000) + "\n"
        let e = expectOneError(yaml, "nesting deeper than 64 levels")
        #expect(e?.line == 3)
    }

    @Test func fiveThousandNestedMappings() {
        let e = expectOneError("rules:\n  - when: " + String(repeating: "{a: ", count: 5000) + "x" + String(repeating: "}", count: 5000) + "\n",
                               "nesting deeper than 64 levels")
        #expect(e?.line == 2)
    }

    @Test func deepBlockNesting() {
        let yaml = (0..<200).map { String(repeating: " ", count: $0) + "k\($0):" }.joined(separator: "\n") + " x\n"
        let e = expectOneError(yaml, "nesting deeper than 64 levels")
        #expect(e?.line == 65)
    }

    // MARK: Point 3: aliases

    @Test func twentyKilobyteAnchorAliasedThreeHundredThousandTimes() {
        let yaml = "rules:\n  - name: &a " + String(repeating: "x", count: 20_000) + "\n    actions: [discard]\n"
            + "  - {name: y, actions: [discard], when: {subject: {contains: ["
            + Array(repeating: "*a", count: 300_000).joined(separator: ",") + "]}}}\n"
        #expect(yaml.utf8.count > 900_000)
        let e = expectOneError(yaml, "YAML error: aliases copy too much", "*a")
        #expect(e?.line == 4)
    }

    @Test func twentyKilobyteListAliasedThreeHundredThousandTimes() {
        let list = (0..<3000).map { "w\($0)" }.joined(separator: ", ")
        let yaml = "rules:\n  - name: r\n    when: {subject: {contains: &k [\(list)]}}\n    actions: [discard]\n"
            + "  - {name: s, actions: [discard], when: {body: {contains: ["
            + Array(repeating: "*k", count: 300_000).joined(separator: ",") + "]}}}\n"
        expectOneError(yaml, "aliases copy too much", "*k")
    }

    @Test func hundredThousandAliasedCopiesOfARule() {
        let yaml = "rules:\n  - &r {name: r, when: {subject: {contains: [invoice]}}, actions: [discard]}\n"
            + String(repeating: "  - *r\n", count: 100_000)
        let e = expectOneError(yaml, "aliases copy too much", "*r")
        #expect((e?.line ?? 0) < 5000)
    }

    @Test func billionLaughs() {
        var yaml = "rules:\n  - name: r0\n    actions: [discard]\n    when: {subject: {contains: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]}}\n"
        for i in 1...12 {
            yaml += "  - {name: r\(i), actions: [discard], when: {subject: {contains: &l\(i) ["
                + Array(repeating: "*l\(i - 1)", count: 10).joined(separator: ", ") + "]}}}\n"
        }
        expectOneError(yaml, "aliases copy too much")
    }

    /// Aliases keep their documented use: sharing a list between rules.
    @Test func sharedListStillWorks() throws {
        let yaml = """
            rules:
              - name: a
                when: {attachment: {extension: &risky [exe, scr, js]}}
                actions: [quarantine]
              - name: b
                when: {attachment: {extension: *risky}, direction: outbound}
                actions: [reject]
            """
        let p = try #require(accepted(yaml))
        #expect(p.rules.count == 2)
        #expect(p.rules[1].conditions.count == 2)
    }

    // MARK: Size

    @Test func fileOverEightMiBIsRefusedBeforeReading() throws {
        let path = "/tmp/sealmilter-hostile-\(getpid()).yaml"
        defer { unlink(path) }
        let f = try #require(fopen(path, "w"))
        let line = "# " + String(repeating: "x", count: 1021) + "\n"
        for _ in 0..<(9 * 1024) { fputs(line, f) }
        fclose(f)
        let errors = Policy.diagnose(path: path)
        #expect(errors.count == 1)
        #expect(errors.first?.message.contains("larger than 8 MiB") == true, "\(errors)")
        #expect(errors.first?.file == path)
    }

    @Test func fileReadingErrorsAreKept() throws {
        #expect(Policy.diagnose(path: "/nonexistent/policy.yaml").first?.message == "cannot read the file: No such file or directory")
        let path = "/tmp/sealmilter-latin1-\(getpid()).yaml"
        defer { unlink(path) }
        let f = try #require(fopen(path, "w"))
        fputs("flag_unscannable: true\n# caf\u{e9}\n", f)
        fputc(0xE9, f)
        fclose(f)
        #expect(Policy.diagnose(path: path).first?.message == "not UTF-8 text")
        // A valid file still loads from disk.
        let g = try #require(fopen(path, "w"))
        fputs("flag_unscannable: no\n", g)
        fclose(g)
        #expect(try Policy.load(path: path).flagUnscannable == false)
    }
}
