import Testing
import Foundation
@testable import SealMIME

/// Feeds top-level fields through header(name:value:) and the body through body(_:)
/// in chunks ending at `cuts` (body offsets).
func parseMTA(fields: [(String, String)], body: [UInt8], cuts: [Int] = [], limits: ParserLimits = ParserLimits()) -> (ParseSnap, Recorder) {
    let r = Recorder()
    let p = MIMEParser(limits: limits, decodeAll: true, handler: r)
    for (n, v) in fields { p.header(name: n, value: v) }
    p.endOfHeaders()
    var start = 0
    body.withUnsafeBytes { all in
        for c in cuts.sorted() + [body.count] where c > start && c <= body.count {
            p.body(UnsafeRawBufferPointer(rebasing: all[start..<c]))
            start = c
        }
    }
    p.finish()
    return (snapshot(p, r), r)
}

@Suite struct MTATests {
    @Test func bodySplitInvariance() {
        let text = crlf(simpleMixed)
        let body = bytes(String(text[text.range(of: "\r\n\r\n")!.upperBound...]))
        let fields = [("From", "a@example.com"), ("Content-Type", "multipart/mixed;\r\n boundary=\"XX\"")]
        let (whole, r) = parseMTA(fields: fields, body: body)
        checkInvariants(whole, r)
        #expect(whole.parts.map(\.path) == ["1", "1.1", "1.2"])
        #expect(whole.text("1.2") == "hello world")
        #expect(whole.topHeaders.isEmpty, "MTA fields are not echoed")
        for c in 1..<body.count { #expect(parseMTA(fields: fields, body: body, cuts: [c]).0 == whole, "split \(c)") }
        #expect(parseMTA(fields: fields, body: body, cuts: Array(1..<body.count)).0 == whole)
    }

    /// The header count is per section: the top-level fields given through
    /// header(name:value:) did not reset it for an embedded message's section.
    @Test func headerCountIsPerSection() {
        var limits = ParserLimits(); limits.maxHeaders = 10
        let fields = [("Content-Type", "message/rfc822")] + (0..<8).map { ("X-\($0)", "v") }
        var inner = ""
        for i in 0..<8 { inner += "X-Inner-\(i): v\n" }
        inner += "Content-Type: text/plain; name=inner.txt\n\ninner body\n"
        let (s, r) = parseMTA(fields: fields, body: bytes(inner), limits: limits)
        checkInvariants(s, r)
        #expect(s.limits.isEmpty)
        #expect(s.part("1.1")?.filename == "inner.txt")
        #expect(s.text("1.1") == "inner body\n")
        // Over the limit at the top level is still reported.
        let many = fields + (0..<5).map { ("Y-\($0)", "v") }
        #expect(parseMTA(fields: many, body: bytes(inner), limits: limits).0.limits == [.headers])
    }

    @Test func overlongMTAFieldIsTruncated() {
        var limits = ParserLimits(); limits.maxHeaderBytes = 100
        let (s, _) = parseMTA(fields: [("Content-Type", "text/plain; name=\"" + String(repeating: "n", count: 500) + ".txt\"")],
                              body: bytes("x"), limits: limits)
        #expect(s.limits == [.headerBytes])
        #expect(s.text("1") == "x")
    }
}

/// Regressions found by Tests/fuzz (FuzzMIME), kept as plain unit tests.
@Suite struct FuzzRegressionTests {
    /// libFuzzer input `8C0tYgotLWI=` (base64): flags 0xF0 (MTA feed after
    /// `Content-Type: multipart/mixed; boundary="b"`, no chunk sizes: the split run
    /// uses 1-byte chunks), body `--b\n--b`. Broke the begin/end invariant.
    @Test func delimiterThenDelimiterAtEndOfInputMTA() {
        let fields = [("Content-Type", "multipart/mixed; boundary=\"b\"")]
        let body = bytes("--b\n--b")
        let (whole, r) = parseMTA(fields: fields, body: body)
        checkInvariants(whole, r)
        for c in 1..<body.count {
            let (s, rr) = parseMTA(fields: fields, body: body, cuts: [c])
            checkInvariants(s, rr)
            #expect(s == whole, "split \(c)")
        }
        let (each, re) = parseMTA(fields: fields, body: body, cuts: Array(1..<body.count))
        checkInvariants(each, re)
        #expect(each == whole, "1-byte chunks")
    }
}

extension FuzzRegressionTests {
    /// The same input in raw mode, and with CRLF.
    @Test func delimiterThenDelimiterAtEndOfInputRaw() {
        for msg in ["Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\n--b",
                    "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n--b"] {
            let (whole, _, r) = parse(bytes(msg))
            checkInvariants(whole, r)
            for c in 1..<msg.utf8.count {
                let (s, _, rr) = parse(bytes(msg), cuts: [c])
                checkInvariants(s, rr)
                #expect(s == whole, "split \(c)")
            }
        }
    }
}
