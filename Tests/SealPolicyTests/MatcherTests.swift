import Testing
@testable import SealPolicy
@testable import SealEngine

@Suite struct AddressPatterns {
    static let table: [(pattern: String, address: String, expected: Bool)] = [
        // exact addresses
        ("user@example.com", "user@example.com", true),
        ("user@example.com", "<User@EXAMPLE.com>", true),
        ("User@Example.COM", "user@example.com", true),
        ("user@example.com", "user@example.com.", true),
        ("user@example.com", "xuser@example.com", false),
        ("user@example.com", "user@example.co", false),
        ("user@example.com", "user@sub.example.com", false),
        ("user@example.com", "user@example.com.evil.net", false),
        ("user@example.com", "user", false),
        // a domain, with or without @
        ("example.com", "anyone@example.com", true),
        ("example.com", "<anyone@Example.Com>", true),
        ("@example.com", "anyone@example.com", true),
        ("example.com", "anyone@notexample.com", false),
        ("example.com", "anyone@sub.example.com", false),
        ("example.com", "example.com@evil.net", false),
        ("@example.com", "anyone@example.com.evil.net", false),
        ("example.com", "", false),
        // subdomains
        ("*.example.com", "a@mail.example.com", true),
        ("*.example.com", "a@x.y.example.com", true),
        ("*.example.com", "a@example.com", false),
        ("*.example.com", "a@evilexample.com", false),
        ("*.example.com", "a@example.com.evil.net", false),
        // globs
        ("*@partner.example", "Bob@partner.example", true),
        ("*@partner.example", "bob@sub.partner.example", false),
        ("*-bounces@*.example.org", "list-bounces@lists.example.org", true),
        ("*-bounces@*.example.org", "list-bounces@example.org", false),
        ("*-bounces@*.example.org", "list-bouncesx@lists.example.org", false),
        ("user?@example.com", "user1@example.com", true),
        ("user?@example.com", "user@example.com", false),
        ("user?@example.com", "user12@example.com", false),
        ("a*b*c@example.com", "aXXbYYc@example.com", true),
        ("a*b*c@example.com", "aXXcYYb@example.com", false),
        ("user@*", "user@anywhere.example", true),
        ("user@*", "other@anywhere.example", false),
        ("user@*", "user@", false),
        ("mx?.example.com", "a@mx1.example.com", true),
        ("mx?.example.com", "a@mx12.example.com", false),
        // Unicode: `?` is one character, not one byte
        ("j?rg@example.com", "jörg@example.com", true),
        // source routes are stripped
        ("user@example.com", "<@relay.example,@other.example:user@example.com>", true),
        // the null sender
        ("<>", "<>", true),
        ("<>", "", true),
        ("<>", "a@example.com", false),
        ("*", "", false),
    ]

    @Test(arguments: table)
    func match(_ row: (pattern: String, address: String, expected: Bool)) {
        #expect(AddressPattern(row.pattern).matches(address: row.address) == row.expected,
                "\(row.pattern) vs \(row.address)")
    }

    @Test func pathologicalGlobIsFast() {
        // Backtracking matchers explode on this; the iterative one stays quick.
        let pattern = String(repeating: "*a", count: 30) + "b@example.com"
        let address = String(repeating: "a", count: 5000) + "@example.com"
        let clock = ContinuousClock()
        let t = clock.measure {
            #expect(!AddressPattern(pattern).matches(address: address))
        }
        #expect(t < .seconds(5))
    }
}

@Suite struct DomainPatterns {
    @Test func table() {
        let rows: [(String, String, Bool)] = [
            ("example.com", "example.com", true),
            ("example.com", "EXAMPLE.COM.", true),
            ("example.com", "mail.example.com", false),
            ("example.com", "badexample.com", false),
            ("*.example.org", "a.example.org", true),
            ("*.example.org", "a.b.example.org", true),
            ("*.example.org", "example.org", false),
            ("*.example.org", "fooexample.org", false),
            ("@example.com", "example.com", true),
            ("example.com", "", false),
            ("*", "", false),
            ("*", "any.example", true),
        ]
        for (p, d, e) in rows {
            #expect(DomainPattern(p).matches(domain: d) == e, "\(p) vs \(d)")
        }
    }
}

@Suite struct TextMatchers {
    @Test func keywordsAreCaseInsensitiveSubstrings() throws {
        let m = try TextMatcher(keywords: ["Invoice", "wire transfer"])
        #expect(m.matches("Your INVOICE #123"))
        #expect(m.matches("please make a Wire Transfer today"))
        #expect(m.matches("reinvoiced"))  // substring, by design
        #expect(!m.matches("Your in voice mail"))
        #expect(!m.matches("wire-transfer"))
        #expect(!m.matches(""))
    }

    @Test func regexesAsWritten() throws {
        let m = try TextMatcher(patterns: ["^urgent", "pay(ment)?\\s+now"])
        #expect(m.matches("urgent: read"))
        #expect(!m.matches("URGENT: read"))  // case-sensitive unless (?i)
        #expect(!m.matches("not urgent"))
        #expect(m.matches("please pay   now"))
        #expect(m.matches("payment\tnow!"))
        #expect(!m.matches("paynow"))
        let i = try TextMatcher(patterns: ["(?i)urgent.*payment"])
        #expect(i.matches("URGENT wire PAYMENT"))
        #expect(!i.matches("payment urgent"))
    }

