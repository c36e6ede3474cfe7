import Foundation
import Testing
import SealPattern
import Synchronization
@testable import SealPolicy
@testable import SealEngine

/// TextMatcher on Hyperscan: the documented semantics (sealmilter.yaml(5), "Keywords and
/// regular expressions").
@Suite struct TextMatcherSemantics {
    @Test func anchorsReferToTheWholeTextUnlessMultiline() throws {
        let whole = try TextMatcher(patterns: ["^urgent$"])
        #expect(whole.matches("urgent"))
        #expect(whole.matches("urgent\n"))          // $ also before a final line feed
        #expect(!whole.matches("re:\nurgent\nbye"))
        let lines = try TextMatcher(patterns: ["(?m)^urgent$"])
        #expect(lines.matches("re:\nurgent\nbye"))
        #expect(!lines.matches("re: urgent bye"))
        let end = try TextMatcher(patterns: ["bye\\z"])
        #expect(end.matches("good bye"))
        #expect(!end.matches("good bye\n"))
    }

    @Test func caseAndDot() throws {
        #expect(try !TextMatcher(patterns: ["Urgent"]).matches("URGENT"))
        #expect(try TextMatcher(patterns: ["(?i)Urgent"]).matches("URGENT"))
        #expect(try TextMatcher(patterns: ["(?i)fähre"]).matches("FÄHRE"))      // non-ASCII letters fold too
        #expect(try !TextMatcher(patterns: ["a.b"]).matches("a\nb"))
        #expect(try TextMatcher(patterns: ["(?s)a.b"]).matches("a\nb"))
        #expect(try TextMatcher(patterns: ["^a.c$"]).matches("a€c"))           // one character, three bytes
    }

    @Test func classesAreASCIIUnlessWrittenAsProperties() throws {
        #expect(try !TextMatcher(patterns: ["^\\w+$"]).matches("Größe"))
        #expect(try TextMatcher(patterns: ["^\\p{L}+$"]).matches("Größe"))
        #expect(try TextMatcher(patterns: ["\\bwire\\b"]).matches("a wire."))
        #expect(try !TextMatcher(patterns: ["\\bwire\\b"]).matches("wirecard"))
        #expect(try TextMatcher(patterns: ["\\d{3}"]).matches("no 123"))
    }

    @Test func keywordsAreLiteralAndIgnoreCase() throws {
        let m = try TextMatcher(keywords: ["a.b", "(50%)", "Fähre", "C:\\temp"])
        #expect(m.matches("A.B"))
        #expect(!m.matches("axb"))
        #expect(m.matches("only (50%) off"))
        #expect(!m.matches("only 50% off"))
        #expect(m.matches("die FÄHRE"))
        #expect(m.matches("c:\\TEMP\\x"))
        #expect(!m.matches(""))
        #expect(try !TextMatcher(keywords: [""]).matches("anything"))  // empty keywords are ignored
    }

    @Test func emptyMatchingExpressionMatchesEverything() throws {
        let m = try TextMatcher(patterns: ["x?"])
        #expect(m.matches(""))
        #expect(m.matches("abc"))
    }

    @Test func ownScratchGivesTheSameAnswers() throws {
        let m = try TextMatcher(keywords: ["invoice"], patterns: ["(?i)urgent.*payment"])
        let s = Scratch(for: [m.patternDatabase])
        for t in ["INVOICE", "urgent: payment", "payment urgent", ""] {
            #expect(m.matches(t, scratch: s) == m.matches(t), "\(t)")
            #expect(withUTF8(t) { m.matches(utf8: $0, scratch: s) } == m.matches(t), "\(t)")
        }
    }
}

