import SealPolicy
import SealEngine

extension ConnectorSettings {
    /// Reads `connectors:`, a list of connectors; every problem is reported with
    /// its line (bad networks, unknown versions, contradictory settings).
    public static func load(_ value: PolicyNode, _ c: FeatureLoadContext) -> Self? {
        let r = c.reader
        guard case let .sequence(seq) = value else {
            r.fail(value, "connectors: expected a list of connectors (each a mapping with 'name'), found \(PolicyReader.describe(value))")
            return nil
        }
        let before = r.errorCount
        var out: [Connector] = []
        var names: [String: Int] = [:]
        var outboundDomains: [String: String] = [:]
        for (i, node) in seq.nodes.enumerated() {
            // A repeated name is reported even when either connector has other errors.
            if case let .mapping(m) = node,
               let n = m.pairs.first(where: { PolicyReader.scalarText($0.key) == "name" })?.value,
               let name = PolicyReader.scalarText(n) {
                if let first = names[name] {
                    r.fail(node, "connectors: duplicate connector name '\(name)' (first at line \(first))")
                    continue
                }
                names[name] = PolicyReader.line(node)
            }
            guard let conn = loadConnector(node, index: i, r) else { continue }
            if conn.effectiveOutbound != nil && conn.appliesOutbound {
                for d in conn.domains {
                    if let other = outboundDomains[d] {
                        r.fail(node, "connectors: '\(conn.name)': domain '\(d)' is already in connector '\(other)'; the outbound table can have one policy per domain")
                    } else { outboundDomains[d] = conn.name }
                }
            }
            out.append(conn)
        }
        guard r.errorCount == before else { return nil }
        return Self(connectors: out, line: PolicyReader.line(c.keyNode), file: r.file)
    }

    static func loadConnector(_ node: PolicyNode, index: Int, _ r: PolicyReader) -> Connector? {
        let ctx0 = "connectors[\(index + 1)]"
        guard let f = r.fields(node, in: ctx0, allowed: connectorKeys) else { return nil }
        guard let nameNode = f["name"] else {
            if !f.rejected { r.fail(node, "\(ctx0): needs 'name'") }
            return nil
        }
        guard let name = r.text(nameNode, "\(ctx0).name", maxLength: 64) else { return nil }
        if name.contains(where: { $0 == " " || $0 == "," }) || name == "any" || name == "none" {
            r.fail(nameNode, "\(ctx0).name: '\(name)' cannot be a connector name (no blanks or commas; 'any' and 'none' are reserved)")
            return nil
        }
        let what = "connectors: '\(name)'"
        let before = r.errorCount
        var conn = Connector(name: name, line: PolicyReader.line(node))

        if let v = f["domains"], let list = r.strings(v, "\(what): domains") {
            for (d, n) in list {
                var t = d.lowercased()
                if t.hasPrefix("*.") { t.removeFirst() }  // *.example.com reads as .example.com
                while t.hasSuffix(".") { t.removeLast() }
                let bare = t.hasPrefix(".") ? Substring(t.dropFirst()) : Substring(t)
                if !CertificateNamePattern.isHostName(bare) {
                    r.fail(n, "\(what): domains: '\(d)' is not a domain (write 'example.com', or '.example.com' for every domain below it)")
                } else { conn.domains.append(t) }
            }
        }
        if let v = f["networks"], let list = r.strings(v, "\(what): networks") {
            for (s, n) in list {
                do { conn.networks.append(try IPNetwork(parsing: s)) } catch {
                    r.fail(n, "\(what): networks: \(error)")
                }
            }
        }
        if let v = f["direction"], let s = r.string(v, "\(what): direction") {
            if let d = Connector.Direction(rawValue: s.lowercased()) { conn.direction = d } else {
                r.fail(v, "\(what): direction: '\(s)' is not one of inbound, outbound, both")
            }
        }
        if let v = f["require_tls"], let b = r.bool(v, "\(what): require_tls") { conn.requireTLS = b }
        if let v = f["min_tls_version"], let s = r.string(v, "\(what): min_tls_version") {
            if let t = TLSVersion(s), TLSVersion.known.contains(t) { conn.minVersion = t } else {
                r.fail(v, "\(what): min_tls_version: unknown TLS version '\(s)'; use one of "
                          + TLSVersion.known.map(\.description).joined(separator: ", "))
            }
        }
        if let v = f["certificate_names"], let list = r.strings(v, "\(what): certificate_names") {
            for (s, n) in list {
                var why = ""
                if let p = CertificateNamePattern(s, why: &why) { conn.names.append(p) } else {
                    r.fail(n, "\(what): certificate_names: '\(s)': \(why)")
                }
            }
        }
        if let v = f["certificate_issuers"], let list = r.strings(v, "\(what): certificate_issuers") {
            for (s, n) in list {
                if s.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) {
                    r.fail(n, "\(what): certificate_issuers: control characters are not allowed")
                } else { conn.issuers.append(CertificateGlob(s)) }
            }
        }
        if let v = f["min_cipher_bits"], let b = r.integer(v, "\(what): min_cipher_bits", min: 40) {
            if b > 512 { r.fail(v, "\(what): min_cipher_bits: \(b) is more than any cipher has (at most 512)") }
            else { conn.minCipherBits = b }
        }
        if let v = f["forward_secrecy"], let b = r.bool(v, "\(what): forward_secrecy") { conn.forwardSecrecy = b }
        if let v = f["outbound"], let s = r.string(v, "\(what): outbound") {
            let t = s.lowercased().replacingUnderscores()
            if let l = Connector.OutboundLevel(rawValue: t) { conn.outbound = l } else {
                r.fail(v, "\(what): outbound: '\(s)' is not one of "
                          + Connector.OutboundLevel.allCases.map(\.rawValue).joined(separator: ", "))
            }
        }
        if let v = f["on_violation"], let s = r.string(v, "\(what): on_violation") {
            switch s.lowercased() {
            case "reject": conn.onViolation = .reject
            case "tempfail": conn.onViolation = .tempfail
            default: r.fail(v, "\(what): on_violation: '\(s)' is not reject (5.7.x) or tempfail (4.7.x)")
            }
        }
        let def = Connector.defaultReply(conn.onViolation)
        conn.reply = def
        if let v = f["reply"] {
            if let rep = r.reply(v, "\(what): reply", cls: conn.onViolation == .reject ? "5" : "4", default: def) {
                conn.reply = rep
                conn.replyTextGiven = !rep.text.isEmpty
                if !rep.extendedCode.hasPrefix(conn.onViolation == .reject ? "5.7." : "4.7.") {
                    r.fail(v, "\(what): reply: the enhanced status code of a TLS policy refusal is \(conn.onViolation == .reject ? "5.7.x" : "4.7.x"), found \(rep.extendedCode)")
                }
            }
        }
        guard r.errorCount == before else { return nil }

