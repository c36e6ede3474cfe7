import Testing
import SealEngine
import SealPolicy
@testable import SealSensitive

let registry: Registry = {
    var r = Registry.builtin
    r.register(condition: SensitiveCondition.self)
    r.register(feature: SensitiveTypes.self)
    return r
}()

/// Runs `message` through a session of `policy`, the body fed in `chunk`-byte pieces.
func run(_ policy: String, _ message: String, chunk: Int = 7) throws -> (Session, Decision) {
    let engine = Engine(policy: try Policy.parse(yaml: policy, file: "test.yaml", registry: registry))
    let s = Session(engine: engine, decodeAll: false)
    var d = s.mailFrom("<a@partner.example>")
    _ = s.rcpt("<b@example.com>")
    let bytes = Array(message.utf8)
    var i = 0
    while d == .continue && i < bytes.count {
        let n = min(chunk, bytes.count - i)
        d = bytes[i..<(i + n)].withUnsafeBytes { s.raw($0) }
        i += n
    }
    if d == .continue { d = s.endOfMessage() }
    return (s, d)
}

func base64(_ s: String) -> String {
    let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    let b = Array(s.utf8)
    var out: [UInt8] = []
    var i = 0
    while i < b.count {
        let n = min(3, b.count - i)
        let v = (UInt32(b[i]) << 16) | (n > 1 ? UInt32(b[i + 1]) << 8 : 0) | (n > 2 ? UInt32(b[i + 2]) : 0)
        out.append(table[Int(v >> 18 & 63)]); out.append(table[Int(v >> 12 & 63)])
        out.append(n > 1 ? table[Int(v >> 6 & 63)] : 61); out.append(n > 2 ? table[Int(v & 63)] : 61)
        i += 3
        if out.count % 77 == 76 { out += [13, 10] }
    }
    return String(decoding: out, as: UTF8.self)
}

/// A multipart message: a quoted-printable part (the first card split by a soft line
/// break, the second written with =20 for its spaces), a base64 part with a third card
/// and an IBAN, and an attachment (not text) holding a fourth card.
let multipart: String = {
    let b64 = base64("Hello,\r\nthe third card is 3530 1113 3330 0000 and our IBAN is DE89 3704 0044 0532 0130 00.\r\n")
    return """
    From: a@partner.example\r
    To: b@example.com\r
    Subject: order\r
    MIME-Version: 1.0\r
    Content-Type: multipart/mixed; boundary="b1"\r
    \r
    --b1\r
    Content-Type: text/plain; charset=utf-8\r
    Content-Transfer-Encoding: quoted-printable\r
    \r
    Card one: 4111 1111 11=\r
    11 1111, card two: 5555=205555=205555=204444.\r
    --b1\r
    Content-Type: text/plain; charset=utf-8\r
    Content-Transfer-Encoding: base64\r
    \r
    \(b64)\r
    --b1\r
    Content-Type: application/octet-stream; name="x.bin"\r
    Content-Transfer-Encoding: base64\r
    \r
    \(base64("378282246310005"))\r
    --b1--\r

    """
}()

func rule(_ condition: String, extra: String = "") -> String {
    extra + """
    rules:
      - name: sensitive
        when:
          sensitive: \(condition)
        actions:
          - reject: {code: 550, text: "5.7.1 sensitive"}
    """
}

@Suite struct SensitiveEngineTests {
    @Test func firesOnDecodedTextAcrossChunkEdges() throws {
        for chunk in [1, 2, 3, 5, 7, 64, 100_000] {
            let (s, d) = try run(rule("{type: credit_card, min_count: 3}"), multipart, chunk: chunk)
            #expect(d == .reject, "chunk \(chunk): \(s.lastError)")
        }
        // The attachment's card is not text: four are not there.
        #expect(try run(rule("{type: credit_card, min_count: 4}"), multipart).1 != .reject)
        #expect(try run(rule("{type: iban, confidence: high}"), multipart).1 == .reject)
    }

