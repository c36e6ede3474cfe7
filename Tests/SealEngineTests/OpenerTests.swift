import Foundation
import SealEngine
import SealPolicy
import Testing

/// A test-only opener: a top-level `application/pkcs7-mime; smime-type=enveloped-data`
/// body that is plain base64 of a MIME entity "opens" to that entity (no crypto:
/// the engine's side of the hook alone). `X-Test-Deliver: yes` delivers it; the
/// opener removes `X-Test-Claim` fields, adds `X-Test-Opened` and inserts two
/// `X-Test-Trace` fields at the top.
enum Base64Opener: MessageOpener {
    static let name = "test-b64"
    static func isActive(_ settings: PolicySettings) -> Bool { true }
    static func wants(_ message: MessageFacts) -> Bool {
        message.parser.parts[0].contentType.mediaType == "application/pkcs7-mime"
            || !message.headerValues("X-Test-Claim").isEmpty
    }
    static func open(_ input: OpenerInput) -> OpenerResult {
        var r = OpenerResult()
        let claims = input.message.headers.filter { $0.name.lowercased() == "x-test-claim" }.count
        for i in stride(from: claims, through: 1, by: -1) { r.headerEdits.append(HeaderEdit(operation: .delete, name: "X-Test-Claim", value: nil, index: i)) }
        guard input.message.parser.parts[0].contentType.mediaType == "application/pkcs7-mime" else { return r }
        var raw: [UInt8] = []
        let reader = input.body.reader()
        while let c = try? reader.next() { raw += c }
        let text = String(decoding: raw, as: UTF8.self).filter { !$0.isWhitespace }
        guard let data = Data(base64Encoded: text) else { r.logWords.append("test-b64=garbage"); return r }
        r.addedHeaders.append(("X-Test-Opened", "yes"))
        r.insertedHeaders += [("X-Test-Trace", "first"), ("X-Test-Trace", "second")]
        r.logWords.append("test-b64=opened")
        let deliver = input.message.headerValues("X-Test-Deliver").first == "yes"
        r.opened = OpenedEntity(entity: Chunks(Array(data), size: 5), deliver: deliver, marker: "test")
        return r
    }
}

/// A body stream in small chunks (the engine must find the entity's body across them).
final class Chunks: BodySource {
    var bytes: [UInt8]; let size: Int; var pos = 0
    init(_ bytes: [UInt8], size: Int) { self.bytes = bytes; self.size = size }
    func next() throws -> [UInt8]? {
        guard pos < bytes.count else { return nil }
        defer { pos += size }
        return Array(bytes[pos..<min(bytes.count, pos + size)])
    }
}

@Suite struct OpenerTests {
    static let registry: Registry = {
        var r = Registry.builtin
        r.register(opener: Base64Opener.self)
        return r
    }()

    static let policy = """
        rules:
          - name: keyword
            when: {body: {contains: Kumquat}}
            actions: [{add_header: {name: X-Keyword, value: found}}]
          - name: outer-subject
            when: {subject: {contains: outer}}
            actions: [{add_header: {name: X-Outer, value: seen}}]
          - name: inner-subject
            when: {subject: {contains: inner}}
            actions: [{add_header: {name: X-Inner, value: seen}}]
          - name: pdf
            when: {attachment: {name: "*.pdf"}}
            actions: [{add_header: {name: X-Pdf, value: seen}}]
        """

    static let inner = msg([
        "Subject: inner", "Content-Type: multipart/mixed; boundary=\"I\"", "", "--I", "Content-Type: text/plain", "",
        "the Kumquat word", "--I", "Content-Type: application/pdf; name=\"a.pdf\"", "Content-Transfer-Encoding: base64", "",
        "JVBERi0xLjQK", "--I--", "",
    ])

    static func wrapped(deliver: Bool, body: String? = nil, claims: Int = 0) -> String {
        var h = ["From: a@partner.example", "To: b@example.com", "Subject: outer", "MIME-Version: 1.0"]
        for i in 0..<claims { h.append("X-Test-Claim: \(i)") }
        if deliver { h.append("X-Test-Deliver: yes") }
        h += ["Content-Type: application/pkcs7-mime; smime-type=enveloped-data", "Content-Transfer-Encoding: base64", ""]
        let b64 = body ?? Data(inner.utf8).base64EncodedString(options: .lineLength76Characters)
        return msg(h) + crlf + b64 + crlf
    }

    @Test func openedEntityIsWhatBodyConditionsSeeAndIsDelivered() throws {
        for chunk in [3, 7, 4096] {
            let (s, d, _) = try run(Self.policy, Self.wrapped(deliver: true), chunk: chunk, registry: Self.registry)
            #expect(d == .accept)
            let added = s.headerEdits.filter { $0.operation == .add }.map { "\($0.name): \($0.value ?? "")" }
            // Body, attachment conditions: the plaintext; header conditions: the outer fields.
            #expect(added.contains("X-Keyword: found") && added.contains("X-Pdf: seen") && added.contains("X-Outer: seen"), "\(added)")
            #expect(!added.contains("X-Inner: seen"))
            #expect(added.contains("X-Test-Opened: yes") && added.contains("X-Sealmilter-Decrypted: test"))
            // The outer Content-* fields are replaced by the entity's.
            #expect(s.headerEdits.contains { $0.operation == .delete && $0.name == "Content-Type" && $0.index == 1 })
            #expect(s.headerEdits.contains { $0.operation == .delete && $0.name == "Content-Transfer-Encoding" })
            #expect(added.contains("Content-Type: multipart/mixed; boundary=\"I\""))
            #expect(!s.headerEdits.contains { $0.name == "X-Sealmilter-Unscannable" })
            let body = try replacementBody(s)
            let innerBody = Self.inner.components(separatedBy: crlf + crlf).dropFirst().joined(separator: crlf + crlf)
            #expect(body == innerBody, "chunk \(chunk)")
            #expect(s.logLine.contains("test-b64=opened") && s.logLine.contains("opened=delivered"))
        }
    }

