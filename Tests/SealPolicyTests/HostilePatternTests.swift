import Glibc
import Testing
@testable import SealPolicy

/// Issue 8, point 1: expressions that made a backtracking engine spin for minutes
/// are decided in linear time. Each input is built so that the expression does not match
/// (the worst case for a backtracking engine: every start position is tried).
@Suite struct HostilePatterns {
    static func seconds(_ body: () -> Void) -> Double {
        var a = timespec(), b = timespec()
        clock_gettime(CLOCK_MONOTONIC, &a)
        body()
        clock_gettime(CLOCK_MONOTONIC, &b)
        return Double(b.tv_sec - a.tv_sec) + Double(b.tv_nsec - a.tv_nsec) / 1e9
    }

    /// `(?i)account.*number` on a 100 KB body that holds "account" on every line
    /// and never "number".
    @Test func accountNumberOn100KBBody() throws {
        let m = try TextMatcher(patterns: ["(?i)account.*number"])
        var body = ""
        while body.utf8.count < 100_000 { body += "Account account ACCOUNT numbe accoun\n" }
        body = body.replacingOccurrences(of: "\n", with: " ")  // one line: `.` spans it all
        var hit = true
        let t = Self.seconds { hit = m.matches(body) }
        #expect(!hit)
        #expect(t < 2, "took \(t) s")
        #expect(m.matches(body + " NUMBER"))
    }

    /// The sample policy's `(?i)urgent.*(wire|transfer)` on a 56 KB subject.
    @Test func urgentWireOn56KBSubject() throws {
        let m = try TextMatcher(patterns: ["(?i)urgent.*(wire|transfer)"])
        let subject = String(repeating: "urgent ", count: 8_000)  // 56,000 bytes
        var hit = true
        let t = Self.seconds { hit = m.matches(subject) }
        #expect(!hit)
        #expect(t < 2, "took \(t) s")
        #expect(m.matches(subject + "Wire"))
    }

    /// Nested quantifiers: `(a+)+$` on 20 characters that end in a non-match.
    @Test func nestedQuantifierOn20Characters() throws {
        let m = try TextMatcher(patterns: ["(a+)+$"])
        let text = String(repeating: "a", count: 19) + "!"
        var hit = true
        let t = Self.seconds { hit = m.matches(text) }
        #expect(!hit)
        #expect(t < 2, "took \(t) s")
        #expect(m.matches(String(repeating: "a", count: 20)))
    }
}
