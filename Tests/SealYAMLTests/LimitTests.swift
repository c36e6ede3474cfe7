import Testing
@testable import SealYAML

/// Composes `yaml`, expecting a refusal for passing a limit, within `seconds`.
func expectLimit(_ yaml: String, limits: Limits = .default, within seconds: Double = 1,
                 _ fragments: String..., sourceLocation: SourceLocation = #_sourceLocation) -> YAMLError? {
    let clock = ContinuousClock()
    var error: YAMLError? = nil
    let start = clock.now
    do {
        _ = try compose(yaml: yaml, limits: limits)
    } catch let e {
        error = e
    }
    let elapsed = clock.now - start
    guard let error else {
        Issue.record("accepted", sourceLocation: sourceLocation)
        return nil
    }
    #expect(error.kind == .limit, "\(error)", sourceLocation: sourceLocation)
    for f in fragments {
        #expect(error.problem.contains(f), "\"\(error.problem)\" lacks \"\(f)\"", sourceLocation: sourceLocation)
    }
    #expect(elapsed < .seconds(seconds), "took \(elapsed)", sourceLocation: sourceLocation)
    return error
}

@Suite struct Nesting {
    @Test func fiveThousandBracketsAreRefusedAtTheFirstTooDeep() {
        let e = expectLimit(Hostile.nestedLists(5000), "nesting deeper than 64 levels")
        #expect(e?.mark == Mark(line: 1, column: 65))
    }

    @Test func fiveThousandFlowMappingsAreRefused() {
        let e = expectLimit(Hostile.nestedMappings(5000), "nesting deeper than 64 levels")
        #expect(e?.mark?.line == 1)
    }

    @Test func deepBlockMappingsAreRefusedOnTheirLine() {
        let e = expectLimit(Hostile.nestedBlockMappings(100), "nesting deeper than 64 levels")
        // The 65th mapping starts at the key of line 65 (indented 64).
        #expect(e?.mark == Mark(line: 65, column: 65))
    }

    @Test func theLimitItselfIsAccepted() throws {
        let root = try #require(tree(Hostile.nestedLists(64)))
        var depth = 0
        var node: Node? = root
        while let s = node?.sequence { depth += 1; node = s.first }
        #expect(depth == 64)
        #expect(refusal(Hostile.nestedLists(65)) != nil)
    }

    @Test func limitIsAdjustable() {
        var l = Limits(); l.maxDepth = 3
        #expect(tree("a: {b: [c]}\n", limits: l) != nil)
        _ = expectLimit("a: {b: [{c: d}]}\n", limits: l, "deeper than 3 levels")
    }

    /// Far past any stack: the composer keeps its own stack and stops at the limit.
    @Test func aMillionBracketsAreRefusedQuickly() {
        _ = expectLimit(Hostile.nestedLists(1_000_000), "nesting deeper than 64 levels")
    }
}

@Suite struct Aliases {
    @Test func sharingAListIsFine() throws {
        let yaml = "exts: &e [exe, scr, js]\nr1: {ext: *e}\nr2: {ext: *e}\nr3: {ext: *e}\n"
        let map = try #require(tree(yaml)?.mapping)
        #expect(map["r3"]?.mapping?["ext"]?.sequence?.count == 3)
    }

    @Test func bigScalarAliasedThreeHundredThousandTimesIsRefused() {
        let yaml = Hostile.bigScalarAliased()
        #expect(yaml.utf8.count < 1_300_000)
        let e = expectLimit(yaml, "aliases copy too much", "*a", "bytes of text")
        #expect(e?.mark?.line == 2)
    }

    @Test func bigListAliasedThreeHundredThousandTimesIsRefused() {
        let e = expectLimit(Hostile.bigListAliased(), "aliases copy too much", "*a", "nodes")
        #expect(e?.mark?.line == 2)
    }

    @Test func billionLaughsIsRefused() {
        _ = expectLimit(Hostile.billionLaughs(), "aliases copy too much")
        // Even far more levels stop at the same point.
        _ = expectLimit(Hostile.billionLaughs(levels: 30), "aliases copy too much")
    }

    @Test func hundredThousandAliasedRulesAreRefused() {
        _ = expectLimit(Hostile.aliasedRules(100_000), "aliases copy too much", "*r")
    }

    /// The allowance is relative to the document: a large document may share more.
    @Test func allowanceGrowsWithTheDocument() throws {
        var l = Limits(); l.aliasNodeAllowance = 10
        // Each alias copies 3 nodes. Here the 4th brings the copies to 12 while the
        // document has written 11 nodes (the alias included): refused.
        _ = expectLimit("a: &x [p, q]\nb: [*x, *x, *x, *x]\n", limits: l, "more than 11 nodes")
        // With 12 more nodes written before, 5 aliases (15 copies, 24 written) pass.
        #expect(tree("pad: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\na: &x [p, q]\nb: [*x, *x, *x, *x, *x]\n", limits: l) != nil)
    }
}

@Suite struct Size {
    @Test func documentOverTheSizeLimitIsRefused() {
        var l = Limits(); l.maxBytes = 1000
        let e = expectLimit("a: " + String(repeating: "x", count: 1000) + "\n", limits: l, "larger than 1000 bytes")
        #expect(e?.mark == nil)
    }

    @Test func defaultSizeLimitIsEightMiB() {
        _ = expectLimit("a: " + String(repeating: "x", count: 8 << 20) + "\n", "larger than 8 MiB")
    }

    @Test func nodeCountIsBounded() {
        var l = Limits(); l.maxNodes = 100
        #expect(tree("[" + Array(repeating: "x", count: 99).joined(separator: ",") + "]", limits: l) != nil)
        _ = expectLimit("[" + Array(repeating: "x", count: 100).joined(separator: ",") + "]", limits: l, "more than 100 nodes")
    }
}
