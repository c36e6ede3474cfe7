import Testing
import Foundation
@testable import SealMIME

/// Structure fields that common readers (GMime, Python's `email`, MimeKit,
/// Thunderbird) read differently: the parser takes the majority's reading and marks
/// the part (issue 8, point 4). Tests/differential checks the same against GMime and
/// Python on generated messages.
@Suite struct AmbiguityTests {
    /// A multipart/mixed whose second part is a small zip named a.zip, with `ct` as
    /// the top-level Content-Type field(s) and `boundary` as the delimiter in the body.
    func zipMessage(_ fields: String, boundary: String = "B") -> [UInt8] {
        bytes(crlf(fields + "\n\n--\(boundary)\nContent-Type: text/plain\n\nhello\n--\(boundary)\n"
            + "Content-Type: application/zip; name=\"a.zip\"\nContent-Transfer-Encoding: base64\n\nUEsDBAo=\n--\(boundary)--\n"))
    }

    // MARK: Comments (RFC 2045 §5.1, RFC 822 §3.4.3)

    @Test func commentsInContentType() {
        let (ct, amb) = ContentType.parse("multipart/mixed (c); boundary=\"B\"")
        #expect(ct?.mediaType == "multipart/mixed")
        #expect(ct?.parameters["boundary"] == "B")
        #expect(amb == .commentDependent, "Python reads the type as 'multipart/mixed (c)'")
        // Comments everywhere white space may be, nested, with quoted pairs.
        let (ct2, _) = ContentType.parse("(a)multipart(b (nested \\) paren) c)/(d)Mixed(e); (f)boundary(g)=(h)\"B\"(i); charset=x(j)")
        #expect(ct2?.mediaType == "multipart/mixed")
        #expect(ct2?.parameters["boundary"] == "B")
        #expect(ct2?.parameters["charset"] == "x")
        // A parenthesis inside a quoted string is text, and nothing is ambiguous.
        let (ct3, amb3) = ContentType.parse("application/pdf; name=\"report (1).pdf\"")
        #expect(ct3?.parameters["name"] == "report (1).pdf")
        #expect(amb3.isEmpty)
        // A bare value ends at a comment.
        #expect(ContentType.parse("multipart/mixed; boundary=B (comment)").contentType?.parameters["boundary"] == "B")
        #expect(ContentType.parse("multipart/mixed; boundary=B(c)").ambiguity == .commentDependent)
        // An unterminated comment runs to the end.
        #expect(ContentType.parse("multipart/mixed; boundary=B (open").contentType?.parameters["boundary"] == "B")
        // No comment: nothing ambiguous.
        #expect(ContentType.parse("multipart/mixed; boundary=\"B\"").ambiguity.isEmpty)
    }

    @Test func commentHidingMultipartThroughTheParser() {
        let s = checkSplitInvariance(zipMessage("Content-Type: multipart/mixed (c); boundary=\"B\""), everySplit: false, random: 30)
        #expect(s.part("1")?.kind == .multipart)
        #expect(s.part("1.2")?.filename == "a.zip")
        #expect(s.part("1.2")?.data == [0x50, 0x4B, 0x03, 0x04, 0x0A])
        #expect(s.part("1")?.ambiguity == .commentDependent)
    }

    @Test func commentsInTransferEncodingAndDisposition() {
        #expect(TransferEncoding.parse("base64 (c)") == (.base64, .commentDependent))
        #expect(TransferEncoding.parse("(c) quoted-printable") == (.quotedPrintable, .commentDependent))
        // Both readings leave the bytes as they are: not ambiguous.
        #expect(TransferEncoding.parse("7bit (c)") == (.sevenBit, []))
        #expect(TransferEncoding.parse(" Base64 ") == (.base64, []))
        let (d, amb) = ContentDisposition.parse("attachment; filename=a.zip (really)")
        #expect(d.type == "attachment" && d.filename == "a.zip")
        #expect(amb == .commentDependent)
        #expect(ContentDisposition.parse("attachment (c); filename=\"a.zip\"").disposition.type == "attachment")
    }

