import Testing
import SealTestSupport
import Foundation
@testable import SealMIME

/// Random well-formed MIME messages with known leaf payloads: the parser must find
/// every leaf with its exact decoded bytes, in any chunking.
struct MessageGenerator {
    var rng: SplitMix
    var eol: String
    var mixedEOL: Bool
    /// Boundaries that are prefixes of each other on purpose.
    let boundaryPool = ["b", "b1", "bb", "b1b", "=_Part_1", "=_Part_10", "x y", "abc", "abcdef"]
    var expected: [(path: String, media: String, payload: [UInt8], filename: String?)] = []

    init(seed: UInt64) {
        rng = SplitMix(seed: seed)
        eol = Bool.random(using: &rng) ? "\r\n" : "\n"
        mixedEOL = Int.random(in: 0..<4, using: &rng) == 0
    }

    mutating func nl() -> String { mixedEOL ? (Bool.random(using: &rng) ? "\r\n" : "\n") : eol }

    mutating func textLine(_ used: [String]) -> String {
        switch Int.random(in: 0..<10, using: &rng) {
        case 0 where !used.isEmpty:
            // A look-alike: a boundary followed by something that is not white space.
            let b = used.randomElement(using: &rng)!
            return ["--\(b)!", "--\(b)-x", " --\(b)", "x--\(b)", "--\(b)--!"].randomElement(using: &rng)!
        case 1: return "-"
        case 2: return ""
        case 3: return "-- "
        default:
            let n = Int.random(in: 0..<50, using: &rng)
            return String((0..<n).map { _ in "abcdefghij KLMNOP=.-_".randomElement(using: &rng)! })
        }
    }

    /// Returns the entity (headers + body) for `path`; `used` are the enclosing boundaries.
    mutating func entity(path: String, depth: Int, used: [String], defaultDigest: Bool = false) -> String {
        let choice = depth == 0 ? 9 : depth >= 4 ? 0 : Int.random(in: 0..<10, using: &rng)
        if choice >= 7 {
            // multipart
            let candidates = boundaryPool.filter { !used.contains($0) }
            let b = candidates.randomElement(using: &rng)!
            let sub = ["mixed", "alternative", "related", "digest"].randomElement(using: &rng)!
            var s = "Content-Type: multipart/\(sub); boundary=\"\(b)\"" + nl() + nl()
            if Bool.random(using: &rng) { s += "preamble " + textLine(used) + nl() }
            let n = Int.random(in: 1...3, using: &rng)
            for i in 1...n {
                s += "--\(b)" + (Bool.random(using: &rng) ? "" : " \t") + nl()
                s += entity(path: path + ".\(i)", depth: depth + 1, used: used + [b], defaultDigest: sub == "digest")
                s += nl()
            }
            s += "--\(b)--" + nl()
            if Bool.random(using: &rng) { s += "epilogue " + textLine(used) + nl() }
            return s
        }
        if choice == 6 {
            // embedded message
            var s = (defaultDigest && Bool.random(using: &rng) ? "" : "Content-Type: message/rfc822" + nl()) + nl()
            s += "Subject: inner" + nl()
            s += entity(path: path + ".1", depth: depth + 1, used: used)
            return s
        }
        // leaf
        var payload: [UInt8] = []
        var body = ""
        var headers = ""
        let fname: String? = Bool.random(using: &rng) ? "f\(path).bin" : nil
        let enc = Int.random(in: 0..<3, using: &rng)
        let media = defaultDigest ? "text/plain" : "application/octet-stream"
        headers += "Content-Type: \(media)" + (fname.map { "; name=\"\($0)\"" } ?? "") + nl()
        switch enc {
        case 0:
            let lines = (0..<Int.random(in: 0...4, using: &rng)).map { _ in textLine(used) }
            var text = ""
            for (i, l) in lines.enumerated() { text += (i > 0 ? nl() : "") + l }
            body = text
            payload = Array(text.utf8)
        case 1:
            payload = (0..<Int.random(in: 0...300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            headers += "Content-Transfer-Encoding: base64" + nl()
            body = Data(payload).base64EncodedString(options: .lineLength64Characters)
                .replacingOccurrences(of: "\r\n", with: nl())
        default:
            headers += "Content-Transfer-Encoding: quoted-printable" + nl()
            let text = (0..<Int.random(in: 0...120, using: &rng)).map { _ in "ab =-\u{E9}".randomElement(using: &rng)! }
            payload = Array(String(text).utf8)
            var lineLen = 0
            for b in payload {
                let piece = (b == 61 || b >= 127) ? String(format: "=%02X", b) : String(UnicodeScalar(b))
                if lineLen + piece.count > 20 { body += "=" + nl(); lineLen = 0 }
                body += piece
                lineLen += piece.count
            }
        }
        expected.append((path, media, payload, fname))
        return headers + nl() + body
    }
}

@Suite struct GeneratedTests {
    @Test(arguments: 0..<60)
    func generatedMessages(seed: Int) {
        var g = MessageGenerator(seed: UInt64(seed) &* 7919 &+ 17)
        let text = "From: gen@example.com" + g.nl() + "Subject: generated \(seed)" + g.nl()
            + g.entity(path: "1", depth: 0, used: [])
        let msg = bytes(text)
        let s = checkSplitInvariance(msg, everySplit: msg.count < 800, random: 20, seed: UInt64(seed), label: "seed \(seed)")
        #expect(s.limits.isEmpty)
        #expect(s.leaves.count == g.expected.count, "seed \(seed)")
        for e in g.expected {
            guard let p = s.part(e.path) else { Issue.record("seed \(seed): no part \(e.path)"); continue }
            #expect(p.kind == .leaf, "seed \(seed) \(e.path)")
            #expect(p.data == e.payload, "seed \(seed) \(e.path): \(p)")
            #expect(p.decodedSize == Int64(e.payload.count), "seed \(seed) \(e.path)")
            #expect(p.filename == e.filename)
        }
        #expect(s.parts.allSatisfy { !$0.missingClose }, "seed \(seed)")
    }
}
