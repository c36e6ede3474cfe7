import Testing
@testable import SealYAML

/// Composes `yaml`, recording an issue when it is refused.
func tree(_ yaml: String, limits: Limits = .default, sourceLocation: SourceLocation = #_sourceLocation) -> Node? {
    do {
        return try compose(yaml: yaml, limits: limits)
    } catch {
        Issue.record("refused: \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// The error composing `yaml`, or nil (recorded as an issue) when it is accepted.
func refusal(_ yaml: String, limits: Limits = .default, sourceLocation: SourceLocation = #_sourceLocation) -> YAMLError? {
    do {
        _ = try compose(yaml: yaml, limits: limits)
        Issue.record("accepted", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

@Suite struct TreeShape {
    @Test func mappingKeepsOrderAndMarks() throws {
        let root = try #require(tree("b: 1\na:\n  - x\n  - 'y'\nc: {d: e}\n"))
        let map = try #require(root.mapping)
        #expect(map.map { $0.key.scalar?.string } == ["b", "a", "c"])
        #expect(root.mark == Mark(line: 1, column: 1))
        let list = try #require(map["a"]?.sequence)
        #expect(list.count == 2)
        #expect(list[0].mark == Mark(line: 3, column: 5))
        #expect(list[1].scalar?.style == .singleQuoted)
        #expect(map["c"]?.mapping?["d"]?.scalar?.string == "e")
        #expect(map["c"]?.mark == Mark(line: 5, column: 4))
        #expect(map["zz"] == nil)
        #expect(map.keys.count == 3)
    }

    @Test func emptyStreamHasNoRoot() throws {
        #expect(try compose(yaml: "") == nil)
        #expect(try compose(yaml: "# only a comment\n") == nil)
    }

    @Test func lastDuplicateKeyWinsInLookupButAllAreKept() throws {
        let map = try #require(tree("a: 1\na: 2\n")?.mapping)
        #expect(map.count == 2)
        #expect(map["a"]?.int == 2)
    }

    @Test func aliasIsTheAnchoredNode() throws {
        let map = try #require(tree("a: &x [p, q]\nb: *x\n")?.mapping)
        let b = try #require(map["b"]?.sequence)
        #expect(b.map { $0.scalar?.string } == ["p", "q"])
        #expect(b.mark == Mark(line: 1, column: 4))  // the anchor's node
    }

    @Test func anchorCanBeRedefined() throws {
        let map = try #require(tree("a: &x 1\nb: *x\nc: &x 2\nd: *x\n")?.mapping)
        #expect(map["b"]?.int == 1 && map["d"]?.int == 2)
    }

    @Test func multiLinePlainScalarIsFolded() throws {
        #expect(tree("a: one\n  two\n")?.mapping?["a"]?.scalar?.string == "one two")
    }
}

@Suite struct Resolution {
    static let cases: [(String, SealYAML.Tag)] = [
        ("yes", .bool), ("No", .bool), ("ON", .bool), ("off", .bool), ("true", .bool), ("False", .bool),
        ("y", .str), ("nO", .str), ("tRue", .str),
        ("~", .null), ("null", .null), ("Null", .null), ("NULL", .null), ("nUll", .str),
        ("0", .int), ("12", .int), ("-12", .int), ("+12", .int), ("1_000", .int), ("0x1F", .int), ("0o17", .int),
        ("017", .int), ("0b101", .int), ("1:30", .int), ("190:20:30", .int), ("1:60", .str),
        ("08", .float), ("1.5", .float), ("1e3", .float), ("-1.5E-3", .float), (".5", .float), ("1.", .float),
        (".inf", .float), ("-.Inf", .float), (".NaN", .float), ("+.nan", .str), ("1:30.5", .float),
        ("1.2.3", .str), ("0x", .str), ("0b", .str), ("12abc", .str), ("10M", .str), ("1 000", .str),
        ("<<", .merge), ("=", .value),
        ("2001-12-14", .timestamp), ("2001-12-14t21:59:43.10-05:00", .timestamp),
        ("2001-12-14 21:59:43.10 -5", .timestamp), ("2001-12-14T21:59:43Z", .timestamp),
        ("2001-1-4", .str), ("2001-12-14 21:59", .str),
        ("example.com", .str), ("hello world", .str), ("offset", .str), ("yesterday", .str), ("nullify", .str), ("o", .str), ("a.example", .str),
    ]

    @Test(arguments: cases) func plainScalars(text: String, tag: SealYAML.Tag) throws {
        let node = try #require(tree("k: \(text)\n")?.mapping?["k"])
        #expect(node.tag == tag, "\(text)")
        #expect(node.scalar?.string == text)
    }

    @Test func emptyValueIsNull() throws {
        let map = try #require(tree("k:\nl: ''\n")?.mapping)
        #expect(map["k"]?.tag == .null)
        #expect(map["l"]?.tag == .str)
    }

    @Test func quotedAndBlockScalarsAreStrings() throws {
        let map = try #require(tree("a: 'yes'\nb: \"12\"\nc: |\n  no\nd: >\n  ~\n")?.mapping)
        for k in ["a", "b", "c", "d"] { #expect(map[k]?.tag == .str, "\(k)") }
        #expect(map["b"]?.int == nil)  // a quoted number is not a number
    }

    @Test func explicitTags() throws {
        let map = try #require(tree("a: !!str 12\nb: !!int 12\nc: ! yes\nd: !custom x\n")?.mapping)
        #expect(map["a"]?.tag == .str)
        #expect(map["b"]?.tag == .int && map["b"]?.int == 12)
        #expect(map["c"]?.tag == .str)
        #expect(map["d"]?.tag == SealYAML.Tag(rawValue: "!custom"))
    }

    static let ints: [(String, Int?)] = [
        ("0", 0), ("12", 12), ("-12", -12), ("+12", 12), ("1_000", 1000), ("0x1F", 31), ("-0x10", -16),
        ("0o17", 15), ("017", 15), ("0b101", 5), ("1:30", 90), ("-1:30", -90), ("190:20:30", 685230),
        ("+0", 0), ("9223372036854775807", Int.max), ("9223372036854775808", nil),
        ("999999999999999999:00", nil), ("0x_", nil),
    ]

    @Test(arguments: ints) func intValues(text: String, value: Int?) throws {
        let node = try #require(tree("k: \(text)\n")?.mapping?["k"])
        #expect(node.int == value, "\(text)")
    }

    @Test func boolValues() throws {
        let map = try #require(tree("a: yes\nb: NO\nc: On\nd: false\ne: maybe\n")?.mapping)
        #expect(map["a"]?.bool == true && map["b"]?.bool == false && map["c"]?.bool == true)
        #expect(map["d"]?.bool == false && map["e"]?.bool == nil)
    }
}

@Suite struct Errors {
    @Test func syntaxErrorHasProblemContextAndMark() throws {
        let e = try #require(refusal("a: [x, y\nb: 1\n"))
        #expect(e.kind == .parser || e.kind == .scanner)
        #expect(e.mark?.line == 2)
        #expect(e.context?.text.contains("flow sequence") == true)
        #expect(e.context?.mark.line == 1)
    }

    @Test func tabIndentation() throws {
        let e = try #require(refusal("a:\n\tb: 1\n"))
        #expect(e.kind == .scanner)
        #expect(e.problem.contains("cannot start any token"))
        #expect(e.mark == Mark(line: 2, column: 1))
    }

    @Test func undefinedAlias() throws {
        let e = try #require(refusal("a: *nowhere\n"))
        #expect(e.kind == .composer && e.problem == "found undefined alias")
        #expect(e.mark == Mark(line: 1, column: 4))
    }

    @Test func aliasInsideItsOwnAnchorIsUndefined() throws {
        let e = try #require(refusal("a: &x [*x]\n"))
        #expect(e.problem == "found undefined alias")
    }

    @Test func secondDocumentIsRefused() throws {
        let e = try #require(refusal("a: 1\n---\nb: 2\n"))
        #expect(e.kind == .composer)
        #expect(e.problem == "but found another document")
        #expect(e.context?.text == "expected a single document in the stream")
        #expect(e.mark?.line == 2)
    }

    @Test func controlCharacterIsAReaderErrorWithItsPosition() throws {
        let e = try #require(refusal("a: b\nc: \"é\u{01}\"\n"))
        #expect(e.kind == .reader)
        #expect(e.problem.contains("control characters"))
        #expect(e.mark == Mark(line: 2, column: 6))
    }
}
