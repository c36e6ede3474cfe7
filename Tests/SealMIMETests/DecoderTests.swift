import Testing
import Foundation
@testable import SealMIME

func b64(_ s: String, chunks: [Int] = []) -> [UInt8] {
    var d = Base64Decoder()
    let input = bytes(s)
    var out = [UInt8](repeating: 0, count: Base64Decoder.maxOutput(input.count) + 8)
    var o = 0
    var start = 0
    out.withUnsafeMutableBufferPointer { ob in
        input.withUnsafeBytes { ib in
            for c in chunks + [input.count] where c >= start {
                o += d.decode(UnsafeRawBufferPointer(rebasing: ib[start..<c]), into: ob.baseAddress! + o)
                start = c
            }
            o += d.finish(into: ob.baseAddress! + o)
        }
    }
    return Array(out[..<o])
}

func qp(_ s: String, chunks: [Int] = []) -> [UInt8] {
    var d = QuotedPrintableDecoder()
    let input = bytes(s)
    var out = [UInt8](repeating: 0, count: QuotedPrintableDecoder.maxOutput(input.count) + 8)
    var o = 0
    var start = 0
    out.withUnsafeMutableBufferPointer { ob in
        input.withUnsafeBytes { ib in
            for c in chunks + [input.count] where c >= start {
                o += d.decode(UnsafeRawBufferPointer(rebasing: ib[start..<c]), into: ob.baseAddress! + o)
                start = c
            }
            o += d.finish(into: ob.baseAddress! + o)
        }
    }
    return Array(out[..<o])
}

@Suite struct DecoderTests {
    @Test func base64Basics() {
        #expect(b64("aGVsbG8gd29ybGQ=") == bytes("hello world"))
        #expect(b64("aGVsbG8gd29ybGQ") == bytes("hello world"), "missing padding")
        #expect(b64("aGVsbG8gd29ybA") == bytes("hello worl"))
        #expect(b64("aGVs\r\nbG8g\n d29y\tbGQ=\r\n") == bytes("hello world"), "line breaks and blanks anywhere")
        #expect(b64("a\nG\r\nV\nsbG8") == bytes("hello"))
        #expect(b64("aGV*sb!G8\u{7F}") == bytes("hello"), "junk characters are skipped")
        #expect(b64("aGk=IGlnbm9yZWQ=") == bytes("hi"), "data ends at padding")
        #expect(b64("a") == [], "a lone sextet decodes to nothing")
        #expect(b64("") == [])
    }

    @Test func base64EverySplit() {
        let text = "SGVs\r\nbG8s IHdv\r\ncmxkIQ=="
        for c in 0...text.utf8.count { #expect(b64(text, chunks: [c]) == bytes("Hello, world!"), "split at \(c)") }
        #expect(b64(text, chunks: Array(0...text.utf8.count)) == bytes("Hello, world!"))
    }

    @Test func quotedPrintableBasics() {
        #expect(qp("caf=E9 =3D ok") == [99, 97, 102, 0xE9, 32, 61, 32, 111, 107])
        #expect(qp("soft=\r\nbreak") == bytes("softbreak"))
        #expect(qp("soft=\nbreak") == bytes("softbreak"))
        #expect(qp("soft= \t\r\nbreak") == bytes("softbreak"), "white space after a soft-break =")
        #expect(qp("hard\r\nbreak") == bytes("hard\r\nbreak"))
        #expect(qp("lower =e9") == bytes("lower ") + [0xE9])
        #expect(qp("bad =ZZ end") == bytes("bad =ZZ end"), "malformed escapes stay literal")
        #expect(qp("bad =4") == bytes("bad =4"))
        #expect(qp("end=") == bytes("end"))
        #expect(qp("a=3") == bytes("a=3"))
        #expect(qp("x=\r\n") == bytes("x"))
        // '=' then white space that does not reach a line end is text (GMime keeps
        // it; it used to be dropped).
        #expect(qp("= x") == bytes("= x"))
        #expect(qp("a=  b") == bytes("a=  b"))
        #expect(qp("a=\t \tb") == bytes("a=\t \tb"))
        #expect(qp("a=\rb") == bytes("a=\rb"))
        #expect(qp("a= \t\r\nb") == bytes("ab"), "trailing white space before a soft break goes")
        #expect(qp("a=" + String(repeating: " ", count: 40) + "\nb") == bytes("a=" + String(repeating: " ", count: 40) + "\nb"),
                "more padding than the decoder keeps: literal")
    }

    @Test func quotedPrintableMalformedEverySplit() {
        let text = "a= x=\t\ty= \r\nz=\rq=" + String(repeating: "\t", count: 35) + "w"
        let whole = qp(text)
        #expect(whole == bytes("a= x=\t\tyz=\rq=" + String(repeating: "\t", count: 35) + "w"))
        for c in 0...text.utf8.count { #expect(qp(text, chunks: [c]) == whole, "split at \(c)") }
        #expect(qp(text, chunks: Array(0...text.utf8.count)) == whole)
    }

    @Test func quotedPrintableEverySplit() {
        let text = "A=3D=\r\nB=\nC=e9=ZZ=4 =\r\nD"
        let whole = qp(text)
        #expect(whole == bytes("A=BC") + [0xE9] + bytes("=ZZ=4 D"))
        for c in 0...text.utf8.count { #expect(qp(text, chunks: [c]) == whole, "split at \(c)") }
        for c in 0...text.utf8.count - 1 { #expect(qp(text, chunks: [c, c + 1]) == whole) }
        #expect(qp(text, chunks: Array(0...text.utf8.count)) == whole)
    }

    @Test func encodedPartsThroughTheParser() {
        // Base64 with broken characters, missing padding and odd line breaks; QP with
        // soft breaks of both kinds and escapes that land on chunk edges.
        let msg = bytes("""
        Content-Type: multipart/mixed; boundary=enc\r
        \r
        --enc\r
        Content-Transfer-Encoding: base64\r
        \r
        SGVs!bG8s\r
        IHdv  cmxk
        IQ\r
        --enc\r
        Content-Transfer-Encoding: quoted-printable\r
        Content-Type: text/plain; charset=utf-8\r
        \r
        line one=\r
         continues=
        =E2=82=AC=20euro\r
        tail=3D=\r
        --enc\r
        Content-Transfer-Encoding: quoted-printable\r
        \r
        bad=\r
        =G1=4\r
        --enc--\r

        """)
        let s = checkSplitInvariance(msg)
        #expect(s.text("1.1") == "Hello, world!")
        #expect(s.part("1.1")?.decodedSize == 13)
        #expect(s.text("1.2") == "line one continues\u{20AC} euro\r\ntail=")
        #expect(s.text("1.3") == "bad=G1=4")
        for leaf in s.leaves { #expect(Int64(leaf.data.count) == leaf.decodedSize) }
    }

    @Test func decodedSizeExcludesLineBreakBeforeDelimiter() {
        // GMime semantics: the CRLF before the delimiter belongs to the delimiter.
        let msg = bytes("Content-Type: multipart/mixed; boundary=s\r\n\r\n--s\r\n\r\nabc\r\n\r\n--s\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nq\r\n--s--\r\n")
        let s = checkSplitInvariance(msg)
        #expect(s.part("1.1")?.decodedSize == 5)   // "abc\r\n": only the last line break goes
        #expect(s.part("1.2")?.decodedSize == 1)
    }
}
