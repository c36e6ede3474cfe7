import Foundation
import SealEngine
import SealPolicy

/// Runs a raw message through a session of a policy given as YAML text.
func run(_ policyYAML: String, _ message: String, from: String = "<a@partner.example>", to: [String] = ["<b@example.com>"],
         chunk: Int = 7, decodeAll: Bool = true, registry: Registry = .builtin) throws -> (Session, Decision, [Decision]) {
    let engine = Engine(policy: try Policy.parse(yaml: policyYAML, file: "test.yaml", registry: registry))
    let s = Session(engine: engine, decodeAll: decodeAll)
    var d = s.mailFrom(from)
    var rcpts: [Decision] = []
    for r in to { rcpts.append(s.rcpt(r)) }
    let bytes = Array(message.utf8)
    var i = 0
    while d == .continue && i < bytes.count {
        let n = min(chunk, bytes.count - i)
        d = bytes[i..<(i + n)].withUnsafeBytes { s.raw($0) }
        i += n
    }
    if d == .continue { d = s.endOfMessage() }
    return (s, d, rcpts)
}

/// Runs a message the milter way: header fields one by one, then the body.
func runMilter(_ policyYAML: String, headers: [(String, String)], body: String, chunk: Int = 5) throws -> (Session, Decision) {
    let engine = Engine(policy: try Policy.parse(yaml: policyYAML, file: "test.yaml"))
    let s = Session(engine: engine)
    _ = s.mailFrom("<a@partner.example>")
    _ = s.rcpt("<b@example.com>")
    for (n, v) in headers { _ = s.header(name: n, value: v) }
    var d = s.endOfHeaders()
    let bytes = Array(body.utf8)
    var i = 0
    while d == .continue && s.needsBody && i < bytes.count {
        let n = min(chunk, bytes.count - i)
        d = bytes[i..<(i + n)].withUnsafeBytes { s.body($0) }
        i += n
    }
    if d == .continue { d = s.endOfMessage() }
    return (s, d)
}

func replacementBody(_ s: Session) throws -> String {
    var out: [UInt8] = []
    while let c = try s.readReplacementBody() { out += c }
    return String(decoding: out, as: UTF8.self)
}

let crlf = "\r\n"
func msg(_ lines: [String]) -> String { lines.joined(separator: crlf) }
