import Testing
import Foundation
@testable import SealMIME

@Suite struct LimitTests {
    func nestedMultipart(_ levels: Int) -> [UInt8] {
        var m = "Content-Type: multipart/mixed; boundary=L0\r\n\r\n"
        for d in 1..<levels { m += "--L\(d - 1)\r\nContent-Type: multipart/mixed; boundary=L\(d)\r\n\r\n" }
        m += "--L\(levels - 1)\r\n\r\ndeep\r\n"
        for d in stride(from: levels - 1, through: 0, by: -1) { m += "--L\(d)--\r\n" }
        return bytes(m)
    }

    @Test func depthLimitMultipart() {
        let s = checkSplitInvariance(nestedMultipart(100), everySplit: false, random: 20)
        #expect(s.limits == [.depth])
        let maxDepth = ParserLimits().maxDepth
        #expect(s.parts.count == maxDepth + 1)
        // The part at the limit is an opaque leaf holding the deeper structure.
        let last = s.parts.last!
        #expect(last.kind == .leaf && last.mediaType == "multipart/mixed")
        #expect(String(decoding: last.data, as: UTF8.self).contains("deep"))
        // Within the limit nothing is reported.
        var small = ParserLimits(); small.maxDepth = 100
        let (ok, _, _) = parse(nestedMultipart(100), limits: small)
        #expect(ok.limits.isEmpty && ok.parts.count == 101 && ok.parts.last?.data == bytes("deep"))
    }

    @Test func depthLimitEmbeddedMessages() {
        var m = ""
        for _ in 0..<100 { m += "Content-Type: message/rfc822\n\n" }
        m += "Subject: bottom\n\nbottom text\n"
        let s = checkSplitInvariance(bytes(m), everySplit: false, random: 20)
        #expect(s.limits == [.depth])
        #expect(s.parts.count == ParserLimits().maxDepth + 1)
        #expect(s.parts.last?.kind == .leaf)
    }

    @Test func hugeHeaderLineWithoutLineFeed() {
        var msg = bytes("Subject: ")
        msg += [UInt8](repeating: UInt8(ascii: "x"), count: 10 << 20)
        let limit = ParserLimits().maxHeaderBytes
        for chunk in [msg.count, 65536, 4093] {
            let (s, _, r) = parse(msg, cuts: Array(stride(from: chunk, to: msg.count, by: chunk)))
            checkInvariants(s, r)
            #expect(s.limits == [.headerBytes], "chunk \(chunk)")
            #expect(r.headers.count == 1)
            #expect(r.headers.allSatisfy { $0.1.utf8.count <= limit })
            #expect(s.bodySize == 0)
        }
        // The same with a line feed and a body after it: the body is still found.
        let withBody = msg + bytes("\n\nbody")
        let (s, _, _) = parse(withBody, cuts: [1000, 5 << 20])
        #expect(s.limits == [.headerBytes])
        #expect(s.part("1")?.data == bytes("body"))
    }

    @Test func hugeFoldedHeaderInPart() {
        var m = bytes("Content-Type: multipart/mixed; boundary=h\n\n--h\nX-Long: a\n")
        for _ in 0..<5000 { m += bytes(" continuation line of a very long folded header field\n") }
        m += bytes("Content-Type: text/plain; name=after.txt\n\npart body\n--h--\n")
        let s = checkSplitInvariance(m, everySplit: false, random: 10)
        #expect(s.limits == [.headerBytes])
        #expect(s.part("1.1")?.filename == "after.txt")
        #expect(s.text("1.1") == "part body")
    }

    @Test func headerCountLimit() {
        var m = ""
        for i in 0..<2500 { m += "X-H\(i): v\r\n" }
        m += "\r\nbody\r\n"
        let s = checkSplitInvariance(bytes(m), everySplit: false, random: 10)
        #expect(s.limits == [.headers])
        #expect(s.topHeaders.count == ParserLimits().maxHeaders)
        #expect(s.text("1") == "body\r\n")
    }

    @Test func endlessHeaderSection() {
        var m = [UInt8]()
        for i in 0..<50_000 { m += bytes("X-Endless-\(i): value\r\n") }
        let (s, _, r) = parse(m, cuts: Array(stride(from: 8192, to: m.count, by: 8192)))
        checkInvariants(s, r)
        #expect(s.limits == [.headers])
        #expect(s.bodySize == 0)
        #expect(s.parts.count == 1)
    }