    // MARK: Encoded words (RFC 2047 §5)

    @Test func encodedWordsOnlyInFileNames() {
        let (ct, amb) = ContentType.parse("multipart/mixed; boundary=\"=?utf-8?q?B?=\"")
        #expect(ct?.parameters["boundary"] == "=?utf-8?q?B?=", "taken literally")
        #expect(amb == .encodedWordBoundary)
        #expect(ContentType.parse("text/plain; charset=\"=?utf-8?q?x?=\"").contentType?.parameters["charset"] == "=?utf-8?q?x?=")
        // name and filename are still decoded (real clients put encoded words there).
        #expect(ContentType.parse("application/zip; name=\"=?utf-8?q?a=2Ezip?=\"").contentType?.parameters["name"] == "a.zip")
        #expect(ContentDisposition(headerValue: "attachment; filename=\"=?utf-8?b?YS56aXA=?=\"").filename == "a.zip")
    }

    @Test func encodedWordBoundaryThroughTheParser() {
        // The body uses the literal boundary: its parts are found.
        let lit = checkSplitInvariance(zipMessage("Content-Type: multipart/mixed; boundary=\"=?utf-8?q?B?=\"", boundary: "=?utf-8?q?B?="),
                                       everySplit: false, random: 30)
        #expect(lit.part("1.2")?.filename == "a.zip")
        #expect(lit.part("1")?.ambiguity == .encodedWordBoundary)
        // The body uses the decoded boundary: no parts (as Python's compat32 and
        // Thunderbird read it), but the message is marked.
        let (dec, p, _) = parse(zipMessage("Content-Type: multipart/mixed; boundary=\"=?utf-8?q?B?=\""))
        #expect(dec.parts.count == 1)
        #expect(p.ambiguities == .encodedWordBoundary)
    }

    // MARK: Duplicates

    @Test func duplicateBoundaryParameters() {
        #expect(ContentType.parse("multipart/mixed; boundary=\"B\"; boundary=\"X\"") == (ContentType(type: "multipart", subtype: "mixed", parameters: ["boundary": "B"]), .conflictingBoundary))
        #expect(ContentType.parse("multipart/mixed; boundary=B; boundary=\"B\"").ambiguity.isEmpty, "same value twice")
        // Plain and RFC 2231 forms: the first given is used.
        #expect(ContentType.parse("multipart/mixed; boundary=\"X\"; boundary*=utf-8''B").contentType?.parameters["boundary"] == "X")
        #expect(ContentType.parse("multipart/mixed; boundary*0=B; boundary=\"X\"").contentType?.parameters["boundary"] == "B")
        #expect(ContentType.parse("multipart/mixed; boundary*0=B; boundary=\"X\"").ambiguity == .conflictingBoundary)
        #expect(ContentType.parse("multipart/mixed; boundary*0=B; boundary*0=X").ambiguity == .conflictingBoundary)
        // A file name's RFC 2231 value still beats its plain fallback, unmarked.
        let (d, amb) = ContentDisposition.parse("attachment; filename=\"fallback.pdf\"; filename*=utf-8''real.pdf")
        #expect(d.filename == "real.pdf" && amb.isEmpty)
    }