/// Constructs Hyperscan does not support are refused when the policy loads, with file, line,
/// column and words saying what is not supported.
@Suite struct UnsupportedPatterns {
    @Test(arguments: [
        ("(a)\\\\1", "back-references"),
        ("(?<=a)b", "lookahead and lookbehind"),
        ("a(?!b)", "lookahead and lookbehind"),
        ("(?>a+)b", "atomic groups"),
        ("a++b", "possessive quantifiers"),
        ("(a)(?1)", "subroutine calls"),
        ("a\\\\Kb", "not supported"),
    ])
    func refusedWithPosition(pattern: String, says: String) {
        expectRefused(oneRule("""
            when:
              body:
                matches:
                  - "fine"
                  - "\(pattern)"
            actions: [discard]
            """), line: 7, column: 13, "rule 'r': when.body.matches", "invalid regular expression", says, "Hyperscan")
    }

    @Test func typedErrorCarriesTheIndex() {
        do {
            _ = try TextMatcher(keywords: ["k"], patterns: ["ok", "ok2", "(a)\\1"])
            Issue.record("compiled a back-reference")
        } catch {
            #expect(error.index == 2)
            #expect(!error.isKeyword)
            #expect(error.pattern == "(a)\\1")
            #expect(error.description.contains("back-references (\\1, \\k<name>) are not supported"), "\(error)")
        }
    }

