import XCTest
import Foundation
import SealEngine
import SealPolicy
import SealCrypto
import SealEnvelope
@testable import SealRights

/// `protect` for outside recipients goes through the envelope gateway's `encrypt`
/// action: the delivered body is the envelope, and its authenticated payload meta
/// carries the template's rights.
final class EnvelopeTests: XCTestCase {
    func testOutsideRecipientsGetTheEnvelopeWithTheRights() throws {
        let org = try P256Key.generate()
        let keyPath = tempPath("org.pem"), replyPath = tempPath("reply.secret")
        FileManager.default.createFile(atPath: keyPath, contents: Data(try org.privatePEM().utf8), attributes: [.posixPermissions: 0o600])
        FileManager.default.createFile(atPath: replyPath, contents: Data("c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA==\n".utf8),
                                       attributes: [.posixPermissions: 0o600])
        let yaml = rightsPolicy(db: tempPath("rights.db"))
            .replacingOccurrences(of: "keys: {marker: \(markerKeyPath)}", with: "keys: {marker: \(markerKeyPath), org: \(keyPath), reply: \(replyPath)}")
            .replacingOccurrences(of: "rights:\n", with: "envelope: {recovery_key: org, reply_secret: reply}\nrights:\n")
        XCTAssertTrue(yaml.contains("envelope: {recovery_key"))
        let engine = Engine(policy: try Policy.parse(yaml: yaml, file: "p.yaml", registry: rightsRegistry))
        let message = """
            From: alice@example.com
            To: eve@outside.org
            Subject: [confidential] Northwind
            Message-ID: <env1@example.com>

            \(protectedText)
            """
        // A dry run: the passcode message is planned, not submitted.
        let s = Session(engine: engine, dryRun: true)
        var d = s.mailFrom("<alice@example.com>")
        _ = s.rcpt("<eve@outside.org>")
        let bytes = Array(message.replacingOccurrences(of: "\n", with: "\r\n").utf8)
        d = bytes.withUnsafeBytes { s.raw($0) }
        if d == .continue { d = s.endOfMessage() }
        XCTAssertEqual(d, .accept, s.lastError)
        XCTAssertTrue(s.logLine.contains("rights_envelope=yes"), s.logLine)
        var body: [UInt8] = []
        while let c = try s.readReplacementBody() { body += c }
        let text = String(decoding: body, as: UTF8.self)
        XCTAssertFalse(text.contains("forty two million"), "no plaintext leaves")
        XCTAssertFalse(s.headerEdits.contains { $0.name == "X-Sealmilter-Rights" || $0.name == "Sensitivity" })
        let start = try XCTUnwrap(text.range(of: "filename=\"message.html\"\r\n\r\n"))
        let end = try XCTUnwrap(text.range(of: "\r\n--=_sealmilter_", range: start.upperBound..<text.endIndex))
        let reader = try EnvelopeReader(page: Array(text[start.upperBound..<end.lowerBound].utf8))
        var original: [UInt8] = []
        let meta = try reader.open(contentKey: try reader.contentKey(recovery: org)) { original += $0 }
        XCTAssertTrue(String(decoding: original, as: UTF8.self).contains("forty two million"))
        let rights = try XCTUnwrap(meta["rights"])
        XCTAssertEqual(rights["template"]?.string, "confidential")
        XCTAssertEqual(rights["no_forward"]?.bool, true)
        XCTAssertEqual(rights["no_print"]?.bool, true)
        XCTAssertEqual(rights["no_copy"]?.bool, false)
        XCTAssertEqual(rights["expires"]?.string?.count, 20)
        XCTAssertEqual(s.outcome?.notices.map(\.to), [["eve@outside.org"]], "the passcode message")
    }
}