        // Contradictions.
        let keyLine = { (k: String) in f.keyNode(k) ?? node }
        if conn.domains.isEmpty && conn.networks.isEmpty {
            r.fail(node, "\(what): names no partner: give 'domains' and/or 'networks'")
        }
        if conn.direction == .outbound && conn.domains.isEmpty {
            r.fail(keyLine("direction"), "\(what): an outbound connector needs 'domains' (networks identify inbound clients only)")
        }
        if !conn.requireTLS {
            let implying = ["min_tls_version", "certificate_names", "certificate_issuers", "min_cipher_bits"].filter { f[$0] != nil }
                + (conn.forwardSecrecy ? ["forward_secrecy"] : [])
            for k in implying {
                r.fail(keyLine(k), "\(what): \(k) contradicts require_tls: false (it can only be met over TLS)")
            }
            if let o = conn.outbound, o != .dane && o != .mtaSTS {
                r.fail(keyLine("outbound"), "\(what): outbound: \(o.rawValue) contradicts require_tls: false (it never sends in plaintext)")
            }
        }
        if let o = conn.outbound {
            if conn.direction == .inbound {
                r.fail(keyLine("outbound"), "\(what): outbound: \(o.rawValue) is for mail to the partner, but the connector's direction is inbound")
            } else if conn.domains.isEmpty {
                r.fail(keyLine("outbound"), "\(what): outbound: needs 'domains' (the table is indexed by the recipient's domain)")
            }
            if o == .encrypt && !conn.names.isEmpty && conn.direction == .outbound {
                r.fail(keyLine("outbound"), "\(what): outbound: encrypt does not verify certificate_names; use verify or secure, or leave outbound out")
            }
        }
        guard r.errorCount == before else { return nil }
        return conn
    }
}

extension String {
    /// `dane_only` reads as `dane-only`.
    func replacingUnderscores() -> String { String(map { $0 == "_" ? "-" : $0 }) }
}
