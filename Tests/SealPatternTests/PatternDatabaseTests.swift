import Foundation
import Testing
import SealTestSupport
@testable import SealPattern

/// Block scans of `text` with `db`: the ids that matched.
func ids(_ db: PatternDatabase, _ text: String) -> [Int] {
    withUTF8(text) { Array(db.matches(in: $0)) }
}

@Suite struct Compilation {
    @Test func errorNamesTheExpressionAndHyperscansMessage() {
        let exprs = ["ok", "fine.*", "(a)\\1", "(unclosed"].enumerated().map {
            PatternExpression($0.element, id: UInt32($0.offset), flags: [.utf8, .singleMatch])
        }
        do {
            _ = try PatternDatabase(exprs, mode: .block)
            Issue.record("compiled a back-reference")
        } catch {
            #expect(error.index == 2)
            #expect(error.message.contains("Back-references"), "\(error.message)")
            #expect(error.description.hasPrefix("expression 2: "))
        }
    }

    /// Constructs a backtracking engine has and Hyperscan refuses, each with its message.
    @Test(arguments: [
        ("(a)\\1", "Back-references"), ("(?<=a)b", "Zero-width"), ("(?<!a)b", "Zero-width"),
        ("a(?=b)", "Zero-width"), ("a(?!b)", "Zero-width"), ("(?>a+)b", "Atomic"),
        ("a++b", "Possessive"), ("(a)(?1)", "Subpattern"), ("a\\Kb", "\\K"), ("\\R", "\\R"),
        ("\\X", "\\X"), ("(?U)a+", "Unrecognised"),
    ])
    func unsupportedConstructsAreRefused(pattern: String, fragment: String) {
        #expect(throws: PatternCompileError.self) {
            _ = try PatternDatabase([PatternExpression(pattern, id: 0, flags: [.utf8])], mode: .block)
        }
        do { _ = try PatternDatabase([PatternExpression(pattern, id: 0, flags: [.utf8])], mode: .block) } catch {
            #expect(error.message.contains(fragment), "\(pattern): \(error.message)")
            #expect(error.index == 0)
        }
    }

    @Test func nulIsRefusedWithItsIndex() {
        do {
            _ = try PatternDatabase([PatternExpression("a", id: 0, flags: []), PatternExpression("b\u{0}c", id: 1, flags: [])], mode: .block)
            Issue.record("compiled an expression with a NUL")
        } catch {
            #expect(error.index == 1)
            #expect(error.message.contains("NUL"))
        }
    }

    @Test func emptyMatchingNeedsAllowEmpty() throws {
        #expect(throws: PatternCompileError.self) { _ = try PatternDatabase([PatternExpression("a*", id: 0, flags: [])], mode: .block) }
        let db = try PatternDatabase([PatternExpression("a*", id: 0, flags: [.allowEmpty])], mode: .block)
        #expect(ids(db, "") == [0])
        #expect(ids(db, "bbb") == [0])
    }

    @Test func emptyDatabaseMatchesNothing() throws {
        let db = try PatternDatabase([], mode: .block)
        #expect(ids(db, "anything").isEmpty)
        let s = try PatternDatabase([], mode: .stream).openStream()
        "abc".utf8.withContiguousStorageIfAvailable { s.feed(UnsafeRawBufferPointer($0)) }
        #expect(s.finish().isEmpty)
    }

    @Test func ucpRefusesWordBoundaries() {
        // Why policy expressions are compiled without UCP: \b would be refused.
        #expect(throws: PatternCompileError.self) {
            _ = try PatternDatabase([PatternExpression("\\bfoo\\b", id: 0, flags: [.utf8, .ucp])], mode: .block)
        }
    }
}

@Suite struct BlockScans {
    @Test func reportsEachMatchingID() throws {
        let db = try PatternDatabase([
            PatternExpression("abc", id: 0, flags: [.singleMatch]),
            PatternExpression("(?i)x.z", id: 1, flags: [.singleMatch, .utf8]),
            PatternExpression("^start", id: 2, flags: [.singleMatch]),
            PatternExpression("end$", id: 3, flags: [.singleMatch]),
            PatternExpression("never", id: 4, flags: [.singleMatch]),
            PatternExpression("shared-a", id: 7, flags: [.singleMatch]),
            PatternExpression("shared-b", id: 7, flags: [.singleMatch]),
        ], mode: .block)
        #expect(db.idLimit == 8)
        #expect(ids(db, "start abc XyZ abc end") == [0, 1, 2, 3])
        #expect(ids(db, "no start, end.") == [])
        #expect(ids(db, "shared-b shared-a") == [7])
        #expect(ids(db, "end\n") == [3])   // $ before a final line feed
        #expect(ids(db, "end\n\n") == [])
    }

    @Test func stopsEarly() throws {
        let db = try PatternDatabase((0..<4).map { PatternExpression("w\($0)", id: UInt32($0), flags: [.singleMatch]) }, mode: .block)
        let found = withUTF8("w0 w1 w2 w3") { db.matches(in: $0, stopAfter: 2) }
        #expect(found == MatchSet([0, 1]))
        #expect(withUTF8("w3 w2") { db.matchesAny($0) })
    }