    @Test func hostilePatternsLoadAndDecideFast() throws {
        let p = try #require(accepted(oneRule("""
            when:
              body: {matches: ["(?i)account.*number", "(?i)urgent.*(wire|transfer)", "(a+)+$"]}
            actions: [discard]
            """)))
        guard let m = (p.rules[0].conditions[0] as? BodyCondition)?.matcher else { Issue.record("not a body condition"); return }
        let body = String(repeating: "account ", count: 12_500) + String(repeating: "urgent ", count: 8_000) + String(repeating: "a", count: 19) + "!"
        var t = timespec(), u = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        #expect(!m.matches(body))
        clock_gettime(CLOCK_MONOTONIC, &u)
        let dt = Double(u.tv_sec - t.tv_sec) + Double(u.tv_nsec - t.tv_nsec) / 1e9
        #expect(dt < 2, "took \(dt) s")
    }
}

/// The policy-wide set agrees with its matchers one by one, in block and stream mode.
@Suite struct TextMatcherSets {
    static let specs: [([String], [String])] = [
        (["invoice"], []),
        ([], ["(?i)urgent.*(wire|transfer)"]),
        (["größe"], ["^re:"]),
        ([], []),                                  // never matches
        ([], ["pay(ment)?\\s+now$"]),
        (["Ä"], ["(?m)^--\\s*$"]),
        ([], ["x?"]),                              // matches every text
        (["(1)"], ["\\d{4,}"]),
    ]

    static func matchers() throws -> [TextMatcher] {
        try specs.map { try TextMatcher(keywords: $0.0, patterns: $0.1) }
    }

    static func texts() -> [String] {
        var rng = SystemRandomNumberGenerator()
        let pieces = ["re:", "Re:", "invoice", "INVOICE", "urgent", "wire", "transfer", "größe", "GRÖSSE",
                      "ä", "Ä", "pay", "payment", " ", "\n", "--", "now", "(1)", "12345", "x", "é"]
        var out = ["", "re: invoice", "urgent\nwire", "urgent wire", "pay now", "pay now\n", "a\n-- \nb"]
        for _ in 0..<400 {
            out.append((0..<Int.random(in: 0...12, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined())
        }
        return out
    }

    @Test func blockScanAgreesWithEachMatcher() throws {
        let ms = try Self.matchers()
        let set = try TextMatcherSet(ms, modes: .block)
        #expect(set.count == ms.count && set.activeCount == ms.count - 1)
        let scratch = set.makeScratch()
        for t in Self.texts() {
            let expected = MatchSet(ms.indices.filter { ms[$0].matches(t) })
            #expect(set.matching(t) == expected, "\(t.debugDescription)")
            #expect(set.matching(t, scratch: scratch) == expected, "\(t.debugDescription)")
            #expect(!set.matching(t).contains(3))
        }
    }

    @Test func streamAgreesWithBlockOnRandomChunks() throws {
        let ms = try Self.matchers()
        let set = try TextMatcherSet(ms, modes: [.block, .stream])
        let scratch = set.makeScratch()
        var rng = SystemRandomNumberGenerator()
        for t in Self.texts() {
            let bytes = Array(t.utf8)
            let s = set.openStream(scratch: scratch)
            var at = 0
            bytes.withUnsafeBytes { all in
                while at < all.count {
                    let n = Int.random(in: 1...max(1, all.count - at), using: &rng)
                    s.feed(UnsafeRawBufferPointer(rebasing: all[at..<(at + n)]))
                    at += n
                }
            }
            #expect(s.finish() == set.matching(t), "\(t.debugDescription)")
        }
    }

    @Test func unionAcrossTextsStopsWhenAllMatched() throws {
        let ms = try [TextMatcher(keywords: ["a"]), TextMatcher(keywords: ["b"]), TextMatcher()]
        let set = try TextMatcherSet(ms)
        var found = MatchSet()
        withUTF8("xa") { set.scan(utf8: $0, into: &found) }
        #expect(found == MatchSet([0]))
        withUTF8("bb") { set.scan(utf8: $0, into: &found) }
        #expect(found == MatchSet([0, 1]))
        #expect(found.count == set.activeCount)
    }

    @Test func emptySet() throws {
        let set = try TextMatcherSet([], modes: [.block, .stream])
        #expect(set.matching("anything").isEmpty)
        let s = set.openStream()
        withUTF8("abc") { s.feed($0) }
        #expect(s.finish().isEmpty)
    }

    /// Sessions on many threads, each with its own scratch, against one shared set.
    @Test func concurrentSessions() throws {
        let ms = try Self.matchers()
        let set = try TextMatcherSet(ms, modes: [.block, .stream])
        let texts = Self.texts()
        let expected = texts.map { t in MatchSet(ms.indices.filter { ms[$0].matches(t) }) }
        let bad = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 12) { w in
            let scratch = set.makeScratch()
            for (i, t) in texts.enumerated() where i % 12 == w || i % 5 == 0 {
                let s = set.openStream(scratch: scratch)
                withUTF8(t) { s.feed($0) }
                if set.matching(t, scratch: scratch) != expected[i] || s.finish() != expected[i] {
                    bad.withLock { $0 += 1 }
                }
            }
        }
        #expect(bad.withLock { $0 } == 0)
    }
}

/// The syntax sealmilter.yaml(5) documents, construct by construct: what it says is supported
/// compiles and matches, what it says is not is refused.
@Suite struct DocumentedSyntax {
    @Test(arguments: [
        ("\\x41\\x{20AC}\\o{101}", "A€A"), ("\\t\\e\\cA", "\t\u{1B}\u{01}"), ("\\Q.*\\E", ".*"),
        ("^[a-z][^x][[:alpha:]]$", "aéb"), ("\\d\\w\\s\\h\\v", "1a \t\n"), ("\\p{L}\\p{Lu}\\p{Greek}\\P{L}\\p{Z}", "éÉλ1\u{A0}"),
        ("(?:a|b)(c)(?<name>d)", "bcd"), ("^a*b+c?d{2}e{1,2}f{2,}$", "bbddeff"), ("^a+?b*?$", "aab"),
        ("\\Aab\\z", "ab"), ("ab\\Z", "ab\n"), ("\\bab\\B", "x abc"), ("a(?#note)b", "ab"),
        ("(?i)ab", "AB"), ("(?m)^b$", "a\nb\nc"), ("(?s)a.b", "a\nb"), ("(?x) a b # c\n", "ab"),
        ("(?i)a(?-i)b", "Ab"), ("(?i:a)b", "Ab"),
    ])
    func supported(pattern: String, text: String) throws {
        #expect(try TextMatcher(patterns: [pattern]).matches(text), "\(pattern) on \(text.debugDescription)")
    }

    @Test(arguments: [
        "(a)\\1", "(?<n>a)\\k<n>", "a(?=b)", "a(?!b)", "(?<=a)b", "(?<!a)b", "(?>a)", "a*+", "a++", "a?+",
        "(a)?(?(1)b|c)", "(?R)", "(a)(?1)", "a\\Kb", "\\Ga", "\\R", "\\X", "\\N", "(?U)a", "(?J)a",
    ])
    func unsupported(pattern: String) {
        #expect(throws: PatternError.self, "\(pattern) compiled") { _ = try TextMatcher(patterns: [pattern]) }
    }

    @Test func classesAreASCII() throws {
        #expect(try !TextMatcher(patterns: ["\\w"]).matches("é"))
        #expect(try !TextMatcher(patterns: ["\\s"]).matches("\u{A0}"))
        #expect(try !TextMatcher(patterns: ["[[:alpha:]]"]).matches("é"))
        #expect(try !TextMatcher(patterns: ["(?i)a(?-i)b"]).matches("AB"))
    }
}

/// Expressions whose counted repetitions would make Hyperscan compile for minutes are refused
/// at once, with what to write instead.
@Suite struct CompileCost {
    @Test func heavyRepetitionsAreRefusedQuickly() {
        for p in ["(?i)x.{0,1000}y.{0,1000}z", "(.{100}){100}", "[a-z]{30000}"] {
            var t = timespec(), u = timespec()
            clock_gettime(CLOCK_MONOTONIC, &t)
            do {
                _ = try TextMatcher(patterns: ["ok", p])
                Issue.record("\(p) compiled")
            } catch {
                #expect(error.index == 1)
                #expect(error.message.contains("counted repetitions"), "\(error)")
            }
            clock_gettime(CLOCK_MONOTONIC, &u)
            #expect(Double(u.tv_sec - t.tv_sec) < 1, "\(p)")
        }
        expectRefused(oneRule("""
            when:
              subject: {matches: ["(.{100}){100}"]}
            actions: [discard]
            """), line: 4, "add up to 10100, more than 1000")
    }

    /// sealmilter.yaml(5): Hyperscan refuses two wide counted repetitions as too large.
    @Test func wideRepetitionsAreTooLargeForHyperscan() {
        #expect(PatternExpression.repetitionWeight("x.{0,100}y.{0,100}z") <= TextMatcher.maxRepetitionWeight)
        do {
            _ = try TextMatcher(patterns: ["x.{0,100}y.{0,100}z"])
            Issue.record("compiled")
        } catch {
            #expect(error.message.contains("too large"), "\(error)")
        }
    }

    @Test func ordinaryCountsStillCompile() throws {
        #expect(try TextMatcher(patterns: ["\\d{13,19}", "[A-Z]{2}\\d{2}[A-Z0-9]{11,30}", "(?i)urgent.{0,40}transfer"]).matches("GB82WEST12345698765432"))
    }
}

@Suite struct BodyConditionSets {
    /// The engine compiles every body condition into one set and gives each its slot;
    /// each slot answers exactly what the condition's own matcher answers.
    @Test func slotsPointAtEachRulesBodyConditions() throws {
        let p = try #require(accepted("""
            rules:
              - name: a
                when: {subject: {contains: [x]}, body: {contains: [invoice]}}
                actions: [discard]
              - name: b
                when: {sender: ["@ext.test"]}
                actions: [discard]
              - name: c
                when: {body: {matches: ["(?i)urgent.*wire"]}}
                unless: {body: {contains: [newsletter]}}
                actions: [discard]
            """))
        let engine = Engine(policy: p)
        let set = try #require(engine.bodySet)
        #expect(set.count == 3)
        let text = "URGENT: wire the money, this is no newsletter"
        let hits = set.matching(text)
        var slots: [Int] = []
        for rule in engine.policy.rules {
            for c in rule.conditions + rule.exceptions {
                guard let b = c as? BodyCondition else { continue }
                let slot = try #require(b.slot)
                slots.append(slot)
                #expect(hits.contains(slot) == b.matcher.matches(text))
            }
        }
        #expect(slots == [0, 1, 2])
        #expect(hits == MatchSet([1, 2]))
    }
}