    @Test func keywordsOrRegexes() throws {
        let m = try TextMatcher(keywords: ["alpha"], patterns: ["b[e]ta"])
        #expect(m.matches("ALPHA"))
        #expect(m.matches("beta"))
        #expect(!m.matches("gamma"))
        let none = try TextMatcher()
        #expect(!none.matches("anything"))
    }

    @Test func badRegexThrowsWithItsIndex() {
        do {
            _ = try TextMatcher(patterns: ["ok", "a(b"])
            Issue.record("compiled a bad expression")
        } catch let e as PatternError {
            #expect(e.index == 1)
            #expect(e.pattern == "a(b")
            #expect(e.description.contains("a(b"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }
}

@Suite struct AttachmentMatchers {
    @Test func names() {
        let m = AttachmentMatcher(names: ["*.exe", "invoice*.pdf", "report-????.xlsm"])
        #expect(m.matches(filename: "setup.EXE", mediaType: "application/octet-stream"))
        #expect(m.matches(filename: "Invoice-2024.pdf", mediaType: "application/pdf"))
        #expect(m.matches(filename: "report-2024.xlsm", mediaType: "x/y"))
        #expect(m.matches(filename: "C:\\Users\\x\\evil.exe", mediaType: "x/y"))
        #expect(m.matches(filename: "evil.exe.", mediaType: "x/y"))
        #expect(!m.matches(filename: "setup.exe.txt", mediaType: "text/plain"))
        #expect(!m.matches(filename: "my-invoice.pdf", mediaType: "application/pdf"))
        #expect(!m.matches(filename: "report-24.xlsm", mediaType: "x/y"))
        #expect(!m.matches(filename: nil, mediaType: "application/x-msdownload"))
    }

    @Test func extensions() {
        let m = AttachmentMatcher(extensions: ["js", ".VBS", "tar.gz"])
        #expect(m.matches(filename: "a.JS", mediaType: "text/plain"))
        #expect(m.matches(filename: "a.vbs", mediaType: "text/plain"))
        #expect(m.matches(filename: "backup.tar.gz", mediaType: "application/gzip"))
        #expect(!m.matches(filename: "a.json", mediaType: "application/json"))
        #expect(!m.matches(filename: "ajs", mediaType: "text/plain"))
        #expect(!m.matches(filename: "a.js.txt", mediaType: "text/plain"))
        #expect(!m.matches(filename: "backup.gz", mediaType: "application/gzip"))
        #expect(!m.matches(filename: "backuptar.gz", mediaType: "application/gzip"))
        let gz = AttachmentMatcher(extensions: ["gz"])
        #expect(gz.matches(filename: "backup.tar.gz", mediaType: "x/y"))
        #expect(gz.matches(filename: "b.GZ ", mediaType: "x/y"))
        #expect(!gz.matches(filename: "b.tgz", mediaType: "x/y"))
    }

    @Test func mediaTypes() {
        let m = AttachmentMatcher(mediaTypes: ["application/x-msdownload", "image/*"])
        #expect(m.matches(filename: nil, mediaType: "application/x-msdownload"))
        #expect(m.matches(filename: "x", mediaType: "Application/X-MSDownload; name=\"x.exe\""))
        #expect(m.matches(filename: nil, mediaType: "image/png"))
        #expect(!m.matches(filename: nil, mediaType: "application/x-msdownloadx"))
        #expect(!m.matches(filename: nil, mediaType: "imagex/png"))
        #expect(!m.matches(filename: nil, mediaType: "image"))
        #expect(!m.matches(filename: "x.exe", mediaType: "text/plain"))
        let all = AttachmentMatcher(mediaTypes: ["*/*"])
        #expect(all.matches(filename: nil, mediaType: "text/plain"))
    }

    @Test func emptyMatcherMatchesNothing() {
        #expect(!AttachmentMatcher().matches(filename: "a.exe", mediaType: "application/x-msdownload"))
    }
}

@Suite struct Directions {
    @Test func fromInternalDomains() throws {
        let p = try Policy.parse(yaml: "internal_domains: [example.com, \"*.example.org\"]\n")
        #expect(p.direction(sender: "<a@partner.example>", recipient: "<b@example.com>") == .inbound)
        #expect(p.direction(sender: "a@Example.COM", recipient: "b@partner.example") == .outbound)
        #expect(p.direction(sender: "a@mail.example.org", recipient: "b@example.com") == .internal)
        #expect(p.direction(sender: "a@partner.example", recipient: "b@other.example") == nil)
        #expect(p.direction(sender: "<>", recipient: "b@example.com") == .inbound)
        #expect(p.direction(sender: "a@example.org", recipient: "b@example.com") == .inbound)  // *.example.org only
        #expect(p.direction(sender: "a@notexample.com", recipient: "b@example.com") == .inbound)
    }
}