    @Test func inlineModifiers() throws {
        func m(_ p: String, _ t: String) throws -> Bool {
            try PatternDatabase([PatternExpression(p, id: 0, flags: [.utf8, .singleMatch])], mode: .block).matchesAny(t)
        }
        #expect(try m("(?i)ABC", "xabcx"))
        #expect(try !m("ABC", "abc"))
        #expect(try m("a(?i)b", "aB"))
        #expect(try !m("a(?i)b", "AB"))
        #expect(try m("(?i:a)b", "Ab"))
        #expect(try m("(?m)^b", "a\nb"))
        #expect(try !m("^b", "a\nb"))
        #expect(try m("(?s)a.b", "a\nb"))
        #expect(try !m("a.b", "a\nb"))
        #expect(try m("(?x) a b  # a comment runs to the end of the line\n c", "abc"))
        #expect(try m("\\Aa", "ab"))
        #expect(try !m("a\\z", "a\n"))
        #expect(try m("a\\Z", "a\n"))
    }

    @Test func utf8Text() throws {
        func m(_ p: String, _ t: String) throws -> Bool {
            try PatternDatabase([PatternExpression(p, id: 0, flags: [.utf8, .singleMatch])], mode: .block).matchesAny(t)
        }
        #expect(try m("^a.b$", "aéb"))           // . is one character, not one byte
        #expect(try m("^[^x]{3}$", "äöü"))
        #expect(try m("(?i)größe", "GRÖßE"))      // Unicode simple case folding
        #expect(try !m("(?i)größe", "GRÖSSE"))    // not full folding (ß ≠ SS)
        #expect(try m("\\p{Lu}", "É"))
        #expect(try !m("^\\w$", "é"))             // \w is ASCII without UCP
        #expect(try m("\\bfoo\\b", "a foo b"))
        #expect(try !m("\\bfoo\\b", "afoob"))
        #expect(try m("[\\x{100}-\\x{200}]", "Ā"))
    }

    @Test func literalsAreEscaped() throws {
        let words = ["a.b", "(x)", "back\\slash", "$1.00", "[z-a]", "nul\u{0}byte", "Größe", "*"]
        let db = try PatternDatabase(words.enumerated().map { .literal($0.element, id: UInt32($0.offset), caseless: true) }, mode: .block)
        #expect(ids(db, "aXb (X) BACK\\SLASH $1,00 z nul byte") == [1, 2])
        #expect(ids(db, "A.B $1.00 [Z-A] NUL\u{0}BYTE") == [0, 3, 4, 5])
        #expect(ids(db, "die GRÖSSE") == [])
        #expect(ids(db, "die GRÖßE und *") == [6, 7])
        let cased = try PatternDatabase([.literal("Abc", id: 0, caseless: false)], mode: .block)
        #expect(ids(cased, "abc") == [])
        #expect(ids(cased, "xAbc") == [0])
    }
}

@Suite struct InvalidInput {
    /// Expressions compiled for UTF-8 given bytes that are not UTF-8: no error, no crash
    /// (Hyperscan's answers on such input are unspecified; callers pass decoded text).
    @Test func randomBytesDoNotBreakScanning() throws {
        let db = try PatternDatabase(["(?i)größe.*x", "^a.b$", "[^x]{3}é", "\\p{L}+ü", "(?i)account.*number"].enumerated().map {
            PatternExpression($0.element, id: UInt32($0.offset), flags: [.utf8, .singleMatch])
        }, mode: .block)
        let stream = try PatternDatabase([PatternExpression("(?i)größe.*x", id: 0, flags: [.utf8, .singleMatch])], mode: .stream)
        var rng = SplitMix(state: 7)
        for _ in 0..<5000 {
            let bytes = (0..<Int.random(in: 0...512, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let found = bytes.withUnsafeBytes { db.matches(in: $0) }
            #expect(found.allSatisfy { $0 < 5 })
            let s = stream.openStream()
            bytes.withUnsafeBytes { s.feed($0) }
            _ = s.finish()
        }
    }
}

@Suite struct RepetitionWeights {
    @Test(arguments: [
        ("abc", 0), ("a*b+c?", 0), ("a{5}b{10}", 15), ("a{2,7}", 7), ("a{3,}", 3), ("x.{0,40}y", 40),
        ("(x.{100}){100}", 100 + 100 * 100), ("((a){2}){3}", 3 + 3 * (2 + 2 * 0)), ("(ab){5}", 5), ("(a{4})+", 4),
        ("a{,3}", 0), ("a{x}", 0), ("\\x{20AC}{2}", 2), ("\\p{L}{3}", 3), ("[{5}]", 0), ("[]{9}]", 0),
        ("[[:alpha:]{]{2}", 2), ("\\Q{500}\\E", 0), ("(?#{500})a{2}", 2), ("\\{500}", 0), ("(a{2}", 2),
        ("a{99999999999999999999}", 1 << 30),
    ])
    func weights(pattern: String, weight: Int) {
        #expect(PatternExpression.repetitionWeight(pattern) == weight, "\(pattern)")
    }
}
