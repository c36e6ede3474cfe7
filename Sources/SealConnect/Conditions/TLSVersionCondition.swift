import SealPolicy
import SealEngine

/// `tls_version: TLSv1.2` (this version or later), `tls_version: {min: TLSv1.2}`,
/// `tls_version: {exact: TLSv1.3}`, or `tls_version: none` (the message came in
/// without TLS). Judged on `{tls_version}`; plaintext meets no minimum.
public struct TLSVersionCondition: Condition {
    public static let key = "tls_version"
    public enum Test: Sendable, Equatable { case atLeast(TLSVersion), exactly(TLSVersion), plaintext }
    public var test: Test

    public static func load(_ value: PolicyNode, _ what: String, _ reader: PolicyReader) -> [Self]? {
        func version(_ node: PolicyNode, _ w: String) -> TLSVersion? {
            guard let s = reader.string(node, w) else { return nil }
            guard let v = TLSVersion(s), TLSVersion.known.contains(v) else {
                reader.fail(node, "\(w): unknown TLS version '\(s)'; use one of "
                            + TLSVersion.known.map(\.description).joined(separator: ", ") + " (or none)")
                return nil
            }
            return v
        }
        if case .mapping = value {
            guard let f = reader.fields(value, in: what, allowed: ["min", "exact"]) else { return nil }
            if f["min"] != nil && f["exact"] != nil {
                reader.fail(value, "\(what): give 'min' or 'exact', not both"); return nil
            }
            if let n = f["min"] { return version(n, "\(what).min").map { [Self(test: .atLeast($0))] } }
            if let n = f["exact"] { return version(n, "\(what).exact").map { [Self(test: .exactly($0))] } }
            if !f.rejected { reader.fail(value, "\(what): needs 'min' or 'exact'") }
            return nil
        }
        if let s = PolicyReader.scalarText(value), s.lowercased() == "none" { return [Self(test: .plaintext)] }
        return version(value, what).map { [Self(test: .atLeast($0))] }
    }

    public var stage: Stage { .mail }
    /// HELO: the TLS macros come with the EHLO after STARTTLS, before MAIL.
    public var needs: Needs { [.helo, .mail, .tlsMacros] }

    public func holds(in message: MessageFacts, recipients: [String]) -> Bool {
        let tls = TLSFacts(macros: message.macros)
        switch test {
        case .plaintext: return !tls.encrypted
        case .atLeast(let min):
            guard let v = tls.version.flatMap(TLSVersion.init) else { return false }
            return v >= min
        case .exactly(let want):
            return tls.version.flatMap(TLSVersion.init) == want
        }
    }
}
