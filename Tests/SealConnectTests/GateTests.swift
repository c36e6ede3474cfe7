import SealConnect
import SealEngine
import SealPolicy
import Testing

/// Inbound enforcement: a partner's message is refused at MAIL FROM when its
/// connection fails the connector, with the connector's code, before any rule runs.
@Suite struct GateTests {
    static let yaml = """
        internal_domains: [example.com]
        connectors:
          - name: acme
            domains: [acme.example]
            networks: [192.0.2.0/24]
            min_tls_version: TLSv1.2
            certificate_names: [mx.acme.example]
            certificate_issuers: ["Acme CA*"]
            min_cipher_bits: 128
            forward_secrecy: true
            on_violation: reject
          - name: soft
            domains: [soft.example]
            reply: "Please use TLS"
        rules:
          - name: tag
            when: {sender: "*"}
            actions: [{add_header: {name: X-Tag, value: seen}}]
        """

    func run(_ c: Conn, from: String) throws -> (Session, Decision) {
        session(try policy(Self.yaml), c, from: from)
    }

    static let good = Conn.tls("TLSv1.3", subject: "mx.acme.example", issuer: "Acme CA 1", client: "203.0.113.9")

    @Test func plaintextPartnerRefusedAtMail() throws {
        let (s, d) = try run(Conn(client: "203.0.113.9"), from: "alice@acme.example")
        #expect(d == .reject)
        #expect(s.reply == SMTPReply(code: "550", extendedCode: "5.7.1", text: "TLS is required for mail from this sender"))
        #expect(s.logLine.contains("action=reject") && s.logLine.contains("connector=acme violated=require_tls plaintext"), "\(s.logLine)")
        #expect(s.outcome?.matchedRules.isEmpty == true)   // no rule ran
    }

    @Test func partnerByNetworkWhateverTheSender() throws {
        let (s, d) = try run(Conn(client: "192.0.2.44"), from: "someone@elsewhere.example")
        #expect(d == .reject && s.logLine.contains("connector=acme"), "\(s.logLine)")
        let (_, d2) = try run(Conn(client: "192.0.3.44"), from: "someone@elsewhere.example")
        #expect(d2 == .continue)
    }