    @Test func duplicateContentTypeFirstWins() {
        // Python, MimeKit and Thunderbird take the first; GMime the last.
        let first = checkSplitInvariance(zipMessage("Content-Type: multipart/mixed; boundary=\"B\"\nContent-Type: text/plain"),
                                         everySplit: false, random: 20)
        #expect(first.part("1.2")?.filename == "a.zip")
        #expect(first.part("1")?.ambiguity == .duplicateContentType)
        let (second, _, _) = parse(zipMessage("Content-Type: text/plain\nContent-Type: multipart/mixed; boundary=\"B\""))
        #expect(second.parts.count == 1 && second.part("1")?.mediaType == "text/plain")
        #expect(second.part("1")?.ambiguity == .duplicateContentType)
        // An unusable first field still counts as the field (the RFC 2045 default applies).
        let (garbage, _, _) = parse(zipMessage("Content-Type: garbage\nContent-Type: multipart/mixed; boundary=\"B\""))
        #expect(garbage.parts.count == 1 && garbage.part("1")?.ambiguity == .duplicateContentType)
        // The same field twice is not ambiguous.
        let (same, p, _) = parse(zipMessage("Content-Type: multipart/mixed; boundary=\"B\"\nContent-type: Multipart/Mixed; boundary=B"))
        #expect(same.parts.count == 3 && p.ambiguities.isEmpty)
        // In MTA mode, through header(name:value:), the same.
        let (mta, _) = parseMTA(fields: [("Content-Type", "multipart/mixed; boundary=\"B\""), ("Content-Type", "text/plain")],
                                body: bytes("--B\n\nx\n--B--\n"))
        #expect(mta.part("1")?.kind == .multipart && mta.part("1")?.ambiguity == .duplicateContentType)
    }

    @Test func duplicateTransferEncodingAndDispositionInAPart() {
        let msg = bytes(crlf("Content-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: application/zip\n"
            + "Content-Transfer-Encoding: base64\nContent-Transfer-Encoding: 7bit\n"
            + "Content-Disposition: attachment; filename=a.zip\nContent-Disposition: attachment; filename=a.txt\n\nUEsDBAo=\n--B--\n"))
        let s = checkSplitInvariance(msg, everySplit: false, random: 20)
        #expect(s.part("1.1")?.encoding == "base64")
        #expect(s.part("1.1")?.filename == "a.zip")
        #expect(s.part("1.1")?.data == [0x50, 0x4B, 0x03, 0x04, 0x0A])
        #expect(s.part("1.1")?.ambiguity == [.duplicateTransferEncoding, .duplicateDisposition])
        #expect(s.part("1")?.ambiguity == [])
    }

    @Test func spaceBeforeColon() {
        // GMime and MimeKit take the field; Python's email ends the header section there.
        let s = checkSplitInvariance(zipMessage("Content-Type : multipart/mixed; boundary=\"B\""), everySplit: false, random: 20)
        #expect(s.part("1.2")?.filename == "a.zip")
        #expect(s.part("1")?.ambiguity == .spaceBeforeColon)
        #expect(checkSplitInvariance(zipMessage("X-Other : y\nContent-Type: multipart/mixed; boundary=\"B\""),
                                     everySplit: false, random: 5).part("1")?.ambiguity == [])
    }

    @Test func ordinaryMessagesAreNotAmbiguous() {
        let (s, p, _) = parse(bytes(crlf(simpleMixed)))
        #expect(s.parts.count == 3 && p.ambiguities.isEmpty)
    }
}

extension AmbiguityTests {
    /// Found with the differential test: `boundary="B "` (Python strips the trailing
    /// space and finds the parts, GMime does not), `boundary=""` (both split on `--`).
    @Test func boundaryWhitespaceAndEmptyBoundary() {
        let (ct, amb) = ContentType.parse("multipart/mixed; boundary=\"B \"")
        #expect(ct?.parameters["boundary"] == "B" && amb == .boundaryWhitespace)
        for body in ["B", "B "] {
            let s = checkSplitInvariance(zipMessage("Content-Type: multipart/mixed; boundary=\"B \"", boundary: body),
                                         everySplit: false, random: 20)
            #expect(s.part("1.2")?.filename == "a.zip", "delimiters --\(body)")
            #expect(s.part("1")?.ambiguity == .boundaryWhitespace)
        }
        let e = checkSplitInvariance(zipMessage("Content-Type: multipart/mixed; boundary=\"\"", boundary: ""), everySplit: false, random: 20)
        #expect(e.part("1")?.kind == .multipart && e.part("1.2")?.filename == "a.zip")
        #expect(e.part("1")?.ambiguity == [])
        // No boundary parameter at all is still an opaque leaf.
        let (none, _, _) = parse(zipMessage("Content-Type: multipart/mixed", boundary: ""))
        #expect(none.parts.count == 1 && none.part("1")?.kind == .leaf)
    }
}
