import Testing
import Foundation
@testable import SealMIME

/// Records ``MIMEHandler/embeddedHeader(_:index:name:value:)`` calls with the
/// embedded entity's path.
final class EmbeddedRecorder: MIMEHandler {
    var fields: [String] = []
    var top: [String] = []
    func topLevelHeader(name: String, value: String) { top.append(name) }
    func partBegan(_ parser: MIMEParser, index: Int) -> Bool { false }
    func partData(_ parser: MIMEParser, index: Int, _ bytes: UnsafeRawBufferPointer) -> Bool { false }
    func partEnded(_ parser: MIMEParser, index: Int) {}
    func limitExceeded(_ parser: MIMEParser, _ kind: LimitKind) {}
    func embeddedHeader(_ parser: MIMEParser, index: Int, name: String, value: String) {
        fields.append("\(parser.parts[index].path) \(name): \(value)")
    }
}

func embeddedFields(_ msg: [UInt8], names: Set<String>, cuts: [Int] = []) -> [String] {
    let r = EmbeddedRecorder()
    let p = MIMEParser(handler: r)
    p.embeddedHeaderNames = names
    var start = 0
    msg.withUnsafeBytes { b in
        for c in cuts + [msg.count] where c > start {
            p.raw(UnsafeRawBufferPointer(rebasing: b[start..<c])); start = c
        }
    }
    p.finish()
    return r.fields
}

let nestedForward = """
From: bob@example.com
Message-ID: <outer@example.com>
Content-Type: multipart/mixed; boundary=b1

--b1
Content-Type: text/plain
Message-ID: <not-a-message@example.com>

note
--b1
Content-Type: message/rfc822

From: carol@example.com
Message-ID: <wrapper@example.com>
Content-Type: multipart/mixed; boundary=w1

--w1
Content-Type: message/global

From: alice@example.com
message-id:
 <p1@example.com>
Subject: x

text
--w1--
--b1
Content-Type: message/rfc822
Content-Transfer-Encoding: base64

RnJvbTogYUBiCk1lc3NhZ2UtSUQ6IDxiNjRAZXhhbXBsZS5jb20+Cgp4Cg==
--b1--
"""

@Suite struct EmbeddedHeaderTests {
    @Test func messageIDsOfEmbeddedMessagesAtAnyDepth() {
        let msg = bytes(crlf(nestedForward))
        let want = ["1.2.1 Message-ID: <wrapper@example.com>", "1.2.1.1.1 message-id: <p1@example.com>"]
        // Not the top-level field, not a multipart child's, not a base64 message/rfc822
        // (a leaf the parser does not open); the same for every split of the input.
        #expect(embeddedFields(msg, names: ["message-id"]) == want)
        for cut in 1..<msg.count {
            let got = embeddedFields(msg, names: ["message-id"], cuts: [cut])
            if got != want { Issue.record("split at \(cut): \(got)"); break }
        }
        #expect(embeddedFields(msg, names: ["message-id", "subject"]).last == "1.2.1.1.1 Subject: x")
        #expect(embeddedFields(msg, names: []).isEmpty)
        // Structure fields too, when named (and they still apply).
        #expect(embeddedFields(msg, names: ["content-type"]) == ["1.2.1 Content-Type: multipart/mixed; boundary=w1"])
    }

    @Test func defaultHandlerIgnoresThem() {
        // A handler without embeddedHeader (the protocol's default) still parses.
        let r = Recorder()
        let p = MIMEParser(handler: r)
        p.embeddedHeaderNames = ["message-id"]
        bytes(nestedForward).withUnsafeBytes { p.raw($0) }
        p.finish()
        #expect(p.parts.map(\.path).contains("1.2.1.1.1"))
        #expect(r.protocolErrors.isEmpty)
    }
}
