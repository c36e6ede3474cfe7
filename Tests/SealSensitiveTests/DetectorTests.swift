import Testing
import SealPattern
@testable import SealSensitive

/// The scanner alone on a text: its findings per detector.
func scan(_ text: String, _ detectors: [SensitiveDetector]) throws -> [[SensitiveFinding]] {
    let s = SensitiveScanner(detectors: detectors)
    let db = try s.compile()
    return withUTF8(text) { s.scan($0, database: db) }
}

func scan(_ text: String, _ name: String) throws -> [SensitiveFinding] {
    try scan(text, [try #require(SensitiveDetector.builtin(name))])[0]
}

func digits(_ s: String) -> [UInt8] { s.utf8.filter { $0 >= 48 && $0 <= 57 }.map { $0 - 48 } }

@Suite struct CardTests {
    @Test func luhn() {
        #expect(Luhn.isValid(digits("4111111111111111")))
        #expect(Luhn.isValid(digits("1234567812345670")))
        #expect(!Luhn.isValid(digits("4111111111111112")))
        #expect(!Luhn.isValid(digits("")))
    }

    @Test func issuersAndLengths() {
        let cases: [(String, String?)] = [
            ("4111111111111111", "Visa"), ("4000000000006", "Visa"), ("4012888888881881", "Visa"),
            ("5555555555554444", "Mastercard"), ("2223003122003222", "Mastercard"),
            ("378282246310005", "American Express"), ("371449635398431", "American Express"),
            ("6011111111111117", "Discover"), ("6011000990139424", "Discover"),
            ("3530111333300000", "JCB"), ("3566002020360505", "JCB"),
            ("30569309025904", "Diners Club"), ("38520000023237", "Diners Club"),
            ("6200000000000005", "UnionPay"),
            // Luhn-valid, but no issuer has prefix 1.
            ("1234567812345670", nil),
            // Visa prefix, Luhn-valid, but 14 digits (Visa: 13, 16, 19).
            ("40000000000002", nil),
            // Amex prefix with 16 digits.
            ("3782822463100052", nil),
            // Mastercard 2-series ends at 2720: 2721 is no issuer.
            ("2721000000000007", nil),
        ]
        for (n, want) in cases {
            let d = digits(n)
            if want != nil { #expect(Luhn.isValid(d), "test number \(n) must pass Luhn") }
            #expect(CardIssuer.issuer(of: d[...])?.name == want, "\(n)")
        }
    }

    @Test func findsCardsWithSeparatorsAndRatesByKeywords() throws {
        let f = try scan("Please charge 4111 1111 1111 1111 today.", "credit_card")
        #expect(f.count == 1 && f[0].confidence == .medium && f[0].detail == "Visa")
        #expect(f[0].redacted == "************1111")
        let g = try scan("Visa card: 4111-1111-1111-1111, expiry 12/29", "credit_card")
        #expect(g.count == 1 && g[0].confidence == .high)
        let h = try scan("amex 378282246310005 and mc 5555 5555 5555 4444 and jcb 3530111333300000", "credit_card")
        #expect(h.map(\.detail) == ["American Express", "Mastercard", "JCB"])
        // The keyword must be within the distance: 400 characters away it does not count.
        let far = "card " + String(repeating: "x ", count: 200) + "4111111111111111"
        #expect(try scan(far, "credit_card").map(\.confidence) == [.medium])
    }

    @Test func falsePositivesAreRefused() throws {
        // Fails Luhn (even with keywords next to it).
        #expect(try scan("visa card 4111 1111 1111 1112 expiry", "credit_card").isEmpty)
        // Luhn-valid but no issuer range.
        #expect(try scan("card 1234 5678 1234 5670", "credit_card").isEmpty)
        // Part of a longer word or number.
        #expect(try scan("id A4111111111111111 and 41111111111111110000", "credit_card").isEmpty)
        // A 20-digit run without separators is no card.
        #expect(try scan("41111111111111111111", "credit_card").isEmpty)
        // An order number in card-like groups, but no issuer has its prefix.
        #expect(try scan("Order 2024-0001-5512-3377 shipped", "credit_card").isEmpty)
    }

    @Test func runsWithOtherNumbersAroundTheCard() throws {
        // A phone number glued to the card by a space: the card is still found, alone.
        let f = try scan("call 555 0100 4111 1111 1111 1111", "credit_card")
        #expect(f.count == 1 && f[0].redacted.hasSuffix("1111") && f[0].value.count == 16)
        // Two cards in one run of groups.
        let g = try scan("4111 1111 1111 1111 5555 5555 5555 4444", "credit_card")
        #expect(g.map(\.detail) == ["Visa", "Mastercard"])
    }
}

@Suite struct IBANTests {
    /// An IBAN of `country` and `bban` with correct check digits (ISO 7064 MOD 97-10),
    /// whatever the length: to test the length table apart from the checksum.
    static func withCheckDigits(_ country: String, _ bban: String) -> String {
        var r = 0
        for c in (bban + country + "00").utf8 {
            if c >= 48 && c <= 57 { r = (r * 10 + Int(c - 48)) % 97 } else { r = (r * 100 + Int(c - 55)) % 97 }
        }
        let check = 98 - r
        return country + (check < 10 ? "0" : "") + String(check) + bban
    }

    @Test func checksumAndLengths() {
        for ok in ["DE89370400440532013000", "GB29NWBK60161331926819", "FR1420041010050500013M02606",
                   "NL91ABNA0417164300", "BE68539007547034", "NO9386011117947", "MT84MALT011000012345MTLCAST001S"] {
            #expect(IBAN.isValid(Array(ok.utf8)), "\(ok)")
        }
        #expect(!IBAN.isValid(Array("DE89370400440532013001".utf8)))  // bad checksum
        // Right checksum, wrong length for the country (DE: 22), and an unknown country.
        let short = Self.withCheckDigits("DE", "3704004405320130")
        #expect(short.count == 20 && !IBAN.isValid(Array(short.utf8)))
        let zz = Self.withCheckDigits("ZZ", "370400440532013000")
        #expect(!IBAN.isValid(Array(zz.utf8)))
        // The generator is right: the same with the right length is valid.
        #expect(IBAN.isValid(Array(Self.withCheckDigits("DE", "370400440532013000").utf8)))
        #expect(IBAN.lengths.count >= 89)
    }

    @Test func inTextWithAndWithoutSpaces() throws {
        let f = try scan("IBAN: DE89 3704 0044 0532 0130 00, BIC COBADEFFXXX", "iban")
        #expect(f.count == 1 && f[0].confidence == .high && f[0].redacted == "DE****************3000")
        let g = try scan("pay to GB29NWBK60161331926819 please", "iban")
        #expect(g.count == 1 && g[0].confidence == .medium)
        #expect(try scan("IBAN DE89 3704 0044 0532 0130 01", "iban").isEmpty)      // checksum
        #expect(try scan("IBAN DE89 3704 0044 0532 0130 001", "iban").isEmpty)     // too long
        let short = Self.withCheckDigits("DE", "3704004405320130")
        #expect(try scan("IBAN \(short) x", "iban").isEmpty)                       // country length
    }
}

@Suite struct SSNTests {
    @Test func rules() throws {
        #expect(SSN.isValid(digits("123456789")))
        for bad in ["000123456", "666123456", "900123456", "999123456", "123004567", "123450000", "078051120", "219099999"] {
            #expect(!SSN.isValid(digits(bad)), "\(bad)")
        }
        let f = try scan("SSN: 123-45-6789", "us_ssn")
        #expect(f.count == 1 && f[0].confidence == .medium && f[0].redacted == "*****6789")
        #expect(try scan("ref 123 45 6789", "us_ssn").map(\.confidence) == [.low])
        #expect(try scan("ssn 000-12-3456, 666-12-3456, 901-12-3456, 123-00-4567, 123-45-0000", "us_ssn").isEmpty)
        // Part of a longer dashed number.
        #expect(try scan("part 12-123-45-6789-0", "us_ssn").isEmpty)
    }
}

@Suite struct VATTests {
    /// Valid and invalid examples, each confirmed with python-stdnum's stdnum.eu.vat (an
    /// independent implementation) when the tests were written.
    @Test func checkedCountries() {
        let valid = ["DE136695976", "FR40303265045", "IT00743110157", "NL004495445B01", "ESA13585625", "ES12345678Z",
                     "ESX1234567L", "ESK1234567L", "BE0411905847", "DK13585628", "PL8567346215", "PT501964843",
                     "LU15027442", "SE556188840401", "SK2022749619", "HR33392005961", "NL000099998B57"]
        let invalid = ["DE136695977", "FR41303265045", "IT00743110158", "NL004495446B01", "ESA13585626", "ES12345678A",
                       "BE0411905848", "DK13585629", "PL8567346216", "PT501964844", "LU15027443", "SK2022749618",
                       "HR33392005962"]
        for v in valid {
            let u = Array(v.utf8)
            #expect(VAT.verdict(prefix: String(v.prefix(2)), body: Array(u[2...])) == .valid, "\(v)")
        }
        for v in invalid {
            let u = Array(v.utf8)
            #expect(VAT.verdict(prefix: String(v.prefix(2)), body: Array(u[2...])) == .invalid, "\(v)")
        }
        #expect(VAT.verdict(prefix: "AT", body: Array("U13585627".utf8)) == .formatOnly)
        #expect(Set(VAT.checked).isSuperset(of: ["DE", "FR", "IT", "NL", "ES"]))
        #expect(VAT.countries.count == 28)  // the 27 member states and XI
    }

    @Test func inText() throws {
        let f = try scan("Our VAT number: DE 136695976. Partner: ATU13585627", "eu_vat")
        #expect(f.map(\.confidence) == [.high, .medium])     // checked + keyword; format-only + keyword
        #expect(f[0].redacted == "DE*****5976" && f[1].detail == "AT, format only")
        let g = try scan("ref DE136695977 and FR41303265045", "eu_vat")
        #expect(g.isEmpty)
        #expect(try scan("ATU13585627", "eu_vat").map(\.confidence) == [.low])
        // Wrong shapes: a digit short, a digit long, glued to a word, lowercase prefix.
        #expect(try scan("DE13669597 DE1366959761 xDE136695976 DE136695976x de136695976", "eu_vat").isEmpty)
        // Letters in the body where the country has them; XI's GD form.
        #expect(try scan("ESA13585625 ES X1234567L XIGD123", "eu_vat").map(\.detail) == ["ES", "ES", "XI, format only"])
        // SSN separators must agree.
        #expect(try scan("123-45 6789", "us_ssn").isEmpty)
    }
}

@Suite struct CustomTypeTests {
    @Test func customRegexWithKeywords() throws {
        let d = SensitiveDetector(name: "employee_id", kind: .custom(pattern: "EMP-[0-9]{6}", caseless: false),
                                  keywords: ["employee"], distance: 20, baseConfidence: .low)
        let f = try scan("employee EMP-123456, and far away ............................. EMP-654321, emp-111111", [d])[0]
        #expect(f.map(\.confidence) == [.medium, .low])
        #expect(f[0].redacted == "******3456" && f[0].range == 9..<19)
        let ci = SensitiveDetector(name: "e", kind: .custom(pattern: "EMP-[0-9]{6}", caseless: true), keywords: [])
        #expect(try scan("emp-111111", [ci])[0].count == 1)
    }

    @Test func allDetectorsInOneScan() throws {
        let all = SensitiveDetector.builtinNames.map { SensitiveDetector.builtin($0)! }
        let text = "card 4111111111111111, IBAN DE89370400440532013000, SSN 123-45-6789, VAT DE136695976"
        let f = try scan(text, all)
        #expect(f.map(\.count) == [1, 1, 1, 1])
        #expect(f.allSatisfy { $0.first?.confidence == .high || $0.first?.type == "us_ssn" })
    }
}

@Suite struct BoundaryTests {
    /// The candidate expressions have no word boundary before their classes (speed); the
    /// boundaries are checked on the text.
    @Test func candidatesGluedToWordsDoNotCount() throws {
        #expect(try scan("x123-45-6789 123-45-6789x 123-45-67890 9123-45-6789", "us_ssn").isEmpty)
        #expect(try scan("XDE89370400440532013000 _DE89370400440532013000", "iban").isEmpty)
        #expect(try scan("(DE89370400440532013000)", "iban").count == 1)
        #expect(try scan("VAT:DE136695976.", "eu_vat").count == 1)
        #expect(try scan("ADE136695976 DE136695976_", "eu_vat").isEmpty)
    }
}