    @Test func confidenceAskedForIsRespected() throws {
        // Cards without a supporting keyword are medium: a rule asking high does not fire.
        let plain = "Subject: x\r\n\r\nnumbers 4111 1111 1111 1111 and 5555 5555 5555 4444\r\n"
        #expect(try run(rule("{type: credit_card, confidence: high}"), plain).1 != .reject)
        #expect(try run(rule("{type: credit_card, confidence: medium, min_count: 2}"), plain).1 == .reject)
        let withKeyword = "Subject: x\r\n\r\nmy visa 4111 1111 1111 1111 expires soon\r\n"
        #expect(try run(rule("{type: credit_card, confidence: high}"), withKeyword).1 == .reject)
        // The condition's own keywords replace the type's: "visa" no longer counts.
        #expect(try run(rule("{type: credit_card, confidence: high, keywords: [payment]}"), withKeyword).1 != .reject)
        // Failing Luhn never counts, keywords or not.
        let bad = "Subject: x\r\n\r\nmy visa card 4111 1111 1111 1112 expiry 12/29\r\n"
        #expect(try run(rule("{type: credit_card, confidence: low}"), bad).1 != .reject)
    }

    @Test func conditionsOfOneMessageShareValidationButRateOnTheirOwn() throws {
        // Three rules ask for cards: the candidates are validated once per message, each
        // rule rates them with its own keywords and level. Only the last one fires.
        let policy = """
        rules:
          - name: other-keywords
            when:
              sensitive: {type: credit_card, confidence: high, keywords: [payment]}
            actions:
              - reject: {code: 550, text: "5.7.1 first"}
          - name: two-needed
            when:
              sensitive: {type: credit_card, min_count: 2}
            actions:
              - reject: {code: 550, text: "5.7.1 second"}
          - name: visa-keyword
            when:
              sensitive: {type: credit_card, confidence: high}
            actions:
              - reject: {code: 550, text: "5.7.1 third"}
        """
        let (s, d) = try run(policy, "Subject: x\r\n\r\nmy visa 4111 1111 1111 1111 expires soon\r\n")
        #expect(d == .reject)
        #expect(s.reply?.text.contains("third") == true, "\(String(describing: s.reply))")
    }

    @Test func distinctValuesAreCounted() throws {
        let same = "Subject: x\r\n\r\n4111111111111111 4111111111111111 4111111111111111\r\n"
        #expect(try run(rule("{type: credit_card, min_count: 2}"), same).1 != .reject)
    }

    @Test func listIsAnyOfAndCustomTypes() throws {
        let types = """
        sensitive_types:
          employee_id:
            pattern: 'EMP-[0-9]{6}'
            keywords: [employee]
            distance: 40
            confidence: medium

        """
        let msg = "Subject: x\r\n\r\nEmployee of the month: EMP-123456 left.\r\n"
        #expect(try run(rule("[{type: us_ssn}, {type: employee_id, confidence: high}]", extra: types), msg).1 == .reject)
        #expect(try run(rule("[{type: us_ssn}, {type: employee_id, confidence: high, distance: 1}]", extra: types), msg).1 != .reject)
        #expect(try run(rule("employee_id", extra: types), msg).1 == .reject)
        // Without a keyword nearby a match has the type's own level (low by default), and
        // a condition that names no level counts it.
        let plainType = "sensitive_types:\n  badge:\n    pattern: 'BDG-[0-9]{4}'\n"
        let badge = "Subject: x\r\n\r\nBDG-1234\r\n"
        #expect(try run(rule("badge", extra: plainType), badge).1 == .reject)
        #expect(try run(rule("{type: badge, confidence: medium}", extra: plainType), badge).1 != .reject)
    }

