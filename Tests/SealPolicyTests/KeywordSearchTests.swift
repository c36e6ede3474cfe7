import Testing
@testable import SealPolicy

@Test(arguments: [
    ("Confidential", "this is CONFIDENTIAL.", true),
    ("confidential", "Confidentia", false),
    ("abc", "xxABxAbC", true),              // first byte in both cases, a false start before
    ("aab", "aaaab", true),                 // overlapping starts
    ("x-1", "id X-1", true),                // non-letters compare exactly
    ("end", "at the END", true),            // at the very end
    ("ende", "at the END", false),          // needle runs past the end
    ("größe", "Die GRÖSSE und die Größe", true),   // non-ASCII keyword: Unicode path
    ("größe", "Die GRÖSSE", false),
])
func keywordSearch(keyword: String, text: String, expected: Bool) throws {
    #expect(try TextMatcher(keywords: [keyword]).matches(text) == expected)
}

@Test func foldedByteSearchAgreesWithLowercasedContains() throws {
    // Property: on ASCII texts, the byte search agrees with lowercased().contains().
    var rng = SystemRandomNumberGenerator()
    let alphabet = Array("aAbB-c ")
    for _ in 0..<2000 {
        let text = String((0..<Int.random(in: 0...24, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
        let kw = String((0..<Int.random(in: 1...4, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
        let expected = text.lowercased().contains(kw.lowercased())
        #expect(try TextMatcher(keywords: [kw]).matches(text) == expected, "\(kw) in \(text)")
    }
}
