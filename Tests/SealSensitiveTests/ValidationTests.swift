import Testing
import SealPattern
@testable import SealSensitive

/// The in-place validation (incremental Luhn, issuer by prefix, MOD 97-10 as read), the
/// candidate expressions' reach, and keyword rating only where it decides.
@Suite struct ValidationTests {
    /// A deterministic stream of digits (xorshift).
    struct Digits {
        var x: UInt64 = 0x2545F4914F6CDD1D
        mutating func next(_ n: Int) -> [UInt8] {
            (0..<n).map { _ in x ^= x << 13; x ^= x >> 7; x ^= x << 17; return UInt8(x % 10) }
        }
    }

    @Test func incrementalLuhnAgreesWithTheWholeNumberCheck() {
        var g = Digits()
        var valid = 0
        for _ in 0..<20_000 {
            let d = g.next(19)
            var sums = LuhnSums()
            for (i, x) in d.enumerated() {
                sums.append(x)
                #expect(sums.isValid == Luhn.isValid(d[0...i]), "Luhn of \(d[0...i])")
                if sums.isValid { valid += 1 }
            }
        }
        // Both answers were seen many times (about one prefix in ten passes).
        #expect(valid > 20_000 && valid < 60_000)
    }

    @Test func cardsInEveryIssuersPrintedGroupingAreFound() throws {
        let written = [
            "4111 1111 1111 1111", "4111-1111-1111-1111", "4111111111111111",  // 4-4-4-4, none
            "3782 822463 10005", "3782-822463-10005",                           // Amex 4-6-5
            "3056 930902 5904",                                                 // Diners 4-6-4
            "4111 1111 1111 1111 003",                                          // 19 digits, 4-4-4-4-3
            "6759 6498 2648",                                                   // Maestro, 12 digits
        ]
        for w in written {
            let f = try scan("paid with \(w), thanks", "credit_card")
            #expect(f.count == 1, "\(w)")
            #expect(f.first?.value == Array(w.utf8.filter { $0 != 32 && $0 != 45 }), "\(w)")
        }
    }

    @Test func ssnInsideARunOfNumbersAndNextToDashes() throws {
        #expect(try scan("codes 7 078 05 1121 9", "us_ssn").count == 1)
        #expect(try scan("x 123-45-6789-1", "us_ssn").isEmpty)   // runs on with a dash
        #expect(try scan("x 1-123-45-6789", "us_ssn").isEmpty)   // a dash before it
        #expect(try scan("a 123 45 6789 and 234-56-7890", "us_ssn").count == 2)
    }

    @Test func ibansAndVATNumbersShareTheirCandidate() throws {
        let iban = try #require(SensitiveDetector.builtin("iban")), vat = try #require(SensitiveDetector.builtin("eu_vat"))
        let s = SensitiveScanner(detectors: [iban, vat])
        // One expression for both (plus VAT's letter-led prefixes).
        #expect(s.expressions.count == 2)
        let db = try s.compile()
        let f = withUTF8("IBAN GB29NWBK60161331926819, VAT DE136695976 and ATU13585627; XX12 3456") {
            s.scan($0, database: db)
        }
        #expect(f[0].map(\.redacted) == ["GB" + String(repeating: "*", count: 16) + "6819"])
        #expect(f[1].map(\.detail) == ["DE", "AT, format only"])
        // Spaced country and check digits are no IBAN; a VAT number may be spaced.
        let g = withUTF8("GB 29NWBK60161331926819 and DE 136695976") { s.scan($0, database: db) }
        #expect(g[0].isEmpty && g[1].count == 1)
    }

    @Test func keywordsAreLookedForOnlyWhereTheyDecide() throws {
        let card = try #require(SensitiveDetector.builtin("credit_card"))
        let s = SensitiveScanner(detectors: [card])
        let db = try s.compile()
        // Two cards close together (one keyword window), a third far away without keyword.
        let text = "visa 4111 1111 1111 1111 and 5555 5555 5555 4444 " + String(repeating: "filler ", count: 100)
            + "then 4012888888881881 alone"
        let all = withUTF8(text) { s.scan($0, database: db) }[0]
        #expect(all.map(\.confidence) == [.high, .high, .medium])
        // Asked for high: only those with a keyword near them.
        let high = withUTF8(text) { s.scan($0, database: db, levels: [.high]) }[0]
        #expect(high.map(\.range) == Array(all.prefix(2)).map(\.range))
        // Asked for medium: every valid card, no keyword needed.
        let medium = withUTF8(text) { s.scan($0, database: db, levels: [.medium]) }[0]
        #expect(medium.map(\.range) == all.map(\.range))
        // Asked for more than a keyword can give: none.
        let low = try #require(SensitiveDetector.builtin("us_ssn"))
        let ssn = SensitiveScanner(detectors: [low])
        let sdb = try ssn.compile()
        #expect(withUTF8("ssn 123-45-6789") { ssn.scan($0, database: sdb, levels: [.high]) }[0].isEmpty)
        #expect(withUTF8("ssn 123-45-6789") { ssn.scan($0, database: sdb, levels: [.medium]) }[0].count == 1)
        #expect(withUTF8("nothing 123-45-6789") { ssn.scan($0, database: sdb, levels: [.medium]) }[0].isEmpty)
    }

    @Test func aDenseListSharesOneKeywordWindow() throws {
        // 200 cards a line each after one keyword: each within the distance of the one before,
        // the keyword within the distance of the first few only.
        let card = try #require(SensitiveDetector.builtin("credit_card"))
        let s = SensitiveScanner(detectors: [card])
        let db = try s.compile()
        let text = "card numbers:\n" + String(repeating: "4111 1111 1111 1111\n", count: 200)
        let f = withUTF8(text) { s.scan($0, database: db) }[0]
        #expect(f.count == 200)
        let near = f.filter { $0.confidence == .high }.count
        // The keyword ends at byte 4; cards start every 20 bytes: those starting within 300.
        #expect(near == f.filter { $0.range.lowerBound - 4 <= SensitiveDetector.defaultDistance }.count)
        #expect(near > 5 && near < 200)
    }

    @Test func keywordsCountOnlyAsWholeWords() throws {
        // "card" inside "discarded" and "visa" inside "visas" are no keywords; "card:" is.
        #expect(try scan("discarded 4111 1111 1111 1111", "credit_card").map(\.confidence) == [.medium])
        #expect(try scan("visas: 4111 1111 1111 1111", "credit_card").map(\.confidence) == [.medium])
        #expect(try scan("card:4111 1111 1111 1111", "credit_card").map(\.confidence) == [.high])
        // A keyword ending just within the distance counts; one ending just outside does not.
        let d = SensitiveDetector.defaultDistance
        let within = "card" + String(repeating: " ", count: d) + "4111111111111111"
        let outside = "card" + String(repeating: " ", count: d + 1) + "4111111111111111"
        #expect(try scan(within, "credit_card").map(\.confidence) == [.high])
        #expect(try scan(outside, "credit_card").map(\.confidence) == [.medium])
    }
}
