import Testing
import Foundation
@testable import SealMIME

@Suite struct HeaderValueTests {
    @Test func contentTypeBasics() {
        let ct = ContentType(headerValue: "Multipart/Mixed; Boundary=\"a b;c\" ; charset=us-ascii (comment)")
        #expect(ct?.mediaType == "multipart/mixed")
        #expect(ct?.parameters["boundary"] == "a b;c")
        #expect(ct?.parameters["charset"]?.hasPrefix("us-ascii") == true)
        #expect(ContentType(headerValue: "text") == nil)
        #expect(ContentType(headerValue: "/plain") == nil)
        #expect(ContentType(headerValue: "") == nil)
        #expect(ContentType(headerValue: "text/plain; name=\"q\\\"uote.txt\"")?.parameters["name"] == "q\"uote.txt")
    }

    @Test func rfc2231ContinuationsAndCharset() {
        let d = ContentDisposition(headerValue: "attachment; filename*0*=utf-8''%E2%82%AC; filename*1=.pdf")
        #expect(d.type == "attachment")
        #expect(d.filename == "\u{20AC}.pdf")
        // Sections out of order, quoted plain sections, a language tag.
        let d2 = ContentDisposition(headerValue: "attachment; filename*1=\"two \"; filename*0*=iso-8859-1'fr'caf%E9-; filename*2=three")
        #expect(d2.filename == "caf\u{E9}-two three")
        // A single extended value.
        #expect(ContentDisposition(headerValue: "inline; filename*=UTF-8''na%C3%AFve%20file.txt").filename == "na\u{EF}ve file.txt")
        // The RFC 2231 value wins over a plain one.
        #expect(ContentDisposition(headerValue: "attachment; filename=plain.txt; filename*=utf-8''fancy.txt").filename == "fancy.txt")
        // Broken percent escapes stay literal.
        #expect(ContentDisposition(headerValue: "attachment; filename*=utf-8''100%zz%4").filename == "100%zz%4")
    }

    @Test func rfc2047Filenames() {
        #expect(ContentDisposition(headerValue: "attachment; filename=\"=?UTF-8?B?4oKsLnBkZg==?=\"").filename == "\u{20AC}.pdf")
        #expect(ContentDisposition(headerValue: "attachment; filename=\"=?iso-8859-1?Q?caf=E9_menu.txt?=\"").filename == "caf\u{E9} menu.txt")
        // Adjacent encoded words: the white space between them disappears.
        #expect(ContentType(headerValue: "application/pdf; name=\"=?utf-8?B?5pel5pys?= =?utf-8?Q?=E8=AA=9E.pdf?=\"")?.parameters["name"] == "\u{65E5}\u{672C}\u{8A9E}.pdf")
        // Between a word and literal text the space stays.
        #expect(decodeEncodedWords(bytes("=?utf-8?q?a?= b")) == "a b")
        #expect(decodeEncodedWords(bytes("x =?utf-8?q?a?=")) == "x a")
        // Malformed words stay literal.
        #expect(decodeEncodedWords(bytes("=?utf-8?x?abc?=")) == "=?utf-8?x?abc?=")
        #expect(decodeEncodedWords(bytes("=?utf-8?q?unterminated")) == "=?utf-8?q?unterminated")
        // An encoded word split by a space is not an encoded word.
        #expect(decodeEncodedWords(bytes("=?utf-8?q?a b?=")) == "=?utf-8?q?a b?=")
    }

    @Test func filenamesThroughTheParser() {
        let msg = bytes(crlf("""
        Content-Type: multipart/mixed; boundary=f

        --f
        Content-Type: application/pdf; name="fallback.pdf"
        Content-Disposition: attachment;
         filename*0*=utf-8''%E2%82%AC;
         filename*1=.pdf

        x
        --f
        Content-Type: application/octet-stream;
        \tname="=?UTF-8?B?4oKs?= =?UTF-8?Q?=2Eexe?="

        y
        --f
        Content-Type: text/plain; name=only-type.txt
        Content-Disposition: inline

        z
        --f--

        """))
        let s = checkSplitInvariance(msg)
        #expect(s.part("1.1")?.filename == "\u{20AC}.pdf")
        #expect(s.part("1.2")?.filename == "\u{20AC}.exe")
        #expect(s.part("1.3")?.filename == "only-type.txt")
    }

    @Test func transferEncodingNames() {
        #expect(TransferEncoding(headerValue: " Base64 ") == .base64)
        #expect(TransferEncoding(headerValue: "quoted-printable (comment)") == .quotedPrintable)
        #expect(TransferEncoding(headerValue: "x-uuencode") == .other("x-uuencode"))
        #expect(TransferEncoding(headerValue: "") == .sevenBit)
    }
}