    @Test func eachRequirement() throws {
        func refusal(_ c: Conn) throws -> String? {
            let (s, d) = try run(c, from: "alice@acme.example")
            guard d != .continue else { return nil }
            #expect(d == .reject)
            return s.logLine
        }
        #expect(try refusal(Self.good) == nil)
        #expect(try refusal(.tls("TLSv1.1", cipher: "ECDHE-RSA-AES256-SHA", subject: "mx.acme.example", issuer: "Acme CA"))?
            .contains("violated=min_tls_version need=TLSv1.2 got=TLSv1.1") == true)
        #expect(try refusal(.tls("TLSv1.2", cipher: "ECDHE-RSA-DES-CBC3-SHA", bits: "112", subject: "mx.acme.example", issuer: "Acme CA"))?
            .contains("violated=min_cipher_bits need=128 got=112") == true)
        #expect(try refusal(.tls("TLSv1.2", cipher: "AES256-GCM-SHA384", subject: "mx.acme.example", issuer: "Acme CA"))?
            .contains("violated=forward_secrecy cipher=AES256-GCM-SHA384") == true)
        #expect(try refusal(.tls("TLSv1.3"))?.contains("violated=certificate_names no-verified-client-certificate") == true)
        #expect(try refusal(.tls("TLSv1.3", subject: "mx.evil.example", issuer: "Acme CA"))?
            .contains("violated=certificate_names subject=mx.evil.example") == true)
        #expect(try refusal(.tls("TLSv1.3", subject: "mx.acme.example", issuer: "Other CA"))?
            .contains("violated=certificate_issuers issuer=Other_CA") == true)
        // A TLS 1.2 ECDHE connection with the right certificate passes.
        #expect(try refusal(.tls("TLSv1.2", cipher: "ECDHE-RSA-AES128-GCM-SHA256", bits: "128",
                                 subject: "mx.acme.example", issuer: "Acme CA 2")) == nil)
    }

    @Test func defaultTempfailAndConfiguredText() throws {
        let (s, d) = try run(Conn(client: "203.0.113.9"), from: "x@soft.example")
        #expect(d == .tempfail && s.reply == SMTPReply(code: "450", extendedCode: "4.7.1", text: "Please use TLS"))
        let (_, d2) = try run(.tls("TLSv1", client: "203.0.113.9"), from: "x@soft.example")   // only require_tls
        #expect(d2 == .continue)
    }

    @Test func othersAndPartnerOverTLSGoOn() throws {
        let (_, d) = try run(Conn(client: "203.0.113.9"), from: "x@other.example")
        #expect(d == .continue)
        let (_, d0) = try run(Conn(client: "203.0.113.9"), from: "")   // null sender, outside the networks
        #expect(d0 == .continue)
        let p = try policy(Self.yaml)
        let (s, d2) = message(p, Self.good, from: "alice@acme.example")
        #expect(d2 == .accept && s.headerEdits.contains { $0.name == "X-Tag" }, "\(s.logLine)")
        #expect(s.logLine.contains("tls=TLSv1.3") && !s.logLine.contains("connector="), "\(s.logLine)")
    }

    @Test func nextMessageOnTheConnectionStartsClean() throws {
        let p = try policy(Self.yaml)
        let s = Session(engine: Engine(policy: p))
        _ = s.connect(hostname: "h", address: "203.0.113.9")
        #expect(s.mailFrom("<a@acme.example>") == .reject && s.gateLog != nil)
        #expect(s.mailFrom("<a@other.example>") == .continue && s.gateLog == nil)
    }

    @Test func macrosAskedForOnlyWithConnectors() throws {
        let with = Engine(policy: try policy(Self.yaml))
        #expect(with.needs.isSuperset(of: [.connect, .helo, .mail, .clientMacros, .tlsMacros]))
        #expect(with.macros(at: .helo).contains("{tls_version}") && with.macros(at: .helo).contains("{cert_subject}"))
        #expect(with.macros(at: .connect).contains("{client_addr}"))
        let without = Engine(policy: try policy("rules:\n  - name: r\n    when: {sender: a@b.example}\n    actions: [reject]\n"))
        #expect(!without.needs.contains(.tlsMacros) && !without.macros(at: .helo).contains("{tls_version}"))
        // An outbound-only connector needs nothing at connection time.
        let outbound = Engine(policy: try policy("connectors: [{name: o, domains: o.example, direction: outbound}]"))
        #expect(!outbound.needs.contains(.tlsMacros) && !outbound.needs.contains(.helo))
        // A TLS condition alone asks for the TLS macros at HELO.
        let cond = Engine(policy: try policy("rules:\n  - name: r\n    when: {tls_version: none}\n    actions: [reject]\n"))
        #expect(cond.needs.contains(.tlsMacros) && cond.needs.contains(.helo) && cond.macros(at: .helo).contains("{cipher}"))
    }
}

/// With a submission path, the filter's own messages come back from loopback with
/// their senders (a partner's, for a version of its message): a loopback client's
/// refusal waits for the marker check at the end of the header section.
@Suite struct GateSubmissionTests {
    static let yaml = """
        keys: {marker: /nonexistent/sealconnect-test-marker.key}
        submission: {method: smtp, host: 127.0.0.1, port: 1, marker_key: marker}
        connectors:
          - name: acme
            domains: [acme.example]
            on_violation: reject
        """

    @Test func loopbackRefusalWaitsForTheMarker() throws {
        let p = try policy(Self.yaml)
        #expect(Engine(policy: p).needs.contains(.earlyReply))
        let s = Session(engine: Engine(policy: p))
        _ = s.connect(hostname: "localhost", address: "127.0.0.1")
        #expect(s.mailFrom("<a@acme.example>") == .continue)
        #expect(s.rcpt("<b@example.com>") == .continue)
        #expect(s.header(name: "Subject", value: "x") == .continue)
        // No marker: refused at the end of the header section, with the connector's reply.
        #expect(s.endOfHeaders() == .reject)
        #expect(s.reply?.code == "550" && s.logLine.contains("connector=acme violated=require_tls"), "\(s.logLine)")
        // Another client is refused at MAIL as always.
        let s2 = Session(engine: Engine(policy: p))
        _ = s2.connect(hostname: "mx", address: "203.0.113.5")
        #expect(s2.mailFrom("<a@acme.example>") == .reject)
    }
}
