import Foundation
import SealEngine
import SealPolicy
import SealRights
import SealEnvelope

/// The registry the daemon's composition root builds, for these tests.
let rightsRegistry: Registry = {
    var r = Registry.builtin
    r.register(feature: EnvelopeSettings.self)
    r.register(action: EncryptAction.self)
    RightsModule.register(&r)
    return r
}()

/// A policy with a rights section on the SQLite file `db` (or `registry`), the
/// protect rules for inside recipients and Do Not Forward.
func rightsPolicy(db: String, registry: String? = nil, extra: String = "", onError: String = "tempfail") -> String {
    """
    internal_domains: [example.com]
    flag_unscannable: false
    keys: {marker: \(markerKeyPath)}
    submission: {method: smtp, host: 127.0.0.1, port: 9, timeout: 2s, marker_key: marker}
    rights:
      registry: \(registry ?? "{sqlite: \(db)}")
      on_registry_error: \(onError)
      inside: labels
      templates:
        confidential:
          no_forward: true
          no_print: true
          expiry: 7d
          violation: {action: quarantine}
    \(extra)
    rules:
      - name: manual
        when: {rights_requested: true}
        for_each_recipient: true
        actions:
          - protect: requested
      - name: dnf-tagged
        when: {subject: {contains: ["[secret]"]}}
        for_each_recipient: true
        actions:
          - protect: {template: do-not-forward}
      - name: dnf-confidential
        when: {subject: {contains: ["[confidential]"]}}
        actions:
          - protect: {template: confidential}
      - name: dnf-gateway
        when: {forwards_protected: true}
        actions: [enforce_rights]
    """
}

/// Runs one message through a fresh session; returns the session and its decision.
func send(_ engine: Engine, from: String, to: [String], _ message: String, auth: String? = nil) -> (Session, Decision) {
    let s = Session(engine: engine)
    if let auth { s.macro(name: "{auth_authen}", value: auth) }
    s.macro(name: "i", value: "Q\(Int.random(in: 1000...9999))")
    var d = s.mailFrom("<\(from)>")
    for r in to where d == .continue { _ = s.rcpt("<\(r)>") }
    let bytes = Array(message.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n").utf8)
    var i = 0
    while d == .continue && i < bytes.count {
        let n = min(4096, bytes.count - i)
        d = bytes[i..<(i + n)].withUnsafeBytes { s.raw($0) }
        i += n
    }
    if d == .continue { d = s.endOfMessage() }
    return (s, d)
}

func tempPath(_ name: String) -> String {
    let d = FileManager.default.temporaryDirectory.appendingPathComponent("sealrights-" + UUID().uuidString)
    try! FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
    return d.appendingPathComponent(name).path
}

/// A protected text long enough for fingerprints (about 120 words).
let protectedText = """
The board has approved the acquisition of Northwind Components for a total consideration of
forty two million euros, payable in three instalments over the coming eighteen months. The
announcement is planned for the fourteenth of next month, after the works council has been
informed and the financing has been confirmed by both lenders. Until then the number of people
who know about it must stay as small as possible; please do not discuss the price, the timing or
the name of the target with anyone outside this list, and do not store the attached term sheet
on shared drives. Integration planning starts next week with a small team from finance, legal
and operations, and each of you will receive a separate invitation with the details.
"""

/// Re-wraps `text` at `width` columns with a quote prefix.
func quoted(_ text: String, width: Int, prefix: String = "> ") -> String {
    var lines: [String] = [], line = ""
    for w in text.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
        if line.count + w.count + 1 > width { lines.append(prefix + line); line = "" }
        line += (line.isEmpty ? "" : " ") + w
    }
    lines.append(prefix + line)
    return lines.joined(separator: "\n")
}

/// A private marker key file (mode 0600): `for_each_recipient` rules need `submission:`.
let markerKeyPath: String = {
    let path = tempPath("marker.key")
    let key = Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
    FileManager.default.createFile(atPath: path, contents: Data(key.utf8), attributes: [.posixPermissions: 0o600])
    return path
}()
