import SealConnect
import SealEngine
import SealPolicy

/// The registry with SealConnect as the composition root registers it.
let connectRegistry: Registry = {
    var r = Registry.builtin
    ConnectModule.register(&r)
    return r
}()

func policy(_ yaml: String) throws(PolicyError) -> Policy {
    try Policy.parse(yaml: yaml, file: "test.yaml", registry: connectRegistry)
}

/// Every error of a policy text, as `LINE: message`.
func problems(_ yaml: String) -> [String] {
    Policy.diagnose(yaml: yaml, file: "test.yaml", registry: connectRegistry).map { "\($0.line ?? 0): \($0.message)" }
}

/// A connection's TLS facts as the MTA passes them.
struct Conn {
    var client = "192.0.2.10"
    var name = "mx.partner.example"
    var tls: [String: String] = [:]
    static let plain = Conn()
    static func tls(_ version: String = "TLSv1.3", cipher: String = "TLS_AES_256_GCM_SHA384", bits: String = "256",
                    subject: String? = nil, issuer: String? = nil, client: String = "192.0.2.10") -> Conn {
        var m = ["{tls_version}": version, "{cipher}": cipher, "{cipher_bits}": bits]
        if let subject { m["{cert_subject}"] = subject }
        if let issuer { m["{cert_issuer}"] = issuer }
        return Conn(client: client, tls: m)
    }
}

/// A session of the policy through MAIL (and RCPT when MAIL went on), with the
/// connection's macros given at their stages as the daemon passes them.
func session(_ p: Policy, _ c: Conn, from: String, to: [String] = ["bob@example.com"]) -> (Session, Decision) {
    let s = Session(engine: Engine(policy: p))
    s.macro(name: "{client_addr}", value: c.client)
    _ = s.connect(hostname: c.name, address: c.client)
    for (k, v) in c.tls { s.macro(name: k, value: v) }
    _ = s.helo("mx.partner.example")
    var d = s.mailFrom("<\(from)>")
    for r in to where d == .continue { d = s.rcpt("<\(r)>") }
    return (s, d)
}

/// Runs a whole small message; returns the session and the final decision.
func message(_ p: Policy, _ c: Conn, from: String, to: [String] = ["bob@example.com"]) -> (Session, Decision) {
    var (s, d) = session(p, c, from: from, to: to)
    guard d == .continue else { return (s, d) }
    for (n, v) in [("From", from), ("To", to.joined(separator: ", ")), ("Subject", "t")] where d == .continue {
        d = s.header(name: n, value: v)
    }
    if d == .continue { d = s.endOfHeaders() }
    if d == .continue { d = "hello\r\n".utf8CString.withUnsafeBytes { s.body(UnsafeRawBufferPointer(rebasing: $0.dropLast())) } }
    if d == .continue { d = s.endOfMessage() }
    return (s, d)
}
