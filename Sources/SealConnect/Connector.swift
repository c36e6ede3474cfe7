import SealPolicy
import SealEngine

/// One partner connector of the `connectors:` section: who the partner is
/// (domains, client networks), what its connections must meet, how mail to it
/// leaves, and what a violation gets.
public struct Connector: Sendable {
    /// Which way a connector applies.
    public enum Direction: String, Sendable, CaseIterable { case inbound, outbound, both }

    /// The Postfix SMTP client's security level for mail to the partner.
    public enum OutboundLevel: String, Sendable, CaseIterable {
        case encrypt, verify, secure, dane, daneOnly = "dane-only", mtaSTS = "mta-sts"
    }

    /// A requirement a connection may fail, as named in log lines.
    public enum Requirement: String, Sendable {
        case tls = "require_tls", version = "min_tls_version", names = "certificate_names",
             issuers = "certificate_issuers", cipherBits = "min_cipher_bits", forwardSecrecy = "forward_secrecy"
    }

    public var name: String
    /// Partner domains, lower case; `.example.com` means every domain below it.
    public var domains: [String]
    public var networks: [IPNetwork]
    public var direction: Direction
    public var requireTLS: Bool
    public var minVersion: TLSVersion?
    public var names: [CertificateNamePattern]
    public var issuers: [CertificateGlob]
    public var minCipherBits: Int?
    public var forwardSecrecy: Bool
    /// As written, or nil (then derived: ``effectiveOutbound``).
    public var outbound: OutboundLevel?
    /// `.reject` or `.tempfail`.
    public var onViolation: Decision
    /// A reply text given in the policy (nil: the text says which requirement failed).
    public var reply: SMTPReply
    public var replyTextGiven: Bool
    /// Where the connector starts in the policy file.
    public var line: Int

    public init(name: String, domains: [String] = [], networks: [IPNetwork] = [], direction: Direction = .both,
                requireTLS: Bool = true, minVersion: TLSVersion? = nil, names: [CertificateNamePattern] = [],
                issuers: [CertificateGlob] = [], minCipherBits: Int? = nil, forwardSecrecy: Bool = false,
                outbound: OutboundLevel? = nil, onViolation: Decision = .tempfail, reply: SMTPReply? = nil,
                line: Int = 0) {
        self.name = name; self.domains = domains; self.networks = networks; self.direction = direction
        self.requireTLS = requireTLS; self.minVersion = minVersion; self.names = names; self.issuers = issuers
        self.minCipherBits = minCipherBits; self.forwardSecrecy = forwardSecrecy; self.outbound = outbound
        self.onViolation = onViolation
        self.reply = reply ?? Connector.defaultReply(onViolation)
        self.replyTextGiven = reply != nil
        self.line = line
    }

    /// The default reply of a violation: 450 4.7.1 (tempfail) or 550 5.7.1 (reject);
    /// the text is filled in per requirement.
    public static func defaultReply(_ d: Decision) -> SMTPReply {
        d == .reject ? SMTPReply(code: "550", extendedCode: "5.7.1", text: "")
            : SMTPReply(code: "450", extendedCode: "4.7.1", text: "")
    }

    public var appliesInbound: Bool { direction != .outbound }
    public var appliesOutbound: Bool { direction != .inbound }

    /// Whether `domain` is one of the partner's domains.
    public func covers(domain: String) -> Bool {
        var d = domain.lowercased()
        if d.hasSuffix(".") { d.removeLast() }
        guard !d.isEmpty else { return false }
        return domains.contains { p in
            p.hasPrefix(".") ? d.hasSuffix(p) : d == p
        }
    }

    /// Whether the client address is in one of the partner's networks.
    public func covers(client address: String?) -> Bool {
        guard let address, !address.isEmpty else { return false }
        return networks.contains { $0.contains(address) }
    }

    /// Whether a connection from `client` with envelope sender `sender` is the
    /// partner's (client network, or the sender's domain).
    public func isInbound(sender: String, client: String?) -> Bool {
        guard appliesInbound else { return false }
        if covers(client: client) { return true }
        guard let domain = Connector.domain(of: sender) else { return false }
        return covers(domain: domain)
    }

    /// Whether mail to `recipient` leaves through this connector.
    public func isOutbound(recipient: String) -> Bool {
        guard appliesOutbound, let domain = Connector.domain(of: recipient) else { return false }
        return covers(domain: domain)
    }

    /// The domain of an address (brackets allowed), lower case; nil for none.
    public static func domain(of address: String) -> String? {
        var s = Substring(address.lowercased())
        while let f = s.first, f == " " || f == "<" { s.removeFirst() }
        while let l = s.last, l == " " || l == ">" || l == "." { s.removeLast() }
        guard let at = s.lastIndex(of: "@") else { return nil }
        let d = s[s.index(after: at)...]
        return d.isEmpty ? nil : String(d)
    }

    /// The outbound level: as written, else `secure` with certificate names,
    /// `encrypt` with require_tls, none otherwise.
    public var effectiveOutbound: OutboundLevel? {
        if let outbound { return outbound }
        guard requireTLS else { return nil }
        return names.isEmpty ? .encrypt : .secure
    }