    @Test func partsLimit() {
        var m = "Content-Type: multipart/mixed; boundary=p\n\n"
        for i in 0..<1500 { m += "--p\n\npart \(i)\n" }
        m += "--p--\n"
        let s = checkSplitInvariance(bytes(m), everySplit: false, random: 5)
        #expect(s.limits == [.parts])
        #expect(s.parts.count == ParserLimits().maxParts)
        #expect(s.part("1.1")?.data == bytes("part 0"))
        // The rest goes to the last part that could be created.
        #expect(String(decoding: s.parts.last!.data, as: UTF8.self).hasSuffix("part 1499"))
        #expect(s.part("1")?.missingClose == false)
    }

    @Test func inspectBytesLimit() {
        var limits = ParserLimits(); limits.maxInspectBytes = 100
        let payload = String(repeating: "0123456789", count: 100)
        let msg = bytes("Content-Type: multipart/mixed; boundary=i\n\n--i\n\n\(payload)\n--i\nContent-Transfer-Encoding: base64\n\n\(Data(payload.utf8).base64EncodedString(options: .lineLength76Characters))\n--i--\n")
        let s = checkSplitInvariance(msg, everySplit: false, random: 30, limits: limits)
        #expect(s.limits == [.inspectBytes])
        #expect(s.part("1.1")?.data == Array(bytes(payload).prefix(100)))
        #expect(s.part("1.2")?.data == Array(bytes(payload).prefix(100)))
        #expect(s.part("1.1")?.decodedSize == 1000, "decodeAll keeps counting")
        #expect(s.part("1.2")?.decodedSize == 1000)
        // Without decodeAll the count stops and is marked inexact.
        let (t, _, _) = parse(msg, limits: limits, decodeAll: false)
        #expect(t.part("1.2")?.decodedAll == false)
        #expect(t.part("1.2")?.data.count == 100)
    }

    @Test func handlerDeclinesOrStops() {
        let msg = bytes(crlf(simpleMixed))
        // Declines the text part; stops the base64 part after the first bytes.
        let (s, _, r) = parse(msg, cuts: [150], decodeAll: false) { r in
            r.want = { p, i in p.parts[i].contentType.mediaType != "text/plain" }
            r.stopAfter = 1
        }
        checkInvariants(s, r)
        #expect(s.part("1.1")?.data == [])
        #expect(s.part("1.1")?.decodedAll == false)
        #expect(s.part("1.2")?.data.isEmpty == false)
        #expect(s.part("1.2")?.decodedAll == false)
        #expect(s.part("1.2")?.encodedSize == 18)
    }
}

@Suite struct OverlongLineTests {
    /// A line longer than maxHeaderBytes that is not a header field ends the header
    /// section and is content: none of it may be lost (it was truncated before).
    @Test(arguments: ["", "--", "--b-not-a-delimiter "])
    func overlongNonHeaderLineIsContent(prefix: String) {
        var limits = ParserLimits(); limits.maxHeaderBytes = 1000
        let long = prefix + String(repeating: "QUJD", count: 2000)   // 8000+ bytes, no colon, no LF
        let msg = bytes("Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: application/zip\n\(long)\nmore\n--b--\n")
        let s = checkSplitInvariance(msg, everySplit: false, random: 40, limits: limits)
        #expect(s.text("1.1") == long + "\nmore")
        #expect(s.limits.isEmpty)
        // At the top level too.
        let top = bytes("Subject: x\n\(long)\nrest")
        let t = checkSplitInvariance(top, everySplit: false, random: 40, limits: limits)
        #expect(t.text("1") == long + "\nrest")
    }

    /// An overlong field is still a field: truncated, and the limit reported.
    @Test func overlongFieldIsTruncated() {
        var limits = ParserLimits(); limits.maxHeaderBytes = 1000
        let msg = bytes("Subject: " + String(repeating: "y", count: 5000) + "\nX-Next: 1\n\nbody")
        let s = checkSplitInvariance(msg, everySplit: false, random: 40, limits: limits)
        #expect(s.limits == [.headerBytes])
        #expect(s.topHeaders.count == 2 && s.topHeaders[0].utf8.count <= 1002)
        #expect(s.text("1") == "body")
    }
}
