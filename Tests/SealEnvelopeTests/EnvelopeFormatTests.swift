import XCTest
@testable import SealEnvelope
import SealCrypto

/// The format: chunking (exact multiples, empty payloads), tamper detection
/// (reorder, drop, truncate, another envelope's chunk), wraps, the page and its
/// CSP hashes, the size ratio, passcodes.
final class EnvelopeFormatTests: XCTestCase {
    static let org = try! P256Key.generate()
    let key = [UInt8](repeating: 7, count: 32)
    let id = [UInt8](repeating: 9, count: 16)

    func seal(_ p: [UInt8], id: [UInt8]? = nil) throws -> [UInt8] {
        var out: [UInt8] = []
        let s = try ChunkSealer(key: key, id: id ?? self.id) { out.append(contentsOf: $0) }
        // Feed in odd pieces to exercise the buffering.
        var i = 0
        while i < p.count { let n = min(7777, p.count - i); try s.write(Array(p[i..<i + n])); i += n }
        try s.finish()
        return out
    }

    func open(_ c: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        let o = try ChunkOpener(key: key, id: id) { out.append(contentsOf: $0) }
        try c.withUnsafeBytes { try o.write($0) }
        try o.finish()
        return out
    }

    func testChunkCountsAndRoundTrip() throws {
        let n = EnvelopeFormat.chunkSize
        for size in [0, 1, n - 1, n, n + 1, 2 * n, 3 * n + 5] {
            let p = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let c = try seal(p)
            // Exact multiples end with a full final chunk; only an empty payload has an empty chunk.
            let chunks = size == 0 ? 1 : (size + n - 1) / n
            XCTAssertEqual(c.count, size + 16 * chunks, "size \(size)")
            XCTAssertEqual(try open(c), p, "size \(size)")
        }
    }

    func testTamperingIsDetected() throws {
        let n = EnvelopeFormat.chunkSize, s = EnvelopeFormat.sealedChunkSize
        let p = (0..<(3 * n)).map { UInt8(truncatingIfNeeded: $0) }
        let c = try seal(p)
        XCTAssertEqual(c.count, 3 * s)
        let c0 = Array(c[0..<s]), c1 = Array(c[s..<(2 * s)]), c2 = Array(c[(2 * s)..<c.count])
        func damaged(_ x: [UInt8], _ what: String) {
            XCTAssertThrowsError(try open(x), what) { e in
                guard case EnvelopeError.damaged = e else { return XCTFail("\(what): \(e)") }
            }
        }
        damaged(c1 + c0 + c2, "reordered")
        damaged(c0 + c2, "chunk dropped")
        damaged(c0 + c1, "final chunk dropped (truncated at a chunk boundary)")
        damaged(Array(c.dropLast(1)), "truncated by a byte")
        damaged(c + [0], "data after the final chunk")
        var flipped = c; flipped[12345] ^= 1
        damaged(flipped, "a bit flipped")
        let other = try seal(p, id: [UInt8](repeating: 1, count: 16))
        damaged(c0 + Array(other[s..<(2 * s)]) + c2, "a chunk of another envelope")
    }

    func template() throws -> PageTemplate { try PageTemplate.builtin() }

    func makePage(_ message: [UInt8], passcodes: [String] = ["ABCDE-FGHJK-LMNPQ-RSTUV"], eol: [UInt8] = [10],
                  config: JSON = .object([])) throws -> ([UInt8], EnvelopeInfo) {
        var spec = EnvelopeSpec(recipients: passcodes.enumerated().map { .init(address: "r\($0.offset)@example.com", passcode: $0.element) },
                                recovery: Self.org)
        spec.replySecret = Array("0123456789abcdef0123456789abcdef".utf8)
        spec.replyTo = "alice@example.org"
        spec.config = config
        let sink = ArraySink()
        var sent = false
        let info = try EnvelopeWriter.write(spec, template: try template(), messageSize: Int64(message.count),
                                            message: { if sent || message.isEmpty { return nil }; sent = true; return message },
                                            to: sink, eol: eol)
        return (sink.bytes, info)
    }