    @Test func insertedFieldsGoOnTopAfterEveryOtherEdit() throws {
        let message = Self.wrapped(deliver: true, claims: 2)
        let (s, _, _) = try run(Self.policy, message, registry: Self.registry)
        let inserts = s.headerEdits.filter { $0.operation == .insert }
        #expect(inserts == [HeaderEdit(operation: .insert, name: "X-Test-Trace", value: "first", index: HeaderEdit.topIndex),
                            HeaderEdit(operation: .insert, name: "X-Test-Trace", value: "second", index: HeaderEdit.topIndex + 1)])
        // After every add, change and delete, so their indices stay those of the fields as received.
        let firstInsert = try #require(s.headerEdits.firstIndex { $0.operation == .insert })
        #expect(!s.headerEdits[firstInsert...].contains { $0.operation != .insert }, "\(s.headerEdits.map(\.summary))")
        // Applied as the MTA does: on top of every field that arrived, in the opener's order.
        let head = message.components(separatedBy: crlf + crlf)[0].components(separatedBy: crlf)
        let original = head.map { l -> (name: String, value: String) in
            let c = l.firstIndex(of: ":")!
            return (String(l[..<c]), String(l[l.index(after: c)...].drop { $0 == " " }))
        }
        let fields = HeaderEdit.apply(s.headerEdits, to: original)
        #expect(fields.prefix(3).map { "\($0.name): \($0.value)" } == ["X-Test-Trace: first", "X-Test-Trace: second", "From: a@partner.example"])
        #expect(!fields.contains { $0.name == "X-Test-Claim" } && fields.contains { $0.name == "X-Test-Opened" })
        // sealctl scan's report shows them as inserted at the top.
        #expect(s.report?.verdict.header_edits.suffix(2) == ["insert at top X-Test-Trace: first", "insert at 2 X-Test-Trace: second"])
    }

    @Test func scannedButNotDelivered() throws {
        let (s, _, _) = try run(Self.policy, Self.wrapped(deliver: false), registry: Self.registry)
        let added = s.headerEdits.filter { $0.operation == .add }.map(\.name)
        #expect(added.contains("X-Keyword") && added.contains("X-Pdf"))
        #expect(!added.contains("X-Sealmilter-Decrypted") && !s.headerEdits.contains { $0.name == "Content-Type" })
        #expect(!s.bodyReplaced)
        #expect(s.logLine.contains("opened=scanned"))
    }

    @Test func withoutAnOpenerTheKeywordIsNotSeenAndTheMessageIsFlagged() throws {
        let (s, _, _) = try run(Self.policy, Self.wrapped(deliver: true))
        #expect(!s.headerEdits.contains { $0.name == "X-Keyword" })
        #expect(s.headerEdits.contains { $0.name == "X-Sealmilter-Unscannable" && ($0.value ?? "").contains("smime-enveloped") })
    }

    @Test func failedOpeningKeepsTheUnscannableFlag() throws {
        let (s, d, _) = try run(Self.policy, Self.wrapped(deliver: true, body: "!!not base64!!"), registry: Self.registry)
        #expect(d == .accept)
        #expect(s.headerEdits.contains { $0.name == "X-Sealmilter-Unscannable" && ($0.value ?? "").contains("smime-enveloped") })
        #expect(!s.bodyReplaced && !s.headerEdits.contains { $0.name == "X-Keyword" })
        #expect(s.logLine.contains("test-b64=garbage"))
    }

    @Test func headerEditsOnlyAndTheMilterPath() throws {
        // A plain message with claims: the opener runs for its header edits alone.
        let plain = msg(["From: a@partner.example", "X-Test-Claim: 1", "Subject: s", "X-Test-Claim: 2", "", "hello", ""])
        let (s, _, _) = try run(Self.policy, plain, registry: Self.registry)
        #expect(s.headerEdits.filter { $0.name == "X-Test-Claim" }.map(\.index) == [2, 1])
        // Milter path: fields one by one, then the body.
        let engine = Engine(policy: try Policy.parse(yaml: Self.policy, file: "t.yaml", registry: Self.registry))
        #expect(engine.needs.contains(.body) && engine.modifications.contains(.changeBody))
        let m = Self.wrapped(deliver: true)
        let parts = m.components(separatedBy: crlf + crlf)
        let session = Session(engine: engine)
        _ = session.mailFrom("<a@partner.example>"); _ = session.rcpt("<b@example.com>")
        for line in parts[0].components(separatedBy: crlf) {
            let kv = line.split(separator: ":", maxSplits: 1)
            _ = session.header(name: String(kv[0]), value: String(kv[1].dropFirst()))
        }
        #expect(session.endOfHeaders() == .continue && session.needsBody)
        let body = Array(parts.dropFirst().joined(separator: crlf + crlf).utf8)
        for i in stride(from: 0, to: body.count, by: 11) { _ = body[i..<min(body.count, i + 11)].withUnsafeBytes { session.body($0) } }
        #expect(session.endOfMessage() == .accept)
        #expect(session.headerEdits.contains { $0.name == "X-Keyword" } && session.bodyReplaced)
    }
}
