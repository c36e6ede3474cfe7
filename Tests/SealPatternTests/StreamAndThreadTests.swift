import Foundation
import Testing
import SealTestSupport
@testable import SealPattern

/// Expressions that exercise chunk edges: literals, anchors, `.*` spans, classes, non-ASCII.
let edgeExpressions: [PatternExpression] = [
    PatternExpression("abc", id: 0, flags: [.singleMatch]),
    PatternExpression("^ab", id: 1, flags: [.singleMatch]),
    PatternExpression("ca$", id: 2, flags: [.singleMatch]),
    PatternExpression("(?m)^c", id: 3, flags: [.singleMatch]),
    PatternExpression("(?i)b.{3,6}ä", id: 4, flags: [.singleMatch, .utf8]),
    PatternExpression("é\\s+ü", id: 5, flags: [.singleMatch, .utf8]),
    .literal("CAB", id: 6, caseless: true),
    PatternExpression("a[^\\n]*€$", id: 7, flags: [.singleMatch, .utf8]),
    PatternExpression("(a|b)+c{2}", id: 8, flags: [.singleMatch]),
    PatternExpression("^$", id: 9, flags: [.singleMatch, .allowEmpty]),
]

func randomText(_ rng: inout some RandomNumberGenerator) -> String {
    let alphabet: [String] = ["a", "b", "c", "A", "B", "C", " ", "\n", "é", "ü", "ä", "€", "x"]
    return (0..<Int.random(in: 0...40, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }.joined()
}

@Suite struct Streams {
    /// Property: for random texts cut at random byte positions (inside UTF-8 sequences too),
    /// the stream reports exactly the ids a block scan of the whole text reports.
    @Test func randomSplitsAgreeWithBlockMode() throws {
        let block = try PatternDatabase(edgeExpressions, mode: .block)
        let stream = try PatternDatabase(edgeExpressions, mode: .stream)
        var rng = SplitMix(state: 20261130)
        var nonTrivial = 0
        for _ in 0..<3000 {
            let text = randomText(&rng)
            let bytes = Array(text.utf8)
            let expected = bytes.withUnsafeBytes { block.matches(in: $0) }
            if expected.count > 1 { nonTrivial += 1 }
            var cuts = Set((0..<Int.random(in: 0...5, using: &rng)).map { _ in Int.random(in: 0...bytes.count, using: &rng) })
            cuts.insert(bytes.count)
            let s = stream.openStream()
            var last = 0
            bytes.withUnsafeBytes { all in
                for c in cuts.sorted() {
                    s.feed(UnsafeRawBufferPointer(rebasing: all[last..<c]))
                    last = c
                }
            }
            let got = s.finish()
            #expect(got == expected, "text \(text.debugDescription) cut at \(cuts.sorted()): stream \(got), block \(expected)")
            #expect(s.bytesFed == bytes.count)
        }
        #expect(nonTrivial > 300, "the generator should produce texts with several matches")
    }

    @Test func byteByByte() throws {
        let stream = try PatternDatabase(edgeExpressions, mode: .stream)
        let text = "ab cab\né  ü b123ä aaccx\nc a€"
        let s = stream.openStream()
        for b in Array(text.utf8) { [b].withUnsafeBytes { s.feed($0) } }
        #expect(s.finish() == MatchSet([1, 3, 4, 5, 6, 7, 8]))
    }

    @Test func stopsOnceAllWantedIDsMatched() throws {
        let db = try PatternDatabase([PatternExpression("x", id: 0, flags: [.singleMatch]), PatternExpression("y", id: 1, flags: [.singleMatch])], mode: .stream)
        let s = db.openStream(stopAfter: 2)
        withUTF8("..x..") { s.feed($0) }
        #expect(!s.isDone)
        withUTF8("..y..") { s.feed($0) }
        #expect(s.isDone)
        withUTF8("more") { s.feed($0) }   // ignored, no error
        #expect(s.finish() == MatchSet([0, 1]))
    }

    @Test func unfinishedStreamIsReleased() throws {
        let db = try PatternDatabase([PatternExpression("x", id: 0, flags: [.singleMatch])], mode: .stream)
        for _ in 0..<1000 {
            let s = db.openStream()
            withUTF8("abc") { s.feed($0) }
            // dropped without finish(): deinit closes it
        }
    }
}

@Suite struct Threads {
    static let texts: [String] = (0..<64).map { i in
        String(repeating: "lorem ipsum \(i) ", count: 50 + i) + (i % 3 == 0 ? "ACCOUNT no. NUMBER" : "") + (i % 5 == 0 ? " wire" : "")
    }

    static func expected(_ db: PatternDatabase) -> [MatchSet] {
        texts.map { t in withUTF8(t) { db.matches(in: $0) } }
    }

    static let exprs = [
        PatternExpression("(?i)account.*number", id: 0, flags: [.singleMatch, .utf8]),
        PatternExpression("wire$", id: 1, flags: [.singleMatch]),
        PatternExpression("ipsum 6\\d ", id: 2, flags: [.singleMatch]),
    ]

    /// Many threads scanning with the process-wide pool and with their own scratch.
    @Test func concurrentScansAgree() throws {
        let db = try PatternDatabase(Self.exprs, mode: .block)
        let expected = Self.expected(db)
        #expect(expected.contains { $0.count == 3 } && expected.contains { $0.isEmpty })
        let failures = ManagedAtomicCounter()
        DispatchQueue.concurrentPerform(iterations: 16) { worker in
            let own = worker % 2 == 0 ? Scratch(for: [db]) : nil
            for round in 0..<300 {
                let i = (worker * 7 + round) % Self.texts.count
                let got = withUTF8(Self.texts[i]) { db.matches(in: $0, scratch: own) }
                if got != expected[i] { failures.increment() }
            }
        }
        #expect(failures.value == 0)
    }

    /// A scratch shared (wrongly) by several threads: the busy one falls back to the pool.
    @Test func sharedScratchStillCorrect() throws {
        let db = try PatternDatabase(Self.exprs, mode: .block)
        let expected = Self.expected(db)
        let shared = Scratch()
        let failures = ManagedAtomicCounter()
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for round in 0..<300 {
                let i = (worker + round) % Self.texts.count
                if withUTF8(Self.texts[i], { db.matches(in: $0, scratch: shared) }) != expected[i] { failures.increment() }
            }
        }
        #expect(failures.value == 0)
    }

    /// Streams on many threads at once, each its own.
    @Test func concurrentStreams() throws {
        let block = try PatternDatabase(Self.exprs, mode: .block)
        let stream = try PatternDatabase(Self.exprs, mode: .stream)
        let expected = Self.expected(block)
        let failures = ManagedAtomicCounter()
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            let scratch = Scratch(for: [stream])
            for round in 0..<100 {
                let i = (worker * 3 + round) % Self.texts.count
                let bytes = Array(Self.texts[i].utf8)
                let s = stream.openStream(scratch: scratch)
                bytes.withUnsafeBytes { all in
                    var at = 0
                    while at < all.count {
                        let n = min(17 + round % 13, all.count - at)
                        s.feed(UnsafeRawBufferPointer(rebasing: all[at..<(at + n)]))
                        at += n
                    }
                }
                if s.finish() != expected[i] { failures.increment() }
            }
        }
        #expect(failures.value == 0)
    }
}

/// A counter for test threads.
final class ManagedAtomicCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func increment() { lock.lock(); n += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return n }
}