    func testPasscodeAndRecoveryOpenTheSamePayload() throws {
        let msg = Array("Subject: hi\r\n\r\nbody\r\n".utf8)
        let (page, info) = try makePage(msg, passcodes: ["abcde fghjk-lmnpq-rstuv", "22222-33333-44444-55555"])
        XCTAssertEqual(info.transferEncoding, "7bit")
        let r = try EnvelopeReader(page: page)
        XCTAssertEqual(r.recipients.map(\.address), ["r0@example.com", "r1@example.com"])
        // Normalised: case, spaces and dashes do not matter.
        let ck1 = try r.contentKey(passcode: "ABCDEFGHJKLMNPQRSTUV")
        let ck2 = try r.contentKey(passcode: "22222 33333 44444 55555", address: "R1@example.com")
        let ck3 = try r.contentKey(recovery: Self.org)
        XCTAssertEqual(ck1, ck2); XCTAssertEqual(ck1, ck3)
        var out: [UInt8] = []
        let meta = try r.open(contentKey: ck1) { out.append(contentsOf: $0) }
        XCTAssertEqual(out, msg)
        XCTAssertEqual(meta["reply"]?["to"]?.string, "alice@example.org")
        // The reply key is derived from the secret and the id, not stored.
        XCTAssertEqual(meta["reply"]?["key"]?.string,
                       Base64.encode(try EnvelopeFormat.replyKey(secret: Array("0123456789abcdef0123456789abcdef".utf8), id: r.id)))
        XCTAssertThrowsError(try r.contentKey(passcode: "22222-33333-44444-55556")) { e in
            XCTAssertEqual(e as? EnvelopeError, .wrongKey("wrong passcode"))
        }
        XCTAssertThrowsError(try r.contentKey(passcode: "ABCDE-FGHJK-LMNPQ-RSTUV", address: "r1@example.com"))
        XCTAssertThrowsError(try r.contentKey(recovery: try P256Key.generate()))
    }

    func testEmptyMessageAndExactMultiple() throws {
        for msg in [[UInt8](), [UInt8](repeating: 65, count: EnvelopeFormat.chunkSize * 2)] {
            let (page, _) = try makePage(msg)
            let r = try EnvelopeReader(page: page)
            var out: [UInt8] = []
            _ = try r.open(contentKey: try r.contentKey(recovery: Self.org)) { out.append(contentsOf: $0) }
            XCTAssertEqual(out, msg)
        }
    }

    func testPageIsASCIIWithShortLinesAndCSPHashesMatch() throws {
        let msg = [UInt8]((0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        let (page, _) = try makePage(msg, eol: [13, 10], config: .object([("organisation", .string("Bücher & <Söhne>"))]))
        XCTAssertTrue(page.allSatisfy { $0 < 128 }, "pure ASCII")
        var len = 0, longest = 0
        for c in page { if c == 10 { longest = max(longest, len); len = 0 } else { len += 1 } }
        XCTAssertLessThanOrEqual(longest, 998 + 1)
        // CRLF on the wire; the parser hands LF to the CSP check.
        let lf = page.filter { $0 != 13 }
        let text = String(decoding: lf, as: UTF8.self)
        func between(_ a: String, _ b: String) -> String? {
            guard let r = text.range(of: a), let e = text.range(of: b, range: r.upperBound..<text.endIndex) else { return nil }
            return String(text[r.upperBound..<e.lowerBound])
        }
        let t = try template()
        let script = try XCTUnwrap(between("<script>", "</script>\n</body>"))
        let style = try XCTUnwrap(between("<style>", "</style>"))
        XCTAssertEqual(Array(script.utf8), t.script)
        let csp = try XCTUnwrap(between("content=\"", "\">"))
        XCTAssertTrue(csp.contains("script-src 'sha256-\(Base64.encode(try SealCrypto.sha256(Array(script.utf8))))'"), csp)
        XCTAssertTrue(csp.contains("style-src 'sha256-\(Base64.encode(try SealCrypto.sha256(Array(style.utf8))))'"), csp)
        XCTAssertTrue(csp.hasPrefix("default-src 'none';"))
        XCTAssertFalse(csp.contains("unsafe"))
        // '<' never inside the data elements: the config's '<' is escaped.
        let config = try XCTUnwrap(between("id=\"sealmilter-config\">", "</script>"))
        XCTAssertFalse(config.contains("<"))
        XCTAssertTrue(config.contains("\\u003cS\\u00f6hne\\u003e"))
        XCTAssertEqual(try JSON.parse(config)["organisation"]?.string, "Bücher & <Söhne>")
    }

    func testSizeRatio() throws {
        let msg = [UInt8]((0..<2_000_000).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ $0 >> 8) })
        let (page, _) = try makePage(msg, eol: [13, 10])
        let fixed = try makePage([]).0.count
        let ratio = Double(page.count - fixed) / Double(msg.count)
        XCTAssertLessThan(ratio, 1.40, "envelope/original \(ratio)")
        XCTAssertGreaterThan(ratio, 1.33)
    }