    /// Whether mail to the partner never leaves in plaintext through the table
    /// (`encrypt` or stricter; `mta-sts` with require_tls has an `encrypt` floor;
    /// opportunistic `dane` falls back to plaintext without TLSA records).
    public var forcesTLSOutbound: Bool {
        guard appliesOutbound, !domains.isEmpty, let level = effectiveOutbound else { return false }
        switch level {
        case .encrypt, .verify, .secure, .daneOnly: return true
        case .mtaSTS: return requireTLS
        case .dane: return false
        }
    }
}

/// The TLS facts of a connection, from the MTA's macros (names without braces).
public struct TLSFacts: Sendable, Equatable {
    /// `{tls_version}` (nil or empty: no TLS).
    public var version: String?
    public var cipher: String?
    public var cipherBits: Int?
    /// `{cert_subject}`, `{cert_issuer}`: Postfix passes the common names only for a
    /// client certificate that verified.
    public var subject: String?
    public var issuer: String?

    public init(version: String? = nil, cipher: String? = nil, cipherBits: Int? = nil, subject: String? = nil, issuer: String? = nil) {
        self.version = version; self.cipher = cipher; self.cipherBits = cipherBits; self.subject = subject; self.issuer = issuer
    }

    public init(macros: [String: String]) {
        func v(_ k: String) -> String? { macros[k].flatMap { $0.isEmpty ? nil : $0 } }
        self.init(version: v("tls_version"), cipher: v("cipher"), cipherBits: v("cipher_bits").flatMap { Int($0) },
                  subject: v("cert_subject"), issuer: v("cert_issuer"))
    }

    public var encrypted: Bool { version != nil }

    /// Whether the key exchange gives forward secrecy: TLS 1.3 always does; before
    /// it, an (EC)DHE key exchange in the OpenSSL cipher name (`ECDHE-…`, `DHE-…`).
    public var forwardSecrecy: Bool {
        if let v = version.flatMap(TLSVersion.init), v >= .tls1_3 { return true }
        guard let c = cipher?.uppercased() else { return false }
        if c.hasPrefix("TLS_") { return true }   // TLS 1.3 suite names
        let words = c.split(separator: "-")
        return words.contains { ["ECDHE", "DHE", "EDH", "EECDH"].contains(String($0)) }
    }
}

/// Why a connection does not meet a connector.
public struct Violation: Sendable, Equatable {
    public var requirement: Connector.Requirement
    /// For the log: what was required and what was seen (client values made log-safe).
    public var detail: String
    /// The default reply text.
    public var text: String
}

extension Connector {
    /// The first requirement the connection fails, nil when it meets them all.
    public func violation(_ tls: TLSFacts) -> Violation? {
        guard requireTLS else { return nil }
        guard let versionText = tls.version else {
            return Violation(requirement: .tls, detail: "plaintext", text: "TLS is required for mail from this sender")
        }
        if let min = minVersion {
            let seen = TLSVersion(versionText)
            if seen == nil || seen! < min {
                return Violation(requirement: .version, detail: "need=\(min) got=\(logSafe(versionText))",
                                 text: "\(min) or later is required for mail from this sender")
            }
        }
        if let bits = minCipherBits, (tls.cipherBits ?? 0) < bits {
            return Violation(requirement: .cipherBits, detail: "need=\(bits) got=\(tls.cipherBits.map(String.init) ?? "-")",
                             text: "A stronger cipher is required for mail from this sender")
        }
        if forwardSecrecy && !tls.forwardSecrecy {
            return Violation(requirement: .forwardSecrecy, detail: "cipher=\(logSafe(tls.cipher ?? "-"))",
                             text: "A cipher with forward secrecy is required for mail from this sender")
        }
        if !names.isEmpty {
            guard let subject = tls.subject else {
                return Violation(requirement: .names, detail: "no-verified-client-certificate",
                                 text: "A verified client certificate is required for mail from this sender")
            }
            if !names.contains(where: { $0.matches(subject) || (CertificateGlob.commonName(in: subject).map($0.matches) ?? false) }) {
                return Violation(requirement: .names, detail: "subject=\(logSafe(subject))",
                                 text: "The client certificate does not name this sender's server")
            }
        }
        if !issuers.isEmpty {
            guard let issuer = tls.issuer else {
                return Violation(requirement: .issuers, detail: "no-verified-client-certificate",
                                 text: "A verified client certificate is required for mail from this sender")
            }
            if !issuers.contains(where: { $0.matches(issuer) }) {
                return Violation(requirement: .issuers, detail: "issuer=\(logSafe(issuer))",
                                 text: "The client certificate is not from an accepted issuer")
            }
        }
        return nil
    }
}

/// A client-supplied value as one log word: blanks, quotes and control characters become '_'.
func logSafe(_ v: String) -> String {
    String(String.UnicodeScalarView(v.unicodeScalars.prefix(200).map { $0.value <= 0x20 || $0 == "\"" || $0.value == 0x7f ? "_" : $0 }))
}
