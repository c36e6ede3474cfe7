import Testing
import Foundation
import SealEngine
import SealPolicy

/// An encrypted zip made by the real `zip -e`, base64 in 76-column lines.
func encryptedZipBase64() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sm-zip-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    try Data("secret payload\n".utf8).write(to: dir.appendingPathComponent("a.txt"))
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/zip")
    p.currentDirectoryURL = dir
    p.arguments = ["-q", "-e", "-P", "pw", "enc.zip", "a.txt"]
    try p.run()
    p.waitUntilExit()
    try #require(p.terminationStatus == 0, "zip -e failed")
    let data = try Data(contentsOf: dir.appendingPathComponent("enc.zip"))
    return data.base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
}

let removePolicy = """
    flag_unscannable: true
    rules:
      - name: strip-encrypted-archives
        when: {unscannable: [zip-encrypted]}
        actions: [{remove_attachments: true}]
    """

@Test func removesEncryptedZipAndKeepsTheRest() throws {
    let zip = try encryptedZipBase64()
    let text = "--b\r\nContent-Type: text/plain\r\n\r\nHello, the report is attached.\r\n"
    let tail = "\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n--b--\r\n"
    let body = "preamble\r\n" + text
        + "--b\r\nContent-Type: application/zip; name=\"report.zip\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + zip
        + tail
    let message = "From: a@partner.example\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n" + body
    for chunk in [1, 13, 4096] {
        let (s, d, _) = try run(removePolicy, message, chunk: chunk)
        #expect(d == .accept)
        #expect(s.bodyReplaced)
        let out = try replacementBody(s)
        let notice = "\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n"
            + "Content-Disposition: inline\r\n\r\nSealmilter removed an attachment from this message by policy:\r\n"
            + "  - \"report.zip\" (zip-encrypted)\r\n"
        // Exactly: everything before the zip part, the notice, everything after it.
        let expected = "preamble\r\n" + String(text.utf8.dropLast(2))! + notice + tail
        #expect(out == expected)
        #expect(s.headerEdits.contains(HeaderEdit(operation: .add, name: "X-Sealmilter-Unscannable", value: "zip-encrypted", index: 0)))
        #expect(s.report?.verdict.removed_parts == ["1.2"])
    }
}

@Test func removingTheWholeBodyReplacesItWithTheNotice() throws {
    let zip = try encryptedZipBase64()
    let message = "From: a@partner.example\r\nContent-Type: application/zip; name=x.zip\r\nContent-Transfer-Encoding: base64\r\n\r\n" + zip
    let (s, _, _) = try run(removePolicy, message, chunk: 100)
    let out = try replacementBody(s)
    #expect(out.hasPrefix("Sealmilter removed an attachment"))
    #expect(s.headerEdits.contains(HeaderEdit(operation: .change, name: "Content-Type", value: "text/plain; charset=utf-8", index: 1)))
}

@Test func nothingRemovedWhenNothingMatches() throws {
    let message = "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b--\r\n"
    let (s, d, _) = try run(removePolicy, message)
    #expect(d == .accept)
    #expect(!s.bodyReplaced)
}

@Test func spoolGoesToAPrivateFileAboveTheMemoryLimitAndLeavesNothing() throws {
    let zip = try encryptedZipBase64()
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sm-spool-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let policy = removePolicy + "\nspool: {memory_limit: 1K, directory: \"\(dir.path)\"}\n"
    let filler = String(repeating: "filler line of text\r\n", count: 500)
    let message = "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n" + filler
        + "\r\n--b\r\nContent-Type: application/zip\r\nContent-Transfer-Encoding: base64\r\n\r\n" + zip + "\r\n--b--\r\n"
    let (s, _, _) = try run(policy, message, chunk: 512)
    let out = try replacementBody(s)
    #expect(out.contains(filler))
    #expect(out.contains("Sealmilter removed an attachment"))
    #expect(!out.contains(String(zip.prefix(40))))
    // The spool file was unlinked at creation: nothing is left in its directory.
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
}

@Test func unwritableSpoolFailsClosed() throws {
    let zip = try encryptedZipBase64()
    let policy = removePolicy + "\nspool: {memory_limit: 16, directory: /nonexistent/sealmilter-spool}\n"
    let message = "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: application/zip\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + zip + "\r\n--b--\r\n"
    let (s, d, _) = try run(policy, message, chunk: 64)
    #expect(d == .tempfail)
    #expect(s.reply?.code == "451")
    #expect(s.logLine.contains("error="))
}

/// Raw input whose header section is ended by a line that is not a header field:
/// that line is the start of the body although its bytes came in earlier chunks.
/// It must reach the rewritten body in every chunking (this once crashed the engine
/// with chunks smaller than the line).
@Test func bodyStartingWithANonHeaderLineIsKeptInEveryChunking() throws {
    let zip = try encryptedZipBase64()
    let message = "From: a@partner.example\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n"
        + "this line is no header field, so the body starts here\r\n"
        + "--b\r\nContent-Type: text/plain\r\n\r\nHello.\r\n"
        + "--b\r\nContent-Type: application/zip; name=\"x.zip\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + zip
        + "\r\n--b--\r\n"
    var bodies: Set<String> = []
    for chunk in [1, 2, 7, 30, 64, 4096] {
        let (s, d, _) = try run(removePolicy, message, chunk: chunk)
        #expect(d == .accept, "chunk \(chunk): \(s.logLine)")
        let out = try replacementBody(s)
        #expect(out.hasPrefix("this line is no header field, so the body starts here\r\n--b\r\n"), "chunk \(chunk): \(out.prefix(80))")
        #expect(!out.contains("x.zip") || out.contains("\"x.zip\" (zip-encrypted)"), "chunk \(chunk)")
        bodies.insert(out)
    }
    #expect(bodies.count == 1, "the rewritten body depends on the chunking")
}

/// The same with a non-header line longer than max_header_bytes: the parser decides
/// it is body once it holds max_header_bytes of it, and all of it is kept.
@Test func overlongNonHeaderLineStartingTheBodyIsKept() throws {
    let zip = try encryptedZipBase64()
    let long = String(repeating: "no header field here ", count: 25)   // 525 bytes, no colon
    let message = "Content-Type: multipart/mixed; boundary=\"b\"\r\n" + long + "\r\n"
        + "--b\r\nContent-Type: text/plain\r\n\r\nHello.\r\n"
        + "--b\r\nContent-Type: application/zip; name=\"x.zip\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + zip
        + "\r\n--b--\r\n"
    let policy = "limits: {max_header_bytes: 100}\n" + removePolicy
    var bodies: Set<String> = []
    for chunk in [1, 7, 64, 4096] {
        let (s, d, _) = try run(policy, message, chunk: chunk)
        #expect(d == .accept, "chunk \(chunk): \(s.logLine)")
        let out = try replacementBody(s)
        #expect(out.hasPrefix(long + "\r\n--b\r\n"), "chunk \(chunk): \(out.prefix(60))")
        bodies.insert(out)
    }
    #expect(bodies.count == 1, "the rewritten body depends on the chunking")
}
