import Testing
import Foundation
@testable import SealMIME

/// Content behind a parser limit (issue 8, point 5): the structure survives extra
/// header fields, and the part holding bytes the parser did not inspect is marked.
@Suite struct UninspectedTests {
    let zipPart = "Content-Type: application/zip; name=\"a.zip\"\nContent-Transfer-Encoding: base64\n\nUEsDBAo=\n"

    @Test func structureFieldsPastTheHeaderLimit() {
        // 1000 extra fields (11 KB, which Postfix accepts) before the Content-Type.
        var top = ""
        for i in 0..<1000 { top += "X-Filler-\(i): v\n" }
        let msg = bytes(crlf(top + "Content-Type: multipart/mixed; boundary=\"B\"\n\n--B\n\(zipPart)--B--\n"))
        let s = checkSplitInvariance(msg, everySplit: false, random: 10)
        #expect(s.limits == [.headers])
        #expect(s.topHeaders.count == ParserLimits().maxHeaders, "no more fields handed over than the limit")
        #expect(s.part("1")?.kind == .multipart)
        #expect(s.part("1.1")?.filename == "a.zip")
        #expect(s.part("1.1")?.data == [0x50, 0x4B, 0x03, 0x04, 0x0A])
        #expect(s.parts.allSatisfy { $0.uninspected == nil }, "the structure was kept: everything was inspected")
        // The same inside a part's header section.
        let inner = bytes(crlf("Content-Type: multipart/mixed; boundary=\"B\"\n\n--B\n" + top + zipPart + "--B--\n"))
        let t = checkSplitInvariance(inner, everySplit: false, random: 10)
        #expect(t.part("1.1")?.encoding == "base64" && t.part("1.1")?.filename == "a.zip")
        #expect(t.part("1.1")?.data == [0x50, 0x4B, 0x03, 0x04, 0x0A])
        // And in MTA mode.
        let fields = (0..<1000).map { ("X-Filler-\($0)", "v") } + [("Content-Type", "multipart/mixed; boundary=\"B\"")]
        let (m, _) = parseMTA(fields: fields, body: bytes("--B\n" + zipPart + "--B--\n"))
        #expect(m.limits == [.headers])
        #expect(m.part("1.1")?.filename == "a.zip")
    }

    @Test func partAtMaxDepthIsUninspected() {
        // 33 levels: the 33rd multipart is an opaque leaf holding the zip.
        var m = ""
        for d in 0..<33 { m += "Content-Type: multipart/mixed; boundary=L\(d)\n\n--L\(d)\n" }
        m += zipPart
        for d in stride(from: 32, through: 0, by: -1) { m += "--L\(d)--\n" }
        let (s, p, _) = parse(bytes(m))
        #expect(s.limits == [.depth])
        let flagged = s.parts.filter { $0.uninspected != nil }
        #expect(flagged.count == 1)
        #expect(flagged.first?.uninspected == .depth && flagged.first?.kind == .leaf && flagged.first?.mediaType == "multipart/mixed")
        #expect(p.hasUninspectedParts)
        // Embedded messages too.
        var e = ""
        for _ in 0..<40 { e += "Content-Type: message/rfc822\n\n" }
        let (es, _, _) = parse(bytes(e + "Subject: bottom\n\nx\n"))
        #expect(es.parts.last?.uninspected == .depth)
        #expect(es.parts.dropLast().allSatisfy { $0.uninspected == nil })
    }

    @Test func partsBeyondMaxPartsAreUninspected() {
        var limits = ParserLimits(); limits.maxParts = 5
        var m = "Content-Type: multipart/mixed; boundary=p\n\n"
        for i in 0..<8 { m += "--p\n\npart \(i)\n" }
        m += "--p\n" + zipPart + "--p--\n"
        let s = checkSplitInvariance(bytes(m), everySplit: false, random: 10, limits: limits)
        #expect(s.limits == [.parts])
        #expect(s.parts.last?.uninspected == .parts, "the leaf the rest fell into")
        #expect(s.parts.dropLast().allSatisfy { $0.uninspected == nil })
        // An embedded message that could not get its child.
        var l2 = ParserLimits(); l2.maxParts = 2
        let (e, _, _) = parse(bytes("Content-Type: multipart/mixed; boundary=p\n\n--p\nContent-Type: message/rfc822\n\n" + zipPart + "--p--\n"), limits: l2)
        #expect(e.part("1.1")?.uninspected == .parts && e.part("1.1")?.kind == .leaf)
        // Delimiters in the preamble after the limit: the multipart is marked.
        var l1 = ParserLimits(); l1.maxParts = 1
        let (pre, _, _) = parse(bytes("Content-Type: multipart/mixed; boundary=p\n\n--p\n" + zipPart + "--p--\n"), limits: l1)
        #expect(pre.part("1")?.uninspected == .parts)
    }

    @Test func truncatedStructureFieldIsUninspected() {
        var limits = ParserLimits(); limits.maxHeaderBytes = 200
        let long = String(repeating: "n", count: 300)
        // A truncated Content-Type (the boundary may be lost): the part is marked.
        let msg = bytes("Content-Type: multipart/mixed; name=\"\(long)\"; boundary=B\n\n--B\n\n\(zipPart)--B--\n")
        let s = checkSplitInvariance(msg, everySplit: false, random: 10, limits: limits)
        #expect(s.limits == [.headerBytes])
        #expect(s.part("1")?.uninspected == .headerBytes)
        // Folded over the limit, in a part.
        let folded = bytes("Content-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: application/zip;\n name=\"\(long)\";\n x=y\n\nz\n--B--\n")
        #expect(checkSplitInvariance(folded, everySplit: false, random: 10, limits: limits).part("1.1")?.uninspected == .headerBytes)
        // A truncated Subject hides no structure.
        let subject = bytes("Subject: \(long)\nContent-Type: text/plain\n\nx\n")
        #expect(checkSplitInvariance(subject, everySplit: false, random: 10, limits: limits).parts.allSatisfy { $0.uninspected == nil })
        // MTA mode.
        let (m, _) = parseMTA(fields: [("Content-Type", "multipart/mixed; name=\"\(long)\"; boundary=B")], body: bytes("x"), limits: limits)
        #expect(m.part("1")?.uninspected == .headerBytes)
    }

    @Test func leafCutAtInspectLimitIsUninspected() {
        var limits = ParserLimits(); limits.maxInspectBytes = 100
        let payload = String(repeating: "0123456789", count: 20)
        let msg = bytes("Content-Type: multipart/mixed; boundary=i\n\n--i\n\n\(payload)\n--i\n\nshort\n--i--\n")
        let s = checkSplitInvariance(msg, everySplit: false, random: 20, limits: limits)
        #expect(s.part("1.1")?.uninspected == .inspectBytes)
        #expect(s.part("1.2")?.uninspected == nil)
        // A handler that stops on its own leaves the part unmarked.
        let (t, _, _) = parse(msg, limits: limits) { $0.stopAfter = 10 }
        #expect(t.parts.allSatisfy { $0.uninspected == nil })
        // Exactly at the limit: nothing was cut.
        let exact = bytes("Content-Type: text/plain\n\n" + String(repeating: "x", count: 100))
        #expect(parse(exact, limits: limits).0.part("1")?.uninspected == nil)
    }
}