    func testLongConfigLineSwitchesToQuotedPrintable() throws {
        let logo = "data:image/png;base64," + String(repeating: "QUJD", count: 2000)
        let (page, info) = try makePage(Array("x".utf8), config: .object([("logo", .string(logo))]))
        XCTAssertEqual(info.transferEncoding, "quoted-printable")
        var len = 0
        for c in page { if c == 10 { XCTAssertLessThanOrEqual(len, 76); len = 0 } else { len += 1 } }
    }

    func testTemplateChecks() throws {
        let html = Array("<meta content=\"@@CSP@@\"><style>@@STYLE@@</style>@@HEADER@@@@CONFIG@@@@DATA@@<script>@@SCRIPT@@</script>".utf8)
        XCTAssertNoThrow(try PageTemplate(html: html, css: [], js: []))
        XCTAssertThrowsError(try PageTemplate(html: html, css: [], js: Array("x='</SCRIPT>'".utf8)))
        XCTAssertThrowsError(try PageTemplate(html: html + Array("@@DATA@@".utf8), css: [], js: []))
        XCTAssertThrowsError(try PageTemplate(html: Array(html.dropLast(30)), css: [], js: []))
        XCTAssertThrowsError(try PageTemplate(html: html, css: [0xc3, 0xa9], js: []))
        XCTAssertThrowsError(try PageTemplate(html: html, css: [UInt8](repeating: 65, count: 999), js: []))
    }

    func testPasscodes() throws {
        XCTAssertEqual(Passcode.alphabet.count, 32)
        XCTAssertEqual(Set(Passcode.alphabet).count, 32)
        for c in "01OI" { XCTAssertFalse(Passcode.alphabet.contains(c)) }
        XCTAssertGreaterThanOrEqual(Passcode.entropyBits, 80)
        var counts: [Character: Int] = [:]
        var seen = Set<String>()
        for _ in 0..<2000 {
            let p = try Passcode.generate()
            XCTAssertEqual(p.count, 23)
            let groups = p.split(separator: "-")
            XCTAssertEqual(groups.map(\.count), [5, 5, 5, 5])
            for c in p where c != "-" { XCTAssertTrue(Passcode.alphabet.contains(c)); counts[c, default: 0] += 1 }
            seen.insert(p)
        }
        XCTAssertEqual(seen.count, 2000)
        // 40000 characters over 32 symbols: each about 1250; a biased generator would stray far.
        XCTAssertEqual(counts.count, 32)
        for (c, n) in counts { XCTAssertTrue((1050...1450).contains(n), "\(c): \(n)") }
        XCTAssertEqual(Passcode.normalise("ab-c d\te"), "ABCDE")
        XCTAssertEqual(Passcode.normalise("ß-é"), "ßé")
    }

    func testJSONRoundTripAndLimits() throws {
        let v: JSON = .object([("a", .string("x\"\\\n\u{1F600}<>&é")), ("b", .array([.int(-5), .null, .bool(true)]))])
        XCTAssertTrue(v.text.utf8.allSatisfy { $0 < 128 })
        XCTAssertEqual(try JSON.parse(v.text), v)
        XCTAssertThrowsError(try JSON.parse(String(repeating: "[", count: 100) + String(repeating: "]", count: 100)))
        XCTAssertThrowsError(try JSON.parse("{\"a\":1.5}"))
        XCTAssertThrowsError(try JSON.parse("\"\\ud800\""))
        XCTAssertThrowsError(try JSON.parse("{\"a\":1} x"))
    }

    func testBase64URL() {
        for n in 0..<20 {
            let b = (0..<n).map { UInt8($0 * 37 & 255) }
            XCTAssertEqual(Base64URL.decode(Base64URL.encode(b)), b)
        }
        XCTAssertNil(Base64URL.decode("ab+/"))
        XCTAssertNil(Base64URL.decode("a"))
    }
}