    @Test func sharesTheScanWithBodyConditions() throws {
        // A body condition and a detector in one policy: both still judge right.
        let policy = """
        rules:
          - name: body
            when:
              body: {contains: [invoice]}
            actions:
              - add_header: {name: X-Body, value: "yes"}
          - name: card
            when:
              sensitive: {type: credit_card}
            unless:
              body: {contains: [internal test]}
            actions:
              - add_header: {name: X-Card, value: "yes"}
        """
        let (s, d) = try run(policy, "Subject: x\r\n\r\nInvoice paid with 4111 1111 1111 1111.\r\n")
        #expect(d != .reject)
        let names = s.headerEdits.map(\.name)
        #expect(names.contains("X-Body") && names.contains("X-Card"), "\(names)")
        let (s2, _) = try run(policy, "Subject: x\r\n\r\ninternal test: 4111 1111 1111 1111\r\n")
        #expect(!s2.headerEdits.map(\.name).contains("X-Card") && !s2.headerEdits.map(\.name).contains("X-Body"))
    }

    @Test func explanationIsRedacted() throws {
        let (s, d) = try run(rule("{type: credit_card, min_count: 3}"), multipart)
        #expect(d == .reject)
        let c = try #require(s.engine.policy.rules[0].conditions[0] as? SensitiveCondition)
        let text = c.explain(in: try #require(s.facts))
        #expect(text.contains("credit_card: 3 of at least 3 at medium"), "\(text)")
        #expect(text.contains("************1111") && text.contains("************4444") && text.contains("************0000"))
        for raw in ["4111 1111", "41111111", "5555", "35301113"] where text.contains(raw) {
            Issue.record("unredacted digits \(raw) in \(text)")
        }
        // The report (sealctl scan, text and JSON) carries the same, redacted.
        let report = try #require(s.report)
        #expect(report.reasons == ["sensitive: " + text])
        let shown = report.text + s.jsonReport()
        #expect(shown.contains("because sensitive: credit_card: 3 of at least 3"), "\(report.text)")
        for raw in ["4111 1111", "41111111", "5555", "35301113"] where shown.contains(raw) {
            Issue.record("unredacted digits \(raw) in the report")
        }
    }
}

@Suite struct SensitivePolicyTests {
    func error(_ yaml: String) -> PolicyError? {
        do { _ = try Policy.parse(yaml: yaml, file: "p.yaml", registry: registry); return nil } catch { return error }
    }

    @Test func loadingErrorsHaveFileAndLine() throws {
        var e = try #require(error(rule("{type: credit_crad}")))
        #expect(e.file == "p.yaml" && e.line == 2 && e.message.contains("unknown type 'credit_crad'") && e.message.contains("credit_card"), "\(e)")
        e = try #require(error(rule("{type: iban, confidence: sure}")))
        #expect(e.line == 4 && e.message.contains("expected low, medium or high"), "\(e)")
        e = try #require(error(rule("{type: iban, min_count: 0}")))
        #expect(e.line == 4 && e.message.contains("min_count: must be at least 1"), "\(e)")
        e = try #require(error(rule("{type: iban, maximum: 3}")))
        #expect(e.line == 4 && e.message.contains("unknown key 'maximum'"), "\(e)")
        e = try #require(error(rule("{min_count: 3}")))
        #expect(e.line == 4 && e.message.contains("needs 'type'"), "\(e)")
        // Custom types: a pattern Hyperscan refuses, a built-in name, a missing pattern.
        e = try #require(error("sensitive_types:\n  x:\n    pattern: '(a)\\1'\n" + rule("x")))
        #expect(e.line == 3 && e.message.contains("sensitive_types.x.pattern: does not compile"), "\(e)")
        e = try #require(error("sensitive_types:\n  iban:\n    pattern: 'x'\n" + rule("iban")))
        #expect(e.line == 2 && e.message.contains("built-in type"), "\(e)")
        e = try #require(error("sensitive_types:\n  x:\n    keywords: [a]\n" + rule("x")))
        #expect(e.line == 3 && e.message.contains("needs 'pattern'"), "\(e)")
        e = try #require(error("sensitive_types:\n  x:\n    pattern: 'x'\n    distance: 0\n" + rule("x")))
        #expect(e.line == 4 && e.message.contains("distance: must be at least 1"), "\(e)")
    }
}
