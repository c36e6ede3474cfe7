import SealPolicy
import SealEngine

/// `cipher: PATTERN` (or a list; `*` any characters, e.g. `ECDHE-*`), or a mapping
/// `{names: …, min_bits: 128, forward_secrecy: true}` whose parts must all hold.
/// Judged on `{cipher}` and `{cipher_bits}`; a plaintext message meets none.
public struct CipherCondition: Condition {
    public static let key = "cipher"
    public var names: [CertificateGlob]
    public var minBits: Int?
    public var forwardSecrecy: Bool?

    public static func load(_ value: PolicyNode, _ what: String, _ reader: PolicyReader) -> [Self]? {
        if case .mapping = value {
            guard let f = reader.fields(value, in: what, allowed: ["names", "min_bits", "forward_secrecy"]) else { return nil }
            var c = Self(names: [], minBits: nil, forwardSecrecy: nil)
            let before = reader.errorCount
            if let n = f["names"], let l = reader.strings(n, "\(what).names") { c.names = l.map { CertificateGlob($0.0) } }
            if let n = f["min_bits"], let b = reader.integer(n, "\(what).min_bits", min: 1) { c.minBits = b }
            if let n = f["forward_secrecy"], let b = reader.bool(n, "\(what).forward_secrecy") { c.forwardSecrecy = b }
            guard reader.errorCount == before else { return nil }
            if c.names.isEmpty && c.minBits == nil && c.forwardSecrecy == nil {
                if !f.rejected { reader.fail(value, "\(what): needs names, min_bits or forward_secrecy") }
                return nil
            }
            return [c]
        }
        guard let l = reader.strings(value, what) else { return nil }
        return [Self(names: l.map { CertificateGlob($0.0) }, minBits: nil, forwardSecrecy: nil)]
    }

    public var stage: Stage { .mail }
    public var needs: Needs { [.helo, .mail, .tlsMacros] }

    public func holds(in message: MessageFacts, recipients: [String]) -> Bool {
        let tls = TLSFacts(macros: message.macros)
        guard tls.encrypted, let cipher = tls.cipher else { return false }
        if !names.isEmpty && !names.contains(where: { $0.matches(cipher) }) { return false }
        if let b = minBits, (tls.cipherBits ?? 0) < b { return false }
        if let fs = forwardSecrecy, tls.forwardSecrecy != fs { return false }
        return true
    }
}
